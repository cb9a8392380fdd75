//! Random token soup against the parser, for a number of seconds, then timing of
//! adversarial shapes at length n and 8n to show parse time stays linear.
//!
//! ```text
//! cargo run --release -p trailhunt-lang --example fuzz_parse -- 120
//! ```
//!
//! Reports inputs parsed, panics (must be 0), round-trip failures (must be 0), the
//! worst time per input byte, and for each adversarial shape the time ratio
//! between the 8n and n inputs (about 8 means linear).

use std::panic;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use trailhunt_lang::parse_query;

const TOKENS: &[&str] = &[
    " ",
    " ",
    " ",
    "\n",
    "(",
    ")",
    "|",
    ":",
    "=",
    "!=",
    "==",
    "<",
    "<=",
    ">",
    ">=",
    "*",
    "**",
    "\"",
    "'",
    "`",
    "\\",
    ",",
    ".",
    "-",
    "+",
    "/",
    "[0]",
    "and",
    "or",
    "not",
    "by",
    "as",
    "a",
    "eventName",
    "userIdentity.arn",
    "x-y",
    "1",
    "42",
    "-1.5",
    "true",
    "\"q w\"",
    "'s q'",
    "`b t`",
    "@q.count",
    "é",
    "東",
    "stats",
    "count()",
    "sum(x)",
    "groupbycount",
    "head",
    "where",
    "eval",
    "rename",
    "table",
    "sort",
    "top",
    "timechart",
    "span=1h",
    "lower(",
    "if(",
    "#",
    "!",
    "{",
];

/// xorshift64*: a small deterministic generator, enough for token soup.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn soup(rng: &mut Rng) -> String {
    let max = if rng.below(10) == 0 { 4000 } else { 200 };
    let len = 1 + rng.below(max);
    let mut out = String::new();
    for _ in 0..len {
        out.push_str(TOKENS[rng.below(TOKENS.len())]);
    }
    out
}

/// Median wall time of parsing `input` a few times.
fn time_parse(input: &str) -> Duration {
    let mut times: Vec<Duration> = (0..7)
        .map(|_| {
            let start = Instant::now();
            let _ = std::hint::black_box(parse_query(std::hint::black_box(input)));
            start.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

fn adversarial(n: usize) -> Vec<(&'static str, String)> {
    vec![
        ("((((… unclosed", "(".repeat(n)),
        (
            "(((a))) at depth limit",
            format!("{}a{}", "(".repeat(99), ")".repeat(99)).repeat(n / 200 + 1),
        ),
        ("a a a a …", "a ".repeat(n)),
        ("a or a or …", "a or ".repeat(n) + "a"),
        ("\"\"\"\"\"", "\"".repeat(n)),
        ("''''", "'".repeat(n)),
        ("\\\\\\\\", "\\".repeat(n)),
        ("col:(col:(…", "col:(".repeat(n)),
        ("col=(v v v …)", format!("col=({})", "v ".repeat(n))),
        ("not not …", "not ".repeat(n) + "a"),
        ("x:y:z:…", "x:".repeat(n)),
        ("long bare word", "a".repeat(n)),
        ("long path", "a.".repeat(n) + "b: c"),
        ("| head 1 …", "| head 1 ".repeat(n)),
        (
            "eval 1 + 1 + …",
            format!("* | eval x = {}1", "1 + ".repeat(n)),
        ),
        (
            "where a > 1 and …",
            format!("* | where {}a > 1", "a > 1 and ".repeat(n)),
        ),
        (
            "stats many aggs",
            format!("* | stats {}count()", "sum(x), ".repeat(n)),
        ),
    ]
}

fn main() {
    let seconds: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0x9E37_79B9_7F4A_7C15, |d| d.as_nanos() as u64)
        | 1;
    let mut rng = Rng(seed);
    panic::set_hook(Box::new(|_| {}));

    let deadline = Instant::now() + Duration::from_secs(seconds);
    let (mut inputs, mut bytes, mut panics, mut round_trip_failures, mut ok) =
        (0u64, 0u64, 0u64, 0u64, 0u64);
    let mut worst_ns_per_byte = 0.0f64;
    let mut worst_len = 0;
    let mut worst_input = String::new();
    let mut slowest = Duration::ZERO;
    while Instant::now() < deadline {
        let input = soup(&mut rng);
        let start = Instant::now();
        let result = panic::catch_unwind(|| parse_query(&input));
        let took = start.elapsed();
        inputs += 1;
        bytes += input.len() as u64;
        slowest = slowest.max(took);
        // Tiny inputs measure fixed overhead, not growth.
        if input.len() >= 256 {
            let per_byte = took.as_nanos() as f64 / input.len() as f64;
            if per_byte > worst_ns_per_byte {
                worst_ns_per_byte = per_byte;
                worst_len = input.len();
                worst_input = input.clone();
            }
        }
        match result {
            Err(_) => {
                panics += 1;
                eprintln!("PANIC on input: {input:?}");
            }
            Ok(Ok(q)) => {
                ok += 1;
                let printed = q.to_string();
                let same = parse_query(&printed)
                    .is_ok_and(|again| again.without_spans() == q.without_spans());
                if !same {
                    round_trip_failures += 1;
                    eprintln!("ROUND TRIP failed: {input:?} -> {printed:?}");
                }
            }
            Ok(Err(_)) => {}
        }
    }
    let _ = panic::take_hook();
    println!("token soup: {seconds} s, seed {seed:#x}");
    println!(
        "  inputs {inputs} ({ok} parsed, {} rejected), {bytes} bytes",
        inputs - ok
    );
    println!("  panics {panics}, round-trip failures {round_trip_failures}");
    println!(
        "  slowest input {slowest:?}; worst {worst_ns_per_byte:.1} ns/byte (input of {worst_len} bytes, inputs >= 256 bytes)"
    );

    // A single slow sample is often the scheduler, not the parser: time it again.
    if !worst_input.is_empty() {
        let again = time_parse(&worst_input);
        println!(
            "  that input re-timed (median of 7): {again:?} = {:.1} ns/byte",
            again.as_nanos() as f64 / worst_input.len() as f64
        );
    }

    println!("\nadversarial shapes (median of 7 runs), n vs 8n:");
    println!(
        "  {:<26} {:>10} {:>12} {:>10} {:>12} {:>7}",
        "shape", "n bytes", "time", "8n bytes", "time", "ratio"
    );
    let small = adversarial(10_000);
    let large = adversarial(80_000);
    for ((name, a), (_, b)) in small.iter().zip(&large) {
        let (ta, tb) = (time_parse(a), time_parse(b));
        let ratio = tb.as_secs_f64() / ta.as_secs_f64().max(1e-9);
        println!(
            "  {name:<26} {:>10} {:>12?} {:>10} {:>12?} {ratio:>7.1}",
            a.len(),
            ta,
            b.len(),
            tb
        );
    }
    if panics > 0 || round_trip_failures > 0 {
        std::process::exit(1);
    }
}
