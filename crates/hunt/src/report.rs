//! Combining hits into one ranked report per entity.
//!
//! # Score
//!
//! `score = (sum of severity_weight over the distinct rules that hit the entity)
//!          × (number of distinct ATT&CK tactics among those rules, at least 1)`
//!
//! with weights Informational 1, Low 2, Medium 4, High 8, Critical 16, Fatal 32
//! (a rule without a severity weighs as Low). Each rule counts once however often
//! it fired, so one noisy rule cannot outrank a story; multiplying by the number of
//! tactics rewards progress along the kill chain (initial access, then
//! persistence, then defense evasion…), which is what separates an intrusion from
//! a user who tripped one rule.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use trailhunt_rules::Severity;
use trailhunt_rules::mitre::tactic_rank;

use crate::hit::{Hit, TagRef, rfc3339, severity_opt};

/// A tactic an entity's hits carry, with when it first happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TacticSeen {
    /// `TA0005`.
    pub id: String,
    /// `defense_evasion`.
    pub name: String,
    /// The entity's first matching event under a rule with this tactic (Unix ns).
    #[serde(serialize_with = "rfc3339")]
    pub first: i64,
}

/// A rule that hit an entity.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RuleSeen {
    /// The rule's name.
    pub rule: String,
    /// Its severity.
    #[serde(serialize_with = "severity_opt")]
    pub severity: Option<Severity>,
    /// Its tactics.
    pub tactics: Vec<TagRef>,
    /// Its techniques.
    pub techniques: Vec<TagRef>,
    /// Hits of the rule involving the entity.
    pub hits: usize,
    /// The entity's matching events under those hits.
    pub events: u64,
    /// The first of them (Unix ns).
    #[serde(serialize_with = "rfc3339")]
    pub first: i64,
    /// The last of them.
    #[serde(serialize_with = "rfc3339")]
    pub last: i64,
}

/// One hit on the entity's timeline.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TimelineItem {
    /// The entity's first matching event of the hit (Unix ns).
    #[serde(serialize_with = "rfc3339")]
    pub first: i64,
    /// The last one.
    #[serde(serialize_with = "rfc3339")]
    pub last: i64,
    /// The rule.
    pub rule: String,
    /// Its severity.
    #[serde(serialize_with = "severity_opt")]
    pub severity: Option<Severity>,
    /// Its tactics' names.
    pub tactics: Vec<String>,
    /// The entity's matching events in the hit.
    pub events: u64,
}

/// Everything the rules found about one entity.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EntityReport {
    /// 1 for the most suspicious entity.
    pub rank: usize,
    /// The entity (`entity_id`).
    pub entity_id: String,
    /// See the module docs.
    pub score: u64,
    /// The highest severity among the rules that hit.
    #[serde(serialize_with = "severity_opt")]
    pub max_severity: Option<Severity>,
    /// The entity's first matching event over all hits (Unix ns).
    #[serde(serialize_with = "rfc3339")]
    pub first: i64,
    /// Its last.
    #[serde(serialize_with = "rfc3339")]
    pub last: i64,
    /// The tactics, in the order they first happened.
    pub tactics: Vec<TacticSeen>,
    /// The entity's windows that were hit, in time order.
    pub windows: Vec<String>,
    /// The rules that hit, in the order they first fired.
    pub rules: Vec<RuleSeen>,
    /// Every hit, in time order (whole-span hits only for rules with no scheduled hit).
    pub timeline: Vec<TimelineItem>,
}

/// The weight of a severity in the score (see the module docs).
pub fn severity_weight(severity: Option<Severity>) -> u64 {
    match severity {
        Some(Severity::Informational) => 1,
        None | Some(Severity::Low) => 2,
        Some(Severity::Medium) => 4,
        Some(Severity::High) => 8,
        Some(Severity::Critical) => 16,
        Some(Severity::Fatal) => 32,
    }
}

/// One report per entity named by `hits`, most suspicious first.
pub fn hunt(hits: &[Hit]) -> Vec<EntityReport> {
    // Rules with a scheduled hit on an entity: their whole-span hits add nothing.
    let scheduled: BTreeSet<(&str, &str)> = hits
        .iter()
        .filter(|h| !h.whole_span)
        .flat_map(|h| {
            h.entities
                .iter()
                .map(|e| (e.entity_id.as_str(), h.rule.as_str()))
        })
        .collect();
    let mut by_entity: BTreeMap<&str, Vec<(&Hit, usize)>> = BTreeMap::new();
    for h in hits {
        for (i, e) in h.entities.iter().enumerate() {
            if h.whole_span && scheduled.contains(&(e.entity_id.as_str(), h.rule.as_str())) {
                continue;
            }
            by_entity.entry(&e.entity_id).or_default().push((h, i));
        }
    }
    let mut reports: Vec<EntityReport> = by_entity
        .into_iter()
        .map(|(entity, hits)| entity_report(entity, &hits))
        .collect();
    reports.sort_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then(b.max_severity.cmp(&a.max_severity))
            .then(a.first.cmp(&b.first))
            .then(a.entity_id.cmp(&b.entity_id))
    });
    for (i, r) in reports.iter_mut().enumerate() {
        r.rank = i + 1;
    }
    reports
}

fn entity_report(entity: &str, hits: &[(&Hit, usize)]) -> EntityReport {
    let mut timeline: Vec<TimelineItem> = hits
        .iter()
        .map(|(h, i)| {
            let e = &h.entities[*i];
            TimelineItem {
                first: e.first,
                last: e.last,
                rule: h.rule.clone(),
                severity: h.severity,
                tactics: h.tactics.iter().map(|t| t.name.clone()).collect(),
                events: e.events,
            }
        })
        .collect();
    timeline.sort_by(|a, b| (a.first, &a.rule).cmp(&(b.first, &b.rule)));

    let mut rules: Vec<RuleSeen> = Vec::new();
    let mut tactics: BTreeMap<&str, TacticSeen> = BTreeMap::new();
    let mut windows: Vec<(i64, &str)> = Vec::new();
    for (h, i) in hits {
        let e = &h.entities[*i];
        match rules.iter_mut().find(|r| r.rule == h.rule) {
            Some(r) => {
                r.hits += 1;
                r.events += e.events;
                r.first = r.first.min(e.first);
                r.last = r.last.max(e.last);
            }
            None => rules.push(RuleSeen {
                rule: h.rule.clone(),
                severity: h.severity,
                tactics: h.tactics.clone(),
                techniques: h.techniques.clone(),
                hits: 1,
                events: e.events,
                first: e.first,
                last: e.last,
            }),
        }
        for t in &h.tactics {
            let seen = tactics.entry(&t.id).or_insert_with(|| TacticSeen {
                id: t.id.clone(),
                name: t.name.clone(),
                first: e.first,
            });
            seen.first = seen.first.min(e.first);
        }
        for w in &e.window_ids {
            windows.push((e.first, w));
        }
    }
    rules.sort_by(|a, b| (a.first, &a.rule).cmp(&(b.first, &b.rule)));
    let mut tactics: Vec<TacticSeen> = tactics.into_values().collect();
    tactics.sort_by_key(|t| (t.first, tactic_rank(&t.id).unwrap_or(usize::MAX)));
    windows.sort();
    let mut seen = BTreeSet::new();
    let windows: Vec<String> = windows
        .into_iter()
        .filter(|(_, w)| seen.insert(*w))
        .map(|(_, w)| w.to_string())
        .collect();
    let weight: u64 = rules.iter().map(|r| severity_weight(r.severity)).sum();
    let score = weight * (tactics.len().max(1) as u64);
    EntityReport {
        rank: 0,
        entity_id: entity.to_string(),
        score,
        max_severity: rules.iter().filter_map(|r| r.severity).max(),
        first: rules.iter().map(|r| r.first).min().unwrap_or(0),
        last: rules.iter().map(|r| r.last).max().unwrap_or(0),
        tactics,
        windows,
        rules,
        timeline,
    }
}
