//! `chordsim merge` refuses contradictory shard folders: each kind of tampering (a row against
//! itself or the scenario's `expect`, summary figures against the rows, seeds against the shard, a
//! failing seed's report missing or another seed's) exits 1 with one line naming the file, the
//! line or field, and writes nothing; the honest shards still merge byte for byte.

use crate::util::{Tmp, chordsim, read, scenario, stderr};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// small-churn with `expect = "safety"`: every seed passes, so none matches and each has a report.
fn fixture(t: &Tmp) -> (PathBuf, PathBuf) {
    let text = read(&scenario("small-churn.toml")).replace("expect = \"pass\"", "expect = \"safety\"");
    let file = t.file("small-churn.toml", &text);
    let f = file.display().to_string();
    let out = |d: &str| t.path(d).display().to_string();
    let o = chordsim(&["sweep", &f, "--seeds", "0..9", "--out", &out("whole"), "--quiet"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    for s in ["0/2", "1/2"] {
        let o = chordsim(&["sweep", &f, "--seeds", "0..9", "--shard", s, "--out", &out("shards"), "--quiet"]);
        assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    }
    (t.path("whole/sweep-small-churn-seeds0-9"), t.path("shards"))
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir") {
        let e = e.expect("entry");
        if e.file_type().expect("type").is_dir() {
            copy_tree(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).expect("copy");
        }
    }
}

/// Sets field `col` of the row on `line` (1-based, the header is line 1) of `runs.csv`; an empty
/// `col` deletes the line.
fn edit_csv(dir: &Path, line: usize, col: &str, value: &str) {
    let p = dir.join("runs.csv");
    let mut rows = chordsim::output::csv::parse(&read(&p)).expect("csv");
    let c = rows[0].iter().position(|h| h == col);
    match c {
        Some(c) => rows[line - 1][c] = value.to_string(),
        None => drop(rows.remove(line - 1)),
    }
    std::fs::write(&p, rows.iter().map(|r| chordsim::output::csv::line(r)).collect::<String>()).expect("write");
}

fn edit_json(dir: &Path, pointer: &str, value: Value) {
    let p = dir.join("summary.json");
    let mut v: Value = serde_json::from_str(&read(&p)).expect("json");
    let (parent, key) = pointer.rsplit_once('/').expect("a pointer");
    v.pointer_mut(parent).and_then(Value::as_object_mut).expect("parent").insert(key.to_string(), value);
    std::fs::write(&p, serde_json::to_string_pretty(&v).expect("json")).expect("write");
}

type Edit = Box<dyn Fn(&Path)>;

fn cases() -> Vec<(&'static str, Edit, Vec<&'static str>)> {
    let mean = |d: &Path| {
        let v: Value = serde_json::from_str(&read(&d.join("summary.json"))).expect("json");
        v["metrics"]["events"]["mean"].as_f64().expect("mean")
    };
    vec![
        (
            "verdict edited",
            Box::new(|d| edit_csv(d, 2, "verdict", "safety")),
            vec!["runs.csv: line 2 (seed 0): matches_expect is false, but verdict safety matches"],
        ),
        (
            "matches_expect edited",
            Box::new(|d| edit_csv(d, 3, "matches_expect", "true")),
            vec![
                "line 3 (seed 2): matches_expect is true, but verdict pass does not match the scenario's expect = safety",
            ],
        ),
        ("unknown verdict", Box::new(|d| edit_csv(d, 2, "verdict", "great")), vec!["verdict \"great\" is not one of"]),
        (
            "class on a pass row",
            Box::new(|d| edit_csv(d, 4, "failure_class", "false_suspicion")),
            vec!["line 4 (seed 4): failure_class \"false_suspicion\" on a pass row"],
        ),
        (
            "ratio above 1",
            Box::new(|d| edit_csv(d, 2, "lookup_correct_ratio", "1.5")),
            vec!["line 2 (seed 0): lookup_correct_ratio is 1.5, not a ratio"],
        ),
        (
            "not a number",
            Box::new(|d| edit_csv(d, 2, "events", "NaN")),
            vec!["line 2 (seed 0): events \"NaN\" is not a finite number"],
        ),
        ("duplicate seed", Box::new(|d| edit_csv(d, 3, "seed", "0")), vec!["line 3 (seed 0): seed 0 given twice"]),
        ("seed out of range", Box::new(|d| edit_csv(d, 3, "seed", "99")), vec!["outside the sweep's seeds 0..9"]),
        ("another shard's seed", Box::new(|d| edit_csv(d, 3, "seed", "1")), vec!["not a seed of shard 0/2"]),
        ("row deleted", Box::new(|d| edit_csv(d, 6, "", "")), vec!["runs.csv: 4 rows", "seed 8 is missing"]),
        (
            "runs edited",
            Box::new(|d| edit_json(d, "/runs", json!(6))),
            vec!["summary.json: runs is 6, but runs.csv gives 5"],
        ),
        (
            "verdict count edited",
            Box::new(|d| edit_json(d, "/verdicts/pass", json!(4))),
            vec!["summary.json: verdicts.\"pass\" is 4, but runs.csv gives 5"],
        ),
        (
            "matching count edited",
            Box::new(|d| edit_json(d, "/matching_expect", json!(5))),
            vec!["matching_expect is 5"],
        ),
        (
            "failing seeds edited",
            Box::new(|d| edit_json(d, "/failing_seeds", json!([0, 2]))),
            vec!["failing_seeds is [0, 2], but runs.csv gives [0, 2, 4, 6, 8]"],
        ),
        (
            "failure class added",
            Box::new(|d| edit_json(d, "/failure_classes", json!({"unclassified": 1}))),
            vec!["failure_classes.\"unclassified\" is 1, but runs.csv gives 0"],
        ),
        (
            "metric edited",
            Box::new(move |d| {
                let m = mean(d);
                edit_json(d, "/metrics/events/mean", json!(m + 1.0));
            }),
            vec!["summary.json: metrics.events.mean is"],
        ),
        (
            "expect edited",
            Box::new(|d| edit_json(d, "/expect", json!("pass"))),
            vec!["summary.json: expect is pass, but its scenario says expect = safety"],
        ),
        ("huge shard count", Box::new(|d| edit_json(d, "/shard/count", json!(1u64 << 60))), vec!["shard"]),
        (
            "report missing",
            Box::new(|d| std::fs::remove_dir_all(d.join("small-churn-seed4")).expect("rm")),
            vec!["small-churn-seed4/report.json: cannot read the report of failing seed 4"],
        ),
        (
            "another seed's report",
            Box::new(|d| {
                let (a, b) = (d.join("small-churn-seed2/report.json"), d.join("small-churn-seed4/report.json"));
                std::fs::copy(a, b).expect("copy");
            }),
            vec!["small-churn-seed4/report.json: seed is 2, but the folder and runs.csv say 4"],
        ),
    ]
}

#[test]
fn tampered_shards_are_refused_with_one_line_and_honest_ones_merge_byte_identically() {
    let t = Tmp::new("merge-tamper");
    let (whole, shards) = fixture(&t);
    let shard = |root: &Path, i: u32| root.join(format!("sweep-small-churn-seeds0-9-shard{i}of2"));
    let merge = |root: &Path, out: &Path| {
        let (a, b) = (shard(root, 0).display().to_string(), shard(root, 1).display().to_string());
        chordsim(&["merge", &b, &a, "--out", &out.display().to_string()])
    };
    // Honest: exit 3 (no seed matches), the same bytes as the unsharded sweep, reports copied.
    let o = merge(&shards, &t.path("merged"));
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let merged = t.path("merged/sweep-small-churn-seeds0-9");
    for f in ["summary.json", "runs.csv", "small-churn-seed4/report.json", "small-churn-seed7/rounds.csv"] {
        assert!(read(&whole.join(f)) == read(&merged.join(f)), "{f} of the merged shards differs");
    }
    for (i, (name, edit, words)) in cases().into_iter().enumerate() {
        let root = t.path(&format!("case{i}"));
        copy_tree(&shards, &root);
        edit(&shard(&root, 0));
        let out = root.join("out");
        let o = merge(&root, &out);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(1), "{name}: {e}");
        assert_eq!(e.lines().count(), 1, "{name}: not one line: {e}");
        assert!(e.starts_with("error: "), "{name}: {e}");
        for w in words {
            assert!(e.contains(w), "{name}: lacks {w:?}: {e}");
        }
        assert!(!out.join("sweep-small-churn-seeds0-9").exists(), "{name}: a refused merge wrote its folder");
    }
}
