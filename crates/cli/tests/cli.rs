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

/// TSV quotes a cell as CSV does (the `csv` crate with tabs, as datafusion-cli's TSV):
/// the JSON text's quotes are doubled inside quotes, its backslashes kept.
#[test]
fn tsv() {
    let o = query("tsv");
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        stdout(&o),
        "timestamp\teventName\tuserIdentity.userName\trequestParameters\n\
         2024-03-01T10:00:00Z\tConsoleLogin\talice\t\n\
         2024-03-01T10:05:00Z\tConsoleLogin\tbob\t\n\
         2024-03-01T10:10:00Z\tGetObject\talice\t\"{\"\"bucketName\"\":\"\"reports\"\",\"\"key\"\":\"\"q1, \\\"\"final\\\"\".csv\"\"}\"\n"
    );
}

/// Two records with the fields a fixed set of columns lost: `resources`, `tlsDetails`,
/// a JSON `null` (`responseElements`, `requestParameters`), fields CloudTrail does not
/// document (`zetaField`, `alphaField`), and an error message holding a quote and a
/// line break.
const WIDE: &str = r#"{"Records":[
{"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/ops/kim","accountId":"111122223333"},"eventTime":"2024-05-02T08:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"RunInstances","awsRegion":"eu-west-1","sourceIPAddress":"192.0.2.10","userAgent":"aws-cli/2.15.0","requestParameters":{"instanceType":"t3.micro"},"responseElements":null,"resources":[{"ARN":"arn:aws:ec2:eu-west-1:111122223333:instance/i-0abc","type":"AWS::EC2::Instance"}],"tlsDetails":{"tlsVersion":"TLSv1.3"},"zetaField":"z","alphaField":1},
{"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111122223333:assumed-role/ops/kim","accountId":"111122223333"},"eventTime":"2024-05-02T08:01:00Z","eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","awsRegion":"eu-west-1","sourceIPAddress":"192.0.2.10","errorCode":"Client.UnauthorizedOperation","errorMessage":"not authorized, \"really\"\nline two","requestParameters":null}
]}"#;

fn wide(args: &[&str]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("trail.json"), WIDE).unwrap();
    let o = run(args, dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    o
}

/// The derived columns of WIDE's two rows: timestamp, entity, account, window, position.
const KIM: &str = "arn:aws:sts::111122223333:assumed-role/ops/kim";

#[test]
fn csv_of_whole_events_carries_every_top_level_field() {
    let o = wide(&["query", "*", ".", "--format", "csv"]);
    let ui = format!(
        r#""{{""type"":""AssumedRole"",""arn"":""{KIM}"",""accountId"":""111122223333""}}""#
    );
    let win = format!("{KIM}.2024-05-02 08:00:00.000000");
    let expected = format!(
        "eventVersion,userIdentity,eventTime,eventSource,eventName,awsRegion,sourceIPAddress,\
userAgent,errorCode,errorMessage,requestParameters,responseElements,resources,tlsDetails,\
alphaField,zetaField,timestamp,entity_id,account_id,window_id,window_index,@index\n\
1.09,{ui},2024-05-02T08:00:00Z,ec2.amazonaws.com,RunInstances,eu-west-1,192.0.2.10,\
aws-cli/2.15.0,,,\"{{\"\"instanceType\"\":\"\"t3.micro\"\"}}\",,\
\"[{{\"\"ARN\"\":\"\"arn:aws:ec2:eu-west-1:111122223333:instance/i-0abc\"\",\"\"type\"\":\"\"AWS::EC2::Instance\"\"}}]\",\
\"{{\"\"tlsVersion\"\":\"\"TLSv1.3\"\"}}\",1,z,\
2024-05-02T08:00:00Z,{KIM},111122223333,{win},0,./trail.json\n\
1.09,{ui},2024-05-02T08:01:00Z,ec2.amazonaws.com,DescribeInstances,eu-west-1,192.0.2.10,\
,Client.UnauthorizedOperation,\"not authorized, \"\"really\"\"\nline two\",,,,,,,\
2024-05-02T08:01:00Z,{KIM},111122223333,{win},1,./trail.json\n"
    );
    assert_eq!(stdout(&o), expected);

    // TSV is the same table with tabs (quoted as CSV is, where a cell needs it).
    let t = wide(&["query", "*", ".", "--format", "tsv"]);
    let lines: Vec<String> = stdout(&t).lines().map(String::from).collect();
    assert_eq!(lines.len(), 4, "{}", stdout(&t));
    assert_eq!(
        lines[0],
        expected.lines().next().unwrap().replace(',', "\t")
    );
    assert!(
        lines[1].starts_with(&format!("1.09\t{ui}\t2024-05-02T08:00:00Z\t")),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].ends_with("\t\"not authorized, \"\"really\"\""),
        "{}",
        lines[2]
    );
}

#[test]
fn flatten_gives_a_column_per_leaf() {
    let o = wide(&["query", "*", ".", "--format", "csv", "--flatten"]);
    let win = format!("{KIM}.2024-05-02 08:00:00.000000");
    assert_eq!(
        stdout(&o),
        format!(
            "eventVersion,userIdentity.type,userIdentity.arn,userIdentity.accountId,eventTime,\
eventSource,eventName,awsRegion,sourceIPAddress,userAgent,errorCode,errorMessage,\
requestParameters.instanceType,resources[0].ARN,resources[0].type,tlsDetails.tlsVersion,\
alphaField,zetaField,timestamp,entity_id,account_id,window_id,window_index,@index\n\
1.09,AssumedRole,{KIM},111122223333,2024-05-02T08:00:00Z,ec2.amazonaws.com,RunInstances,\
eu-west-1,192.0.2.10,aws-cli/2.15.0,,,t3.micro,arn:aws:ec2:eu-west-1:111122223333:instance/i-0abc,\
AWS::EC2::Instance,TLSv1.3,1,z,2024-05-02T08:00:00Z,{KIM},111122223333,{win},0,./trail.json\n\
1.09,AssumedRole,{KIM},111122223333,2024-05-02T08:01:00Z,ec2.amazonaws.com,DescribeInstances,\
eu-west-1,192.0.2.10,,Client.UnauthorizedOperation,\"not authorized, \"\"really\"\"\nline two\",\
,,,,,,2024-05-02T08:01:00Z,{KIM},111122223333,{win},1,./trail.json\n"
        )
    );

    // Rows of named columns: a nested value's leaves take its column's place.
    let o = wide(&[
        "query",
        "* | table eventName, resources, requestParameters",
        ".",
        "--format",
        "csv",
        "--flatten",
    ]);
    assert_eq!(
        stdout(&o),
        "eventName,resources[0].ARN,resources[0].type,requestParameters.instanceType\n\
         RunInstances,arn:aws:ec2:eu-west-1:111122223333:instance/i-0abc,AWS::EC2::Instance,t3.micro\n\
         DescribeInstances,,,\n"
    );
    // Without --flatten those rows stream as before: one column of JSON text each.
    let o = wide(&[
        "query",
        "* | table eventName, tlsDetails",
        ".",
        "--format",
        "csv",
    ]);
    assert_eq!(
        stdout(&o),
        "eventName,tlsDetails\nRunInstances,\"{\"\"tlsVersion\"\":\"\"TLSv1.3\"\"}\"\nDescribeInstances,\n"
    );
}

/// A missing value (`errorCode` of the first row), a JSON `null` (`responseElements`,
/// the second row's `requestParameters`) and `eval x = null` are the same empty cell in
/// the table, CSV and TSV; JSON has every named column, `null` where it has no value.
#[test]
fn nulls_print_one_way() {
    let q =
        "* | eval x = null | table eventName, errorCode, responseElements, requestParameters, x";
    let out = |format: &str| stdout(&wide(&["query", q, ".", "--format", format]));
    assert_eq!(
        out("csv"),
        "eventName,errorCode,responseElements,requestParameters,x\n\
         RunInstances,,,\"{\"\"instanceType\"\":\"\"t3.micro\"\"}\",\n\
         DescribeInstances,Client.UnauthorizedOperation,,,\n"
    );
    assert_eq!(
        out("tsv"),
        "eventName\terrorCode\tresponseElements\trequestParameters\tx\n\
         RunInstances\t\t\t\"{\"\"instanceType\"\":\"\"t3.micro\"\"}\"\t\n\
         DescribeInstances\tClient.UnauthorizedOperation\t\t\t\n"
    );
    assert_eq!(
        out("table"),
        "\
╭───────────────────┬──────────────────────────────┬──────────────────┬─────────────────────────────┬───╮
│ eventName         │ errorCode                    │ responseElements │ requestParameters           │ x │
├───────────────────┼──────────────────────────────┼──────────────────┼─────────────────────────────┼───┤
│ RunInstances      │                              │                  │ {\"instanceType\":\"t3.micro\"} │   │
│ DescribeInstances │ Client.UnauthorizedOperation │                  │                             │   │
╰───────────────────┴──────────────────────────────┴──────────────────┴─────────────────────────────┴───╯
"
    );
    assert_eq!(
        out("ndjson"),
        r#"{"eventName":"RunInstances","errorCode":null,"responseElements":null,"requestParameters":{"instanceType":"t3.micro"},"x":null}
{"eventName":"DescribeInstances","errorCode":"Client.UnauthorizedOperation","responseElements":null,"requestParameters":null,"x":null}
"#
    );
    // Whole events keep the record's own nulls and nothing else: the first record has
    // `"responseElements": null` and no `errorCode`.
    let events = stdout(&wide(&["query", "eventName=RunInstances", "."]));
    assert!(events.contains(r#""userAgent":"aws-cli/2.15.0","requestParameters":{"instanceType":"t3.micro"},"responseElements":null,"resources":"#), "{events}");
    assert!(!events.contains("errorCode"), "{events}");
}

/// A table of no rows still closes its border; `top`'s percent shows one decimal in the
/// table (1 of 3 is 33.3) and keeps its value in JSON.
#[test]
fn empty_tables_close_and_percentages_round() {
    let dir = fixture();
    let o = run(
        &[
            "query",
            "eventName=Nope | table eventName, errorCode",
            ".",
            "--format",
            "table",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stdout(&o),
        "╭───────────┬───────────╮\n│ eventName │ errorCode │\n╰───────────┴───────────╯\n"
    );
    let o = run(
        &["query", "* | top eventName", ".", "--format", "table"],
        dir.path(),
    );
    assert_eq!(
        stdout(&o),
        "\
╭──────────────┬──────────┬─────────╮
│ eventName    │ @q.count │ percent │
├──────────────┼──────────┼─────────┤
│ ConsoleLogin │ 2        │ 66.7    │
│ GetObject    │ 1        │ 33.3    │
╰──────────────┴──────────┴─────────╯
"
    );
    let o = run(
        &["query", "* | top eventName", ".", "--format", "ndjson"],
        dir.path(),
    );
    assert!(
        stdout(&o).contains(r#""percent":33.33333333333333"#),
        "{}",
        stdout(&o)
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

/// `query '*'` prints whole events as the record-batch stream gives them: byte for byte
/// what the query run to the end first prints (`--strict` takes that path), and a reader
/// that stops after the first row (`| head -1`) gets that first row and a quiet exit 0.
#[test]
fn whole_events_stream_as_the_collected_run_prints_them() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(
        &[
            "generate", "--events", "20000", "--out", "ct", "--seed", "3",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for format in ["ndjson", "csv"] {
        let streamed = run(&["query", "*", "ct", "--format", format], dir.path());
        let collected = run(
            &["query", "*", "ct", "--format", format, "--strict"],
            dir.path(),
        );
        assert_eq!(streamed.status.code(), Some(0), "{}", stderr(&streamed));
        assert_eq!(collected.status.code(), Some(0), "{}", stderr(&collected));
        let rows = stdout(&collected).lines().count();
        assert!(rows > 20_000 - 10, "{format}: {rows} lines");
        assert!(
            stdout(&streamed) == stdout(&collected),
            "{format}: the streamed output differs from the collected one"
        );
        let mut child = bin()
            .args(["query", "*", "ct", "--format", format])
            .current_dir(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        // The reader is gone: like `| head -1`.
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{format}: {}", stderr(&o));
        assert_eq!(stderr(&o), "", "{format}");
        assert_eq!(Some(first.trim_end()), stdout(&collected).lines().next());
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
    // The folder's query, then the built-in starter queries (issue 16), sorted by name.
    let rows = table_rows(&stdout(&o));
    assert_eq!(rows[0], ["name", "description", "tags", "from"]);
    assert_eq!(
        rows[1],
        [
            "alice",
            "What alice did.",
            "tactics.ta0001.initial_access",
            "lib"
        ]
    );
    let starters = starter_names();
    let listed: Vec<&str> = rows[2..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(listed, starters);
    assert!(rows[2..].iter().all(|r| r[3] == "built-in"), "{rows:?}");
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
        "columns",
        "man",
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
fn a_path_no_event_has_warns_on_stderr_and_the_query_runs() {
    let dir = fixture();
    // The documented exit status: 0 with rows, 1 without, 2 on an error.
    let help = run(&["query", "--help"], dir.path());
    assert!(
        stdout(&help).contains("Exit status: 0 when rows were returned, 1 when none, 2 on error."),
        "{}",
        stdout(&help)
    );

    let q = "eventName=ConsoleLogin or responseElements.ConsoleLogn=Failure | count";
    let o = run(&["query", q, "."], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // stdout holds the results only, as JSON.
    assert_eq!(stdout(&o), "{\"@q.count\":2}\n");
    let err = stderr(&o);
    assert!(
        err.starts_with(
            "warning: no event has `responseElements.ConsoleLogn`: a test on it matches nothing at line 1, column 27\n"
        ),
        "{err}"
    );
    assert!(
        err.contains("help: did you mean `responseElements.ConsoleLogin`?"),
        "{err}"
    );

    // Nothing matches: exit 1, empty stdout, the warning on stderr.
    let q = "requestParameters.VersioningConfiguration.Status: 'suspended'";
    let none = run(&["query", q, "."], dir.path());
    assert_eq!(none.status.code(), Some(1), "{}", stderr(&none));
    assert_eq!(stdout(&none), "");
    assert!(
        stderr(&none).starts_with(
            "warning: no event has `requestParameters.VersioningConfiguration.Status`"
        ),
        "{}",
        stderr(&none)
    );

    // `not` of an absent path: every event.
    let all = run(&["query", "not foo.bar: * | count", "."], dir.path());
    assert_eq!(all.status.code(), Some(0), "{}", stderr(&all));
    assert_eq!(stdout(&all), "{\"@q.count\":3}\n");
    assert!(stderr(&all).contains("no event has `foo.bar`"));

    // After an aggregation an unknown name is still an error.
    let agg = run(
        &[
            "query",
            "* | stats count() by eventName | where nope > 1",
            ".",
        ],
        dir.path(),
    );
    assert_eq!(agg.status.code(), Some(2));
    assert_eq!(stdout(&agg), "");
    assert!(
        stderr(&agg).starts_with("error: unknown column `nope` at this point of the query"),
        "{}",
        stderr(&agg)
    );
}

#[test]
fn query_files_may_hold_comments() {
    let dir = fixture();
    std::fs::write(
        dir.path().join("q.thq"),
        "# Sign-ins that failed, and who tried.\n\
         eventName=ConsoleLogin   # both outcomes | not a stage\n\
         responseElements.ConsoleLogin=\"Failure\"\n\
         # a whole line\n\
         | table userIdentity.userName # who\n",
    )
    .unwrap();
    let o = run(&["query", "-f", "q.thq", "trail.json"], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "{\"userIdentity.userName\":\"bob\"}\n");
    assert_eq!(stderr(&o), "");

    // `#` inside quotes and backticks is text, not a comment.
    std::fs::write(
        dir.path().join("q2.thq"),
        "userIdentity.userName=\"bob#1\" or eventName=GetObject # only GetObject exists\n\
         or `odd#key`: x\n\
         | count\n",
    )
    .unwrap();
    let o = run(&["query", "-f", "q2.thq", "trail.json"], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "{\"@q.count\":1}\n");
    assert!(
        stderr(&o).starts_with("warning: no event has `odd#key`"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_bare_non_ascii_word_is_a_token_for_the_loader_and_the_matcher() {
    let dir = tempfile::tempdir().unwrap();
    let rec = |id: &str, msg: &str| {
        format!(
            r#"{{"Records":[{{"eventTime":"2024-03-01T10:00:00Z","eventID":"{id}","eventName":"SendMessage","eventSource":"chat.amazonaws.com","requestParameters":{{"text":"{msg}"}}}}]}}"#
        )
    };
    std::fs::write(
        dir.path().join("a.json"),
        rec("a", "안녕하세요 고객님, café"),
    )
    .unwrap();
    std::fs::write(dir.path().join("b.json"), rec("b", "Hello, CAFÉ")).unwrap();
    let count = |q: &str| {
        let o = run(&["query", q, "."], dir.path());
        (o.status.code(), stdout(&o))
    };
    // Files without the word are skipped before parsing; the matcher agrees on the rest.
    let one = (Some(0), "{\"@q.count\":1}\n".to_string());
    assert_eq!(count("안녕하세요 | count"), one);
    assert_eq!(count("\"안녕하세요\" | count"), one);
    assert_eq!(count("requestParameters.text: 안녕하세요 | count"), one);
    assert_eq!(count("CAFé | count"), one, "ASCII letters fold, é does not");
    let zero = (Some(0), "{\"@q.count\":0}\n".to_string());
    assert_eq!(count("안녕 | count"), zero, "a piece of a word is no token");
}

#[test]
fn rules_lint_reports_a_path_neither_cloudtrail_nor_in_the_data_as_an_error() {
    let dir = fixture();
    let rule = |query: &str| {
        format!(
            r#"name: "Sign-in failures"
description: "Failed console sign-ins."
enabled: true
severity: Low
query_text: |-
  {query}
time_range_s: 3600
run_frequency_s: 300
tags:
  - tactics.ta0006.credential_access
  - techniques.t1110.brute_force
references:
  - https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-aws-console-sign-in-events.html
author: test
tests:
  - name: "fires on a failure"
    dataset_inline: |
      {{"eventTime":"2024-03-01T10:00:00Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","additionalEventData":{{"MFAUsed":"No"}},"responseElements":{{"ConsoleLogin":"Failure"}}}}
    expected_detection_result: true
  - name: "ignores a success"
    dataset_inline: |
      {{"eventTime":"2024-03-01T10:00:00Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","additionalEventData":{{"MFAUsed":"No"}},"responseElements":{{"ConsoleLogin":"Success"}}}}
    expected_detection_result: false
"#
        )
    };
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    // A typo: in neither the data nor the rule's tests, and not a CloudTrail field.
    std::fs::write(
        rules.join("typo.yml"),
        rule("eventName=ConsoleLogin responseElements.ConsoleLogn=Failure"),
    )
    .unwrap();
    let o = run(
        &["rules", "lint", "rules", "--data", "trail.json"],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let out = stdout(&o);
    assert!(
        out.contains("error: query: no event has `responseElements.ConsoleLogn`")
            && out.contains("did you mean `responseElements.ConsoleLogin`?"),
        "{out}"
    );
    // A path the sample lacks but the rule's own test records have is known.
    std::fs::write(
        rules.join("typo.yml"),
        rule("eventName=ConsoleLogin additionalEventData.MFAUsed=No responseElements.ConsoleLogin=Failure"),
    )
    .unwrap();
    let o = run(
        &["rules", "lint", "rules", "--data", "trail.json"],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("1 rules, 0 errors"), "{}", stdout(&o));
}

// ---- input selection and time ranges (issue 9) ----

/// The engine's hand-written fixture: ten NDJSON records, one with a space-separated time.
fn events_fixture() -> std::path::PathBuf {
    workspace_root().join("crates/engine/tests/fixtures/events.ndjson")
}

/// The fixture's records, read as JSON (not through trailhunt).
fn raw_events() -> Vec<serde_json::Value> {
    std::fs::read_to_string(events_fixture())
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// `eventTime` as `YYYY-MM-DDTHH:MM:SS` (all the fixture's times are UTC whole seconds),
/// so times compare as strings.
fn time_of(v: &serde_json::Value) -> String {
    let t = v["eventTime"].as_str().unwrap().replace(' ', "T");
    t.trim_end_matches('Z').to_string()
}

/// Records with `from <= eventTime < to` (both `YYYY-MM-DDTHH:MM:SS`) and, when given,
/// this eventName.
fn raw_between<'a>(
    events: &'a [serde_json::Value],
    from: &str,
    to: &str,
    name: Option<&str>,
) -> Vec<&'a serde_json::Value> {
    events
        .iter()
        .filter(|v| {
            let t = time_of(v);
            t.as_str() >= from && t.as_str() < to && name.is_none_or(|n| v["eventName"] == n)
        })
        .collect()
}

/// `userIdentity.arn` → how many of `events`.
fn per_arn(events: &[&serde_json::Value]) -> std::collections::BTreeMap<String, u64> {
    let mut out = std::collections::BTreeMap::new();
    for v in events {
        *out.entry(v["userIdentity"]["arn"].as_str().unwrap().to_string())
            .or_insert(0) += 1;
    }
    out
}

/// A rules folder with one rule: every GetObject, in day-long tumbling windows.
fn object_rule(dir: &std::path::Path) -> std::path::PathBuf {
    let rules = dir.join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(
        rules.join("object.yml"),
        "name: Object read\ndescription: Any S3 object read.\nenabled: true\nseverity: Low\nquery_text: eventName=GetObject\ntime_range_s: 86400\nrun_frequency_s: 86400\ntags: [tactics.ta0009.collection]\n",
    )
    .unwrap();
    rules
}

fn with_stdin_file(args: &[&str], cwd: &std::path::Path) -> std::process::Output {
    bin()
        .args(args)
        .current_dir(cwd)
        .stdin(std::fs::File::open(events_fixture()).unwrap())
        .output()
        .unwrap()
}

/// Entity → events over every hit of `detect --format json`.
fn detected(o: &std::process::Output) -> std::collections::BTreeMap<String, u64> {
    let hits: serde_json::Value = serde_json::from_str(&stdout(o)).unwrap();
    let mut out = std::collections::BTreeMap::new();
    for h in hits.as_array().unwrap() {
        for e in h["entities"].as_array().unwrap() {
            *out.entry(e["entity_id"].as_str().unwrap().to_string())
                .or_insert(0) += e["events"].as_u64().unwrap();
        }
    }
    out
}

#[test]
fn without_a_path_events_come_from_piped_standard_input() {
    let dir = tempfile::tempdir().unwrap();
    let raw = raw_events();
    let o = with_stdin_file(&["query", "* | count"], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), format!("{{\"@q.count\":{}}}\n", raw.len()));

    // Through a pipe as well, as `cat events.ndjson | trailhunt query …`.
    let mut child = bin()
        .args(["query", "eventName=GetObject | count"])
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let text = std::fs::read(events_fixture()).unwrap();
    child.stdin.take().unwrap().write_all(&text).unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let objects = raw.iter().filter(|v| v["eventName"] == "GetObject").count();
    assert_eq!(stdout(&o), format!("{{\"@q.count\":{objects}}}\n"));

    let o = with_stdin_file(&["load", "--format", "json"], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(report["records"], raw.len());

    let rules = object_rule(dir.path());
    let rules = rules.to_str().unwrap();
    let o = with_stdin_file(
        &["detect", "--rules", rules, "--format", "json"],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let all = raw_between(&raw, "", "~", Some("GetObject"));
    assert_eq!(detected(&o), per_arn(&all));

    let o = with_stdin_file(&["hunt", "--rules", rules, "--format", "json"], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let reports: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let entities: std::collections::BTreeSet<String> = reports
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["entity_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(entities, per_arn(&all).into_keys().collect());
}

/// Run with `args`, `bytes` piped to standard input.
fn piped(args: &[&str], bytes: &[u8], cwd: &std::path::Path) -> std::process::Output {
    let mut child = bin()
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let bytes = bytes.to_vec();
    // Written on a thread of its own: the child may answer before reading it all.
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&bytes);
    });
    let o = child.wait_with_output().unwrap();
    writer.join().unwrap();
    o
}

#[test]
fn a_query_that_reads_piped_input_twice_answers_as_over_the_file() {
    // A wildcard path is resolved by a first scan that learns the paths, then the query
    // scans again: standard input is read once and served to both.
    let dir = tempfile::tempdir().unwrap();
    let gz = workspace_root().join(
        "examples/data/AWSLogs/798029671665/CloudTrail/us-east-1/2024/03/01/798029671665_CloudTrail_us-east-1_20240301T0010Z_jkoXCi4sP8se6wIb.json.gz",
    );
    for file in [events_fixture(), gz] {
        let path = file.to_str().unwrap();
        for q in [
            "requestParameters.*Name: * | stats count() by eventName",
            "requestParameters.* = * | stats count() by eventSource, requestParameters.bucketName",
        ] {
            let here = run(&["query", q, path, "--format", "ndjson"], dir.path());
            assert_eq!(here.status.code(), Some(0), "{}", stderr(&here));
            assert!(stdout(&here).lines().count() > 1, "{q}: {}", stdout(&here));
            let bytes = std::fs::read(&file).unwrap();
            let o = piped(&["query", q, "-", "--format", "ndjson"], &bytes, dir.path());
            assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
            assert_eq!(stdout(&o), stdout(&here), "{q} over {path}");
        }
    }
    // A load after a scan of its own reads the same bytes: `load` from a pipe reports
    // every record (counted here from the file, not through trailhunt).
    let raw = raw_events();
    let bytes = std::fs::read(events_fixture()).unwrap();
    let o = piped(&["load", "-", "--format", "json"], &bytes, dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(report["records"], raw.len());
    assert_eq!(report["files"][0]["path"], "<stdin>");
}

#[test]
fn without_a_path_or_data_on_standard_input_is_an_error() {
    // `run` gives the child /dev/null: not a pipe or a file, so no silent zero results.
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["query", "*"][..],
        &["load"],
        &["detect", "--rules", "."],
        &["hunt", "--rules", "."],
    ] {
        let o = run(args, dir.path());
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert_eq!(stdout(&o), "", "{args:?}");
        assert_eq!(
            stderr(&o),
            "error: no input: no path was given and standard input is not a pipe or a file; give files or folders of CloudTrail logs, or `-` to read standard input anyway\n",
            "{args:?}"
        );
    }
    // The REPL reads its queries from standard input: never its events.
    let o = run(&["repl"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "error: the REPL reads events from files or folders, not standard input (it reads your queries there); give a path, or pipe events to `trailhunt query` instead\n"
    );
}

#[test]
fn from_and_to_restrict_load_detect_and_hunt() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(events_fixture(), dir.path().join("events.ndjson")).unwrap();
    let rules = object_rule(dir.path());
    let rules = rules.to_str().unwrap();
    let raw = raw_events();
    let range = [
        "--from",
        "2024-03-01T10:05:00Z",
        "--to",
        "2024-03-01T12:30:00Z",
    ];
    let (from, to) = ("2024-03-01T10:05:00", "2024-03-01T12:30:00");
    let inside = raw_between(&raw, from, to, None);
    assert!(inside.len() > 2 && inside.len() < raw.len());

    let mut args = vec!["load", "events.ndjson", "--format", "json"];
    args.extend(range);
    let o = run(&args, dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(report["records"], inside.len());
    assert_eq!(report["records_outside_range"], raw.len() - inside.len());

    let objects = raw_between(&raw, from, to, Some("GetObject"));
    let mut args = vec![
        "detect",
        "events.ndjson",
        "--rules",
        rules,
        "--format",
        "json",
    ];
    args.extend(range);
    let o = run(&args, dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let want = per_arn(&objects);
    assert_eq!(detected(&o), want);
    // Without the range alice has one more read: the range is what made the difference.
    let all = per_arn(&raw_between(&raw, "", "~", Some("GetObject")));
    assert_ne!(all, want);

    let mut args = vec![
        "hunt",
        "events.ndjson",
        "--rules",
        rules,
        "--format",
        "json",
    ];
    args.extend(range);
    let o = run(&args, dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let reports: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let got: std::collections::BTreeMap<String, u64> = reports
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let events = r["timeline"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["events"].as_u64().unwrap())
                .sum();
            (r["entity_id"].as_str().unwrap().to_string(), events)
        })
        .collect();
    assert_eq!(got, want);

    // A range holding no GetObject: nothing fires, exit 1.
    let o = run(
        &[
            "detect",
            "events.ndjson",
            "--rules",
            rules,
            "--from",
            "2024-03-01T11:00:00Z",
            "--to",
            "2024-03-01T12:00:00Z",
        ],
        dir.path(),
    );
    assert!(
        raw_between(
            &raw,
            "2024-03-01T11:00:00",
            "2024-03-01T12:00:00",
            Some("GetObject")
        )
        .is_empty()
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
}

#[test]
fn to_not_after_from_is_an_error_naming_both() {
    let dir = fixture();
    let rules = object_rule(dir.path());
    let rules = rules.to_str().unwrap();
    for (from, to) in [
        ("2024-03-02", "2024-03-01T12:00:00Z"),
        ("2024-03-01T10:00:00Z", "2024-03-01T10:00:00Z"),
    ] {
        let want = format!(
            "error: --to {} is not after --from {}: the range holds no time; give a --to later than the start\n",
            if to.len() == 10 {
                format!("{to}T00:00:00Z")
            } else {
                to.to_string()
            },
            if from.len() == 10 {
                format!("{from}T00:00:00Z")
            } else {
                from.to_string()
            },
        );
        for cmd in [
            &["query", "*", "."][..],
            &["load", "."],
            &["detect", ".", "--rules", rules],
            &["hunt", ".", "--rules", rules],
            &["rules", "lint", rules, "--data", "."],
            &["explain", "*", "."],
        ] {
            let mut args = cmd.to_vec();
            args.extend(["--from", from, "--to", to]);
            let o = run(&args, dir.path());
            assert_eq!(o.status.code(), Some(2), "{args:?}");
            assert_eq!(stdout(&o), "", "{args:?}");
            assert_eq!(stderr(&o), want, "{args:?}");
        }
    }
    // --since with --from is refused by the argument parser.
    let o = run(
        &["load", ".", "--since", "1d", "--from", "2024-03-01"],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("'--since <DURATION>' cannot be used with '--from <TIME>'"),
        "{}",
        stderr(&o)
    );
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

/// `detect` for people: the interval clipped to the data's span (10:00:00 to 10:10:00,
/// so [10:00:00, 10:10:01) rather than the hourly run's), the rule path relative to
/// --rules, the sample as a compact table (whole events: time, entity, eventName,
/// sourceIPAddress; a `stats` rule: its own columns), "N hits from M rules (K fired)";
/// whole events only in JSON; one CSV line per hit.
#[test]
fn detect_output_for_people_and_csv() {
    let dir = fixture();
    let rules = dir.path().join("r");
    std::fs::create_dir_all(rules.join("auth")).unwrap();
    let rule = |file: &str, name: &str, sev: &str, q: &str| {
        std::fs::write(
            rules.join(file),
            format!("name: {name}\ndescription: {name}.\nenabled: true\nseverity: {sev}\nquery_text: {q}\ntime_range_s: 3600\nrun_frequency_s: 3600\n"),
        )
        .unwrap();
    };
    rule(
        "auth/failed.yml",
        "Failed console sign-in",
        "Medium",
        "eventName=ConsoleLogin errorMessage:\"Failed authentication\"",
    );
    rule(
        "trail.yml",
        "Trail deleted",
        "High",
        "eventName=DeleteTrail",
    );
    rule(
        "reads.yml",
        "Object reads by user",
        "Low",
        "eventName=GetObject | stats count() as reads by userIdentity.userName, requestParameters.bucketName",
    );
    let o = run(&["detect", "trail.json", "--rules", "r"], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "\
Medium        Failed console sign-in  [2024-03-01T10:00:00Z .. 2024-03-01T10:10:01Z) (1 run)
  rule        auth/failed.yml
  entities    source_ip:198.51.100.9 (1 event, 2024-03-01T10:05:00Z .. 2024-03-01T10:05:00Z; window source_ip:198.51.100.9.2024-03-01 10:05:00.000000)
  rows        1 (showing 1)
    time                  entity                  eventName     sourceIPAddress
    2024-03-01T10:05:00Z  source_ip:198.51.100.9  ConsoleLogin  198.51.100.9

Low           Object reads by user  [2024-03-01T10:00:00Z .. 2024-03-01T10:10:01Z) (1 run)
  rule        reads.yml
  entities    arn:aws:iam::111122223333:user/alice (1 event, 2024-03-01T10:10:00Z .. 2024-03-01T10:10:00Z; window arn:aws:iam::111122223333:user/alice.2024-03-01 10:00:00.000000)
  rows        1 (showing 1)
    userIdentity.userName  requestParameters.bucketName  @q.count  reads
    alice                  reports                       1         1

2 hits from 3 rules (2 fired)
"
    );
    let o = run(
        &["detect", "trail.json", "--rules", "r", "--format", "csv"],
        dir.path(),
    );
    assert_eq!(
        stdout(&o),
        "rule,path,severity,tactics,techniques,from,to,runs,entities,rows\n\
         Failed console sign-in,auth/failed.yml,Medium,,,2024-03-01T10:00:00Z,2024-03-01T10:10:01Z,1,source_ip:198.51.100.9,1\n\
         Object reads by user,reads.yml,Low,,,2024-03-01T10:00:00Z,2024-03-01T10:10:01Z,1,arn:aws:iam::111122223333:user/alice,1\n"
    );
    let o = run(
        &["detect", "trail.json", "--rules", "r", "--format", "json"],
        dir.path(),
    );
    assert!(
        stdout(&o).contains(r#""eventVersion":"1.08""#),
        "{}",
        stdout(&o)
    );
}

#[test]
fn detect_counts_rules_naming_absent_paths_and_lists_them_on_request() {
    let dir = fixture();
    let rules = object_rule(dir.path());
    std::fs::write(
        rules.join("absent.yml"),
        "name: Versioning suspended\ndescription: Bucket versioning suspended.\nenabled: true\nseverity: Low\nquery_text: eventName=PutBucketVersioning requestParameters.VersioningConfiguration.Status=Suspended\ntime_range_s: 86400\nrun_frequency_s: 86400\ntags: [tactics.ta0040.impact]\n",
    )
    .unwrap();
    let rules = rules.to_str().unwrap();
    let o = run(&["detect", "trail.json", "--rules", rules], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stderr(&o),
        "note: 1 of 2 rules name paths no event here has, so those parts match nothing (--absent-paths lists them)\n"
    );
    let o = run(
        &["detect", "trail.json", "--rules", rules, "--absent-paths"],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.starts_with("note: rule `Versioning suspended` (")
            && err.ends_with(
                "absent.yml): no event has `requestParameters.VersioningConfiguration.Status`, so that part of it matches nothing here\n"
            )
            && err.lines().count() == 1,
        "{err}"
    );
}

// ---- closed pipes and empty input (issue 16) ----

/// Run `args` with standard output a pipe the reader closes after `lines` lines (0:
/// before the command writes anything, like `| true`).
fn closed_after(args: &[&str], cwd: &std::path::Path, lines: usize) -> std::process::Output {
    let mut child = bin()
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    for _ in 0..lines {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
    }
    drop(reader);
    child.wait_with_output().unwrap()
}

#[test]
fn every_command_stops_quietly_with_0_when_stdout_closes() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let o = run(
        &["generate", "--events", "3000", "--out", "ct", "--seed", "2"],
        p,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    std::fs::create_dir(p.join("rules")).unwrap();
    std::fs::write(
        p.join("rules/any.yml"),
        "name: Any call\ndescription: Every call.\nenabled: true\nseverity: Low\nquery_text: \"*\"\ntime_range_s: 300\nrun_frequency_s: 300\ntags: [tactics.ta0007.discovery]\n",
    )
    .unwrap();
    std::fs::create_dir(p.join("lib")).unwrap();
    std::fs::write(
        p.join("lib/names.yml"),
        "name: Names\ndescription: Calls by name.\nquery_text: \"* | groupbycount eventName\"\n",
    )
    .unwrap();
    let o = run(&["index", "ct", "--cache", "cache"], p);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let commands: &[&[&str]] = &[
        &["load", "ct", "--format", "json"],
        &["load", "ct"],
        &["query", "*", "ct"],
        &[
            "query",
            "* | groupbycount eventName",
            "ct",
            "--format",
            "table",
        ],
        &["explain", "* | count", "ct"],
        &["detect", "ct", "--rules", "rules"],
        &["detect", "ct", "--rules", "rules", "--format", "json"],
        &["hunt", "ct", "--rules", "rules"],
        &["hunt", "ct", "--rules", "rules", "--format", "json"],
        &["library", "--library", "lib", "list"],
        &["library", "--library", "lib", "show", "names"],
        &["library", "--library", "lib", "run", "names", "ct"],
        &["rules", "lint", "rules", "--data", "ct"],
        &["rules", "coverage", "rules"],
        &["index", "ct", "--cache", "cache"],
        &["index", "ct", "--cache", "cache", "--status"],
        &["completions", "bash"],
        &["generate", "--events", "10", "--out", "more"],
        &["columns", "ct"],
        &["man"],
        &["man", "query"],
        &["columns", "ct", "--format", "json"],
    ];
    for args in commands {
        for lines in [0, 2] {
            let o = closed_after(args, p, lines);
            let err = stderr(&o);
            assert_eq!(
                o.status.code(),
                Some(0),
                "{args:?} after {lines} lines: {err}"
            );
            assert!(
                !err.contains("error") && !err.contains("panic") && !err.contains("Broken pipe"),
                "{args:?} after {lines} lines: {err}"
            );
        }
    }
}

#[test]
fn a_folder_without_cloudtrail_files_warns_and_strict_makes_it_an_error() {
    let dir = fixture();
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    std::fs::create_dir(dir.path().join("docs")).unwrap();
    std::fs::write(dir.path().join("docs/README.md"), "not a log\n").unwrap();
    for folder in ["empty", "docs"] {
        let o = run(&["query", "* | count", folder], dir.path());
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert_eq!(stdout(&o), "{\"@q.count\":0}\n");
        assert_eq!(
            stderr(&o),
            format!("warning: no CloudTrail files under {folder}\n")
        );
        let o = run(&["load", folder, "--strict"], dir.path());
        assert_eq!(o.status.code(), Some(2));
        assert_eq!(stdout(&o), "");
        assert_eq!(
            stderr(&o),
            format!(
                "error: --strict: no CloudTrail files under {folder}; point trailhunt at the folder the trail delivers to (…/AWSLogs/)\n"
            )
        );
    }
    // Beside a folder with logs, the empty one is still named, and the logs are read.
    let o = run(&["query", "* | count", "empty", "."], dir.path());
    assert_eq!(stdout(&o), "{\"@q.count\":3}\n");
    assert_eq!(stderr(&o), "warning: no CloudTrail files under empty\n");
    let o = run(&["detect", "empty", "--strict"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).starts_with("error: --strict: no CloudTrail files under empty"),
        "{}",
        stderr(&o)
    );
}

// ---- trailhunt columns (issue 16) ----

/// The fixture with one more record: an array of objects, and a key that is a number
/// here and a string in `trail.json`.
fn columns_fixture() -> tempfile::TempDir {
    let dir = fixture();
    std::fs::write(
        dir.path().join("more.json"),
        r#"{"Records":[{"eventVersion":"1.08","eventTime":"2024-03-02T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"PutObject","requestParameters":{"bucketName":"reports","key":7},"resources":[{"ARN":"arn:aws:s3:::reports/7","type":"AWS::S3::Object"},{"ARN":"arn:aws:s3:::reports"}]}]}"#,
    )
    .unwrap();
    dir
}

/// Counted by hand from `common::RECORDS` and `more.json` (4 events; an object counts
/// the events holding anything below it).
const ALL_COLUMNS: &str = "\
column,type,events
additionalEventData,object,1
additionalEventData.bytesTransferredOut,number,1
awsRegion,string,3
errorMessage,string,1
eventName,string,4
eventSource,string,4
eventTime,string,4
eventVersion,string,4
requestParameters,object,2
requestParameters.bucketName,string,2
requestParameters.key,string|number,2
resources,array,1
resources.ARN,string,1
resources.type,string,1
responseElements,object,2
responseElements.ConsoleLogin,string,2
sourceIPAddress,string,3
userIdentity,object,3
userIdentity.arn,string,2
userIdentity.type,string,3
userIdentity.userName,string,3
";

#[test]
fn columns_lists_the_paths_with_types_and_event_counts() {
    let dir = columns_fixture();
    let o = run(&["columns", ".", "--format", "csv"], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), ALL_COLUMNS);
    assert_eq!(stderr(&o), "");

    let o = run(&["columns", ".", "--prefix", "USERidentity"], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "\
╭───────────────────────┬────────┬────────╮
│ column                │ type   │ events │
├───────────────────────┼────────┼────────┤
│ userIdentity          │ object │ 3      │
│ userIdentity.arn      │ string │ 2      │
│ userIdentity.type     │ string │ 3      │
│ userIdentity.userName │ string │ 3      │
╰───────────────────────┴────────┴────────╯
"
    );
    assert_eq!(stderr(&o), "4 columns\n");

    // No path starts with it: those containing it.
    let o = run(
        &["columns", ".", "--prefix", "arn", "--format", "json"],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "[\n{\"column\":\"resources.ARN\",\"type\":\"string\",\"events\":1},\n{\"column\":\"userIdentity.arn\",\"type\":\"string\",\"events\":2}\n]\n"
    );

    let o = run(&["columns", ".", "--prefix", "nothing"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "error: no column matches `nothing` (21 columns in the data); leave out --prefix to list them all\n"
    );
}

#[test]
fn columns_counts_only_the_events_in_the_time_range_and_reads_the_cache_alike() {
    let dir = columns_fixture();
    // From 10:05 on: bob's login, alice's GetObject and the PutObject.
    let o = run(
        &[
            "columns",
            ".",
            "--format",
            "csv",
            "--from",
            "2024-03-01T10:05:00Z",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let expected = ALL_COLUMNS
        .replace("awsRegion,string,3", "awsRegion,string,2")
        .replace("eventName,string,4", "eventName,string,3")
        .replace("eventSource,string,4", "eventSource,string,3")
        .replace("eventTime,string,4", "eventTime,string,3")
        .replace("eventVersion,string,4", "eventVersion,string,3")
        .replace("responseElements,object,2", "responseElements,object,1")
        .replace("ConsoleLogin,string,2", "ConsoleLogin,string,1")
        .replace("sourceIPAddress,string,3", "sourceIPAddress,string,2")
        .replace("userIdentity,object,3", "userIdentity,object,2")
        .replace("userIdentity.arn,string,2", "userIdentity.arn,string,1")
        .replace("userIdentity.type,string,3", "userIdentity.type,string,2")
        .replace(
            "userIdentity.userName,string,3",
            "userIdentity.userName,string,2",
        );
    assert_eq!(stdout(&o), expected);
    // Before the PutObject (`--to` is not in the range): the paths only it holds are gone.
    let o = run(
        &["columns", ".", "--format", "csv", "--to", "2024-03-02"],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!stdout(&o).contains("resources"), "{}", stdout(&o));

    let cache = tempfile::tempdir().unwrap();
    let c = cache.path().to_str().unwrap();
    let o = run(&["index", ".", "--cache", c], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = run(
        &["columns", ".", "--format", "csv", "--cache", c],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), ALL_COLUMNS);
}

// ---- small flags (issue 16) ----

#[test]
fn a_duration_without_a_unit_is_an_error_naming_the_units() {
    let dir = fixture();
    for args in [
        &["load", ".", "--session-gap", "30"][..],
        &["query", "*", ".", "--since", "30"][..],
    ] {
        let o = run(args, dir.path());
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let flag = args[args.len() - 2];
        assert_eq!(
            stderr(&o),
            format!(
                "error: invalid value '30' for '{flag} <DURATION>': `30` has no unit; add one of s, m, h, d or w (e.g. 30m for 30 minutes)\n\nFor more information, try '--help'.\n"
            ),
            "{args:?}"
        );
    }
    let o = run(&["load", ".", "--session-gap", "30s"], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("windows (30s inactivity)"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn query_help_shows_the_query_as_required() {
    let dir = fixture();
    let o = run(&["query", "--help"], dir.path());
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stdout(&o).contains(
            "Usage: trailhunt query [OPTIONS] <QUERY> [PATH]...\n       trailhunt query [OPTIONS] -f <FILE> [PATH]...\n\nArguments:\n  <QUERY>    The query (or give it in a file with -f FILE)\n  [PATH]...  Files, folders"
        ),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("\nOptions:\n  -f, --file <FILE>"));
    let o = run(&["query"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o)
            .starts_with("error: the following required arguments were not provided:\n  <QUERY>\n"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn version_names_the_commit_and_the_build_date() {
    let dir = fixture();
    let o = run(&["--version"], dir.path());
    assert_eq!(o.status.code(), Some(0));
    let text = stdout(&o);
    // The commit as git names it (not through trailhunt); `unknown` outside a checkout.
    let head = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(workspace_root())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map_or("unknown".to_string(), |o| {
            String::from_utf8_lossy(&o.stdout).trim().to_string()
        });
    let prefix = format!(
        "trailhunt {} (commit {head}, built ",
        env!("CARGO_PKG_VERSION")
    );
    assert!(text.starts_with(&prefix), "{text}");
    let date = text[prefix.len()..].trim_end().trim_end_matches(')');
    let b = date.as_bytes();
    assert!(
        date.len() == 10 && b[4] == b'-' && b[7] == b'-' && date.starts_with("20"),
        "{text}"
    );
    assert_eq!(stdout(&run(&["-V"], dir.path())), text);
}

#[test]
fn out_writes_the_file_whole_or_not_at_all_and_errors_name_it() {
    let dir = fixture();
    let o = run(
        &["query", "* | count", ".", "--out", "count.json"],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("count.json")).unwrap(),
        "{\"@q.count\":3}\n"
    );
    // A format is honoured; no rows is still exit 1, with the header written.
    let o = run(
        &[
            "query",
            "eventName=Nope | table eventName",
            "trail.json",
            "--out",
            "none.csv",
            "--format",
            "csv",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("none.csv")).unwrap(),
        "eventName\n"
    );
    // A failing query leaves the file as it was, and no temporary file beside it.
    let o = run(
        &["query", "* | grouby x", "trail.json", "--out", "count.json"],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("count.json")).unwrap(),
        "{\"@q.count\":3}\n"
    );
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["count.json", "none.csv", "trail.json"]);

    let o = run(
        &["query", "*", "trail.json", "--out", "no/such/dir/x.json"],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "error: cannot write no/such/dir/x.json: there is no folder no/such/dir; create it first\n"
    );
    let o = run(
        &["query", "*", "trail.json", "--out", "trail.json/x"],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).starts_with("error: cannot write trail.json/x: there is no folder trail.json"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn quiet_silences_warnings_and_notes_not_errors() {
    let dir = fixture();
    std::fs::write(dir.path().join("broken.json"), "{\"Records\": [ not json").unwrap();
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    let loud = run(&["query", "nosuchpath=1 | count", ".", "empty"], dir.path());
    assert_eq!(loud.status.code(), Some(0));
    assert!(stderr(&loud).contains("warning: "), "{}", stderr(&loud));
    for q in ["-q", "--quiet"] {
        // Before or after the command's name.
        for args in [
            vec![q, "query", "nosuchpath=1 | count", ".", "empty"],
            vec!["query", "nosuchpath=1 | count", ".", "empty", q],
        ] {
            let o = run(&args, dir.path());
            assert_eq!(o.status.code(), Some(0));
            assert_eq!(stdout(&o), stdout(&loud));
            assert_eq!(stderr(&o), "", "{args:?}");
        }
    }
    let o = run(
        &["-q", "query", "* | count", ".", "--format", "table"],
        dir.path(),
    );
    assert_eq!(stderr(&o), "", "the row count is a note");
    // Errors still print, and --strict still counts the skipped file.
    let o = run(&["-q", "query", "* | count", ".", "--strict"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "error: --strict: 1 file(s) were skipped or only partly loaded (run without --quiet to see why)\n"
    );
    let o = run(&["-q", "query", "* | grouby x", "."], dir.path());
    assert!(
        stderr(&o).starts_with("error: unknown stage"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn tz_prints_computed_times_in_the_zone_and_record_fields_as_recorded() {
    let dir = fixture();
    std::fs::write(
        dir.path().join("seasons.json"),
        r#"{"Records":[{"eventVersion":"1.08","eventTime":"2024-01-15T12:00:00Z","eventName":"Winter"},{"eventVersion":"1.08","eventTime":"2024-07-15T12:00:00.5Z","eventName":"Summer"}]}"#,
    )
    .unwrap();
    let q = "* | table timestamp, eventTime, eventName";
    let with = |tz: Option<&str>, env: Option<&str>| {
        let mut c = bin();
        c.args(["query", q, "seasons.json", "--format", "csv"]);
        if let Some(z) = tz {
            c.args(["--tz", z]);
        }
        if let Some(e) = env {
            c.env("TZ", e);
        }
        let o = c
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        stdout(&o)
    };
    let utc = "timestamp,eventTime,eventName\n2024-01-15T12:00:00Z,2024-01-15T12:00:00Z,Winter\n2024-07-15T12:00:00.5Z,2024-07-15T12:00:00.5Z,Summer\n";
    assert_eq!(
        with(None, Some("XYZ-3")),
        utc,
        "UTC by default, whatever TZ says"
    );
    assert_eq!(with(Some("UTC"), None), utc);
    assert_eq!(
        with(Some("+02:00"), None),
        "timestamp,eventTime,eventName\n2024-01-15T14:00:00+02:00,2024-01-15T12:00:00Z,Winter\n2024-07-15T14:00:00.5+02:00,2024-07-15T12:00:00.5Z,Summer\n"
    );
    assert_eq!(
        with(Some("-0930"), None),
        "timestamp,eventTime,eventName\n2024-01-15T02:30:00-09:30,2024-01-15T12:00:00Z,Winter\n2024-07-15T02:30:00.5-09:30,2024-07-15T12:00:00.5Z,Summer\n"
    );
    // The system's zone with its daylight saving time (a POSIX TZ rule: US Eastern).
    assert_eq!(
        with(Some("local"), Some("EST5EDT,M3.2.0,M11.1.0")),
        "timestamp,eventTime,eventName\n2024-01-15T07:00:00-05:00,2024-01-15T12:00:00Z,Winter\n2024-07-15T08:00:00.5-04:00,2024-07-15T12:00:00.5Z,Summer\n"
    );
    // The load summary's time range too.
    let o = run(&["load", "trail.json", "--tz", "+01:00"], dir.path());
    assert!(
        stdout(&o).contains(
            "│ time range           │ 2024-03-01T11:00:00+01:00 .. 2024-03-01T11:10:00+01:00 │"
        ),
        "{}",
        stdout(&o)
    );
    let o = run(&["query", "*", ".", "--tz", "Europe/Paris"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "error: invalid value 'Europe/Paris' for '--tz <ZONE>': `Europe/Paris` is not a zone trailhunt reads: give UTC, local or an offset like +02:00 (for a named zone, set TZ and give local, e.g. TZ=Europe/Paris trailhunt --tz local …)\n\nFor more information, try '--help'.\n"
    );
}

#[test]
fn color_always_never_and_no_color_decide_clap_s_messages_too() {
    let dir = fixture();
    let red = "\u{1b}[1m\u{1b}[31merror:\u{1b}[0m";
    let with = |args: &[&str], no_color: bool| {
        let mut c = bin();
        if !no_color {
            c.env_remove("NO_COLOR");
        }
        let o = c
            .args(args)
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2));
        stderr(&o)
    };
    // Not a terminal: auto colours nothing.
    assert!(with(&["query"], false).starts_with("error: the following"));
    assert!(with(&["query", "--color", "auto"], false).starts_with("error: the following"));
    assert!(with(&["--color", "always", "query"], false).starts_with(red));
    // The flag beats NO_COLOR, before or after the command's name.
    assert!(with(&["query", "--color=always"], true).starts_with(red));
    assert!(with(&["--color", "never", "query"], false).starts_with("error: the following"));
    assert!(
        with(&["query", "--color", "sometimes"], true)
            .starts_with("error: invalid value 'sometimes' for '--color <WHEN>'"),
    );
}

/// The cells of a box-drawn table, row by row (the border lines left out).
fn table_rows(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .filter(|l| l.starts_with('│'))
        .map(|l| {
            l.trim_matches('│')
                .split('│')
                .map(|c| c.trim().to_string())
                .collect()
        })
        .collect()
}

/// The file stems of `examples/queries/*.yml`, sorted, read from the folder.
fn starter_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(workspace_root().join("examples/queries"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn the_starter_queries_are_built_in_and_a_folder_s_query_replaces_one() {
    // A folder far from the repository: no `queries/`, no --library.
    let dir = fixture();
    let o = run(&["library", "list"], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let rows = table_rows(&stdout(&o));
    let names: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(names, starter_names());
    let o = run(&["library", "show", "hunt-root-console-logins"], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let file = std::fs::read_to_string(
        workspace_root().join("examples/queries/hunt-root-console-logins.yml"),
    )
    .unwrap();
    assert_eq!(
        stdout(&o),
        format!("# built-in starter query hunt-root-console-logins\n{file}")
    );
    let data = workspace_root().join("examples/data");
    let o = run(
        &[
            "library",
            "run",
            "hunt-root-console-logins",
            data.to_str().unwrap(),
            "--format",
            "csv",
            "--threads",
            "1",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).lines().count() > 1, "{}", stdout(&o));

    // ./queries holds one of the same name: it is the one listed and run.
    std::fs::create_dir(dir.path().join("queries")).unwrap();
    std::fs::write(
        dir.path().join("queries/hunt-root-console-logins.yml"),
        "name: Mine\ndescription: My own.\nquery_text: eventName=ConsoleLogin | count\n",
    )
    .unwrap();
    let o = run(&["library", "list"], dir.path());
    let rows = table_rows(&stdout(&o));
    let mine = rows
        .iter()
        .find(|r| r[0] == "hunt-root-console-logins")
        .unwrap();
    assert_eq!(
        mine,
        &["hunt-root-console-logins", "My own.", "", "queries"]
    );
    assert_eq!(rows.len(), 1 + starter_names().len());
    let o = run(
        &["library", "run", "hunt-root-console-logins", "trail.json"],
        dir.path(),
    );
    assert_eq!(stdout(&o), "{\"@q.count\":2}\n");
}

// ---- the config file (issue 16) ----

/// `trailhunt` with `config.toml` holding `toml` in a fresh XDG config folder.
fn with_config(toml: &str, dir: &std::path::Path) -> std::process::Command {
    let home = dir.join("xdg");
    std::fs::create_dir_all(home.join("trailhunt")).unwrap();
    std::fs::write(home.join("trailhunt/config.toml"), toml).unwrap();
    let mut c = bin();
    c.env("XDG_CONFIG_HOME", &home)
        .env_remove("TRAILHUNT_CACHE")
        .current_dir(dir)
        .stdin(Stdio::null());
    c
}

#[test]
fn the_config_file_gives_defaults_that_env_and_flags_beat() {
    let dir = fixture();
    let p = dir.path();
    let o = with_config("format = \"csv\"\n", p)
        .args(["query", "* | count", "."])
        .output()
        .unwrap();
    assert_eq!(stdout(&o), "@q.count\n3\n", "{}", stderr(&o));
    let o = with_config("format = \"csv\"\n", p)
        .args(["query", "* | count", ".", "--format", "ndjson"])
        .output()
        .unwrap();
    assert_eq!(stdout(&o), "{\"@q.count\":3}\n");
    // TRAILHUNT_CONFIG points elsewhere.
    std::fs::write(p.join("other.toml"), "format = \"tsv\"\n").unwrap();
    let o = with_config("format = \"csv\"\n", p)
        .env("TRAILHUNT_CONFIG", p.join("other.toml"))
        .args(["query", "* | table eventName | head 1", "."])
        .output()
        .unwrap();
    assert_eq!(stdout(&o), "eventName\nConsoleLogin\n");

    // The cache folder: the config's, unless TRAILHUNT_CACHE or --cache say otherwise.
    let conf = format!("cache = {:?}\n", p.join("c1").display().to_string());
    let o = with_config(&conf, p).args(["index", "."]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).starts_with(&format!("indexed into {}", p.join("c1").display())));
    let status = |c: &mut std::process::Command| {
        let o = c.args(["index", ".", "--status"]).output().unwrap();
        stdout(&o).lines().next().unwrap_or_default().to_string()
    };
    assert_eq!(
        status(&mut with_config(&conf, p)),
        format!("cache {}", p.join("c1").display())
    );
    std::fs::create_dir(p.join("c2")).unwrap();
    let c2 = p.join("c2").display().to_string();
    assert_eq!(
        status(with_config(&conf, p).env("TRAILHUNT_CACHE", &c2)),
        format!("cache {c2}")
    );
    let o = with_config(&conf, p)
        .env("TRAILHUNT_CACHE", &c2)
        .args(["index", ".", "--status", "--cache", "c1"])
        .output()
        .unwrap();
    assert_eq!(stdout(&o).lines().next(), Some("cache c1"));
    // A query reads through it: the same answer as from the JSON.
    let o = with_config(&conf, p)
        .args(["query", "* | count", "."])
        .output()
        .unwrap();
    assert_eq!(stdout(&o), "{\"@q.count\":3}\n", "{}", stderr(&o));
    let o = with_config("cache = \"/no/such/cache\"\n", p)
        .args(["query", "* | count", "."])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).starts_with("error: --cache /no/such/cache: no such folder"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn the_config_file_names_rules_folders_and_the_colour() {
    let dir = fixture();
    let p = dir.path();
    object_rule(p);
    let o = with_config("rules = [\"rules\"]\n", p)
        .args(["detect", "trail.json", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // The one rule of `rules/` fired (the layout of a hit is another test's business).
    let hits: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(hits.as_array().unwrap().len(), 1);
    assert!(stdout(&o).contains("\"Object read\""), "{hits}");
    let o = with_config("rules = [\"rules\", \"gone\"]\n", p)
        .args(["detect", "trail.json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        format!(
            "error: rules folder gone does not exist (it is in the config file {}: `rules`)\n",
            p.join("xdg/trailhunt/config.toml").display()
        )
    );

    let red = "\u{1b}[1m\u{1b}[31merror:";
    let err = |c: &mut std::process::Command| stderr(&c.arg("query").output().unwrap());
    assert!(err(with_config("color = \"always\"\n", p).env_remove("NO_COLOR")).starts_with(red));
    // NO_COLOR beats the file; --color beats both.
    assert!(err(&mut with_config("color = \"always\"\n", p)).starts_with("error: the following"));
    assert!(
        err(with_config("color = \"never\"\n", p).args(["--color", "always"])).starts_with(red)
    );
}

#[test]
fn a_malformed_config_file_is_an_error_naming_the_file_and_line() {
    let dir = fixture();
    let p = dir.path();
    let file = p.join("xdg/trailhunt/config.toml");
    for (toml, place, what) in [
        (
            "format = \"csv\"\ncolor = \"sometimes\"\n",
            "line 2, column 9",
            "`color = \"sometimes\"` is not one of auto, always, never",
        ),
        (
            "# mine\nfromat = \"csv\"\n",
            "line 2, column 1",
            "unknown field `fromat`",
        ),
    ] {
        let o = with_config(toml, p)
            .args(["query", "*", "."])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2));
        assert!(
            stderr(&o).starts_with(&format!(
                "error: config file {} {place}: {what}",
                file.display()
            )),
            "{}",
            stderr(&o)
        );
    }
    let o = with_config("", p)
        .env("TRAILHUNT_CONFIG", p.join("missing.toml"))
        .args(["query", "*", "."])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).starts_with(&format!(
            "error: cannot read the config file {} (TRAILHUNT_CONFIG): ",
            p.join("missing.toml").display()
        )),
        "{}",
        stderr(&o)
    );
}

#[test]
fn man_prints_the_page_of_trailhunt_and_of_each_command() {
    let dir = fixture();
    let o = run(&["man"], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let page = stdout(&o);
    let version = stdout(&run(&["--version"], dir.path()));
    assert!(
        page.contains(&format!(".TH trailhunt 1  \"{}\"", version.trim_end())),
        "{page}"
    );
    for cmd in ["load", "query", "columns", "detect", "completions", "man"] {
        assert!(
            page.contains(&format!("trailhunt\\-{cmd}(1)")),
            "{cmd}: {page}"
        );
    }
    let o = run(&["man", "query"], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let page = stdout(&o);
    assert!(page.contains(".TH trailhunt-query 1 "), "{page}");
    assert!(
        page.contains("trailhunt query \\- Run a query over CloudTrail logs"),
        "{page}"
    );
    assert!(page.contains("\\fB\\-\\-out\\fR"), "{page}");
    let o = run(&["man", "qeury"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "error: no command `qeury`; did you mean `query`? the commands are: load, index, generate, query, explain, columns, repl, library, detect, hunt, rules, sigma, completions, man\n"
    );
}
