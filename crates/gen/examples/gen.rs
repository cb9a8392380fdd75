//! Standalone generator: `gen --events N --out DIR [--seed S] [--hours H] [--threads T]`.

use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let mut opts = trailhunt_gen::GenerateOptions::default();
    let mut out = PathBuf::from("gen-out");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let v = args.next().unwrap_or_else(|| panic!("{a} needs a value"));
        match a.as_str() {
            "--events" => opts.events = v.parse().expect("--events N"),
            "--seed" => opts.seed = v.parse().expect("--seed S"),
            "--hours" => opts.hours = v.parse().expect("--hours H"),
            "--threads" => opts.threads = v.parse().expect("--threads T"),
            "--out" => out = PathBuf::from(v),
            other => panic!("unknown argument {other}"),
        }
    }
    let t = Instant::now();
    let s = trailhunt_gen::generate(&opts, &out).expect("generate");
    let secs = t.elapsed().as_secs_f64();
    println!(
        "{} events in {} files ({} digests): {:.1} MB JSON, {:.1} MB gz in {:.2} s ({:.0} events/s, {:.0} MB/s JSON)",
        s.events,
        s.files,
        s.digest_files,
        s.bytes_json as f64 / 1e6,
        s.bytes_gz as f64 / 1e6,
        secs,
        s.events as f64 / secs,
        s.bytes_json as f64 / 1e6 / secs
    );
}
