//! Same seed ⇒ byte-identical report; different seeds ⇒ different runs. Also through the binary,
//! which is what users compare.

use crate::scenarios::reduce;
use chordsim::scenario::Scenario;
use chordsim::tools::run::Run;
use std::path::Path;
use std::process::Command;

fn churn(seed: u64) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/churn.toml");
    let mut sc = Scenario::load(&path).expect("loads");
    reduce(&mut sc, 150);
    sc.reseed(seed);
    Run::new(sc).and_then(Run::report).expect("runs").to_json()
}

#[test]
fn same_seed_same_bytes() {
    assert_eq!(churn(5), churn(5));
}

#[test]
fn different_seeds_differ() {
    assert_ne!(churn(5), churn(6));
}

#[test]
fn binary_reports_are_byte_identical() {
    let root = std::env::temp_dir().join(format!("chordsim-det-{}", std::process::id()));
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/mass-crash.toml");
    let mut reports = Vec::new();
    for run in 0..2 {
        let out = root.join(format!("run{run}"));
        let st = Command::new(env!("CARGO_BIN_EXE_chordsim"))
            .arg(&scenario)
            .args(["--quiet", "--seed", "11", "--out"])
            .arg(&out)
            .output()
            .expect("binary runs");
        assert_eq!(st.status.code(), Some(0), "{}", String::from_utf8_lossy(&st.stderr));
        reports.push(std::fs::read(out.join("mass-crash-seed11/report.json")).expect("report written"));
    }
    let _ = std::fs::remove_dir_all(&root);
    assert!(reports[0] == reports[1], "reports differ between two runs of the same seed");
    let text = String::from_utf8_lossy(&reports[0]);
    for key in ["\"seed\": 11", "\"chordsim_version\"", "\"scenario\"", "\"rounds\"", "\"verdict\": \"pass\""] {
        assert!(text.contains(key), "report lacks {key}");
    }
}
