//! Bytes in: gzip detection and decompression, and CloudWatch Logs subscription payloads.

use std::io::Read;

use base64::Engine as _;
use flate2::read::MultiGzDecoder;

use crate::envelope::{Ctx, Parsed, describe};

/// True when `bytes` start with the gzip magic number.
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

/// Decompress a gzip stream, keeping whatever came out before any error.
///
/// Returns the output and, when the stream was damaged, a description of where.
pub fn gunzip(compressed: &[u8], out: &mut Vec<u8>) -> Option<String> {
    out.clear();
    out.reserve(compressed.len().saturating_mul(8).min(1 << 30));
    let mut dec = MultiGzDecoder::new(compressed);
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        match dec.read(&mut buf) {
            Ok(0) => return None,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                return Some(format!(
                    "gzip stream damaged after {} bytes of output ({e})",
                    out.len()
                ));
            }
        }
    }
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
        if let Some(w) = gunzip(&compressed, &mut json) {
            out.warnings.push(format!("awslogs.data: {w}"));
        }
        &json
    } else {
        &compressed
    };
    crate::envelope::nested(text, ctx, depth, out, "awslogs.data");
}
