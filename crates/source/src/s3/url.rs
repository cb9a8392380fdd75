//! `s3://bucket/prefix` inputs, with `*`, `?` and `**` over keys.

use std::fmt;

use object_store::path::Path;
use regex::Regex;

use super::error::S3Error;

/// An S3 input: a bucket and a key prefix or key pattern.
///
/// Without wildcards the text after the bucket names a "folder" or one object: the
/// object of that key, and every object whose key continues it after a `/`
/// (`s3://b/AWSLogs` reads `AWSLogs/…`, not `AWSLogsOld/…`). With wildcards, `*` matches
/// within one key segment, `?` one character of a segment, and `**` any number of
/// segments; a pattern that matches a folder takes everything under it, as a plain
/// prefix does.
#[derive(Debug, Clone)]
pub struct S3Url {
    bucket: String,
    key: String,
    /// Up to the last `/` before the first wildcard (all of `key` without one).
    literal: String,
    matcher: Regex,
    /// One matcher per pattern segment, `None` for a `**` segment.
    segments: Vec<Option<Regex>>,
}

impl S3Url {
    /// Parses `s3://bucket`, `s3://bucket/prefix/` or `s3://bucket/AWSLogs/*/CloudTrail/**`.
    pub fn parse(input: &str) -> Result<S3Url, S3Error> {
        let bad = |reason: &str| S3Error::InvalidUrl {
            input: input.to_string(),
            reason: reason.to_string(),
        };
        let rest = input
            .get(..5)
            .filter(|s| s.eq_ignore_ascii_case("s3://"))
            .map(|_| &input[5..])
            .ok_or_else(|| bad("it does not start with s3://"))?;
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(bad("the bucket name is empty; write s3://BUCKET/PREFIX"));
        }
        if bucket.len() > 255
            || !bucket
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        {
            return Err(bad(
                "the bucket name may hold only letters, digits, '.', '-' and '_' (wildcards are allowed in the key only)",
            ));
        }
        if key.contains("//") || key.starts_with('/') {
            return Err(bad("the key has an empty segment (`//`)"));
        }
        if key.chars().any(|c| c.is_ascii_control()) {
            return Err(bad("the key holds a control character"));
        }
        let wild = key.find(['*', '?']);
        let literal = match wild {
            None => key.to_string(),
            Some(i) => key[..i].rfind('/').map_or("", |j| &key[..j]).to_string(),
        };
        if literal.split('/').any(|s| s == "." || s == "..") {
            return Err(bad(
                "the key has a `.` or `..` segment, which S3 paths cannot hold",
            ));
        }
        let (matcher, segments) = compile(key).map_err(|e| bad(&e))?;
        Ok(S3Url {
            bucket: bucket.to_string(),
            key: key.to_string(),
            literal: literal.trim_end_matches('/').to_string(),
            matcher,
            segments,
        })
    }

    /// The bucket name.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The text after `s3://bucket/`, as given.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Whether the key holds wildcards.
    pub fn is_glob(&self) -> bool {
        self.key.contains(['*', '?'])
    }

    /// The longest folder prefix without wildcards (the whole key without them), without
    /// a trailing `/`: where listing starts.
    pub fn literal_prefix(&self) -> &str {
        &self.literal
    }

    /// `s3://bucket`, the URL to register the bucket's store under
    /// (`SessionContext::register_object_store`).
    pub fn bucket_url(&self) -> url::Url {
        // The bucket was checked to hold only URL-safe characters.
        url::Url::parse(&format!("s3://{}", self.bucket))
            .unwrap_or_else(|_| url::Url::parse("s3://invalid").expect("a valid literal URL"))
    }

    /// Whether the object `key` is selected.
    pub fn matches(&self, key: &str) -> bool {
        self.matcher.is_match(key)
    }

    /// Whether something under the folder `dir` (no trailing `/`) can be selected.
    pub fn may_contain(&self, dir: &str) -> bool {
        if self.segments.is_empty() {
            return true;
        }
        let mut pattern = self.segments.iter();
        for part in dir.split('/') {
            match pattern.next() {
                // Past the pattern: everything under a match is selected.
                None => return true,
                Some(None) => return true,
                Some(Some(re)) if !re.is_match(part) => return false,
                Some(Some(_)) => {}
            }
        }
        true
    }

    pub(crate) fn literal_path(&self) -> Option<Path> {
        (!self.literal.is_empty()).then(|| Path::from(self.literal.as_str()))
    }
}

impl fmt::Display for S3Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.key)
    }
}

/// The whole-key matcher and the per-segment matchers of a key pattern.
fn compile(key: &str) -> Result<(Regex, Vec<Option<Regex>>), String> {
    let trimmed = key.trim_end_matches('/');
    let mut re = String::from("^");
    re.push_str(&glob_regex(trimmed));
    if trimmed.is_empty() {
        re.push_str(".*$");
    } else {
        // The key itself, or anything under it.
        re.push_str("(?:/.*)?$");
    }
    let whole = Regex::new(&re).map_err(|e| e.to_string())?;
    let mut segments = Vec::new();
    if !trimmed.is_empty() {
        for part in trimmed.split('/') {
            if part.contains("**") {
                segments.push(None);
                // Nothing after a `**` can prune a folder.
                break;
            }
            let re = Regex::new(&format!("^{}$", glob_regex(part))).map_err(|e| e.to_string())?;
            segments.push(Some(re));
        }
    }
    Ok((whole, segments))
}

fn glob_regex(pattern: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '*' if chars.get(i + 1) == Some(&'*') => {
                if chars.get(i + 2) == Some(&'/') {
                    // `**/`: zero or more whole segments.
                    out.push_str("(?:.*/)?");
                    i += 3;
                } else {
                    out.push_str(".*");
                    i += 2;
                }
                continue;
            }
            '*' => out.push_str("[^/]*"),
            '?' => out.push_str("[^/]"),
            c => out.push_str(&regex::escape(&c.to_string())),
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> S3Url {
        S3Url::parse(s).unwrap()
    }

    #[test]
    fn plain_prefixes_are_folders_or_objects() {
        let u = url("s3://b/AWSLogs");
        assert!(u.matches("AWSLogs/1/x.json.gz"));
        assert!(u.matches("AWSLogs"));
        assert!(!u.matches("AWSLogsOld/x"));
        assert_eq!(u.literal_prefix(), "AWSLogs");
        let root = url("s3://b");
        assert!(root.matches("anything/at/all"));
        assert_eq!(root.literal_prefix(), "");
        assert_eq!(url("s3://b/a/b/").literal_prefix(), "a/b");
    }

    #[test]
    fn wildcards() {
        let u = url("s3://b/AWSLogs/*/CloudTrail/us-east-?/**/*.json.gz");
        assert_eq!(u.literal_prefix(), "AWSLogs");
        assert!(u.matches("AWSLogs/111/CloudTrail/us-east-1/2024/03/01/f.json.gz"));
        assert!(!u.matches("AWSLogs/111/CloudTrail/us-west-1/2024/03/01/f.json.gz"));
        assert!(!u.matches("AWSLogs/111/x/CloudTrail/us-east-1/f.json.gz"));
        assert!(u.matches("AWSLogs/111/CloudTrail/us-east-2/f.json.gz"));
        assert!(u.may_contain("AWSLogs/111/CloudTrail"));
        assert!(!u.may_contain("AWSLogs/111/CloudTrail-Digest"));
        assert!(u.may_contain("AWSLogs/111/CloudTrail/us-east-1/2024"));
        assert!(!u.may_contain("AWSLogs/111/CloudTrail/eu-west-1"));
    }

    #[test]
    fn rejects_what_s3_cannot_hold() {
        for bad in [
            "http://b/x",
            "s3://",
            "s3:///x",
            "s3://b//x",
            "s3://b*/x",
            "s3://b/a/../c",
        ] {
            assert!(S3Url::parse(bad).is_err(), "{bad}");
        }
    }
}
