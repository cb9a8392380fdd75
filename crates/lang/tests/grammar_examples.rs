//! Every example query under `grammar/examples/` parses, and its canonical form
//! parses back to the same AST. Examples are separated by blank lines; lines
//! starting with `#` are comments.

use std::fs;
use std::path::Path;

use trailhunt_lang::parse_query;

fn examples() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../grammar/examples");
    let mut files: Vec<_> = fs::read_dir(&dir)
        .expect("grammar/examples exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "thq"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let text = fs::read_to_string(&file).expect("readable example file");
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut block = String::new();
        for line in text.lines().chain(std::iter::once("")) {
            if line.trim().is_empty() {
                if !block.trim().is_empty() {
                    out.push((name.clone(), std::mem::take(&mut block)));
                }
                block.clear();
            } else if !line.starts_with('#') {
                block.push_str(line);
                block.push('\n');
            }
        }
    }
    out
}

#[test]
fn every_grammar_example_parses_and_round_trips() {
    let examples = examples();
    assert!(
        examples.len() >= 40,
        "only {} examples found",
        examples.len()
    );
    let mut failures = Vec::new();
    for (file, query) in &examples {
        match parse_query(query) {
            Ok(q) => {
                let printed = q.to_string();
                match parse_query(&printed) {
                    Ok(again) if again.without_spans() == q.without_spans() => {}
                    _ => failures.push(format!(
                        "{file}: round trip failed: {query}\n  printed: {printed}"
                    )),
                }
            }
            Err(d) => failures.push(format!("{file}:\n{query}\n{}", d.render(query))),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
