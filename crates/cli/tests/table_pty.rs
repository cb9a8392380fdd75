//! `trailhunt query` printing its table to a terminal 80 and 120 columns wide: free text,
//! service hosts and ARNs give up width first (an ARN down to its account and resource),
//! timestamps and ids never; what still does not fit is left out and named.
#![cfg(unix)]

mod common;

use std::process::Command;

use rexpect::session::spawn_command;

/// Everything `query ARGS` prints to a terminal `cols` wide, lines ended by `\n`.
fn screen(cols: u16, query: &str) -> String {
    let data = common::fixture();
    let bin = env!("CARGO_BIN_EXE_trailhunt");
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(format!(
            "stty cols {cols} rows 40 && exec \"$0\" query \"$1\" . --threads 1"
        ))
        .arg(bin)
        .arg(query)
        .current_dir(data.path())
        .env("TERM", "xterm")
        .env("NO_COLOR", "1");
    let mut p = spawn_command(cmd, Some(20_000)).expect("spawn trailhunt in a terminal");
    let out = p.exp_eof().expect("the query ends");
    // The session turns each byte into one char: put the UTF-8 back together.
    let bytes: Vec<u8> = out.chars().map(|c| c as u32 as u8).collect();
    String::from_utf8(bytes)
        .expect("UTF-8 output")
        .replace("\r\n", "\n")
}

/// A border line for columns of these widths (each padded by one space each side).
fn rule(left: &str, mid: &str, right: &str, widths: &[usize]) -> String {
    let parts: Vec<String> = widths.iter().map(|w| "─".repeat(w + 2)).collect();
    format!("{left}{}{right}\n", parts.join(mid))
}

fn table(widths: &[usize], lines: &[&str]) -> String {
    let mut t = rule("╭", "┬", "╮", widths);
    t.push_str(lines[0]);
    t.push('\n');
    t.push_str(&rule("├", "┼", "┤", widths));
    for l in &lines[1..] {
        t.push_str(l);
        t.push('\n');
    }
    t.push_str(&rule("╰", "┴", "╯", widths));
    t
}

/// The fixture's whole events at 80 columns. Natural widths: timestamp 20, eventSource
/// 20, eventName 12, entity_id 36, sourceIPAddress 15, awsRegion 9, errorCode 9 (empty):
/// 121 + 7 × 3 + 1 = 143. The empty errorCode gives 5 (to `err…`), eventSource 13 (to
/// `signin…`), entity_id 12 (to `…111122223333:user/alice`, 24): 113, still over 80.
/// Left out from the right until the rest and a `…` column (1 + 3) fit: errorCode,
/// awsRegion, sourceIPAddress; the four kept fit again from their natural widths in 76:
/// 20 + 7 + 12 + 24 + 4 × 3 + 1 = 76.
#[test]
fn events_at_80_columns() {
    let expected = table(
        &[20, 7, 12, 24, 1],
        &[
            "│ timestamp            │ eventS… │ eventName    │ entity_id                │ … │",
            "│ 2024-03-01T10:00:00Z │ signin… │ ConsoleLogin │ …111122223333:user/alice │ … │",
            "│ 2024-03-01T10:05:00Z │ signin… │ ConsoleLogin │ source_ip:198.51.100.9   │ … │",
            "│ 2024-03-01T10:10:00Z │ s3…     │ GetObject    │ …111122223333:user/alice │ … │",
        ],
    ) + "4 of 7 columns shown; not shown: sourceIPAddress, awsRegion, errorCode (a wider terminal, `| table …` or --format shows them)\n";
    let got = screen(80, "*");
    assert!(got.starts_with(&expected), "{got}");
    assert!(got[expected.len()..].starts_with("3 rows in "), "{got}");
    assert!(
        expected
            .lines()
            .all(|l| l.chars().count() <= 80 || l.starts_with("4 of"))
    );
}

/// At 120: after errorCode (5) and eventSource (13), 125; entity_id gives 5 more, and
/// its ARNs, too wide for 31, show their account and resource (24). No column is left
/// out; the table is 113 wide.
#[test]
fn events_at_120_columns() {
    let expected = table(
        &[20, 7, 12, 24, 15, 9, 4],
        &[
            "│ timestamp            │ eventS… │ eventName    │ entity_id                │ sourceIPAddress │ awsRegion │ err… │",
            "│ 2024-03-01T10:00:00Z │ signin… │ ConsoleLogin │ …111122223333:user/alice │ 203.0.113.7     │ us-east-1 │      │",
            "│ 2024-03-01T10:05:00Z │ signin… │ ConsoleLogin │ source_ip:198.51.100.9   │ 198.51.100.9    │ us-east-1 │      │",
            "│ 2024-03-01T10:10:00Z │ s3…     │ GetObject    │ …111122223333:user/alice │ 203.0.113.7     │ us-east-1 │      │",
        ],
    );
    let got = screen(120, "*");
    assert!(got.starts_with(&expected), "{got}");
    assert!(got[expected.len()..].starts_with("3 rows in "), "{got}");
}

/// Free text shrinks first. `msg` is 38 wide (`ConsoleLogin by alice from 203.0.113.7`),
/// the table 20 + 38 + 36 + 3 × 3 + 1 = 104: at 80 only `msg` gives up its 24 (to 14),
/// the ARNs stay whole; at 120 nothing shrinks.
#[test]
fn free_text_gives_way_first() {
    let q = "* | eval msg = concat(eventName, \" by \", userIdentity.userName, \" from \", sourceIPAddress) | table timestamp, msg, entity_id";
    let narrow = table(
        &[20, 14, 36],
        &[
            "│ timestamp            │ msg            │ entity_id                            │",
            "│ 2024-03-01T10:00:00Z │ ConsoleLogin … │ arn:aws:iam::111122223333:user/alice │",
            "│ 2024-03-01T10:05:00Z │ ConsoleLogin … │ source_ip:198.51.100.9               │",
            "│ 2024-03-01T10:10:00Z │ GetObject by … │ arn:aws:iam::111122223333:user/alice │",
        ],
    );
    let got = screen(80, q);
    assert!(got.starts_with(&narrow), "{got}");
    let whole = table(
        &[20, 38, 36],
        &[
            "│ timestamp            │ msg                                    │ entity_id                            │",
            "│ 2024-03-01T10:00:00Z │ ConsoleLogin by alice from 203.0.113.7 │ arn:aws:iam::111122223333:user/alice │",
            "│ 2024-03-01T10:05:00Z │ ConsoleLogin by bob from 198.51.100.9  │ source_ip:198.51.100.9               │",
            "│ 2024-03-01T10:10:00Z │ GetObject by alice from 203.0.113.7    │ arn:aws:iam::111122223333:user/alice │",
        ],
    );
    let got = screen(120, q);
    assert!(got.starts_with(&whole), "{got}");
}
