//! Bytes in: gzip detection and decompression, and CloudWatch Logs subscription payloads.

use std::io::Read;

use base64::Engine as _;
use flate2::bufread::MultiGzDecoder;

use crate::envelope::{Ctx, Parsed, describe};

/// True when `bytes` start with the gzip magic number.
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

/// Decompress a gzip stream, keeping whatever came out before any error.
///
/// Returns the output and, when the stream was damaged, a description of where. The
/// output is not bounded: for input that may be hostile, use [`gunzip_limited`].
pub fn gunzip(compressed: &[u8], out: &mut Vec<u8>) -> Option<String> {
    match gunzip_limited(compressed, out, u64::MAX) {
        Inflated::Complete => None,
        Inflated::Damaged(w) => Some(w),
        Inflated::TooLarge => None,
    }
}

/// What [`gunzip_limited`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inflated {
    /// The whole stream, within the limit.
    Complete,
    /// The stream broke off; the output holds what came before (the text says where).
    Damaged(String),
    /// The stream inflates to more than the limit: inflating stopped there (a gzip bomb,
    /// or a file bigger than the caller allows), and the output is cleared.
    TooLarge,
}

/// Decompress a gzip stream into `out`, but never more than `limit` bytes of output.
pub fn gunzip_limited(compressed: &[u8], out: &mut Vec<u8>, limit: u64) -> Inflated {
    out.clear();
    out.reserve(size_hint(compressed).min(usize::try_from(limit).unwrap_or(usize::MAX)));
    // The bufread decoder reads the slice in place (no intermediate copy of the input), and
    // `read_to_end` inflates straight into `out`'s spare capacity. On an error it keeps
    // every byte inflated before it, which is what a damaged file's report relies on.
    // One byte past the limit tells "exactly the limit" from "more".
    let mut dec = MultiGzDecoder::new(compressed).take(limit.saturating_add(1));
    let r = dec.read_to_end(out);
    if out.len() as u64 > limit {
        out.clear();
        out.shrink_to(0);
        return Inflated::TooLarge;
    }
    match r {
        Ok(_) => Inflated::Complete,
        Err(e) => Inflated::Damaged(format!(
            "gzip stream damaged after {} bytes of output ({e})",
            out.len()
        )),
    }
}

/// Bytes to reserve for the output of `compressed`: the gzip trailer's ISIZE (the last
/// member's length modulo 2^32) when it is plausible, else 8× the input.
fn size_hint(compressed: &[u8]) -> usize {
    let guess = compressed.len().saturating_mul(8);
    let isize = compressed
        .len()
        .checked_sub(4)
        .and_then(|i| compressed.get(i..))
        .and_then(|t| <[u8; 4]>::try_from(t).ok())
        .map(|t| u32::from_le_bytes(t) as usize);
    // Deflate expands by at most ~1032×; anything outside that is not an ISIZE to trust.
    match isize {
        Some(n) if n >= compressed.len() / 2 && n <= compressed.len().saturating_mul(1032) => {
            // One byte more, so the final probe for end of stream needs no reallocation.
            n + 1
        }
        _ => guess,
    }
    .min(1 << 30)
}

/// A CloudWatch Logs subscription payload: `{"data": "<base64 of gzip of JSON>"}`.
pub(crate) fn subscription(raw: &str, ctx: &mut Ctx<'_, '_>, depth: u32, out: &mut Parsed) {
    #[derive(serde::Deserialize)]
    struct AwsLogs {
        data: String,
    }
    let payload: AwsLogs = match serde_json::from_str(raw) {
        Ok(p) => p,
        Err(e) => {
            out.warnings.push(format!(
                "awslogs: expected {{\"data\": \"<base64>\"}} ({}); skipped",
                describe(&e)
            ));
            return;
        }
    };
    let compressed = match base64::engine::general_purpose::STANDARD.decode(payload.data.trim()) {
        Ok(b) => b,
        Err(e) => {
            out.warnings
                .push(format!("awslogs.data: not valid base64 ({e}); skipped"));
            return;
        }
    };
    let mut json = Vec::new();
    let text: &[u8] = if is_gzip(&compressed) {
        match gunzip_limited(&compressed, &mut json, ctx.max_inflated) {
            Inflated::Complete => {}
            Inflated::Damaged(w) => out.warnings.push(format!("awslogs.data: {w}")),
            Inflated::TooLarge => {
                out.warnings.push(format!(
                    "awslogs.data: inflates to more than {} (the --max-file-size cap); skipped (raise the cap with --max-file-size if the data is genuine)",
                    human_bytes(ctx.max_inflated)
                ));
                return;
            }
        }
        &json
    } else {
        &compressed
    };
    crate::envelope::nested(text, ctx, depth, out, "awslogs.data");
}

/// A byte count as people write it: `4 GiB`, `512 MiB`, `1000 bytes`.
pub(crate) fn human_bytes(n: u64) -> String {
    for (unit, name) in [
        (1u64 << 40, "TiB"),
        (1 << 30, "GiB"),
        (1 << 20, "MiB"),
        (1 << 10, "KiB"),
    ] {
        if n >= unit && n.is_multiple_of(unit) {
            return format!("{} {name}", n / unit);
        }
    }
    if n >= 1 << 20 {
        return format!("{:.1} MiB", n as f64 / (1u64 << 20) as f64);
    }
    format!("{n} bytes")
}
