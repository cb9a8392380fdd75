//! Turning command-line inputs (files, directories, globs, `-`) into a list of sources.

use std::fmt;
use std::path::{Path, PathBuf};

/// One input to read.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    /// A file on disk.
    File(PathBuf),
    /// Standard input.
    Stdin,
    /// Bytes already in memory (a rule test's inline dataset, a test fixture).
    Memory {
        /// The name reports use for it.
        name: String,
        /// The content, in any format a file may have.
        bytes: std::sync::Arc<[u8]>,
    },
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::File(p) => write!(f, "{}", p.display()),
            Source::Stdin => f.write_str("<stdin>"),
            Source::Memory { name, .. } => f.write_str(name),
        }
    }
}

/// An input that named nothing readable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// The input as given.
    pub input: String,
    /// What went wrong and what to do.
    pub message: String,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.input, self.message)
    }
}

impl std::error::Error for InputError {}

/// The sources found for a set of inputs.
#[derive(Debug, Default, Clone)]
pub struct Discovered {
    /// Files (and stdin) to read, in a stable order.
    pub sources: Vec<Source>,
    /// Files met in directory walks that are plainly not logs (README, LICENSE, `*.md`…).
    pub ignored: Vec<PathBuf>,
}

/// Names in a directory walk that are plainly not log files.
fn plainly_not_logs(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let stem_is = |s: &str| name == s || name.starts_with(&format!("{s}."));
    if [
        "license",
        "licence",
        "readme",
        "notice",
        "copying",
        "changelog",
    ]
    .iter()
    .any(|s| stem_is(s))
    {
        return true;
    }
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    matches!(
        ext.as_str(),
        "md" | "rst"
            | "yml"
            | "yaml"
            | "toml"
            | "py"
            | "sh"
            | "rs"
            | "csv"
            | "tsv"
            | "html"
            | "htm"
            | "pdf"
            | "png"
            | "jpg"
            | "jpeg"
            | "gif"
            | "svg"
            | "parquet"
            | "zip"
            | "tar"
            | "exe"
    )
}

fn walk(dir: &Path, out: &mut Discovered) -> Result<(), InputError> {
    let err = |e: std::io::Error| InputError {
        input: dir.display().to_string(),
        message: format!("cannot read directory: {e}"),
    };
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(err)?
        .filter_map(Result::ok)
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let path = e.path();
        if e.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_dir() {
            walk(&path, out)?;
        } else if plainly_not_logs(&path) {
            out.ignored.push(path);
        } else {
            // Regular files and symlinks to files are read; format is told by content.
            let is_file = ft.is_file() || std::fs::metadata(&path).is_ok_and(|m| m.is_file());
            if is_file {
                out.sources.push(Source::File(path));
            }
        }
    }
    Ok(())
}

fn add_path(path: &Path, out: &mut Discovered) -> Result<(), InputError> {
    if path.is_dir() {
        walk(path, out)
    } else {
        out.sources.push(Source::File(path.to_path_buf()));
        Ok(())
    }
}

impl Discovered {
    /// One in-memory source.
    pub fn memory(name: &str, bytes: impl Into<std::sync::Arc<[u8]>>) -> Self {
        Discovered {
            sources: vec![Source::Memory {
                name: name.to_string(),
                bytes: bytes.into(),
            }],
            ignored: Vec::new(),
        }
    }
}

/// Expand inputs: `-` is stdin, directories are walked recursively (hidden entries and
/// plainly non-log files skipped), and a path that does not exist but holds `*?[` is a glob.
pub fn discover<S: AsRef<str>>(inputs: &[S]) -> Result<Discovered, InputError> {
    let mut out = Discovered::default();
    for input in inputs {
        let input = input.as_ref();
        if input == "-" {
            out.sources.push(Source::Stdin);
            continue;
        }
        if input.starts_with("s3://") {
            return Err(InputError {
                input: input.to_string(),
                message: "this command reads local files only: `trailhunt query` and `explain` read s3:// directly; for the others copy the prefix first (`aws s3 sync s3://… ./logs`) and point trailhunt at the folder".into(),
            });
        }
        let path = Path::new(input);
        if path.exists() {
            add_path(path, &mut out)?;
            continue;
        }
        if input.contains(['*', '?', '[']) {
            let paths = glob::glob(input).map_err(|e| InputError {
                input: input.to_string(),
                message: format!("bad glob pattern: {e}"),
            })?;
            let mut n = 0;
            for p in paths.flatten() {
                add_path(&p, &mut out)?;
                n += 1;
            }
            if n == 0 {
                return Err(InputError {
                    input: input.to_string(),
                    message: "no files match this pattern".into(),
                });
            }
            continue;
        }
        return Err(InputError {
            input: input.to_string(),
            message: "no such file or directory".into(),
        });
    }
    // The same file named twice (a folder and a file in it) is read once.
    let mut seen = std::collections::HashSet::new();
    out.sources.retain(|s| seen.insert(s.clone()));
    Ok(out)
}
