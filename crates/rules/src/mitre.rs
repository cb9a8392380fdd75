//! MITRE ATT&CK tags in Scanner's scheme: `tactics.ta0005.defense_evasion`,
//! `techniques.t1562.008.disable_cloud_logs`, `techniques.t1078.valid_accounts`.

use std::fmt::{self, Display, Formatter};

/// The enterprise tactics in kill-chain order: id and snake_case name, as
/// ATT&CK v19 has them. v19 renamed TA0005 "Defense Evasion" to "Stealth" (the
/// id stayed) and added TA0112 "Defense Impairment" after it; the older name
/// is still read ([`FORMER_TACTIC_NAMES`]).
///
/// A report orders tactics by their index here ([`tactic_rank`]).
pub const TACTIC_ORDER: [(&str, &str); 15] = [
    ("TA0043", "reconnaissance"),
    ("TA0042", "resource_development"),
    ("TA0001", "initial_access"),
    ("TA0002", "execution"),
    ("TA0003", "persistence"),
    ("TA0004", "privilege_escalation"),
    ("TA0005", "stealth"),
    ("TA0112", "defense_impairment"),
    ("TA0006", "credential_access"),
    ("TA0007", "discovery"),
    ("TA0008", "lateral_movement"),
    ("TA0009", "collection"),
    ("TA0011", "command_and_control"),
    ("TA0010", "exfiltration"),
    ("TA0040", "impact"),
];

/// Tactic names of earlier ATT&CK versions that still name a tactic: Sigma
/// rules and rule files written before v19 say `defense_evasion`.
pub const FORMER_TACTIC_NAMES: [(&str, &str); 1] = [("TA0005", "defense_evasion")];

/// The kill-chain position of a tactic id (`"TA0005"`, any case), if it is one of
/// the 15 enterprise tactics.
pub fn tactic_rank(id: &str) -> Option<usize> {
    TACTIC_ORDER
        .iter()
        .position(|(t, _)| t.eq_ignore_ascii_case(id))
}

/// The id of a tactic given its name (`"stealth"`, `"defense-impairment"`,
/// `"defense_evasion"`, any case).
pub fn tactic_id(name: &str) -> Option<&'static str> {
    let name = name.replace(['-', ' '], "_");
    TACTIC_ORDER
        .iter()
        .chain(FORMER_TACTIC_NAMES.iter())
        .find(|(_, n)| n.eq_ignore_ascii_case(&name))
        .map(|(id, _)| *id)
}

/// A tactic named by a tag.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Tactic {
    /// Upper-case id, `TA0005`.
    pub id: String,
    /// The name as written in the tag (`defense_evasion`), or the standard name
    /// when the tag has none.
    pub name: String,
}

impl Tactic {
    /// Kill-chain position (see [`TACTIC_ORDER`]); `None` for an unknown id.
    pub fn rank(&self) -> Option<usize> {
        tactic_rank(&self.id)
    }
}

/// A technique or sub-technique named by a tag.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Technique {
    /// Upper-case id, `T1562.008` or `T1078`.
    pub id: String,
    /// The name as written in the tag (`disable_cloud_logs`); empty when absent.
    pub name: String,
}

impl Technique {
    /// The parent technique id (`T1562` for `T1562.008`).
    pub fn parent_id(&self) -> &str {
        self.id.split('.').next().unwrap_or(&self.id)
    }

    /// The ATT&CK page of the technique.
    pub fn url(&self) -> String {
        format!(
            "https://attack.mitre.org/techniques/{}/",
            self.id.replace('.', "/")
        )
    }
}

/// What one tag names.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum MitreTag {
    /// `tactics.taNNNN[.name]`
    Tactic(Tactic),
    /// `techniques.tNNNN[.NNN][.name]`
    Technique(Technique),
}

/// The MITRE tactics and techniques of a rule, in tag order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mitre {
    /// Tactics named by `tactics.…` tags.
    pub tactics: Vec<Tactic>,
    /// Techniques named by `techniques.…` tags.
    pub techniques: Vec<Technique>,
}

impl Mitre {
    /// Collects the MITRE tags among `tags`; other tags are skipped.
    pub fn from_tags<S: AsRef<str>>(tags: &[S]) -> Mitre {
        let mut out = Mitre::default();
        for tag in tags {
            match parse_tag(tag.as_ref()) {
                Some(MitreTag::Tactic(t)) => out.tactics.push(t),
                Some(MitreTag::Technique(t)) => out.techniques.push(t),
                None => {}
            }
        }
        out
    }

    /// Whether no tag named a tactic or technique.
    pub fn is_empty(&self) -> bool {
        self.tactics.is_empty() && self.techniques.is_empty()
    }
}

fn is_digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

/// Parses one tag. `None` when it is not a well-formed MITRE tag.
///
/// ```
/// use trailhunt_rules::mitre::{parse_tag, MitreTag};
/// let Some(MitreTag::Technique(t)) = parse_tag("techniques.t1562.008.disable_cloud_logs") else {
///     panic!()
/// };
/// assert_eq!((t.id.as_str(), t.name.as_str()), ("T1562.008", "disable_cloud_logs"));
/// ```
pub fn parse_tag(tag: &str) -> Option<MitreTag> {
    let tag = tag.trim();
    let (kind, rest) = tag.split_once('.')?;
    let mut parts = rest.split('.');
    let id = parts.next()?.to_ascii_lowercase();
    match kind.to_ascii_lowercase().as_str() {
        "tactics" | "tactic" => {
            let digits = id.strip_prefix("ta")?;
            if !is_digits(digits, 4) {
                return None;
            }
            let id = format!("TA{digits}");
            let name: Vec<&str> = parts.collect();
            let name = if name.is_empty() {
                TACTIC_ORDER
                    .iter()
                    .find(|(t, _)| *t == id)
                    .map_or(String::new(), |(_, n)| n.to_string())
            } else {
                name.join(".")
            };
            Some(MitreTag::Tactic(Tactic { id, name }))
        }
        "techniques" | "technique" => {
            let digits = id.strip_prefix('t')?;
            if !is_digits(digits, 4) {
                return None;
            }
            let mut id = format!("T{digits}");
            let mut rest: Vec<&str> = parts.collect();
            if rest.first().is_some_and(|s| is_digits(s, 3)) {
                id = format!("{id}.{}", rest.remove(0));
            }
            Some(MitreTag::Technique(Technique {
                id,
                name: rest.join("."),
            }))
        }
        _ => None,
    }
}

impl Display for Tactic {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.id, self.name)
    }
}

impl Display for Technique {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if self.name.is_empty() {
            f.write_str(&self.id)
        } else {
            write!(f, "{} {}", self.id, self.name)
        }
    }
}
