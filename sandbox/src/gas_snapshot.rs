//! Gas snapshots, like `forge snapshot`: tests record the gas of named scenarios into a file
//! (one `name gas` line per scenario, sorted by name, meant to be committed), and CI checks
//! that no figure moved beyond a tolerance.
//!
//! - Record mode (the default): [`GasSnapshot::record`] writes the figure into the file,
//!   keeping every other line. Run `cargo test` and commit the file.
//! - Check mode (`TIDEPOOL_GAS_CHECK=1`, or [`GasSnapshot::with_mode`]): `record` compares
//!   instead and fails if the figure moved by more than the tolerance (default 0%: the gas
//!   meter is deterministic, so any change is a real change; `TIDEPOOL_GAS_TOLERANCE=2` allows
//!   2%), or if the scenario is not in the file. The file is not written.
//!
//! Tests of one binary run in parallel and may share a file: each update holds an exclusive
//! lock on it. A scenario that no test records any more stays in the file until removed by
//! hand.
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

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The environment variable that turns check mode on (`1` or `true`).
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

/// Why recording or checking a figure failed.
#[derive(Debug, thiserror::Error)]
pub enum GasSnapshotError {
    /// The figure moved beyond the tolerance (check mode).
    #[error(
        "gas of `{name}` moved from {recorded} to {measured} ({change:+.2}%), beyond the {tolerance}% tolerance; \
         run the tests without {CHECK_ENV} to record the new figure, and commit the snapshot file"
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
    /// A scenario name that cannot be written as one `name gas` line.
    #[error("invalid scenario name {0:?}: it must be non-empty, on one line, and not end in a number")]
    InvalidName(String),
    /// A line of the file is not `name gas`.
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
    mode: GasMode,
    tolerance: f64,
}

impl GasSnapshot {
    /// The snapshot file at `path` (relative paths are from the current directory: the
    /// package's directory under `cargo test`), in the mode and tolerance the environment
    /// says ([`CHECK_ENV`], [`TOLERANCE_ENV`]; record mode and 0% otherwise).
    ///
    /// # Panics
    /// If [`TOLERANCE_ENV`] is set but not a non-negative number.
    pub fn new(path: impl AsRef<Path>) -> GasSnapshot {
        let check = std::env::var(CHECK_ENV).is_ok_and(|v| matches!(v.trim(), "1" | "true" | "yes"));
        let tolerance = match std::env::var(TOLERANCE_ENV) {
            Ok(text) => text
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|t| t.is_finite() && *t >= 0.0)
                .unwrap_or_else(|| panic!("{TOLERANCE_ENV}={text:?} is not a percentage")),
            Err(_) => 0.0,
        };
        GasSnapshot {
            path: path.as_ref().to_path_buf(),
            mode: if check { GasMode::Check } else { GasMode::Record },
            tolerance,
        }
    }

    /// This snapshot in `mode`, whatever the environment says.
    pub fn with_mode(self, mode: GasMode) -> GasSnapshot {
        GasSnapshot { mode, ..self }
    }

    /// This snapshot with a check tolerance of `percent` (of the recorded figure).
    pub fn with_tolerance(self, percent: f64) -> GasSnapshot {
        GasSnapshot { tolerance: percent.max(0.0), ..self }
    }

    /// The mode.
    pub fn mode(&self) -> GasMode {
        self.mode
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records `gas` as scenario `name` (record mode), or checks it against the file (check
    /// mode).
    ///
    /// # Errors
    /// In check mode, [`GasSnapshotError::Moved`] or [`GasSnapshotError::Missing`]; in both,
    /// an invalid name, a malformed file, or an I/O failure.
    pub fn record(&self, name: &str, gas: u64) -> Result<(), GasSnapshotError> {
        let trimmed = name.trim();
        if trimmed.is_empty() || trimmed != name || name.contains('\n') || name.contains('\r') {
            return Err(GasSnapshotError::InvalidName(name.to_owned()));
        }
        if name.rsplit(char::is_whitespace).next().is_some_and(|last| last.parse::<u64>().is_ok()) {
            return Err(GasSnapshotError::InvalidName(name.to_owned()));
        }
        match self.mode {
            GasMode::Record => self.write(name, gas),
            GasMode::Check => self.check(name, gas),
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

    /// Every figure in the file (empty if it does not exist).
    ///
    /// # Errors
    /// A malformed file or an I/O failure.
    pub fn read(&self) -> Result<BTreeMap<String, u64>, GasSnapshotError> {
        match File::open(&self.path) {
            Ok(mut file) => {
                file.lock_shared().map_err(|e| self.io(e))?;
                let mut text = String::new();
                file.read_to_string(&mut text).map_err(|e| self.io(e))?;
                self.parse(&text)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(e) => Err(self.io(e)),
        }
    }

    fn check(&self, name: &str, gas: u64) -> Result<(), GasSnapshotError> {
        let figures = self.read()?;
        let Some(&recorded) = figures.get(name) else {
            return Err(GasSnapshotError::Missing { name: name.to_owned(), path: self.path.clone() });
        };
        let difference = recorded.abs_diff(gas) as f64;
        if difference > recorded as f64 * self.tolerance / 100.0 {
            let change =
                if recorded == 0 { f64::INFINITY } else { (gas as f64 - recorded as f64) * 100.0 / recorded as f64 };
            return Err(GasSnapshotError::Moved {
                name: name.to_owned(),
                recorded,
                measured: gas,
                change,
                tolerance: self.tolerance,
            });
        }
        Ok(())
    }

    /// Read-modify-write under an exclusive lock on the file.
    fn write(&self, name: &str, gas: u64) -> Result<(), GasSnapshotError> {
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
        let mut figures = self.parse(&text)?;
        if figures.get(name) == Some(&gas) {
            return Ok(());
        }
        figures.insert(name.to_owned(), gas);
        let mut out = String::new();
        for (name, gas) in &figures {
            out.push_str(&format!("{name} {gas}\n"));
        }
        file.set_len(0).map_err(|e| self.io(e))?;
        file.seek(SeekFrom::Start(0)).map_err(|e| self.io(e))?;
        file.write_all(out.as_bytes()).map_err(|e| self.io(e))?;
        Ok(())
    }

    fn parse(&self, text: &str) -> Result<BTreeMap<String, u64>, GasSnapshotError> {
        let mut figures = BTreeMap::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let parsed = line.rsplit_once(' ').and_then(|(name, gas)| Some((name.trim(), gas.trim().parse().ok()?)));
            match parsed {
                Some((name, gas)) if !name.is_empty() => {
                    figures.insert(name.to_owned(), gas);
                }
                _ => {
                    return Err(GasSnapshotError::Malformed {
                        path: self.path.clone(),
                        line: i + 1,
                        text: line.to_owned(),
                    });
                }
            }
        }
        Ok(figures)
    }

    fn io(&self, source: std::io::Error) -> GasSnapshotError {
        GasSnapshotError::Io { path: self.path.clone(), source }
    }
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
        assert!(moved.to_string().contains("moved from 100 to 101 (+1.00%)"), "{moved}");
        assert!(matches!(exact.record("c", 1), Err(GasSnapshotError::Missing { .. })));
        let loose = exact.clone().with_tolerance(5.0);
        loose.record("b scenario", 220).unwrap();
        loose.record("b scenario", 200).unwrap();
        assert!(loose.record("b scenario", 221).is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "a 100\nb scenario 210\n", "check mode never writes");
    }

    #[test]
    fn names_and_files_are_validated() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("snap");
        let snapshot = GasSnapshot::new(&path).with_mode(GasMode::Record);
        for bad in ["", " padded", "two\nlines", "ends in 42"] {
            assert!(matches!(snapshot.record(bad, 1), Err(GasSnapshotError::InvalidName(_))), "{bad:?}");
        }
        std::fs::write(&path, "ok 1\nbroken\n").unwrap();
        let error = snapshot.record("x", 1).unwrap_err();
        assert!(error.to_string().contains(":2: expected"), "{error}");
    }
}
