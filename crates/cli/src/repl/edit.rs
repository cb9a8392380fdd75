//! `\edit`: the last query in the user's editor, run as saved (psql's `\e`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};

use anyhow::{Context, Result};

use super::Session;

/// The editor to run: `$VISUAL`, else `$EDITOR`, else `vi` (empty values are unset).
pub fn editor() -> String {
    ["VISUAL", "EDITOR"]
        .iter()
        .filter_map(std::env::var_os)
        .map(|v| v.to_string_lossy().trim().to_string())
        .find(|v| !v.is_empty())
        .unwrap_or_else(|| "vi".into())
}

/// A new file only this user can read, named for the query language (`.thq`).
fn temp_file(text: &str) -> Result<PathBuf> {
    let dir = std::env::temp_dir();
    for n in 0..100 {
        let path = dir.join(format!("trailhunt-{}-{n}.thq", std::process::id()));
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        match opts.open(&path) {
            Ok(mut f) => {
                f.write_all(text.as_bytes())
                    .with_context(|| format!("cannot write {}", path.display()))?;
                return Ok(path);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(e).with_context(|| {
                    format!("cannot create a file for the editor in {}", dir.display())
                });
            }
        }
    }
    anyhow::bail!(
        "cannot create a file for the editor in {}: too many exist",
        dir.display()
    )
}

/// Run `editor` on `path` as git and psql do: through the shell, so `code --wait` or
/// `emacs -nw` work as written.
fn run_editor(editor: &str, path: &Path) -> std::io::Result<ExitStatus> {
    #[cfg(unix)]
    {
        Command::new("sh")
            .arg("-c")
            .arg(format!("{editor} \"$@\""))
            .arg(editor)
            .arg(path)
            .status()
    }
    #[cfg(not(unix))]
    {
        let mut words = editor.split_whitespace();
        let program = words.next().unwrap_or("notepad");
        Command::new(program).args(words).arg(path).status()
    }
}

impl Session {
    /// `\edit`: write the last query (the last one typed, even if it failed) to a file,
    /// open the editor on it, and run what is saved.
    pub(super) fn edit(&mut self, out: &mut dyn Write) -> Result<()> {
        let mut text = self.draft.clone().unwrap_or_default();
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        let path = temp_file(&text)?;
        let editor = editor();
        out.flush()?;
        let status = run_editor(&editor, &path);
        let saved = std::fs::read_to_string(&path);
        let _ = std::fs::remove_file(&path);
        let status = status.with_context(|| {
            format!("cannot start the editor `{editor}`: set $VISUAL or $EDITOR to one that runs")
        })?;
        if !status.success() {
            let how = match status.code() {
                Some(127) => "could not be found (status 127): set $VISUAL or $EDITOR to an editor installed here".to_string(),
                Some(c) => format!("exited with status {c}"),
                None => "was stopped by a signal".into(),
            };
            writeln!(out, "the editor `{editor}` {how}: nothing run")?;
            return Ok(());
        }
        let saved = saved.with_context(|| {
            format!(
                "cannot read back {} after the editor: nothing run",
                path.display()
            )
        })?;
        let query = saved.trim_end();
        if query.trim().is_empty() {
            writeln!(out, "the file was saved empty: nothing run")?;
            return Ok(());
        }
        if query.trim_start().starts_with('\\') {
            writeln!(
                out,
                "the file holds a backslash command, and \\edit runs queries: type the command at the prompt"
            )?;
            return Ok(());
        }
        writeln!(out, "{query}")?;
        self.history.push(query.to_string());
        self.run_query(query, out)
    }
}
