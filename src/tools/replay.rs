//! `chordsim replay`: load a `report.json` (or the run folder holding one), rerun exactly what it
//! says — its seed and its resolved scenario — and compare the new report with the old, byte for byte.
//!
//! Owns: reading the few report fields a replay needs (schema and chordsim versions, seed, the
//! resolved scenario; everything else is ignored), the version warnings, the comparison, and reading
//! back the side files of a run folder (the latency matrix copy, [`MATRIX_COPY`], that
//! `scenario::write_side_files` puts beside every report so that the folder replays from anywhere).
//! Never: trust the report blindly (its scenario is validated like a scenario file, errors name the
//! file), print (the CLI does), or overwrite the report it replays.

use crate::output::report::{SCHEMA_VERSION, VERSION, without_build};
use crate::scenario::Scenario;
use crate::scenario::{Latency, MATRIX_COPY};
use crate::tools::determinism::first_diff_line;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Reads the side files of the run folder holding `report` into `sc` (see [`crate::scenario::write_side_files`]).
fn read_side_files(report: &Path, sc: &mut Scenario) -> Result<(), String> {
    if let Latency::Matrix { file, values, data } = &mut sc.net.latency {
        let copy = report.with_file_name(MATRIX_COPY);
        if !copy.is_file() {
            return Err(format!(
                "{}: scenario.net.latency.file: the run read the latency matrix \"{file}\", but its copy {MATRIX_COPY} \
                 is not beside the report (copy that matrix file there under this name)",
                report.display()
            ));
        }
        *data = Some(std::sync::Arc::new(crate::scenario::Matrix::load(&copy, *values)?));
    }
    Ok(())
}

/// The fields of a report a replay needs.
#[derive(Deserialize)]
struct ReportHead {
    schema_version: u32,
    chordsim_version: String,
    seed: u64,
    scenario: Scenario,
}

/// A report loaded for replay.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// The `report.json` file.
    pub path: PathBuf,
    /// Its exact text, to compare the replay with.
    pub text: String,
    pub schema_version: u32,
    pub chordsim_version: String,
    /// The resolved scenario with the report's seed.
    pub scenario: Scenario,
}

/// `path` is a `report.json` or a folder holding one.
#[must_use]
pub fn report_path(path: &Path) -> PathBuf {
    if path.is_dir() { path.join("report.json") } else { path.to_path_buf() }
}

/// Reads and checks a report. Errors name the file.
pub fn load(path: &Path) -> Result<Loaded, String> {
    let path = report_path(path);
    let file = path.display().to_string();
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{file}: cannot read: {e}"))?;
    let head: ReportHead = serde_json::from_str(&text).map_err(|e| format!("{file}: not a chordsim report: {e}"))?;
    let mut scenario = head.scenario;
    if scenario.seed != head.seed {
        return Err(format!("{file}: seed is {} but scenario.seed is {} (edited by hand?)", head.seed, scenario.seed));
    }
    scenario.reseed(head.seed);
    scenario.validate(&format!("{file}: scenario")).map_err(|e| e.to_string())?;
    read_side_files(&path, &mut scenario)?;
    Ok(Loaded { path, text, schema_version: head.schema_version, chordsim_version: head.chordsim_version, scenario })
}

impl Loaded {
    /// Warnings when the report was written by another version (the replay may then differ).
    #[must_use]
    pub fn version_warnings(&self) -> Vec<String> {
        let mut w = Vec::new();
        if self.chordsim_version != VERSION {
            w.push(format!(
                "warning: {} was written by chordsim {}, this is {VERSION}: the replay may differ",
                self.path.display(),
                self.chordsim_version
            ));
        }
        if self.schema_version != SCHEMA_VERSION {
            w.push(format!(
                "warning: {} has report schema {}, this chordsim writes {SCHEMA_VERSION}: the reports cannot be identical",
                self.path.display(),
                self.schema_version
            ));
        }
        w
    }

    /// Compares the replay's report with the original.
    #[must_use]
    pub fn compare(&self, new_json: &str) -> Comparison {
        // The `build` line names the commit that wrote each report; it is not part of the run.
        let (old, new) = (without_build(&self.text), without_build(new_json));
        if new == old {
            Comparison::Identical { bytes: new.len() }
        } else {
            let at = first_diff_line(&old, &new);
            let pick = |t: &str| t.lines().nth(at - 1).unwrap_or("(end of file)").trim().to_string();
            // Name the line as it is numbered in the original file, build line included.
            let build_at = self.text.lines().position(|l| l.starts_with("  \"build\": "));
            let line = if build_at.is_some_and(|b| b < at) { at + 1 } else { at };
            Comparison::Differs { line, old: pick(&old), new: pick(&new) }
        }
    }

    /// Where a replay that differs leaves its report: beside the original, never over it.
    #[must_use]
    pub fn replay_path(&self) -> PathBuf {
        self.path.with_file_name("report.replay.json")
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Comparison {
    Identical {
        bytes: usize,
    },
    /// First differing line (1-based) and its text in each report.
    Differs {
        line: usize,
        old: String,
        new: String,
    },
}

impl Comparison {
    #[must_use]
    pub fn describe(&self, path: &Path) -> String {
        match self {
            Comparison::Identical { bytes } => {
                format!("replay: identical to {} ({bytes} bytes, byte for byte but the build line)", path.display())
            }
            Comparison::Differs { line, old, new } => {
                format!("replay: DIFFERS from {} at line {line}:\n  report  {old}\n  replay  {new}", path.display())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tools::run::Run;

    fn tmp(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("chordsim-replay-unit-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("temp dir");
        d
    }

    fn small(seed: u64) -> crate::output::report::Report {
        let text = "duration_s = 200\n[initial]\nnodes = 10\n[protocol]\nstabilize_interval_ms = 10000\n";
        let mut sc = Scenario::parse(text, "<test>", "small").expect("valid");
        sc.reseed(seed);
        Run::new(sc).and_then(Run::report).expect("runs")
    }

    #[test]
    fn a_report_reruns_to_the_same_bytes() {
        let d = tmp("same");
        let rep = small(4);
        let path = rep.write(&d).expect("written");
        let l = load(path.parent().expect("folder")).expect("loads");
        assert_eq!(l.scenario, rep.scenario);
        assert!(l.version_warnings().is_empty());
        let again = Run::new(l.scenario.clone()).and_then(Run::report).expect("runs");
        let bytes = crate::output::report::without_build(&again.to_json()).len();
        assert_eq!(l.compare(&again.to_json()), Comparison::Identical { bytes });
        // Another commit's build line is not a difference.
        let other = again.to_json().replacen(crate::output::invocation::commit(), "0000000other", 1);
        assert_eq!(l.compare(&other), Comparison::Identical { bytes });
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn differences_and_bad_files_are_named() {
        let d = tmp("bad");
        let path = small(1).write(&d).expect("written");
        let l = load(&path).expect("loads");
        match l.compare(&l.text.replace("\"seed\": 1,", "\"seed\": 2,")) {
            Comparison::Differs { line, old, new } => {
                assert_eq!((old.as_str(), new.as_str()), ("\"seed\": 1,", "\"seed\": 2,"));
                assert!(line > 1);
            }
            c @ Comparison::Identical { .. } => panic!("{c:?}"),
        }
        let old = std::fs::read_to_string(&path).expect("read");
        std::fs::write(&path, old.replace("\"chordsim_version\": \"", "\"chordsim_version\": \"0.0.0-")).expect("w");
        assert!(load(&path).expect("loads").version_warnings()[0].contains("0.0.0-"));
        std::fs::write(&path, old.replace("\"nodes\": 10", "\"nodes\": 0")).expect("w");
        let e = load(&path).expect_err("invalid scenario");
        assert!(e.contains("report.json") && e.contains("initial.nodes"), "{e}");
        std::fs::write(&path, "{}").expect("w");
        assert!(load(&path).expect_err("not a report").contains("not a chordsim report"));
        assert!(load(&d.join("nowhere")).expect_err("missing").contains("cannot read"));
        let _ = std::fs::remove_dir_all(&d);
    }
}
