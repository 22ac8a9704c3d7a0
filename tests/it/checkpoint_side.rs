//! Runs that read a side file (the latency matrix of `net-matrix.toml`) checkpoint, resume and replay
//! from any folder: the checkpoint embeds the matrix as parsed, and a run folder holds a copy of it
//! beside `report.json` (`latency-matrix.txt`), which `replay` reads.

use crate::util::{Tmp, chordsim, chordsim_in, read, scenario, stderr};

/// Runs net-matrix.toml straight into `out`; returns the report's path.
fn straight(out: &std::path::Path) -> std::path::PathBuf {
    let o = chordsim(&[scenario("net-matrix.toml").to_str().unwrap(), "--quiet", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    out.join("net-matrix-seed2/report.json")
}

#[test]
fn a_matrix_run_checkpointed_with_stop_resumes_from_another_folder_to_the_same_report() {
    let tmp = Tmp::new("ckpt-matrix");
    let want = read(&straight(&tmp.path("a")));
    let ck = tmp.path("x.ckpt");
    let sc = scenario("net-matrix.toml");
    let args = ["--quiet", "--checkpoint-at-s", "300", "--checkpoint-out", ck.to_str().unwrap(), "--checkpoint-stop"];
    let o = chordsim(&[&[sc.to_str().unwrap()][..], &args[..]].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    // Elsewhere, with the scenario's data folder out of reach (a relative `data/rtt-16.txt` names nothing).
    let elsewhere = tmp.path("elsewhere");
    std::fs::create_dir_all(&elsewhere).expect("mkdir");
    let o = chordsim_in(&elsewhere, &["resume", ck.to_str().unwrap(), "--quiet", "--out", "b"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let got = read(&elsewhere.join("b/net-matrix-seed2/report.json"));
    assert!(got == want, "the resumed matrix run's report differs from the uninterrupted run's");
}

#[test]
fn a_matrix_runs_report_replays_from_another_folder() {
    let tmp = Tmp::new("replay-matrix");
    let report = straight(&tmp.path("a"));
    let copy = report.with_file_name("latency-matrix.txt");
    assert!(read(&copy).contains("net.latency.file = \"data/rtt-16.txt\""), "the copy names its origin");
    let elsewhere = tmp.path("elsewhere");
    std::fs::create_dir_all(&elsewhere).expect("mkdir");
    let o = chordsim_in(&elsewhere, &["replay", report.to_str().unwrap(), "--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // Without the copy, the error says what is missing and how to fix it, on one line.
    std::fs::remove_file(&copy).expect("rm");
    let o = chordsim_in(&elsewhere, &["replay", report.to_str().unwrap(), "--quiet"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("latency-matrix.txt") && err.contains("data/rtt-16.txt"), "{err}");
    assert_eq!(err.trim_end().lines().filter(|l| l.contains("latency")).count(), 1, "{err}");
}
