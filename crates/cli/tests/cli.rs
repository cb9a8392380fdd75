//! The `trailhunt` binary from the outside: exact stdout per format, exit codes, input
//! from files and stdin, closed pipes, the saved-query library, help and completions.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;

use common::{bin, fixture, run, stderr, stdout, workspace_root};

const Q: &str = "* | table timestamp, eventName, userIdentity.userName, requestParameters";

fn query(format: &str) -> std::process::Output {
    let dir = fixture();
    run(&["query", Q, ".", "--format", format], dir.path())
}

#[test]
fn ndjson_is_the_default_off_a_terminal() {
    let dir = fixture();
    let o = run(&["query", Q, "."], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        r#"{"timestamp":"2024-03-01T10:00:00Z","eventName":"ConsoleLogin","userIdentity.userName":"alice","requestParameters":null}
{"timestamp":"2024-03-01T10:05:00Z","eventName":"ConsoleLogin","userIdentity.userName":"bob","requestParameters":null}
{"timestamp":"2024-03-01T10:10:00Z","eventName":"GetObject","userIdentity.userName":"alice","requestParameters":{"bucketName":"reports","key":"q1, \"final\".csv"}}
"#
    );
    assert_eq!(stdout(&query("ndjson")), stdout(&o));
    assert_eq!(stderr(&o), "");
}

#[test]
fn json() {
    let o = query("json");
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        stdout(&o),
        r#"[
{"timestamp":"2024-03-01T10:00:00Z","eventName":"ConsoleLogin","userIdentity.userName":"alice","requestParameters":null},
{"timestamp":"2024-03-01T10:05:00Z","eventName":"ConsoleLogin","userIdentity.userName":"bob","requestParameters":null},
{"timestamp":"2024-03-01T10:10:00Z","eventName":"GetObject","userIdentity.userName":"alice","requestParameters":{"bucketName":"reports","key":"q1, \"final\".csv"}}
]
"#
    );
}

#[test]
fn csv_quotes_and_nested_values_as_json() {
    let o = query("csv");
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        stdout(&o),
        r#"timestamp,eventName,userIdentity.userName,requestParameters
2024-03-01T10:00:00Z,ConsoleLogin,alice,
2024-03-01T10:05:00Z,ConsoleLogin,bob,
2024-03-01T10:10:00Z,GetObject,alice,"{""bucketName"":""reports"",""key"":""q1, \""final\"".csv""}"
"#
    );
}

#[test]
fn tsv() {
    let o = query("tsv");
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        stdout(&o),
        "timestamp\teventName\tuserIdentity.userName\trequestParameters\n\
         2024-03-01T10:00:00Z\tConsoleLogin\talice\t\n\
         2024-03-01T10:05:00Z\tConsoleLogin\tbob\t\n\
         2024-03-01T10:10:00Z\tGetObject\talice\t{\"bucketName\":\"reports\",\"key\":\"q1, \\\\\"final\\\\\".csv\"}\n"
    );
}

#[test]
fn table_rows_then_count_on_stderr() {
    let o = query("table");
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        stdout(&o),
        "\
╭──────────────────────┬──────────────┬───────────────────────┬────────────────────────────────────────────────────╮
│ timestamp            │ eventName    │ userIdentity.userName │ requestParameters                                  │
├──────────────────────┼──────────────┼───────────────────────┼────────────────────────────────────────────────────┤
│ 2024-03-01T10:00:00Z │ ConsoleLogin │ alice                 │                                                    │
│ 2024-03-01T10:05:00Z │ ConsoleLogin │ bob                   │                                                    │
│ 2024-03-01T10:10:00Z │ GetObject    │ alice                 │ {\"bucketName\":\"reports\",\"key\":\"q1, \\\"final\\\".csv\"} │
╰──────────────────────┴──────────────┴───────────────────────┴────────────────────────────────────────────────────╯
"
    );
    assert!(stderr(&o).starts_with("3 rows in "), "{}", stderr(&o));
}

#[test]
fn whole_events_print_as_records_with_derived_columns() {
    let dir = fixture();
    let o = run(&["query", "eventName=GetObject", "."], dir.path());
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        stdout(&o),
        r#"{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice","userName":"alice"},"eventTime":"2024-03-01T10:10:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","requestParameters":{"bucketName":"reports","key":"q1, \"final\".csv"},"additionalEventData":{"bytesTransferredOut":1024},"timestamp":"2024-03-01T10:10:00Z","entity_id":"arn:aws:iam::111122223333:user/alice","account_id":null,"window_id":"arn:aws:iam::111122223333:user/alice.2024-03-01 10:00:00.000000","window_index":1,"@index":"./trail.json"}
"#
    );
}

#[test]
fn exit_status_is_1_without_rows_and_2_on_errors() {
    let dir = fixture();
    let none = run(&["query", "eventName=Nope", "."], dir.path());
    assert_eq!(none.status.code(), Some(1));
    assert_eq!(stdout(&none), "");

    let bad = run(&["query", "* | grouby x", "."], dir.path());
    assert_eq!(bad.status.code(), Some(2));
    assert_eq!(stdout(&bad), "");
    assert_eq!(
        stderr(&bad),
        "error: unknown stage `grouby` at line 1, column 5\n  |\n1 | * | grouby x\n  |     ^^^^^^\n  = expected: a stage name\nhelp: did you mean `groupbycount`?\n"
    );

    let missing = run(&["query", "*", "no-such-dir"], dir.path());
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).starts_with("error: "),
        "{}",
        stderr(&missing)
    );
}

#[test]
fn query_from_a_file_and_events_from_stdin() {
    let dir = fixture();
    std::fs::write(
        dir.path().join("q.thq"),
        "eventName=ConsoleLogin\n| count\n",
    )
    .unwrap();
    let o = run(&["query", "-f", "q.thq", "trail.json"], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "{\"@q.count\":2}\n");

    let mut child = bin()
        .args(["query", "userIdentity.userName=alice | count", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(common::RECORDS.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "{\"@q.count\":2}\n");
}

#[test]
fn warnings_go_to_stderr_and_results_to_stdout() {
    let dir = fixture();
    std::fs::write(dir.path().join("broken.json"), "{\"Records\": [ not json").unwrap();
    let o = run(&["query", "* | count", "."], dir.path());
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o), "{\"@q.count\":3}\n");
    assert!(stderr(&o).starts_with("warning: "), "{}", stderr(&o));
    assert!(stderr(&o).contains("broken.json"), "{}", stderr(&o));
}

#[test]
fn a_closed_pipe_ends_quietly_with_0() {
    // Enough rows that the output outgrows the pipe buffer after the reader is gone.
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("{\"Records\":[");
    for i in 0..5_000 {
        if i > 0 {
            text.push(',');
        }
        text.push_str(&format!(
            "{{\"eventTime\":\"2024-03-01T10:00:00Z\",\"eventName\":\"E{i}\",\"sourceIPAddress\":\"10.0.0.1\"}}"
        ));
    }
    text.push_str("]}");
    std::fs::write(dir.path().join("many.json"), text).unwrap();
    for format in ["ndjson", "csv", "table", "json"] {
        let mut child = bin()
            .args(["query", "* | table eventName, sourceIPAddress", "."])
            .args(["--format", format, "--threads", "1"])
            .current_dir(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(!first.is_empty());
        // The reader is dropped here: like `| head -1`.
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{format}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(
            !err.contains("error") && !err.contains("panic"),
            "{format}: {err}"
        );
    }
}

#[test]
fn library_list_show_and_run() {
    let dir = fixture();
    let lib = dir.path().join("lib");
    std::fs::create_dir(&lib).unwrap();
    std::fs::write(
        lib.join("alice.yml"),
        "name: Alice's activity\ndescription: What alice did.\ntags: [tactics.ta0001.initial_access]\nquery_text: |-\n  userIdentity.userName=alice\n  | groupbycount eventName\n",
    )
    .unwrap();
    let args = |rest: &[&str]| {
        let mut v = vec!["library", "--library", "lib"];
        v.extend_from_slice(rest);
        run(&v, dir.path())
    };
    let o = args(&["list"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "\
┌───────┬─────────────────┬───────────────────────────────┐
│ name  │ description     │ tags                          │
├───────┼─────────────────┼───────────────────────────────┤
│ alice │ What alice did. │ tactics.ta0001.initial_access │
└───────┴─────────────────┴───────────────────────────────┘
"
    );
    let o = args(&["show", "alice"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stdout(&o).ends_with(
            "query_text: |-\n  userIdentity.userName=alice\n  | groupbycount eventName\n"
        )
    );

    let o = args(&["run", "alice", "trail.json", "--format", "csv"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "eventName,@q.count\nConsoleLogin,1\nGetObject,1\n"
    );

    let o = args(&["run", "alcie", "trail.json"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "error: no saved query called `alcie`; did you mean `alice`?\n"
    );
}

#[test]
fn every_starter_query_finds_its_story_in_the_example_data() {
    let root = workspace_root();
    let lib = root.join("examples/queries");
    let mut names: Vec<String> = std::fs::read_dir(&lib)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 12, "{names:?}");
    let children: Vec<_> = names
        .iter()
        .map(|n| {
            let child = bin()
                .args(["library", "--library", "examples/queries", "run", n])
                .args(["examples/data", "--format", "csv", "--threads", "1"])
                .current_dir(&root)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            (n, child)
        })
        .collect();
    for (n, child) in children {
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{n}: {}", stderr(&o));
        assert!(stdout(&o).lines().count() > 1, "{n} returned no rows");
    }
}

#[test]
fn every_command_has_help_with_examples() {
    let dir = fixture();
    for cmd in [
        "load",
        "generate",
        "query",
        "explain",
        "repl",
        "library",
        "completions",
    ] {
        let o = run(&[cmd, "--help"], dir.path());
        assert_eq!(o.status.code(), Some(0), "{cmd}");
        assert!(stdout(&o).contains("Examples:"), "{cmd}: {}", stdout(&o));
    }
}

#[test]
fn completions_for_each_shell() {
    let dir = fixture();
    for (shell, marker) in [
        ("bash", "_trailhunt()"),
        ("zsh", "#compdef trailhunt"),
        ("fish", "complete -c trailhunt"),
    ] {
        let o = run(&["completions", shell], dir.path());
        assert_eq!(o.status.code(), Some(0), "{shell}");
        assert!(stdout(&o).contains(marker), "{shell}");
        assert!(stdout(&o).contains("repl"), "{shell}");
    }
}

#[test]
fn max_file_size_skips_a_file_over_it_with_a_named_warning() {
    let dir = fixture();
    // The fixture is under 4 KiB; padded, the same records are over it.
    assert!(common::RECORDS.len() < 4096);
    let big = format!("{}{}", common::RECORDS, " ".repeat(4096));
    std::fs::write(dir.path().join("big.json"), big).unwrap();
    let o = run(&["load", ".", "--max-file-size", "4KiB"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("warning: skipped ./big.json: holds more than 4 KiB (the --max-file-size cap); if the file is genuine"),
        "{err}"
    );
    assert!(err.contains("--max-file-size 8KiB"), "{err}");
    // trail.json (the fixture) is under the cap and loads.
    assert!(stdout(&o).contains("│ records"), "{}", stdout(&o));
    let o = run(
        &["load", ".", "--max-file-size", "4KiB", "--strict"],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    // The default cap (4 GiB) takes both; the flag is on every command that loads.
    let o = run(&["query", "* | count", ".", "--format", "csv"], dir.path());
    assert_eq!(stdout(&o).lines().last(), Some("6"), "{}", stderr(&o));
    let o = run(
        &[
            "query",
            "* | count",
            ".",
            "--format",
            "csv",
            "--max-file-size",
            "4KiB",
        ],
        dir.path(),
    );
    assert_eq!(stdout(&o).lines().last(), Some("3"), "{}", stderr(&o));
    let o = run(&["load", ".", "--max-file-size", "lots"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not a size"), "{}", stderr(&o));
}

/// `eventID → (eventTime, window_id)` of a query's NDJSON rows.
fn window_rows(o: &std::process::Output) -> std::collections::BTreeMap<String, (String, String)> {
    assert!(o.status.success(), "{}", stderr(o));
    stdout(o)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let s = |k: &str| v[k].as_str().unwrap().to_string();
            (s("eventID"), (s("eventTime"), s("window_id")))
        })
        .collect()
}

#[test]
fn from_leaves_events_out_of_the_answer_not_out_of_their_windows() {
    let root = workspace_root();
    let data = root.join("examples/data");
    let data = data.to_str().unwrap();
    let q = |filter: &str| format!("{filter} | table eventID, eventTime, window_id");
    let from = "2024-03-01T06:00:00Z";
    // Everything, spelled so that no file is skipped for lacking text.
    let all = window_rows(&run(
        &[
            "query",
            &q("eventName=ConsoleLogin or eventName=ConsoleLogin"),
            data,
            "--format",
            "ndjson",
        ],
        &root,
    ));
    let want: std::collections::BTreeMap<_, _> = all
        .into_iter()
        .filter(|(_, (t, _))| t.as_str() >= from)
        .collect();
    assert!(want.len() > 50, "{}", want.len());
    for filter in [
        "eventName=ConsoleLogin",
        "eventName=ConsoleLogin or eventName=ConsoleLogin",
    ] {
        let got = window_rows(&run(
            &[
                "query",
                &q(filter),
                data,
                "--format",
                "ndjson",
                "--from",
                from,
            ],
            &root,
        ));
        assert_eq!(got, want, "{filter} --from {from}");
    }
}
