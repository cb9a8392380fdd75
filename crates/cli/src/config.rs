//! The optional config file: `$TRAILHUNT_CONFIG`, else `~/.config/trailhunt/config.toml`
//! (`$XDG_CONFIG_HOME/trailhunt/config.toml`). It gives defaults only: a flag beats an
//! environment variable, which beats the file.
//!
//! ```toml
//! format = "csv"             # query, library run and columns (default: table on a terminal)
//! cache = "/var/cache/trailhunt"   # as --cache / TRAILHUNT_CACHE
//! rules = ["rules/", "~/my-rules"] # detect and hunt, as --rules (each folder)
//! color = "never"            # as --color (NO_COLOR still wins over the file)
//! ```

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::ValueEnum;
use serde::Deserialize;
use toml::Spanned;

use crate::query_cmd::OutFormat;
use crate::util::ColorWhen;

/// What the file says (every key optional).
#[derive(Debug, Default, Clone)]
pub struct Config {
    /// The file read, when there was one.
    pub file: Option<PathBuf>,
    pub format: Option<OutFormat>,
    pub cache: Option<PathBuf>,
    pub rules: Vec<PathBuf>,
    pub color: Option<ColorWhen>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    format: Option<Spanned<String>>,
    cache: Option<PathBuf>,
    rules: Option<Vec<PathBuf>>,
    color: Option<Spanned<String>>,
}

static CONFIG: std::sync::OnceLock<Config> = std::sync::OnceLock::new();

/// The config read by [`load`] (empty before, or without a file).
pub fn get() -> &'static Config {
    CONFIG.get_or_init(Config::default)
}

/// Where the file is looked for: `TRAILHUNT_CONFIG` (which must exist), else the
/// user's config folder (which need not).
fn location() -> Option<(PathBuf, bool)> {
    if let Some(p) = std::env::var_os("TRAILHUNT_CONFIG").filter(|p| !p.is_empty()) {
        return Some((PathBuf::from(p), true));
    }
    dirs::config_dir().map(|d| (d.join("trailhunt").join("config.toml"), false))
}

/// Read the config file once for the process.
pub fn load() -> Result<&'static Config> {
    let config = match location() {
        Some((path, required)) => match std::fs::read_to_string(&path) {
            Ok(text) => parse(&text, &path)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => Config::default(),
            Err(e) => {
                return Err(e).with_context(|| {
                    format!(
                        "cannot read the config file {} (TRAILHUNT_CONFIG)",
                        path.display()
                    )
                });
            }
        },
        None => Config::default(),
    };
    Ok(CONFIG.get_or_init(|| config))
}

/// `line L, column C` of byte offset `at` in `text`.
fn place(text: &str, at: usize) -> String {
    let before = &text[..at.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    format!("line {line}, column {col}")
}

/// Parse `text`, the file at `path`: errors name the file and the line.
pub fn parse(text: &str, path: &Path) -> Result<Config> {
    let raw: Raw = toml::from_str(text).map_err(|e| {
        let at = e
            .span()
            .map_or_else(String::new, |s| format!(" {}", place(text, s.start)));
        anyhow::anyhow!(
            "config file {}{at}: {}; fix it, or set TRAILHUNT_CONFIG=/dev/null to run without it",
            path.display(),
            e.message().trim_end()
        )
    })?;
    fn choice<T: ValueEnum>(
        text: &str,
        path: &Path,
        key: &str,
        v: Option<Spanned<String>>,
    ) -> Result<Option<T>> {
        let Some(v) = v else { return Ok(None) };
        match T::from_str(v.get_ref(), true) {
            Ok(t) => Ok(Some(t)),
            Err(_) => {
                let names: Vec<String> = T::value_variants()
                    .iter()
                    .filter_map(|t| t.to_possible_value())
                    .map(|p| p.get_name().to_string())
                    .collect();
                bail!(
                    "config file {} {}: `{key} = \"{}\"` is not one of {}",
                    path.display(),
                    place(text, v.span().start),
                    v.get_ref(),
                    names.join(", ")
                )
            }
        }
    }
    Ok(Config {
        file: Some(path.to_path_buf()),
        format: choice(text, path, "format", raw.format)?,
        cache: raw.cache.map(|p| expand_home(&p)),
        rules: raw
            .rules
            .unwrap_or_default()
            .iter()
            .map(|p| expand_home(p))
            .collect(),
        color: choice(text, path, "color", raw.color)?,
    })
}

/// `~/x` is the home folder's `x` (a shell would have expanded it on a command line).
fn expand_home(p: &Path) -> PathBuf {
    match p.strip_prefix("~") {
        Ok(rest) => dirs::home_dir().map_or_else(|| p.to_path_buf(), |h| h.join(rest)),
        Err(_) => p.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_and_the_errors_name_the_line() {
        let p = Path::new("/etc/th.toml");
        let c = parse(
            "# defaults\nformat = \"CSV\"\ncache = \"/tmp/c\"\nrules = [\"a\", \"b\"]\ncolor = \"never\"\n",
            p,
        )
        .unwrap();
        assert_eq!(c.format, Some(OutFormat::Csv));
        assert_eq!(c.cache, Some(PathBuf::from("/tmp/c")));
        assert_eq!(c.rules, [PathBuf::from("a"), PathBuf::from("b")]);
        assert_eq!(c.color, Some(ColorWhen::Never));
        assert!(parse("", p).unwrap().format.is_none());

        let e = parse("cache = \"/x\"\nformat = \"xml\"\n", p).unwrap_err();
        assert_eq!(
            e.to_string(),
            "config file /etc/th.toml line 2, column 10: `format = \"xml\"` is not one of table, json, ndjson, csv, tsv"
        );
        let e = parse("format = \"csv\"\ncolour = \"never\"\n", p).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("config file /etc/th.toml line 2, column 1: unknown field `colour`"),
            "{e}"
        );
        let e = parse("format = csv\n", p).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("config file /etc/th.toml line 1, column 10: "),
            "{e}"
        );
    }
}
