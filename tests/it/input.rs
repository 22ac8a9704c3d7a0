//! Input hardening (issue 16, the input side): every scenario and command-line input is checked
//! before any simulation time is spent, and every refusal is one line naming the key or the flag.

use crate::util::{Tmp, chordsim, scenario, stderr};

const BASE: &str = "duration_s = 400\n[initial]\nnodes = 20\n[protocol]\nstabilize_interval_ms = 10000\n";

/// Runs `text` as a scenario file; returns the exit code and stderr.
fn run_text(t: &Tmp, text: &str, extra: &[&str]) -> (i32, String) {
    let f = t.file("s.toml", text);
    let out = t.path("out");
    let mut args: Vec<std::ffi::OsString> = vec![f.into(), "--quiet".into(), "--out".into(), out.into()];
    args.extend(extra.iter().map(|a| a.into()));
    let o = chordsim(&args);
    (o.status.code().unwrap_or(-1), stderr(&o))
}

/// The one error line of a refused input (after the first stderr line, if the run got that far).
fn error_line(err: &str) -> &str {
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(lines.len(), 1, "exactly one error line expected:\n{err}");
    assert!(err.lines().count() <= 2, "nothing but the error (and the scenario line):\n{err}");
    lines[0]
}

#[test]
fn unsafe_names_are_refused_before_running() {
    let t = Tmp::new("names");
    let long = "n".repeat(255);
    for (name, why) in [
        ("../../escaped", "starts with a dot"),
        ("a/b", "outside the allowed set"),
        ("nul\\u0000x", "outside the allowed set"),
        (long.as_str(), "too long"),
        (".hidden", "starts with a dot"),
    ] {
        let (code, err) = run_text(&t, &format!("name = \"{name}\"\n{BASE}"), &[]);
        assert_eq!(code, 1, "{name}: {err}");
        let line = error_line(&err);
        assert!(line.contains(": name: ") && line.contains(why), "{name}: {line}");
        assert!(line.len() < 300, "the value is cut to an excerpt: {line}");
    }
    assert!(!t.path("out").exists(), "nothing written, not even the --out folder");
    assert!(!t.0.parent().expect("parent").join("escaped-seed0").exists());
    let (code, err) = run_text(&t, &format!("name = \"Ok_name-1.x\"\n{BASE}"), &[]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn an_out_that_is_a_file_is_refused_before_running() {
    let t = Tmp::new("out-file");
    let file = t.file("taken", "x");
    let sc = scenario("small-churn.toml");
    for sub in [&[][..], &["sweep"][..]] {
        let mut args: Vec<std::ffi::OsString> = sub.iter().map(|s| s.into()).collect();
        args.push(sc.clone().into());
        if !sub.is_empty() {
            args.extend(["--seeds".into(), "0..2".into()]);
        }
        args.extend(["--quiet".into(), "--out".into(), file.clone().into()]);
        let o = chordsim(&args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert!(error_line(&err).ends_with("is a file, not a folder"), "{err}");
        assert!(!err.contains("round"), "refused before running: {err}");
    }
    let o = chordsim(&[
        sc.as_os_str(),
        "--out".as_ref(),
        t.path("o").as_os_str(),
        "--trace".as_ref(),
        t.path("no/such/trace.txt").as_os_str(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(error_line(&stderr(&o)).contains("--trace"), "{}", stderr(&o));
    let o = chordsim(&["paper".as_ref(), "--out".as_ref(), file.as_os_str(), "--only".as_ref(), "fig9".as_ref()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(error_line(&stderr(&o)).ends_with("is a file, not a folder"), "{}", stderr(&o));
}

#[test]
fn a_run_folder_taken_by_a_file_is_refused() {
    let t = Tmp::new("leaf-file");
    std::fs::create_dir_all(t.path("out")).expect("mkdir");
    std::fs::write(t.path("out/s-seed0"), "x").expect("write");
    let (code, err) = run_text(&t, BASE, &[]);
    assert_eq!(code, 1);
    assert!(error_line(&err).contains("s-seed0 is a file"), "{err}");
}
