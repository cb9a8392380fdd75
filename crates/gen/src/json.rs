//! A minimal streaming JSON writer: keys in the order written, strings always escaped.

use std::fmt::Write as _;

use crate::timefmt;

/// Appends JSON tokens to a byte buffer, inserting commas automatically.
#[derive(Default)]
pub(crate) struct W {
    /// The output.
    pub b: Vec<u8>,
    comma: bool,
    tmp: String,
    /// Optional TLS host header chosen by an event body (S3 virtual-host style).
    pub host: String,
    /// `resources` entries chosen by an event body: `(ARN, type, accountId)`.
    pub res: Vec<(String, &'static str, String)>,
}

impl W {
    fn sep(&mut self) {
        if self.comma {
            self.b.push(b',');
        }
    }

    /// Starts a value-less container position (after writing raw separators by hand).
    pub(crate) fn reset_comma(&mut self) {
        self.comma = false;
    }

    /// `{`
    pub(crate) fn obj(&mut self) {
        self.sep();
        self.b.push(b'{');
        self.comma = false;
    }

    /// `}`
    pub(crate) fn end(&mut self) {
        self.b.push(b'}');
        self.comma = true;
    }

    /// `[`
    pub(crate) fn arr(&mut self) {
        self.sep();
        self.b.push(b'[');
        self.comma = false;
    }

    /// `]`
    pub(crate) fn end_arr(&mut self) {
        self.b.push(b']');
        self.comma = true;
    }

    /// `"k":`
    pub(crate) fn key(&mut self, k: &str) {
        self.sep();
        self.esc(k);
        self.b.push(b':');
        self.comma = false;
    }

    /// A string value.
    pub(crate) fn s(&mut self, v: &str) {
        self.sep();
        self.esc(v);
        self.comma = true;
    }

    /// An unsigned integer value.
    pub(crate) fn u(&mut self, v: u64) {
        self.sep();
        let mut buf = [0u8; 20];
        let mut i = buf.len();
        let mut x = v;
        loop {
            i -= 1;
            buf[i] = b'0' + (x % 10) as u8;
            x /= 10;
            if x == 0 {
                break;
            }
        }
        self.b.extend_from_slice(&buf[i..]);
        self.comma = true;
    }

    /// An integer written as a float (`1024.0`), as some producers do.
    pub(crate) fn f(&mut self, v: u64) {
        self.u(v);
        self.b.extend_from_slice(b".0");
    }

    /// A pre-formatted JSON value (numbers such as `0.0021`).
    pub(crate) fn raw(&mut self, v: &str) {
        self.sep();
        self.b.extend_from_slice(v.as_bytes());
        self.comma = true;
    }

    /// A boolean value.
    pub(crate) fn bool(&mut self, v: bool) {
        self.sep();
        self.b.extend_from_slice(if v { b"true" } else { b"false" });
        self.comma = true;
    }

    /// `null`
    pub(crate) fn null(&mut self) {
        self.sep();
        self.b.extend_from_slice(b"null");
        self.comma = true;
    }

    /// `"k":"v"`
    pub(crate) fn ks(&mut self, k: &str, v: &str) {
        self.key(k);
        self.s(v);
    }

    /// `"k":<formatted string>`
    pub(crate) fn kf(&mut self, k: &str, args: std::fmt::Arguments<'_>) {
        self.key(k);
        self.sf(args);
    }

    /// A formatted string value (escaped).
    pub(crate) fn sf(&mut self, args: std::fmt::Arguments<'_>) {
        let mut tmp = std::mem::take(&mut self.tmp);
        tmp.clear();
        let _ = tmp.write_fmt(args);
        self.s(&tmp);
        self.tmp = tmp;
    }

    /// `"k":123`
    pub(crate) fn ku(&mut self, k: &str, v: u64) {
        self.key(k);
        self.u(v);
    }

    /// `"k":true`
    pub(crate) fn kb(&mut self, k: &str, v: bool) {
        self.key(k);
        self.bool(v);
    }

    /// `"k":null`
    pub(crate) fn knull(&mut self, k: &str) {
        self.key(k);
        self.null();
    }

    /// `"k":{`
    pub(crate) fn kobj(&mut self, k: &str) {
        self.key(k);
        self.obj();
    }

    /// `"k":[`
    pub(crate) fn karr(&mut self, k: &str) {
        self.key(k);
        self.arr();
    }

    /// `"k":{}`
    pub(crate) fn kempty(&mut self, k: &str) {
        self.kobj(k);
        self.end();
    }

    /// `"k":"YYYY-MM-DDTHH:MM:SSZ"`
    pub(crate) fn kts(&mut self, k: &str, t: i64) {
        self.key(k);
        self.sep();
        let mut buf = [0u8; 20];
        timefmt::iso_bytes(t, &mut buf);
        self.b.push(b'"');
        self.b.extend_from_slice(&buf);
        self.b.push(b'"');
        self.comma = true;
    }

    fn esc(&mut self, s: &str) {
        self.b.push(b'"');
        let bytes = s.as_bytes();
        if !bytes.iter().any(|&c| c < 0x20 || c == b'"' || c == b'\\') {
            self.b.extend_from_slice(bytes);
        } else {
            for &c in bytes {
                match c {
                    b'"' => self.b.extend_from_slice(b"\\\""),
                    b'\\' => self.b.extend_from_slice(b"\\\\"),
                    b'\n' => self.b.extend_from_slice(b"\\n"),
                    b'\r' => self.b.extend_from_slice(b"\\r"),
                    b'\t' => self.b.extend_from_slice(b"\\t"),
                    c if c < 0x20 => {
                        const H: &[u8; 16] = b"0123456789abcdef";
                        self.b.extend_from_slice(b"\\u00");
                        self.b.push(H[(c >> 4) as usize]);
                        self.b.push(H[(c & 15) as usize]);
                    }
                    c => self.b.push(c),
                }
            }
        }
        self.b.push(b'"');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_escaped_objects() {
        let mut w = W::default();
        w.obj();
        w.ks("a", "x\"y\\z\n\u{1}");
        w.karr("b");
        w.u(1);
        w.f(2);
        w.null();
        w.end_arr();
        w.kobj("c");
        w.kb("d", false);
        w.end();
        w.end();
        assert_eq!(
            String::from_utf8(w.b).unwrap(),
            r#"{"a":"x\"y\\z\n\u0001","b":[1,2.0,null],"c":{"d":false}}"#
        );
    }
}
