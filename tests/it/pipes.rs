//! A reader that goes away early (`chordsim FILE | head -n 1`): every command that prints ends quietly
//! — no panic, the run's own exit code, and the results folder still written.

use crate::util::{Tmp, scenario};
use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Runs the binary with its stdout (and, with `close_stderr`, its stderr) a pipe whose reader is
/// closed before the binary writes anything; `input` is fed to stdin.
fn closed_early(args: &[&str], close_stderr: bool, input: &str) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_chordsim"));
    cmd.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("binary runs");
    drop(child.stdout.take());
    if close_stderr {
        drop(child.stderr.take());
    }
    let mut stdin = child.stdin.take().expect("stdin");
    let _ = stdin.write_all(input.as_bytes());
    drop(stdin);
    child.wait_with_output().expect("binary ends")
}

fn assert_quiet(o: &Output, what: &str) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!err.contains("panicked") && !err.contains("Broken pipe"), "{what}: {err}");
    assert_ne!(o.status.code(), Some(101), "{what} panicked: {err}");
    assert!(o.status.code().is_some(), "{what} was killed by a signal: {:?}", o.status);
}

#[test]
fn a_run_whose_reader_goes_away_still_writes_its_report() {
    let tmp = Tmp::new("pipe-run");
    let out = tmp.0.to_string_lossy().into_owned();
    let file = scenario("small-ring-churn.toml");
    let file = file.to_string_lossy();
    for close_stderr in [false, true] {
        let o = closed_early(&[&file, "--out", &out, "--no-plots", "--seed", "1"], close_stderr, "");
        assert_quiet(&o, "run");
        assert!(tmp.path("small-ring-churn-seed1/report.json").exists(), "the report is written");
        let _ = std::fs::remove_dir_all(tmp.path("small-ring-churn-seed1"));
    }
}

#[test]
fn sweep_replay_and_shell_end_quietly_on_a_closed_stdout() {
    let tmp = Tmp::new("pipe-more");
    let out = tmp.0.to_string_lossy().into_owned();
    let file = scenario("small-churn.toml");
    let file = file.to_string_lossy();
    let o = closed_early(&["sweep", &file, "--seeds", "0..2", "--quiet", "--out", &out], true, "");
    assert_quiet(&o, "sweep");
    assert_eq!(o.status.code(), Some(0), "the sweep's own exit code");
    let o = closed_early(&[&file, "--out", &out, "--no-plots", "--quiet"], false, "");
    assert_quiet(&o, "run");
    let report = tmp.path("small-churn-seed1");
    let o = closed_early(&["replay", &report.to_string_lossy(), "--quiet"], false, "");
    assert_quiet(&o, "replay");
    assert_eq!(o.status.code(), Some(0), "the replay matches");
    let o = closed_early(&["shell"], true, "run 2s\nnodes\nring\nrun 1s\n");
    assert_quiet(&o, "shell");
    assert_eq!(o.status.code(), Some(0), "the session ends as at the end of input");
}
