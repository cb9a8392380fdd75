//! The REPL driven through a pseudo-terminal, as a person would use it: completion, a
//! multi-line query, an error with its caret, `\top`, `\save` then `\run`, history;
//! Scanner's walkthrough moves: `\event N [PREFIX]`, `\top` then `\and N`, `\edit`.
#![cfg(unix)]

mod common;

use std::path::Path;
use std::process::Command;

use rexpect::session::{PtySession, spawn_command};

const PROMPT: &str = "trailhunt> ";
/// `│` as the session reads it: it turns each byte of the output into one char.
const BAR: &str = "\u{e2}\u{94}\u{82}";

fn find(dir: &Path, name: &str) -> Option<std::path::PathBuf> {
    for e in std::fs::read_dir(dir).ok()?.flatten() {
        let p = e.path();
        if p.file_name().is_some_and(|n| n == name) {
            return Some(p);
        }
        if p.is_dir()
            && let Some(f) = find(&p, name)
        {
            return Some(f);
        }
    }
    None
}

/// Type `s`; the session's writer buffers until a newline, so flush.
fn send(p: &mut PtySession, s: &str) {
    p.send(s).expect("write to the terminal");
    p.flush().expect("flush the terminal");
}

fn start(data: &Path, home: &Path) -> PtySession {
    start_with(data, home, &[])
}

fn start_with(data: &Path, home: &Path, env: &[(&str, &Path)]) -> PtySession {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_trailhunt"));
    cmd.envs(env.iter().copied());
    cmd.arg("repl")
        .arg(data)
        .arg("--threads")
        .arg("1")
        .current_dir(home)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("TERM", "xterm")
        .env("NO_COLOR", "1");
    let mut p = spawn_command(cmd, Some(20_000)).expect("spawn the REPL");
    p.exp_string("3 events from 1 files loaded")
        .expect("banner");
    p.exp_string(PROMPT).expect("first prompt");
    p
}

#[test]
fn a_session_in_a_terminal() {
    let data = common::fixture();
    let home = tempfile::tempdir().unwrap();
    let mut p = start(data.path(), home.path());

    // Tab completes one path level: `userIdentity.user` becomes `userIdentity.userName`,
    // which the result's header shows (the uncompleted name is no column).
    send(&mut p, "* | groupbycount userIdentity.user");
    send(&mut p, "\t");
    send(&mut p, "\r");
    p.exp_regex(&format!(
        r"{B} userIdentity.userName +{B} @q.count {B}",
        B = BAR
    ))
    .unwrap();
    p.exp_regex(&format!(r"{B} alice +{B} 2 +{B}", B = BAR))
        .unwrap();
    p.exp_string("2 rows in").unwrap();
    p.exp_string(PROMPT).unwrap();

    // A line ending in `|` continues; the query runs once the second line is entered.
    send(&mut p, "eventName=ConsoleLogin |\r");
    send(&mut p, "count\r");
    p.exp_regex(&format!(r"{B} 2 +{B}", B = BAR)).unwrap();
    p.exp_string("1 row in").unwrap();
    p.exp_string(PROMPT).unwrap();

    // An error points at the text and says what to do; the prompt comes back.
    send(&mut p, "* | grouby eventName\r");
    p.exp_string("^^^^^^").unwrap();
    p.exp_string("did you mean `groupbycount`?").unwrap();
    p.exp_string(PROMPT).unwrap();

    // \top counts over every row of the last results, nested paths included.
    send(&mut p, "sourceIPAddress=203.0.113.7\r");
    p.exp_string("2 rows in").unwrap();
    send(&mut p, "\\top userIdentity.userName\r");
    p.exp_regex(&format!(r"{B} alice +{B} 2 +{B} 100\.0 {B}", B = BAR))
        .unwrap();
    p.exp_string("over all 2 result rows").unwrap();
    p.exp_string(PROMPT).unwrap();

    // \save writes the last query to the user's library; \run runs it back.
    send(&mut p, "\\save mine\r");
    p.exp_string("saved as `mine`").unwrap();
    send(&mut p, "\\run mine\r");
    p.exp_string("sourceIPAddress=203.0.113.7").unwrap();
    p.exp_string("2 rows in").unwrap();
    p.exp_string(PROMPT).unwrap();

    // Ctrl-D leaves.
    p.send_control('d').unwrap();
    p.exp_eof().unwrap();

    let saved = find(&home.path().join("config"), "mine.yml").expect("saved query file");
    let text = std::fs::read_to_string(saved).unwrap();
    assert!(
        text.contains("query_text: |-\n  sourceIPAddress=203.0.113.7\n"),
        "{text}"
    );
    let history = find(&home.path().join("data"), "history.txt").expect("history file");
    let text = std::fs::read_to_string(history).unwrap();
    assert!(text.contains("\\save mine"), "{text}");
}

/// Scanner's walkthrough at the prompt: read one result row whole (with a prefix), add a
/// `\top` value to the query and recall it with Up, add a typed value, edit the query
/// in `$EDITOR`. Expected rows are counted by hand from `common::RECORDS`.
#[test]
fn the_walkthrough_moves() {
    let data = common::fixture();
    let home = tempfile::tempdir().unwrap();
    // The editor: keeps what it was given, then saves a new query, fails, or saves an
    // empty file, as the test asks through files beside it.
    let dir = home.path();
    let editor = dir.join("editor.sh");
    std::fs::write(
        &editor,
        format!(
            "#!/bin/sh\ncp \"$1\" '{d}/given.thq'\n\
             if [ -e '{d}/fail' ]; then exit 3; fi\n\
             if [ -e '{d}/empty' ]; then : > \"$1\"; exit 0; fi\n\
             printf 'eventName=ConsoleLogin\\n| groupbycount userIdentity.userName\\n' > \"$1\"\n",
            d = dir.display()
        ),
    )
    .unwrap();
    let mut perms = std::fs::metadata(&editor).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&editor, perms).unwrap();
    let mut p = start_with(
        data.path(),
        dir,
        &[("EDITOR", editor.as_path()), ("VISUAL", Path::new(""))],
    );

    // Rows are numbered; row 3 (in event order) is the GetObject.
    send(&mut p, "*\r");
    p.exp_regex(&format!(r"{B} # {B} timestamp +{B}", B = BAR))
        .unwrap();
    p.exp_regex(&format!(r"{B} 3 {B} [^\n]*GetObject", B = BAR))
        .unwrap();
    p.exp_string("3 rows in").unwrap();
    p.exp_string(PROMPT).unwrap();

    // Its values under a prefix, one per line, in the record's order.
    send(&mut p, "\\event 3 requestParameters\r");
    p.exp_regex(r"requestParameters\.bucketName +reports\r\n")
        .unwrap();
    p.exp_regex(r#"requestParameters\.key +q1, "final"\.csv\r\n"#)
        .unwrap();
    p.exp_regex(r"2 of \d+ values of row 3 match `requestParameters`")
        .unwrap();
    p.exp_string(PROMPT).unwrap();
    // A nested number, under a prefix written without its case.
    send(&mut p, "\\event 3 additionaleventdata\r");
    p.exp_regex(r"additionalEventData\.bytesTransferredOut +1024\r\n")
        .unwrap();
    p.exp_string(PROMPT).unwrap();
    send(&mut p, "\\event 3 requestParameters --json\r");
    p.exp_string(
        "{\r\n  \"bucketName\": \"reports\",\r\n  \"key\": \"q1, \\\"final\\\".csv\"\r\n}",
    )
    .unwrap();
    p.exp_string(PROMPT).unwrap();
    // A row that is not there is one line, and the prompt comes back.
    send(&mut p, "\\event 4\r");
    p.exp_string("error: no row 4: the last results have rows 1 to 3")
        .unwrap();
    p.exp_string(PROMPT).unwrap();

    // \top numbers its rows; \and 1 adds the first value to the filter and runs it.
    send(&mut p, "sourceIPAddress=203.0.113.7\r");
    p.exp_string("2 rows in").unwrap();
    send(&mut p, "\\top eventName\r");
    p.exp_regex(&format!(
        r"{B} 1 +{B} ConsoleLogin +{B} 1 +{B} 50\.0 {B}",
        B = BAR
    ))
    .unwrap();
    p.exp_regex(&format!(
        r"{B} 2 +{B} GetObject +{B} 1 +{B} 50\.0 {B}",
        B = BAR
    ))
    .unwrap();
    p.exp_string(PROMPT).unwrap();
    send(&mut p, "\\and 1\r");
    p.exp_string("sourceIPAddress=203.0.113.7 eventName = \"ConsoleLogin\"\r\n")
        .unwrap();
    p.exp_regex(&format!(r"{B} 1 {B} [^\n]*ConsoleLogin", B = BAR))
        .unwrap();
    p.exp_string("1 row in").unwrap();
    p.exp_string(PROMPT).unwrap();
    // Up recalls the new query (not the command that made it); Enter runs it again.
    send(&mut p, "\x1b[A");
    p.exp_string("sourceIPAddress=203.0.113.7 eventName = \"ConsoleLogin\"")
        .unwrap();
    send(&mut p, "\r");
    p.exp_string("1 row in").unwrap();
    p.exp_string(PROMPT).unwrap();

    // A \top of a path no event has says so, and \and will not test it.
    send(&mut p, "\\top userIdentity.usrName\r");
    p.exp_string("did you mean `userIdentity.userName`?")
        .unwrap();
    p.exp_string(PROMPT).unwrap();
    send(&mut p, "\\and 1\r");
    p.exp_string("error: no event has `userIdentity.usrName`, so \\and cannot test it")
        .unwrap();
    p.exp_string(PROMPT).unwrap();

    // \not N keeps the events without the value; \and COLUMN=VALUE quotes what it must.
    send(&mut p, "*\r");
    p.exp_string("3 rows in").unwrap();
    send(&mut p, "\\top userIdentity.userName\r");
    p.exp_regex(&format!(r"{B} 1 +{B} alice +{B} 2 +{B} 66\.7 {B}", B = BAR))
        .unwrap();
    p.exp_string(PROMPT).unwrap();
    send(&mut p, "\\not 1\r");
    p.exp_string("not userIdentity.userName = \"alice\"\r\n")
        .unwrap();
    p.exp_regex(&format!(r"{B} 1 {B} [^\n]*198\.51\.100\.9", B = BAR))
        .unwrap();
    p.exp_string("1 row in").unwrap();
    p.exp_string(PROMPT).unwrap();
    send(&mut p, "*\r");
    p.exp_string("3 rows in").unwrap();
    send(&mut p, "\\and requestParameters.key=q1, \"final\".csv\r");
    p.exp_string("requestParameters.key = \"q1, \\\"final\\\".csv\"\r\n")
        .unwrap();
    p.exp_regex(&format!(r"{B} 1 {B} [^\n]*GetObject", B = BAR))
        .unwrap();
    p.exp_string("1 row in").unwrap();
    p.exp_string(PROMPT).unwrap();

    // \edit opens the editor on the last query and runs what it saved.
    send(&mut p, "\\edit\r");
    p.exp_string("eventName=ConsoleLogin\r\n| groupbycount userIdentity.userName\r\n")
        .unwrap();
    p.exp_regex(&format!(r"{B} alice +{B} 1 +{B}", B = BAR))
        .unwrap();
    p.exp_regex(&format!(r"{B} bob +{B} 1 +{B}", B = BAR))
        .unwrap();
    p.exp_string("2 rows in").unwrap();
    p.exp_string(PROMPT).unwrap();
    let given = std::fs::read_to_string(dir.join("given.thq")).unwrap();
    assert_eq!(given, "requestParameters.key = \"q1, \\\"final\\\".csv\"\n");
    // An editor that fails, or a file saved empty, runs nothing.
    std::fs::write(dir.join("fail"), "").unwrap();
    send(&mut p, "\\edit\r");
    p.exp_regex(r"the editor `[^`]*editor\.sh` exited with status 3: nothing run")
        .unwrap();
    p.exp_string(PROMPT).unwrap();
    std::fs::remove_file(dir.join("fail")).unwrap();
    std::fs::write(dir.join("empty"), "").unwrap();
    send(&mut p, "\\edit\r");
    p.exp_string("the file was saved empty: nothing run")
        .unwrap();
    p.exp_string(PROMPT).unwrap();
    // The edited query was the last to run: the editor was given it.
    let given = std::fs::read_to_string(dir.join("given.thq")).unwrap();
    assert_eq!(
        given,
        "eventName=ConsoleLogin\n| groupbycount userIdentity.userName\n"
    );

    // \help lays the commands out in columns that never touch.
    send(&mut p, "\\help\r");
    p.exp_regex(r"\\format table\|json\|ndjson\|csv\|tsv {2,}how results print")
        .unwrap();
    p.exp_string(PROMPT).unwrap();

    p.send_control('d').unwrap();
    p.exp_eof().unwrap();
}

/// With no path and standard input a terminal, commands that read events say how to
/// give them instead of waiting for input; the REPL never reads events from it.
#[test]
fn no_path_on_a_terminal_is_an_error() {
    let home = tempfile::tempdir().unwrap();
    for (args, message) in [
        (
            &["query", "*"][..],
            "error: no input: give files or folders of CloudTrail logs, or pipe them to standard input",
        ),
        (
            &["load"][..],
            "error: no input: give files or folders of CloudTrail logs, or pipe them to standard input",
        ),
        (
            &["repl"][..],
            "error: the REPL reads events from files or folders, not standard input",
        ),
    ] {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_trailhunt"));
        cmd.args(args)
            .current_dir(home.path())
            .env("HOME", home.path())
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env("TERM", "xterm")
            .env("NO_COLOR", "1");
        let mut p = spawn_command(cmd, Some(20_000)).expect("spawn trailhunt");
        p.exp_string(message)
            .unwrap_or_else(|e| panic!("{args:?}: {e}"));
        let status = p.process.wait().expect("exit");
        assert_eq!(
            status,
            rexpect::process::wait::WaitStatus::Exited(p.process.child_pid, 2),
            "{args:?}"
        );
    }
}

/// On a terminal, a load that takes a while draws its progress on standard error
/// (files of all, records, bytes) as the scan goes, then clears it for the summary.
#[test]
fn a_load_shows_its_progress_on_a_terminal() {
    let home = tempfile::tempdir().unwrap();
    let data = common::workspace_root().join("examples/data");
    // The sample's files, counted here: the bar's total.
    fn count(dir: &Path) -> usize {
        std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| {
                let p = e.path();
                if p.is_dir() {
                    count(&p)
                } else {
                    usize::from(p.to_string_lossy().ends_with(".json.gz"))
                }
            })
            .sum()
    }
    let total = count(&data.join("AWSLogs"));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_trailhunt"));
    // The bar shows from the start and in its final state (a load of the sample is too
    // fast for the 300 ms a terminal user waits before one shows).
    cmd.env("TRAILHUNT_PROGRESS_AFTER_MS", "0");
    cmd.arg("load")
        .arg(data.join("AWSLogs"))
        .arg("--threads")
        .arg("1")
        .current_dir(home.path())
        .env("TERM", "xterm")
        .env("NO_COLOR", "1");
    let mut p = spawn_command(cmd, Some(20_000)).expect("spawn trailhunt");
    p.exp_regex(&format!(
        r"loading \[[# ]{{20}}\] \d+/{total} files  \d+(\.\d+k)? records  \d+\.\d MB"
    ))
    .expect("the progress bar");
    p.exp_string("files loaded").expect("the summary");
    let status = p.process.wait().expect("exit");
    assert_eq!(
        status,
        rexpect::process::wait::WaitStatus::Exited(p.process.child_pid, 0)
    );
}

/// `--color always` colours the REPL's input even with NO_COLOR set (the flag wins);
/// `--color never` does not, on a terminal.
#[test]
fn the_color_flag_decides_the_repl_highlighting() {
    let data = common::fixture();
    let home = tempfile::tempdir().unwrap();
    for (when, coloured) in [("always", true), ("never", false)] {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_trailhunt"));
        cmd.args(["repl", "--threads", "1", "--color", when])
            .arg(data.path())
            .current_dir(home.path())
            .env("HOME", home.path())
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env("TERM", "xterm");
        if coloured {
            cmd.env("NO_COLOR", "1");
        } else {
            cmd.env_remove("NO_COLOR");
        }
        let mut p = spawn_command(cmd, Some(20_000)).expect("spawn the REPL");
        p.exp_string(PROMPT).expect("first prompt");
        // A string literal is green when highlighted (while it is typed: Enter draws
        // the accepted line again, plain).
        send(&mut p, "eventName=\"ConsoleLogin\" | count");
        if coloured {
            p.exp_string("\u{1b}[32m\"ConsoleLogin\"")
                .expect("--color always: the string in green");
        }
        send(&mut p, "\r");
        let typed = p.exp_string("@q.count").expect("the result");
        if !coloured {
            assert!(!typed.contains("\u{1b}[3"), "--color never: {typed:?}");
        }
        send(&mut p, "\\quit\r");
        p.exp_eof().expect("the REPL ends");
    }
}
