//! Gas snapshots, like `forge snapshot`: tests record the gas of named scenarios into a file
//! (meant to be committed), and CI checks that no figure moved beyond a tolerance.
//!
//! - Record mode (the default): [`GasSnapshot::record`] writes one figure into the file,
//!   keeping every other; [`GasSnapshot::record_all`] rewrites the file with exactly the figures
//!   given (a report measured in one go). Run the tests (or the report) and commit the file.
//! - Check mode (`TIDEPOOL_GAS_CHECK=1`, or `true`, `yes`, `on` in any case; or
//!   [`GasSnapshot::with_mode`]): both compare instead,
//!   and fail if a figure moved by more than the tolerance (default 0%: the gas meter is
//!   deterministic, so any change is a real change; `TIDEPOOL_GAS_TOLERANCE=2` allows 2%), or if
//!   a scenario is not in the file; `record_all` also fails for a scenario in the file that was
//!   not measured, and names every change at once. The file is not written.
//!
//! The file is `name gas` lines sorted by name, or, for a name ending in `.md`, a markdown
//! report with sections and the case each figure measures ([`GasFigure`]; see the `file`
//! module): `tidepool gas-report` keeps `contracts/GAS.md` this way.
//!
//! Tests of one binary run in parallel and may share a file: each update holds an exclusive
//! lock on it. A scenario that no test records any more stays in the file until removed by
//! hand (or by `record_all`).
//!
//! ```
//! use tidepool_sandbox::{GasMode, GasSnapshot};
//!
//! let dir = tempfile::tempdir()?;
//! let path = dir.path().join(".gas-snapshot");
//! GasSnapshot::new(&path).with_mode(GasMode::Record).record("token transfer", 48_211)?;
//! assert_eq!(std::fs::read_to_string(&path)?, "token transfer 48211\n");
//!
//! let check = GasSnapshot::new(&path).with_mode(GasMode::Check).with_tolerance(1.0);
//! check.record("token transfer", 48_500)?; // +0.6%: within 1%
//! assert!(check.record("token transfer", 50_000).is_err()); // +3.7%
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod file;

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use file::{SnapshotFile, is_markdown};

/// The environment variable that chooses the mode: `1`, `true`, `yes` or `on` (in any letter
/// case) check; `0`, `false`, `no`, `off` or empty (or unset) record. Any other value is refused
/// ([`GasSnapshot::new`] panics), so a misspelt setting in CI never rewrites the file.
pub const CHECK_ENV: &str = "TIDEPOOL_GAS_CHECK";

/// The environment variable with the check tolerance, in percent (e.g. `2` or `0.5`).
pub const TOLERANCE_ENV: &str = "TIDEPOOL_GAS_TOLERANCE";

/// Whether [`GasSnapshot::record`] writes or checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GasMode {
    /// Write each figure into the file.
    Record,
    /// Compare each figure with the file's; never write.
    Check,
}

/// One measured figure of a report ([`GasSnapshot::record_all`]): its section (e.g. the
/// contract), its name (e.g. the entry point), the typical case it measures, and the figure
/// (gas; or bytes, for a size). Its name in the file is `<section> <name>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GasFigure {
    /// The group it belongs to; a `## heading` in a markdown file. May be empty.
    pub section: String,
    /// What was measured.
    pub name: String,
    /// The typical case measured, for readers of a markdown file (never compared).
    pub case: String,
    /// The figure.
    pub value: u64,
}

impl GasFigure {
    /// A figure.
    pub fn new(section: &str, name: &str, case: &str, value: u64) -> GasFigure {
        GasFigure { section: section.to_owned(), name: name.to_owned(), case: case.to_owned(), value }
    }

    /// Its name in the file: `<section> <name>`, or `<name>` without a section.
    pub fn key(&self) -> String {
        if self.section.is_empty() { self.name.clone() } else { format!("{} {}", self.section, self.name) }
    }
}

/// A figure that moved beyond the tolerance, appeared, or disappeared (check mode of
/// [`GasSnapshot::record_all`]).
#[derive(Clone, Debug, PartialEq)]
pub enum GasChange {
    /// Moved from `recorded` to `measured`.
    Moved {
        /// The scenario.
        name: String,
        /// The figure in the file.
        recorded: u64,
        /// The figure measured now.
        measured: u64,
    },
    /// Measured, but not in the file.
    New {
        /// The scenario.
        name: String,
        /// The figure measured now.
        measured: u64,
    },
    /// In the file, but no longer measured.
    Gone {
        /// The scenario.
        name: String,
    },
}

impl fmt::Display for GasChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GasChange::Moved { name, recorded, measured } => {
                write!(f, "`{name}`: {recorded} → {measured} ({})", Difference(*recorded, *measured))
            }
            GasChange::New { name, measured } => write!(f, "`{name}`: {measured}, not in the file"),
            GasChange::Gone { name } => write!(f, "`{name}`: in the file, no longer measured"),
        }
    }
}

fn percent_change(recorded: u64, measured: u64) -> f64 {
    if recorded == 0 { f64::INFINITY } else { (measured as f64 - recorded as f64) * 100.0 / recorded as f64 }
}

/// How far a figure moved, `recorded` → `measured`: in gas and in percent, e.g. `+1 gas,
/// +0.00092%`. The percentage has two decimals, or two significant digits when smaller, so a
/// change never reads as 0.00%.
struct Difference(u64, u64);

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (recorded, measured) = (self.0, self.1);
        let sign = if measured < recorded { '-' } else { '+' };
        write!(f, "{sign}{} gas, {}", recorded.abs_diff(measured), Percent(percent_change(recorded, measured)))
    }
}

/// A signed percentage: two decimals (`+5.67%`), or two significant digits below 0.01%
/// (`+0.00092%`).
struct Percent(f64);

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let percent = self.0;
        let magnitude = percent.abs();
        let decimals = if !magnitude.is_finite() || magnitude == 0.0 || magnitude >= 0.01 {
            2
        } else {
            // Two significant digits: 0.00092 has its first one at the 4th decimal.
            (-magnitude.log10()).ceil() as usize + 1
        };
        write!(f, "{percent:+.decimals$}%")
    }
}

/// Why recording or checking a figure failed.
#[derive(Debug, thiserror::Error)]
pub enum GasSnapshotError {
    /// The figure moved beyond the tolerance (check mode).
    #[error(
        "gas of `{name}` moved from {recorded} to {measured} ({}), beyond the {tolerance}% tolerance; \
         run the tests without {CHECK_ENV} to record the new figure, and commit the snapshot file",
        Difference(*.recorded, *.measured)
    )]
    Moved {
        /// The scenario.
        name: String,
        /// The figure in the file.
        recorded: u64,
        /// The figure measured now.
        measured: u64,
        /// The change, percent of `recorded`.
        change: f64,
        /// The tolerance, percent.
        tolerance: f64,
    },
    /// The scenario is not in the file (check mode).
    #[error("gas of `{name}` is not recorded in {path}; run the tests without {CHECK_ENV} to record it")]
    Missing {
        /// The scenario.
        name: String,
        /// The snapshot file.
        path: PathBuf,
    },
    /// Figures of a report moved beyond the tolerance, appeared or disappeared (check mode of
    /// [`GasSnapshot::record_all`]), one line each.
    #[error(
        "{} figure(s) of {path} changed beyond the {tolerance}% tolerance:\n  {}\nIf the change is intended, \
         record the figures again and commit the file.",
        .changes.len(),
        .changes.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n  ")
    )]
    Changed {
        /// What changed.
        changes: Vec<GasChange>,
        /// The tolerance, percent.
        tolerance: f64,
        /// The snapshot file.
        path: PathBuf,
    },
    /// A scenario name that cannot be written as one `name gas` line or one table row.
    #[error(
        "invalid scenario name {0:?}: it must be non-empty, on one line, without `|` or a backquote, and not end in a number"
    )]
    InvalidName(String),
    /// A line of the file is not `name gas` (or a table row without a figure).
    #[error("{path}:{line}: expected `<name> <gas>`, found {text:?}")]
    Malformed {
        /// The snapshot file.
        path: PathBuf,
        /// Line number, from 1.
        line: usize,
        /// The line.
        text: String,
    },
    /// The file could not be read, locked or written.
    #[error("gas snapshot {path}: {source}")]
    Io {
        /// The snapshot file.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
}

/// A gas snapshot file. See the [module documentation](self).
#[derive(Clone, Debug)]
pub struct GasSnapshot {
    path: PathBuf,
    /// Set by [`GasSnapshot::with_mode`]; else the environment's, read when used.
    mode: Option<GasMode>,
    /// Set by [`GasSnapshot::with_tolerance`]; else the environment's, read when used.
    tolerance: Option<f64>,
    intro: Option<String>,
}

impl GasSnapshot {
    /// The snapshot file at `path` (relative paths are from the current directory: the
    /// package's directory under `cargo test`), in the mode and tolerance the environment
    /// says ([`CHECK_ENV`], [`TOLERANCE_ENV`]; record mode and 0% otherwise) unless
    /// [`GasSnapshot::with_mode`] and [`GasSnapshot::with_tolerance`] set them. The environment
    /// is read when a figure is recorded, and only for what was not set.
    pub fn new(path: impl AsRef<Path>) -> GasSnapshot {
        GasSnapshot { path: path.as_ref().to_path_buf(), mode: None, tolerance: None, intro: None }
    }

    /// This snapshot in `mode`, whatever the environment says.
    pub fn with_mode(self, mode: GasMode) -> GasSnapshot {
        GasSnapshot { mode: Some(mode), ..self }
    }

    /// This snapshot with a check tolerance of `percent` (of the recorded figure), whatever
    /// the environment says.
    pub fn with_tolerance(self, percent: f64) -> GasSnapshot {
        GasSnapshot { tolerance: Some(percent.max(0.0)), ..self }
    }

    /// The markdown a `.md` snapshot opens with (a `# title` and what the figures are), in
    /// place of the file's own or, for a new file, of a bare title.
    pub fn with_intro(self, markdown: &str) -> GasSnapshot {
        GasSnapshot { intro: Some(markdown.to_owned()), ..self }
    }

    /// The mode: the one set, else the environment's.
    ///
    /// # Panics
    /// If none was set and [`CHECK_ENV`] is neither on nor off (see it for the values).
    pub fn mode(&self) -> GasMode {
        self.mode.unwrap_or_else(|| mode_from_env(std::env::var(CHECK_ENV)))
    }

    /// The tolerance, percent: the one set, else the environment's (0 when unset).
    ///
    /// # Panics
    /// If none was set and [`TOLERANCE_ENV`] is set but not a non-negative number.
    pub fn tolerance(&self) -> f64 {
        self.tolerance.unwrap_or_else(|| match std::env::var(TOLERANCE_ENV) {
            Ok(text) => text
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|t| t.is_finite() && *t >= 0.0)
                .unwrap_or_else(|| panic!("{TOLERANCE_ENV}={text:?} is not a percentage")),
            Err(_) => 0.0,
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records `gas` as scenario `name` (record mode), or checks it against the file (check
    /// mode). In a markdown snapshot a new name's first word is its section.
    ///
    /// # Errors
    /// In check mode, [`GasSnapshotError::Moved`] or [`GasSnapshotError::Missing`]; in both,
    /// an invalid name, a malformed file, or an I/O failure.
    pub fn record(&self, name: &str, gas: u64) -> Result<(), GasSnapshotError> {
        validate(name)?;
        match self.mode() {
            GasMode::Record => self.update(|file, markdown| file.set(name, gas, markdown)),
            GasMode::Check => self.check(name, gas),
        }
    }

    /// Records a whole report: in record mode the file is rewritten with exactly `figures` (in
    /// their order, for markdown); in check mode every figure is compared with the file's, and
    /// every scenario that moved beyond the tolerance, is new, or is in the file but no longer
    /// measured is named in one error.
    ///
    /// # Errors
    /// In check mode, [`GasSnapshotError::Changed`] or [`GasSnapshotError::Missing`] (no file);
    /// in both, an invalid name, a malformed file, or an I/O failure.
    pub fn record_all(&self, figures: &[GasFigure]) -> Result<(), GasSnapshotError> {
        for figure in figures {
            validate(&figure.key())?;
        }
        match self.mode() {
            GasMode::Record => self.update(|file, _| file.figures = figures.to_vec()),
            GasMode::Check => self.check_all(figures),
        }
    }

    /// [`GasSnapshot::record`], panicking on failure (with the message saying what moved).
    ///
    /// # Panics
    /// If `record` fails.
    #[track_caller]
    pub fn assert(&self, name: &str, gas: u64) {
        if let Err(e) = self.record(name, gas) {
            panic!("{e}");
        }
    }

    /// Every figure in the file, in file order (empty if it does not exist).
    ///
    /// # Errors
    /// A malformed file or an I/O failure.
    pub fn figures(&self) -> Result<Vec<GasFigure>, GasSnapshotError> {
        Ok(self.read_file()?.unwrap_or_default().figures)
    }

    /// Every figure in the file by name (empty if it does not exist).
    ///
    /// # Errors
    /// A malformed file or an I/O failure.
    pub fn read(&self) -> Result<std::collections::BTreeMap<String, u64>, GasSnapshotError> {
        Ok(self.figures()?.iter().map(|f| (f.key(), f.value)).collect())
    }

    fn markdown(&self) -> bool {
        is_markdown(&self.path)
    }

    fn read_file(&self) -> Result<Option<SnapshotFile>, GasSnapshotError> {
        match File::open(&self.path) {
            Ok(mut file) => {
                file.lock_shared().map_err(|e| self.io(e))?;
                let mut text = String::new();
                file.read_to_string(&mut text).map_err(|e| self.io(e))?;
                SnapshotFile::parse(&text, self.markdown(), &self.path).map(Some)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.io(e)),
        }
    }

    fn check(&self, name: &str, gas: u64) -> Result<(), GasSnapshotError> {
        let tolerance = self.tolerance();
        let figures = self.read()?;
        let Some(&recorded) = figures.get(name) else {
            return Err(GasSnapshotError::Missing { name: name.to_owned(), path: self.path.clone() });
        };
        if moved(recorded, gas, tolerance) {
            return Err(GasSnapshotError::Moved {
                name: name.to_owned(),
                recorded,
                measured: gas,
                change: percent_change(recorded, gas),
                tolerance,
            });
        }
        Ok(())
    }

    fn check_all(&self, figures: &[GasFigure]) -> Result<(), GasSnapshotError> {
        let tolerance = self.tolerance();
        let Some(file) = self.read_file()? else {
            let name = figures.first().map(GasFigure::key).unwrap_or_default();
            return Err(GasSnapshotError::Missing { name, path: self.path.clone() });
        };
        let mut recorded: Vec<(String, u64)> = file.figures.iter().map(|f| (f.key(), f.value)).collect();
        let mut changes = Vec::new();
        for figure in figures {
            let name = figure.key();
            match recorded.iter().position(|(n, _)| *n == name) {
                None => changes.push(GasChange::New { name, measured: figure.value }),
                Some(i) => {
                    let (_, value) = recorded.remove(i);
                    if moved(value, figure.value, tolerance) {
                        changes.push(GasChange::Moved { name, recorded: value, measured: figure.value });
                    }
                }
            }
        }
        changes.extend(recorded.into_iter().map(|(name, _)| GasChange::Gone { name }));
        if changes.is_empty() {
            Ok(())
        } else {
            Err(GasSnapshotError::Changed { changes, tolerance, path: self.path.clone() })
        }
    }

    /// Read-modify-write under an exclusive lock on the file.
    fn update(&self, change: impl FnOnce(&mut SnapshotFile, bool)) -> Result<(), GasSnapshotError> {
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| self.io(e))?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&self.path)
            .map_err(|e| self.io(e))?;
        file.lock().map_err(|e| self.io(e))?;
        let mut text = String::new();
        file.read_to_string(&mut text).map_err(|e| self.io(e))?;
        let markdown = self.markdown();
        let mut snapshot = SnapshotFile::parse(&text, markdown, &self.path)?;
        change(&mut snapshot, markdown);
        if let Some(intro) = &self.intro {
            snapshot.intro = Some(intro.clone());
        }
        let out = snapshot.render(markdown, self.tolerance());
        if out == text {
            return Ok(());
        }
        file.set_len(0).map_err(|e| self.io(e))?;
        file.seek(SeekFrom::Start(0)).map_err(|e| self.io(e))?;
        file.write_all(out.as_bytes()).map_err(|e| self.io(e))?;
        Ok(())
    }

    fn io(&self, source: std::io::Error) -> GasSnapshotError {
        GasSnapshotError::Io { path: self.path.clone(), source }
    }
}

/// Whether `measured` moved from `recorded` by more than `tolerance` percent of it.
fn moved(recorded: u64, measured: u64, tolerance: f64) -> bool {
    recorded.abs_diff(measured) as f64 > recorded as f64 * tolerance / 100.0
}

/// The mode [`CHECK_ENV`]'s value chooses (unset: record).
///
/// # Panics
/// For a value that is neither on nor off, rather than silently recording (and rewriting the
/// file) when a check was meant.
fn mode_from_env(value: Result<String, std::env::VarError>) -> GasMode {
    let value = match value {
        Ok(value) => value,
        Err(std::env::VarError::NotPresent) => return GasMode::Record,
        Err(std::env::VarError::NotUnicode(value)) => value.to_string_lossy().into_owned(),
    };
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => GasMode::Check,
        "" | "0" | "false" | "no" | "off" => GasMode::Record,
        _ => panic!(
            "{CHECK_ENV}={value:?} is neither on nor off: set it to 1, true, yes or on to check the gas snapshot, \
             or to 0, false, no, off or nothing to record it (in any letter case)"
        ),
    }
}

/// A name must fit one `name gas` line and one table cell.
fn validate(name: &str) -> Result<(), GasSnapshotError> {
    let trimmed = name.trim();
    let ends_in_number = name.rsplit(char::is_whitespace).next().is_some_and(|last| last.parse::<u64>().is_ok());
    if trimmed.is_empty() || trimmed != name || name.contains(['\n', '\r', '|', '`']) || ends_in_number {
        return Err(GasSnapshotError::InvalidName(name.to_owned()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_sorted_and_checks_with_tolerance() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join(".gas-snapshot");
        let record = GasSnapshot::new(&path).with_mode(GasMode::Record);
        record.record("b scenario", 200).unwrap();
        record.record("a", 100).unwrap();
        record.record("b scenario", 210).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "a 100\nb scenario 210\n");

        let exact = GasSnapshot::new(&path).with_mode(GasMode::Check);
        exact.record("a", 100).unwrap();
        let moved = exact.record("a", 101).unwrap_err();
        assert!(matches!(moved, GasSnapshotError::Moved { recorded: 100, measured: 101, .. }), "{moved}");
        assert!(moved.to_string().contains("moved from 100 to 101 (+1 gas, +1.00%)"), "{moved}");
        assert!(matches!(exact.record("c", 1), Err(GasSnapshotError::Missing { .. })));
        let loose = exact.clone().with_tolerance(5.0);
        loose.record("b scenario", 220).unwrap();
        loose.record("b scenario", 200).unwrap();
        assert!(loose.record("b scenario", 221).is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "a 100\nb scenario 210\n", "check mode never writes");
    }

    #[test]
    fn a_one_gas_move_never_reads_as_zero_percent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".gas-snapshot");
        std::fs::write(&path, "token transfer 108276\n").unwrap();
        let check = GasSnapshot::new(&path).with_mode(GasMode::Check);
        let up = check.record("token transfer", 108_277).unwrap_err();
        assert!(up.to_string().contains("moved from 108276 to 108277 (+1 gas, +0.00092%)"), "{up}");
        let down = check.record("token transfer", 108_266).unwrap_err();
        assert!(down.to_string().contains("moved from 108276 to 108266 (-10 gas, -0.0092%)"), "{down}");
        let change = GasChange::Moved { name: "a".into(), recorded: 3_000_000_000, measured: 3_000_000_001 };
        assert_eq!(change.to_string(), "`a`: 3000000000 → 3000000001 (+1 gas, +0.000000033%)");
        assert_eq!(Percent(-5.6666).to_string(), "-5.67%");
        assert_eq!(Percent(0.01).to_string(), "+0.01%");
        assert_eq!(Percent(0.0).to_string(), "+0.00%");
    }

    #[test]
    fn the_check_variable_is_on_off_or_refused() {
        use std::env::VarError;
        for on in ["1", "true", "TRUE", "Yes", "on", " ON "] {
            assert_eq!(mode_from_env(Ok(on.to_owned())), GasMode::Check, "{on:?}");
        }
        for off in ["", "0", "false", "False", "NO", "off"] {
            assert_eq!(mode_from_env(Ok(off.to_owned())), GasMode::Record, "{off:?}");
        }
        assert_eq!(mode_from_env(Err(VarError::NotPresent)), GasMode::Record);
        for other in ["2", "enable", "check", "y"] {
            let refused = std::panic::catch_unwind(|| mode_from_env(Ok(other.to_owned()))).unwrap_err();
            let message = refused.downcast_ref::<String>().unwrap();
            assert!(message.starts_with(&format!("TIDEPOOL_GAS_CHECK={other:?} is neither on nor off")), "{message}");
            assert!(message.contains("1, true, yes or on") && message.contains("0, false, no, off"), "{message}");
        }
    }

    #[test]
    fn names_and_files_are_validated() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("snap");
        let snapshot = GasSnapshot::new(&path).with_mode(GasMode::Record);
        for bad in ["", " padded", "two\nlines", "ends in 42", "a|b", "`quoted`"] {
            assert!(matches!(snapshot.record(bad, 1), Err(GasSnapshotError::InvalidName(_))), "{bad:?}");
        }
        std::fs::write(&path, "ok 1\nbroken\n").unwrap();
        let error = snapshot.record("x", 1).unwrap_err();
        assert!(error.to_string().contains(":2: expected"), "{error}");
    }
}

#[cfg(test)]
mod report_tests {
    use super::*;

    fn report(values: &[(&str, &str, u64)]) -> Vec<GasFigure> {
        values.iter().map(|(section, name, value)| GasFigure::new(section, name, "a case", *value)).collect()
    }

    #[test]
    fn a_markdown_report_round_trips_and_checks_against_itself() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("GAS.md");
        let figures =
            report(&[("token", "transfer", 50_000), ("token", "query balance", 9_000), ("sizes", "token", 40_000)]);
        let snapshot = GasSnapshot::new(&path).with_tolerance(2.0).with_intro("# Gas report\n\nWhat it is.\n");
        snapshot.clone().with_mode(GasMode::Record).record_all(&figures).unwrap();
        let markdown = std::fs::read_to_string(&path).unwrap();
        assert!(markdown.starts_with("# Gas report\n\nWhat it is.\n\nTolerance: ±2 %\n\n## token\n"), "{markdown}");
        assert!(markdown.contains("| `transfer` | a case | 50000 |\n| `query balance` | a case | 9000 |\n\n## sizes"));
        assert_eq!(snapshot.figures().unwrap(), figures, "sections, names, cases and order survive");
        assert_eq!(snapshot.read().unwrap()["token query balance"], 9_000);
        snapshot.clone().with_mode(GasMode::Check).record_all(&figures).unwrap();
        snapshot.clone().with_mode(GasMode::Check).record("token transfer", 50_900).unwrap();
        // A single record keeps the rest of the file, the introduction included.
        GasSnapshot::new(&path)
            .with_mode(GasMode::Record)
            .with_tolerance(2.0)
            .record("token transfer", 51_000)
            .unwrap();
        let updated = std::fs::read_to_string(&path).unwrap();
        assert_eq!(updated, markdown.replace("| 50000 |", "| 51000 |"));
    }

    #[test]
    fn a_report_check_names_every_change() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("GAS.md");
        let committed = report(&[("token", "transfer", 50_000), ("token", "burn", 10_000), ("sizes", "token", 40_000)]);
        let snapshot = GasSnapshot::new(&path).with_tolerance(2.0);
        snapshot.clone().with_mode(GasMode::Record).record_all(&committed).unwrap();
        let check = snapshot.with_mode(GasMode::Check);
        // +1 % and −2 % are within ±2 %; +2.02 % is not.
        check
            .record_all(&report(&[("token", "transfer", 50_500), ("token", "burn", 9_800), ("sizes", "token", 40_000)]))
            .unwrap();
        let err = check
            .record_all(&report(&[
                ("token", "transfer", 51_010),
                ("token", "burn", 10_000),
                ("sizes", "token", 40_000),
            ]))
            .unwrap_err();
        let GasSnapshotError::Changed { changes, tolerance, .. } = &err else { panic!("{err}") };
        assert_eq!(*tolerance, 2.0);
        assert_eq!(changes, &[GasChange::Moved { name: "token transfer".into(), recorded: 50_000, measured: 51_010 }]);
        assert!(err.to_string().contains("`token transfer`: 50000 → 51010 (+1010 gas, +2.02%)"), "{err}");
        // New and vanished figures fail too.
        let err = check
            .record_all(&report(&[("token", "transfer", 50_000), ("token", "mint", 1), ("sizes", "token", 40_000)]))
            .unwrap_err();
        let GasSnapshotError::Changed { changes, .. } = &err else { panic!("{err}") };
        assert_eq!(changes.len(), 2, "{err}");
        assert!(err.to_string().contains("`token mint`: 1, not in the file"), "{err}");
        assert!(err.to_string().contains("`token burn`: in the file, no longer measured"), "{err}");
        // Recording the report again drops what is gone.
        snapshot_without_burn(&path);
    }

    fn snapshot_without_burn(path: &Path) {
        let snapshot = GasSnapshot::new(path).with_mode(GasMode::Record);
        snapshot.record_all(&report(&[("token", "transfer", 50_000)])).unwrap();
        assert_eq!(snapshot.read().unwrap().into_keys().collect::<Vec<_>>(), ["token transfer"]);
    }
}
