//! Oracles of the loader's cases: window ids computed from the raw records over the whole
//! input (`common::window_ids`), whatever the query and its time range.

use serde_json::{Value, json};

use super::super::common::{s, window_ids};

/// The rows oracle `name` computes, or `None` when it is not one of these.
pub fn compute(name: &str, records: &[Value]) -> Option<Vec<Value>> {
    Some(match name {
        "loader_console_login_windows" => event_windows(records, "ConsoleLogin", None, None),
        "loader_console_login_windows_06_to_10" => event_windows(
            records,
            "ConsoleLogin",
            Some("2024-03-01T06:00:00Z"),
            Some("2024-03-01T10:00:00Z"),
        ),
        "loader_get_object_windows_from_09" => {
            event_windows(records, "GetObject", Some("2024-03-01T09:00:00Z"), None)
        }
        _ => return None,
    })
}

/// `eventName=NAME | table eventID, window_id | sort eventID` over events in `[from, to)`
/// (eventTime is `YYYY-MM-DDTHH:MM:SSZ` throughout the sample, so text order is time
/// order), with windows cut over every record of the input.
fn event_windows(
    records: &[Value],
    name: &str,
    from: Option<&str>,
    to: Option<&str>,
) -> Vec<Value> {
    let windows = window_ids(records);
    let mut rows: Vec<(&str, &str)> = records
        .iter()
        .filter(|r| s(r, "eventName") == Some(name))
        .filter(|r| {
            let t = s(r, "eventTime").unwrap_or("");
            from.is_none_or(|f| t >= f) && to.is_none_or(|e| t < e)
        })
        .filter_map(|r| {
            let id = s(r, "eventID")?;
            Some((id, windows.get(id)?.as_str()))
        })
        .collect();
    rows.sort();
    rows.into_iter()
        .map(|(id, w)| json!({"eventID": id, "window_id": w}))
        .collect()
}
