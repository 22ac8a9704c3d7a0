//! `chordsim paper` plumbing on small copies of the paper scenarios (the real ones take ~30 s and run
//! from the command line; their tables are committed under results/paper/).

use chordsim::paper;
use std::path::Path;

fn small_copies(dir: &Path) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/paper");
    std::fs::create_dir_all(dir).expect("temp dir");
    let files = [
        ("fig8.toml", "nodes = 10000", "nodes = 300"),
        ("fig9.toml", "nodes = 10000", "nodes = 200"),
        ("fig10.toml", "probe_keys = 10000", "probe_keys = 300"),
        ("ton-table2.toml", "probe_keys = 10000", "probe_keys = 500"),
    ];
    for (name, from, to) in files {
        let text = std::fs::read_to_string(src.join(name)).expect("scenario");
        let text = text
            .replace(from, to)
            .replace("count = 500000", "count = 15000")
            .replace("count = 1000000", "count = 20000");
        std::fs::write(dir.join(name), text).expect("write");
    }
}

#[test]
fn paper_experiments_produce_tables_and_a_plot() {
    let dir = std::env::temp_dir().join(format!("chordsim-paper-{}", std::process::id()));
    small_copies(&dir);
    let f8 = paper::fig8(&dir, 2).expect("fig8 runs");
    assert_eq!(f8.rows.len(), 3);
    let f9 = paper::fig9(&dir).expect("fig9 runs");
    assert_eq!(f9.rows.len(), 7);
    // More virtual nodes flatten the load even on a small ring.
    let num = |s: &str| s.trim_end_matches('×').parse::<f64>().expect("a multiple of the mean");
    assert!(num(&f9.rows[0].chordsim) > num(&f9.rows[2].chordsim), "{:?}", f9.rows);
    let f10 = paper::fig10(&dir, 1).expect("fig10 runs");
    assert_eq!(f10.rows.len(), 12, "N = 2^3 .. 2^14");
    assert!(f10.rows.iter().all(|r| r.pass), "{:?}", f10.rows);
    let t2 = paper::ton_table2(&dir).expect("table II runs");
    assert_eq!(t2.rows.len(), 18, "path, timeouts and resolution for six values of p");
    assert!(t2.rows.iter().filter(|r| r.what.ends_with("resolved")).all(|r| r.pass), "{:?}", t2.rows);
    let out = dir.join("out");
    paper::write(&f9, &out).expect("writes");
    assert!(std::fs::read_to_string(out.join("fig9.md")).expect("md").contains("| 99th percentile, v = 1 |"));
    assert!(std::fs::read_to_string(out.join("fig9.svg")).expect("svg").contains("<polyline"));
    let _ = std::fs::remove_dir_all(&dir);
}
