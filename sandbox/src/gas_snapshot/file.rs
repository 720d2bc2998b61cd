//! The two file formats of a [`GasSnapshot`](super::GasSnapshot), chosen by the file's name:
//!
//! - lines (any name but `*.md`), like `forge snapshot`: one `<name> <gas>` line per figure,
//!   sorted by name;
//! - markdown (`*.md`), a report for people: an introduction, a `Tolerance: ±2 %` line, then a
//!   `## <section>` per section with a table of `| `name` | case | figure |` rows, in the
//!   order the figures were measured. A figure's name in the file is `<section> <name>`.
//!
//! Only the names and the figures are compared; the cases and the introduction are for
//! readers.

use std::path::Path;

use super::{GasFigure, GasSnapshotError};

/// The title a new markdown snapshot starts with when no introduction is given.
const DEFAULT_INTRO: &str = "# Gas snapshot\n";

/// The markdown line that states the tolerance.
const TOLERANCE_PREFIX: &str = "Tolerance: ±";

/// What a snapshot file holds.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct SnapshotFile {
    /// The markdown introduction (title and text before the tolerance line), if any.
    pub intro: Option<String>,
    /// The figures, in file order.
    pub figures: Vec<GasFigure>,
}

/// Whether `path` is a markdown snapshot.
pub(super) fn is_markdown(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("md"))
}

impl SnapshotFile {
    /// Parses `text`, as markdown if `markdown`, else as lines.
    pub(super) fn parse(text: &str, markdown: bool, path: &Path) -> Result<SnapshotFile, GasSnapshotError> {
        if markdown { parse_markdown(text, path) } else { parse_lines(text, path) }
    }

    /// The file's text.
    pub(super) fn render(&self, markdown: bool, tolerance: f64) -> String {
        if markdown { self.render_markdown(tolerance) } else { self.render_lines() }
    }

    fn render_lines(&self) -> String {
        let mut lines: Vec<(String, u64)> = self.figures.iter().map(|f| (f.key(), f.value)).collect();
        lines.sort();
        lines.iter().map(|(name, gas)| format!("{name} {gas}\n")).collect()
    }

    fn render_markdown(&self, tolerance: f64) -> String {
        let intro = self.intro.as_deref().unwrap_or(DEFAULT_INTRO).trim_end();
        let mut out = format!("{intro}\n\n{TOLERANCE_PREFIX}{tolerance} %\n");
        // Sections in the order they first appear; figures in measuring order within each.
        let mut sections: Vec<&str> = Vec::new();
        for figure in &self.figures {
            if !sections.contains(&figure.section.as_str()) {
                sections.push(&figure.section);
            }
        }
        for section in sections {
            if !section.is_empty() {
                out.push_str(&format!("\n## {section}\n"));
            }
            out.push_str("\n| name | case | figure |\n|---|---|---:|\n");
            for figure in self.figures.iter().filter(|f| f.section == section) {
                out.push_str(&format!("| `{}` | {} | {} |\n", figure.name, figure.case, figure.value));
            }
        }
        out
    }

    /// Sets the figure named `key` to `value`, adding it (to the section its first word names,
    /// in markdown) if absent.
    pub(super) fn set(&mut self, key: &str, value: u64, markdown: bool) {
        match self.figures.iter_mut().find(|f| f.key() == key) {
            Some(figure) => figure.value = value,
            None => {
                let (section, name) = match key.split_once(' ') {
                    Some((section, name)) if markdown => (section, name),
                    _ => ("", key),
                };
                self.figures.push(GasFigure::new(section, name, "", value));
            }
        }
    }
}

fn malformed(path: &Path, line: usize, text: &str) -> GasSnapshotError {
    GasSnapshotError::Malformed { path: path.to_path_buf(), line: line + 1, text: text.to_owned() }
}

fn parse_lines(text: &str, path: &Path) -> Result<SnapshotFile, GasSnapshotError> {
    let mut figures = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let parsed = line.rsplit_once(' ').and_then(|(name, gas)| Some((name.trim(), gas.trim().parse().ok()?)));
        match parsed {
            Some((name, gas)) if !name.is_empty() => figures.push(GasFigure::new("", name, "", gas)),
            _ => return Err(malformed(path, i, line)),
        }
    }
    Ok(SnapshotFile { intro: None, figures })
}

fn parse_markdown(text: &str, path: &Path) -> Result<SnapshotFile, GasSnapshotError> {
    // The introduction is everything before the tolerance line, the first section or row.
    let (mut intro, mut in_intro) = (String::new(), true);
    let mut section = String::new();
    let mut figures = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.starts_with(TOLERANCE_PREFIX) {
            in_intro = false;
        } else if let Some(heading) = line.strip_prefix("## ") {
            in_intro = false;
            section = heading.trim().to_owned();
        } else if line.starts_with("| `") {
            in_intro = false;
            let cells: Vec<&str> = line.trim().trim_matches('|').split('|').map(str::trim).collect();
            let value = cells.last().and_then(|v| v.parse().ok());
            match (cells.as_slice(), value) {
                ([name, case, _], Some(value)) => {
                    figures.push(GasFigure::new(&section, name.trim_matches('`'), case, value));
                }
                ([name, _], Some(value)) => figures.push(GasFigure::new(&section, name.trim_matches('`'), "", value)),
                _ => return Err(malformed(path, i, line)),
            }
        } else if in_intro {
            intro.push_str(line);
            intro.push('\n');
        }
    }
    Ok(SnapshotFile { intro: Some(intro).filter(|i| !i.trim().is_empty()), figures })
}
