//! Small helpers shared by the subcommands.

/// True when `e` (or its cause) is a closed pipe: `trailhunt … | head` ends quietly.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Rust ignores SIGPIPE; we report broken pipes as errors and end quietly instead.
pub fn reset_sigpipe() {}

/// Parse a duration like `30m`, `2h`, `45s`, `1d`, `90` (seconds) into nanoseconds.
pub fn parse_duration(s: &str) -> Result<i64, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: i64 = n
        .parse()
        .map_err(|_| format!("`{s}` is not a duration; write it like 30m, 2h, 45s or 1d"))?;
    let mult: i64 = match unit.trim() {
        "" | "s" | "sec" | "secs" => 1,
        "m" | "min" | "mins" => 60,
        "h" | "hr" | "hrs" => 3600,
        "d" | "day" | "days" => 86_400,
        "w" => 7 * 86_400,
        other => {
            return Err(format!(
                "unknown unit `{other}` in `{s}`; use s, m, h, d or w"
            ));
        }
    };
    n.checked_mul(mult)
        .and_then(|v| v.checked_mul(1_000_000_000))
        .ok_or_else(|| format!("`{s}` is too long a duration"))
}

/// Parse a size like `4GiB`, `500MiB`, `64k`, `1000` (bytes) into bytes. Units are powers
/// of 1024 however they are spelled (`G`, `GB` and `GiB` are all 2^30).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (n, unit) = t.split_at(split);
    let n: u64 = n
        .parse()
        .map_err(|_| format!("`{s}` is not a size; write it like 4GiB, 500MiB or 100000"))?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        other => {
            return Err(format!(
                "unknown unit `{other}` in `{s}`; use KiB, MiB, GiB or TiB"
            ));
        }
    };
    let v = n
        .checked_mul(1u64 << shift)
        .ok_or_else(|| format!("`{s}` is too large a size"))?;
    if v == 0 {
        return Err("the size must be more than 0 bytes".into());
    }
    Ok(v)
}
