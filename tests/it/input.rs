//! Input hardening (issue 16, the input side): every scenario and command-line input is checked
//! before any simulation time is spent, and every refusal is one line naming the key or the flag.

use crate::util::{Tmp, chordsim, scenario, stderr};

const BASE: &str = "duration_s = 400\n[initial]\nnodes = 20\n[protocol]\nstabilize_interval_ms = 10000\n";

/// Runs `text` as a scenario file; returns the exit code and stderr.
fn run_text(t: &Tmp, text: &str, extra: &[&str]) -> (i32, String) {
    let f = t.file("s.toml", text);
    let out = t.path("out");
    let mut args: Vec<std::ffi::OsString> = vec![f.into(), "--quiet".into(), "--out".into(), out.into()];
    args.extend(extra.iter().map(std::convert::Into::into));
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
        let mut args: Vec<std::ffi::OsString> = sub.iter().map(std::convert::Into::into).collect();
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

/// A dht workload around `extra` (lines added to the workload table).
fn dht_workload(extra: &str) -> String {
    format!(
        "{BASE}[dht]\nenabled = true\n[[workload]]\nkind = \"dht\"\nstart_s = 0\nend_s = 100\nper_s = 1\nkeys = 10\n{extra}"
    )
}

#[test]
fn unknown_keys_are_refused_inside_inline_tables_and_unit_variants() {
    let t = Tmp::new("inline-keys");
    let (code, err) = run_text(&t, &dht_workload("popularity = { kind = \"uniform\", bogus = \"yes\" }\n"), &[]);
    assert_eq!(code, 1, "{err}");
    let line = error_line(&err);
    assert!(
        line.contains("s.toml:14:34: workload[0].popularity.bogus: unknown key \"bogus\" (allowed: kind)"),
        "{line}"
    );
    // The same through serde alone (a report's or checkpoint's scenario): the unit variant is refused.
    let json = serde_json::from_str::<chordsim::scenario::Popularity>(r#"{"kind":"uniform","bogus":1}"#);
    assert!(json.is_err(), "{json:?}");
    let uniform = chordsim::scenario::Popularity::Uniform {};
    assert_eq!(serde_json::to_string(&uniform).expect("json"), r#"{"kind":"uniform"}"#, "report bytes unchanged");
    let (code, err) = run_text(&t, &dht_workload("popularity = { kind = \"uniform\" }\n"), &[]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn errors_are_one_line_with_position_key_and_allowed_values() {
    let t = Tmp::new("one-line");
    let sessions = "[[workload]]\nkind = \"sessions\"\nstart_s = 0\nend_s = 100\npopulation = 5\n";
    let huge = "x".repeat(1 << 20);
    let cases: Vec<(String, &str)> = vec![
        (
            format!(
                "{BASE}{sessions}on = {{ dist = \"lognormal\", mean_s = 5 }}\noff = {{ dist = \"exponential\", mean_s = 5 }}\n"
            ),
            "s.toml:11:15: workload[0].on.dist: unknown variant \"lognormal\" (allowed: exponential | weibull | pareto)",
        ),
        (
            BASE.replace("nodes = 20", "nodes = \"ten\""),
            "s.toml:3:9: initial.nodes: wrong type: the string \"ten\" (allowed: an integer 0 ..= 9223372036854775807)",
        ),
        (
            BASE.replace("nodes = 20", "nodes = -1"),
            "s.toml:3:9: initial.nodes: wrong type: the integer -1 (allowed: an integer",
        ),
        (
            BASE.replace("[protocol]", "[protocol]\nsuccessor_list_len = 4294967296"),
            "s.toml:5:22: protocol.successor_list_len: wrong type: the integer 4294967296 (allowed: an integer 0 ..= 4294967295)",
        ),
        (BASE.replace("[initial]", "[initial"), "s.toml:2:9: TOML syntax: invalid table header"),
        (BASE.replace("nodes = 20", ""), "s.toml:2:1: initial.nodes: missing (this key is required)"),
        (
            format!("{BASE}[[workload]]\nkind = \"lookups\"\nstart_s = 0\nend_s = 10\nper_s = 1\nbogus = 1\n"),
            "s.toml:11:1: workload[0].bogus: unknown key",
        ),
        (
            format!("name = \"{huge}\"\n{BASE}"),
            "s.toml:1:1: name: \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"… (1048576 characters) is too long",
        ),
        (
            format!("{BASE}[check]\nprobe_keys = \"{huge}\"\n"),
            "s.toml:7:14: check.probe_keys: wrong type: the string \"xxxx",
        ),
        (
            format!("{BASE}[net]\nloss_ratio = 1.5\n"),
            "s.toml:7:1: net.loss_ratio: 1.5 is out of range (allowed 0 ..= 0.99)",
        ),
    ];
    for (text, want) in cases {
        let (code, err) = run_text(&t, &text, &[]);
        assert_eq!(code, 1, "{err}");
        let line = error_line(&err);
        assert!(line.contains(want), "want {want}\n got {line}");
        assert!(err.len() < 400, "the value is cut to an excerpt ({} bytes)", err.len());
    }
}

#[test]
fn node_references_are_checked_before_running_and_named_when_they_miss() {
    let t = Tmp::new("node-refs");
    let ev = |node: &str| format!("{BASE}[[event]]\nat_s = 10\naction = \"crash\"\nnode = {node}\n");
    let (code, err) = run_text(&t, &ev("{ rank = 100 }"), &[]);
    assert_eq!(code, 1);
    assert!(error_line(&err).contains("s.toml:9:10: event[0].node.rank: 100, but at most 20 nodes"), "{err}");
    assert!(!err.contains("scenario s"), "refused before running: {err}");
    let (code, err) = run_text(&t, &ev("{ id = \" 0x10\" }"), &[]);
    assert_eq!(code, 1);
    assert!(error_line(&err).contains("event[0].node.id: \" 0x10\" is not an id"), "{err}");
    let ids = BASE.replace("nodes = 20", "nodes = 2\nids = [\"0x10\", \"0x20\"]");
    let (code, err) =
        run_text(&t, &format!("{ids}[[event]]\nat_s = 10\naction = \"crash\"\nnode = {{ id = \"0x30\" }}\n"), &[]);
    assert_eq!(code, 1);
    assert!(error_line(&err).contains("event[0].node.id: \"0x30\" is none of initial.ids"), "{err}");
    // Known only at run time (drawn ids): the run ends with a message naming the key, and a report
    // of what ran up to the event, verdict `scenario_error`.
    let (code, err) = run_text(&t, &ev("{ id = \"0x10\" }"), &[]);
    assert_eq!(code, 1);
    let line = error_line(&err);
    assert!(line.contains("event[0].node.id: no live node has id 0x10 at at_s = 10"), "{err}");
    assert!(line.contains("the run stopped at t = 10.000 s, its report up to there is in"), "{err}");
    let dir = line.rsplit(" is in ").next().expect("a folder");
    let rep: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(std::path::Path::new(dir).join("report.json")).expect("report"))
            .expect("json");
    assert_eq!(rep["verdict"]["verdict"], "scenario_error");
    assert_eq!(rep["verdict"]["matches_expect"], false);
    assert!(rep["verdict"]["reason"].as_str().unwrap_or("").starts_with("event[0].node.id: no live node has id 0x10"));
    assert_eq!(rep["run"]["sim_time_s"], 10.0);
    // The same miss in a run that checkpoints: before the checkpoint, and after it (then on resume).
    let ck = t.path("x.ckpt");
    let ck_args = ["--checkpoint-at-s", "5", "--checkpoint-out", ck.to_str().unwrap()];
    let (code, err) = run_text(&t, &ev("{ id = \"0x10\" }"), &ck_args);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("its report up to there is in"), "missed after the checkpoint: {err}");
    let (code, err) = run_text(&t, &ev("{ id = \"0x10\" }").replace("at_s = 10", "at_s = 2"), &ck_args);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("the run stopped at t = 2.000 s, its report up to there"), "missed before it: {err}");
    let (code, err) = run_text(&t, &ev("{ id = \"0x10\" }"), &[&ck_args[..], &["--checkpoint-stop"]].concat());
    assert_eq!(code, 0, "stopped at the checkpoint: {err}");
    let o = chordsim(&["resume", ck.to_str().unwrap(), "--quiet", "--out", t.path("resumed").to_str().unwrap()]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    let line = error_line(&err);
    assert!(line.contains("x.ckpt: event[0].node.id: no live node has id 0x10"), "{err}");
    assert!(line.contains("the run stopped at t = 10.000 s, its report up to there is in"), "{err}");
}

#[test]
fn drawn_ids_may_fill_at_most_half_the_id_space() {
    let t = Tmp::new("full-space");
    let (code, err) = run_text(&t, "duration_s = 400\nid_bits = 16\n[initial]\nnodes = 65536\n", &[]);
    assert_eq!(code, 1);
    assert!(error_line(&err).contains("initial.nodes: 65536 ids drawn at random fill more than half"), "{err}");
    let (code, err) = run_text(&t, "duration_s = 400\nid_bits = 4\n[initial]\nnodes = 8\n", &[]);
    assert_eq!(code, 0, "half the space draws fine: {err}");
}

#[test]
fn command_line_typos_get_one_line_with_a_suggestion() {
    let sc = scenario("small-churn.toml");
    let sc = sc.to_str().expect("utf-8 path");
    for (args, want) in [
        (vec!["swep", "x.toml"], "\"swep\": no such file or subcommand — did you mean `sweep`?"),
        (vec!["foo"], "\"foo\": no such file or subcommand (allowed: a scenario file, or one of run, sweep"),
        (vec![sc, "b.toml"], "\"b.toml\": unexpected argument after the scenario file"),
        (vec![sc, "--mem-limit", "8X"], "invalid value '8X' for '--mem-limit <SIZE>': 8X: not a size (allowed:"),
        (vec![sc, "--seed", "abc"], "invalid value 'abc' for '--seed <SEED>'"),
        (
            vec!["sweep", sc, "--job", "2"],
            "unexpected argument '--job' found; tip: a similar argument exists: '--jobs'",
        ),
        (vec!["sweep"], "the following required arguments were not provided: --seeds <A..B>, <SCENARIO>"),
        (vec!["run"], "no scenario file given (usage: chordsim <SCENARIO>"),
    ] {
        let o = chordsim(&args);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        let err = stderr(&o);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
}

#[test]
fn a_scenario_the_memory_limit_cannot_hold_is_refused_before_running() {
    let t = Tmp::new("mem-limit");
    let big = "duration_s = 400\nid_bits = 64\n[initial]\nnodes = 10000000\n";
    let (code, err) = run_text(&t, big, &["--mem-limit", "8G"]);
    assert_eq!(code, 1);
    let line = error_line(&err);
    assert!(line.contains("s.toml: initial.nodes: the run needs about 27.2 GiB (10000000 slots)"), "{err}");
    assert!(line.contains("more than --mem-limit, 8.0 GiB"), "{err}");
    let shell = chordsim(&["shell", t.path("s.toml").to_str().unwrap(), "--mem-limit", "8G"]);
    assert_eq!(shell.status.code(), Some(1), "the shell checks memory as run does");
    assert!(error_line(&stderr(&shell)).contains("initial.nodes: the run needs about 27.2 GiB"), "{}", stderr(&shell));
    let virt = "duration_s = 400\nid_bits = 64\n[initial]\nnodes = 19531\nvirtual_nodes = 1024\n";
    let (code, err) = run_text(&t, virt, &["--mem-limit", "24G"]);
    assert_eq!(code, 1);
    assert!(error_line(&err).contains("s.toml: initial.virtual_nodes: the run needs about 54.4 GiB"), "{err}");
    // The same small scenario runs under a limit it fits in, and a sweep divides the limit by its jobs.
    let small = BASE.to_string();
    assert_eq!(run_text(&t, &small, &["--mem-limit", "1G"]).0, 0);
    let f = t.file("small.toml", &small);
    let o = chordsim(&[
        "sweep".into(),
        f.into(),
        "--seeds".into(),
        "0..4".into(),
        "--jobs".into(),
        "2".into(),
        "--mem-limit".into(),
        "20M".into(),
        "--quiet".into(),
        "--out".into(),
        t.path("sw").into(),
    ] as &[std::ffi::OsString]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("more than --mem-limit, 10 MiB (allowed: a scenario that fits"), "{}", stderr(&o));
    assert!(stderr(&o).contains("; 2 runs at once (--jobs) share it"), "{}", stderr(&o));
}
