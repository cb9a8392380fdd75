//! The event-order key: one binary value per event whose byte order is the order every
//! stage falls back on — event time (a missing one last), `eventID` (a missing one first),
//! the source file's name, the record's place in that file — so a sort by it alone needs
//! no global numbering and works on a stream.

use datafusion::arrow::array::{Array, AsArray, BinaryBuilder, StringArray};
use datafusion::arrow::datatypes::TimestampNanosecondType;

/// The hidden column holding the key (planner-internal).
pub const ORDER: &str = "__order";

/// Append the key of one event.
fn push(buf: &mut Vec<u8>, ts: Option<i64>, event_id: Option<&str>, rank: u32, pos: u32) {
    // Time: big-endian with the sign bit flipped sorts as the signed value; no time
    // sorts after every time.
    match ts {
        Some(t) => {
            buf.push(0);
            buf.extend_from_slice(&((t as u64) ^ (1 << 63)).to_be_bytes());
        }
        None => buf.push(1),
    }
    // eventID: a missing one first; bytes with 0 escaped as 0,1 and ended by 0,0, so a
    // prefix sorts before its extensions exactly as strings do.
    match event_id {
        None => buf.push(0),
        Some(id) => {
            buf.push(1);
            for &b in id.as_bytes() {
                buf.push(b);
                if b == 0 {
                    buf.push(1);
                }
            }
            buf.extend_from_slice(&[0, 0]);
        }
    }
    buf.extend_from_slice(&rank.to_be_bytes());
    buf.extend_from_slice(&pos.to_be_bytes());
}

/// The keys of `n` rows, given their times, event ids, and for each row the source rank
/// and place in its file.
pub fn keys(
    ts: &datafusion::arrow::array::ArrayRef,
    event_id: &StringArray,
    place: impl Fn(usize) -> (u32, u32),
) -> datafusion::arrow::array::BinaryArray {
    let ts = ts.as_primitive::<TimestampNanosecondType>();
    let n = ts.len();
    let mut b = BinaryBuilder::with_capacity(n, n * 56);
    let mut buf = Vec::with_capacity(64);
    for r in 0..n {
        buf.clear();
        let t = ts.is_valid(r).then(|| ts.value(r));
        let e = event_id.is_valid(r).then(|| event_id.value(r));
        let (rank, pos) = place(r);
        push(&mut buf, t, e, rank, pos);
        b.append_value(&buf);
    }
    b.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(ts: Option<i64>, e: Option<&str>, rank: u32, pos: u32) -> Vec<u8> {
        let mut v = Vec::new();
        push(&mut v, ts, e, rank, pos);
        v
    }

    #[test]
    fn byte_order_is_event_order() {
        // Each list is in event order; every pair must compare the same way as bytes.
        let events = [
            key(Some(i64::MIN), None, 9, 9),
            key(Some(-5), Some("z"), 0, 0),
            key(Some(0), None, 5, 5),
            key(Some(0), Some(""), 0, 0),
            key(Some(0), Some("a"), 3, 1),
            key(Some(0), Some("a"), 3, 2),
            key(Some(0), Some("a"), 4, 0),
            key(Some(0), Some("a\u{0}"), 0, 0),
            key(Some(0), Some("a\u{0}b"), 0, 0),
            key(Some(0), Some("ab"), 0, 0),
            key(Some(0), Some("b"), 0, 0),
            key(Some(7), None, 0, 0),
            key(Some(i64::MAX), Some("a"), 0, 0),
            key(None, None, 0, 0),
            key(None, Some("a"), 0, 0),
            key(None, Some("a"), 1, 0),
        ];
        for i in 0..events.len() {
            for j in i + 1..events.len() {
                assert!(events[i] < events[j], "{i} < {j}");
            }
        }
    }
}
