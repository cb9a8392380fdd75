//! "Did you mean" suggestions by edit distance.

/// Edit distance between `a` and `b` (insertions, deletions, substitutions and
/// swaps of two neighbouring letters), ASCII case-insensitive.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().map(|c| c.to_ascii_lowercase()).collect();
    let b: Vec<char> = b.chars().map(|c| c.to_ascii_lowercase()).collect();
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    for i in 0..=a.len() {
        d[i * width] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(width) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[(i - 1) * width + j] + 1)
                .min(d[i * width + j - 1] + 1)
                .min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = best;
        }
    }
    d[a.len() * width + b.len()]
}

/// Whether the letters of `word` appear in `candidate` in order (`grouby` in
/// `groupbycount`): a word with letters left out.
fn is_subsequence(word: &str, candidate: &str) -> bool {
    let mut rest = candidate.chars();
    word.chars()
        .all(|w| rest.any(|c| c.eq_ignore_ascii_case(&w)))
}

/// The candidate closest to `word`, if it is close enough to be a likely typo:
/// at most a third of the word's length in edits (at most 3), or `word` is a
/// prefix of it (`grou` → `groupbycount`), or `word` is it with letters left out
/// and at least half as long (`grouby` → `groupbycount`).
pub fn did_you_mean<'c>(word: &str, candidates: &[&'c str]) -> Option<&'c str> {
    if word.is_empty() || word.len() > 64 {
        return None;
    }
    let limit = (word.chars().count() / 3).clamp(1, 3);
    let best = candidates
        .iter()
        .map(|c| (distance(word, c), *c))
        .min_by_key(|(d, _)| *d)?;
    if best.0 <= limit {
        return Some(best.1);
    }
    let lower = word.to_ascii_lowercase();
    if let Some(c) = candidates
        .iter()
        .find(|c| lower.len() >= 3 && c.starts_with(&lower))
    {
        return Some(c);
    }
    candidates
        .iter()
        .copied()
        .filter(|c| lower.len() >= 4 && lower.len() * 2 >= c.len() && is_subsequence(&lower, c))
        .min_by_key(|c| c.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        let stages = ["groupbycount", "stats", "head", "table"];
        let cases = [
            ("grouby", Some("groupbycount")),
            ("grby", None),
            ("groupbycout", Some("groupbycount")),
            ("stat", Some("stats")),
            ("stast", Some("stats")),
            ("STATS", Some("stats")),
            ("hed", Some("head")),
            ("zzzzzz", None),
            ("", None),
        ];
        for (word, want) in cases {
            assert_eq!(did_you_mean(word, &stages), want, "{word}");
        }
    }
}
