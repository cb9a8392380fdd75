//! Converts every shared SigmaHQ CloudTrail rule: each must convert to a query
//! that parses, or be refused naming the construct.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use trailhunt_rules::sigma::convert;

fn sigma_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/sigma-aws"
    ))
}

fn yml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap().flatten() {
        let p = entry.path();
        if p.is_dir() {
            yml_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "yml" || e == "yaml") {
            out.push(p);
        }
    }
}

#[test]
fn every_shared_sigma_rule_converts_or_is_refused_by_name() {
    let dir = sigma_dir();
    if !dir.is_dir() {
        println!("note: {} is absent; skipping", dir.display());
        return;
    }
    let mut files = Vec::new();
    yml_files(&dir, &mut files);
    files.sort();
    assert!(!files.is_empty());
    let mut converted = 0;
    let mut refused: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for file in &files {
        let text = fs::read_to_string(file).unwrap();
        let name = file.strip_prefix(&dir).unwrap().display().to_string();
        match convert(&text) {
            Ok(c) => {
                trailhunt_lang::parse_query(&c.query_text)
                    .unwrap_or_else(|e| panic!("{name}: {} does not parse: {e}", c.query_text));
                assert!(!c.title.is_empty(), "{name}: no title");
                assert!(c.author.is_some(), "{name}: author lost");
                println!("converted {name}: {}", c.query_text);
                converted += 1;
            }
            Err(e) => {
                assert!(
                    !e.construct.is_empty() && e.construct != "internal",
                    "{name}: {e}"
                );
                println!("refused {name}: {e}");
                refused.entry(e.construct).or_default().push(name);
            }
        }
    }
    let total_refused: usize = refused.values().map(Vec::len).sum();
    println!(
        "sigma: {} files, {converted} converted, {total_refused} refused",
        files.len()
    );
    for (construct, names) in &refused {
        println!(
            "  refused for `{construct}`: {} ({})",
            names.len(),
            names.join(", ")
        );
    }
    assert_eq!(converted + total_refused, files.len());
}
