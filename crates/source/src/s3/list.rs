//! Listing an S3 input, walking CloudTrail's `AWSLogs/` layout so that a time range lists
//! only the day folders that can hold its events.
//!
//! A trail writes `[PREFIX/]AWSLogs/[o-ORG/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/FILE`.
//! Each level above the day is listed with a `/` delimiter (one request for all its
//! folders), and only the folders that can hold the input's events are entered: the
//! account's `CloudTrail/` and `CloudTrail-Insight/` folders (never `CloudTrail-Digest/`, whose digests hold no
//! events), and the years, months and days that meet the time range, with a day of slack
//! each side (delivery lags the events). Only the chosen days are listed in full. Up to
//! [`LIST_CONCURRENCY`] listings run at once.

use std::collections::VecDeque;

use futures::stream::{FuturesUnordered, StreamExt, TryStreamExt};
use object_store::ObjectStore;
use object_store::ObjectStoreExt;
use object_store::path::Path;

use super::S3Object;
use super::error::{S3Error, classify};
use super::url::S3Url;

/// Listings in flight at once.
pub const LIST_CONCURRENCY: usize = 16;

const DAY_NANOS: i64 = 86_400_000_000_000;

/// The levels of an `AWSLogs/` tree, and the two ways of listing outside one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    /// A folder that may hold `AWSLogs/`: its children are looked at once.
    Probe,
    /// Children are accounts, or organization folders `o-…` when `org` is false.
    Account {
        org: bool,
    },
    /// Children are service folders: only `CloudTrail` is entered.
    Service,
    /// Children are regions.
    Region,
    /// Children are years, months, days.
    Year,
    Month {
        year: i64,
    },
    Day {
        year: i64,
        month: u32,
    },
    /// Everything below is listed recursively.
    Files,
}

/// The inclusive range of days (since 1970-01-01) whose folders can hold events in
/// `[from, to)`; `None` ends are open.
#[derive(Debug, Clone, Copy)]
struct Days {
    first: Option<i64>,
    last: Option<i64>,
}

impl Days {
    fn new(from: Option<i64>, to: Option<i64>) -> Days {
        Days {
            first: from.map(|f| f.div_euclid(DAY_NANOS) - 1),
            last: to.map(|t| t.saturating_sub(1).div_euclid(DAY_NANOS) + 1),
        }
    }

    fn bounded(&self) -> bool {
        self.first.is_some() || self.last.is_some()
    }

    /// Whether days `lo..=hi` meet the range.
    fn meets(&self, lo: i64, hi: i64) -> bool {
        self.first.is_none_or(|f| hi >= f) && self.last.is_none_or(|l| lo <= l)
    }
}

use trailhunt_cloudtrail::time::days_from_civil;

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

fn digits(s: &str, n: usize) -> Option<u32> {
    (s.len() == n && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// What a child folder `name` at `level` becomes: `None` to skip it.
fn descend(level: Level, name: &str, days: Days) -> Option<Level> {
    match level {
        Level::Probe => Some(if name == "AWSLogs" {
            Level::Account { org: false }
        } else {
            Level::Files
        }),
        Level::Account { org: false } if name.starts_with("o-") => {
            Some(Level::Account { org: true })
        }
        Level::Account { .. } => Some(Level::Service),
        // Insights events are CloudTrail records too, in the same layout.
        Level::Service => {
            matches!(name, "CloudTrail" | "CloudTrail-Insight").then_some(Level::Region)
        }
        Level::Region if days.bounded() => Some(Level::Year),
        Level::Region => Some(Level::Files),
        Level::Year => match digits(name, 4) {
            Some(y) => {
                let y = i64::from(y);
                days.meets(days_from_civil(y, 1, 1), days_from_civil(y, 12, 31))
                    .then_some(Level::Month { year: y })
            }
            // Not a year: nothing to prune on.
            None => Some(Level::Files),
        },
        Level::Month { year } => match digits(name, 2).filter(|m| (1..=12).contains(m)) {
            Some(m) => days
                .meets(
                    days_from_civil(year, m, 1),
                    days_from_civil(year, m, days_in_month(year, m)),
                )
                .then_some(Level::Day { year, month: m }),
            None => Some(Level::Files),
        },
        Level::Day { year, month } => {
            match digits(name, 2).filter(|d| (1..=days_in_month(year, month)).contains(d)) {
                Some(d) => {
                    let day = days_from_civil(year, month, d);
                    days.meets(day, day).then_some(Level::Files)
                }
                None => Some(Level::Files),
            }
        }
        Level::Files => Some(Level::Files),
    }
}

/// Where listing starts for the literal prefix `segments`, `None` when the prefix itself
/// is outside the range (a day folder before it, say).
fn start(segments: &[&str], days: Days) -> Option<Level> {
    let Some(i) = segments.iter().position(|s| *s == "AWSLogs") else {
        // Not in a trail's layout, but `AWSLogs/` may be just below.
        return Some(Level::Probe);
    };
    let mut level = Level::Account { org: false };
    for seg in &segments[i + 1..] {
        level = match level {
            // The user named this folder: enter it, whatever its name (a digest folder
            // asked for by name is listed).
            Level::Service => Level::Region,
            _ => descend(level, seg, days)?,
        };
    }
    Some(level)
}

/// The objects of `url` that can hold events in `[from, to)` (UTC nanoseconds; `None` is
/// open), sorted by `display`. Zero-byte objects (folder markers) are left out.
///
/// A plain key names a folder or one object: both are listed. Inside an `AWSLogs/` tree,
/// or just above one, the layout is walked as the [module](self) describes; elsewhere the
/// prefix is listed recursively. Glob patterns prune folders as they are walked and
/// select the keys.
pub async fn list(
    store: &dyn ObjectStore,
    url: &S3Url,
    from: Option<i64>,
    to: Option<i64>,
) -> Result<Vec<S3Object>, S3Error> {
    if let (Some(f), Some(t)) = (from, to)
        && f >= t
    {
        return Ok(Vec::new());
    }
    let days = Days::new(from, to);
    let bucket = url.bucket();
    let literal = url.literal_prefix();
    let segments: Vec<&str> = if literal.is_empty() {
        Vec::new()
    } else {
        literal.split('/').collect()
    };
    let mut out: Vec<S3Object> = Vec::new();
    let keep = |key: &str, size: u64| size > 0 && url.matches(key);

    let mut pending: VecDeque<(Option<Path>, Level)> = VecDeque::new();
    if let Some(first) = start(&segments, days) {
        pending.push_back((url.literal_path(), first));
    }
    let mut running = FuturesUnordered::new();
    loop {
        while running.len() < LIST_CONCURRENCY {
            let Some((prefix, level)) = pending.pop_front() else {
                break;
            };
            running.push(visit(store, bucket, prefix, level));
        }
        let Some(done) = running.next().await else {
            break;
        };
        let (children, objects) = done?;
        for (prefix, child) in children {
            let Some(level) = descend(child, prefix.filename().unwrap_or(""), days) else {
                continue;
            };
            if url.may_contain(prefix.as_ref()) {
                pending.push_back((Some(prefix), level));
            }
        }
        out.extend(
            objects
                .into_iter()
                .filter(|m| keep(m.location.as_ref(), m.size))
                .map(|m| S3Object::listed(bucket, m)),
        );
    }
    // A plain key may name one object as well as a folder. Asked after the listing,
    // whose errors say more: a HEAD response has no body to carry an error code.
    if !url.is_glob() && !literal.is_empty() && !url.key().ends_with('/') {
        let path = Path::from(literal);
        match store.head(&path).await {
            Ok(meta) if keep(meta.location.as_ref(), meta.size) => {
                out.push(S3Object::listed(bucket, meta));
            }
            Ok(_) | Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => {
                return Err(classify(
                    &e,
                    bucket,
                    &format!("s3://{bucket}/{literal}"),
                    "read",
                ));
            }
        }
    }
    out.sort_by(|a, b| a.display.cmp(&b.display));
    out.dedup_by(|a, b| a.display == b.display);
    Ok(out)
}

type Visited = (Vec<(Path, Level)>, Vec<object_store::ObjectMeta>);

/// Lists one folder: its child folders (with the level they are children of) and its
/// objects; at [`Level::Files`], every object below it.
async fn visit(
    store: &dyn ObjectStore,
    bucket: &str,
    prefix: Option<Path>,
    level: Level,
) -> Result<Visited, S3Error> {
    let shown = || match &prefix {
        Some(p) => format!("s3://{bucket}/{p}/"),
        None => format!("s3://{bucket}/"),
    };
    if level == Level::Files {
        let objects: Vec<_> = store
            .list(prefix.as_ref())
            .try_collect()
            .await
            .map_err(|e| classify(&e, bucket, &shown(), "list"))?;
        return Ok((Vec::new(), objects));
    }
    let listed = store
        .list_with_delimiter(prefix.as_ref())
        .await
        .map_err(|e| classify(&e, bucket, &shown(), "list"))?;
    let children = listed
        .common_prefixes
        .into_iter()
        .map(|p| (p, level))
        .collect();
    Ok((children, listed.objects))
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: i64 = 1_709_337_600_000_000_000; // 2024-03-02T00:00:00Z

    #[test]
    fn days_have_a_day_of_slack_each_side() {
        let d = Days::new(Some(T), Some(T + DAY_NANOS));
        let day = days_from_civil(2024, 3, 2);
        assert_eq!(T.div_euclid(DAY_NANOS), day);
        assert_eq!((d.first, d.last), (Some(day - 1), Some(day + 1)));
        assert!(
            descend(
                Level::Day {
                    year: 2024,
                    month: 3
                },
                "01",
                d
            )
            .is_some()
        );
        assert!(
            descend(
                Level::Day {
                    year: 2024,
                    month: 3
                },
                "03",
                d
            )
            .is_some()
        );
        assert!(
            descend(
                Level::Day {
                    year: 2024,
                    month: 3
                },
                "04",
                d
            )
            .is_none()
        );
        assert!(
            descend(
                Level::Day {
                    year: 2024,
                    month: 2
                },
                "29",
                d
            )
            .is_none()
        );
        assert!(descend(Level::Month { year: 2024 }, "02", d).is_none());
        assert!(descend(Level::Year, "2023", d).is_none());
        // Names that are not dates cannot be pruned.
        assert_eq!(descend(Level::Year, "misc", d), Some(Level::Files));
    }

    #[test]
    fn starts_below_what_the_prefix_names() {
        let d = Days::new(Some(T), None);
        assert_eq!(start(&[], d), Some(Level::Probe));
        assert_eq!(start(&["AWSLogs"], d), Some(Level::Account { org: false }));
        assert_eq!(
            start(&["AWSLogs", "o-abc"], d),
            Some(Level::Account { org: true })
        );
        assert_eq!(start(&["AWSLogs", "1"], d), Some(Level::Service));
        assert_eq!(
            start(&["x", "AWSLogs", "1", "CloudTrail-Digest"], d),
            Some(Level::Region)
        );
        assert_eq!(
            start(&["AWSLogs", "1", "CloudTrail", "r", "2024", "03"], d),
            Some(Level::Day {
                year: 2024,
                month: 3
            })
        );
        assert_eq!(start(&["AWSLogs", "1", "CloudTrail", "r", "2023"], d), None);
    }
}
