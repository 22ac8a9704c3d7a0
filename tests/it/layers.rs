//! The architecture, checked: the library's top-level modules (files and folders of `src/`, the
//! binary's `main.rs` and `cli/` aside) form layers, and the `crate::` references between them, read
//! from the source, must go downwards or sideways only, with no cycle anywhere. The protocol layer is
//! sans-IO by construction: it names nothing outside the ground and protocol layers, and no
//! randomness, clock, file, socket or thread.
//!
//! A new module must be placed in [`LAYERS`]. [`KNOWN_UPWARD`] lists the upward references still to
//! remove (issue 17); the test fails when one disappears, so the list only shrinks.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Lowest first. A module may name modules of its own layer or of layers below.
const LAYERS: &[(&str, &[&str])] = &[
    ("ground", &["id", "rng", "prefetch", "bounds", "out"]),
    ("protocol", &["peer", "options", "msg", "node", "app"]),
    ("scenario", &["scenario"]),
    ("oracle", &["truth", "checker", "metrics", "zave"]),
    ("engine", &["sim", "sim_app", "sim_net", "queue", "net", "churn"]),
    ("output", &["report", "csv", "trace", "plot", "outdir", "progress", "invocation", "stats"]),
    (
        "tools",
        &["run", "determinism", "replay", "checkpoint", "shell", "sweep", "swarm", "paper", "paper_churn", "diagnose"],
    ),
];

/// Upward references still there, each with why.
const KNOWN_UPWARD: &[(&str, &str, &str)] = &[];

/// Words the protocol layer must not contain (outside tests): randomness, clocks, I/O, threads.
const NOT_SANS_IO: &[&str] =
    &["rand", "std::time", "Instant", "SystemTime", "std::fs", "std::io", "std::net", "std::thread"];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Each top-level module's source files (the library's; `main.rs`, `lib.rs` and `cli/` are the binary's
/// or the crate root).
fn modules() -> BTreeMap<String, Vec<PathBuf>> {
    let mut mods: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    let mut stack = vec![src()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).expect("src is readable").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let rel = p.strip_prefix(src()).expect("under src");
                let first = rel.components().next().expect("a component").as_os_str().to_string_lossy();
                let top = first.trim_end_matches(".rs").to_string();
                if !["main", "lib", "cli"].contains(&top.as_str()) {
                    mods.entry(top).or_default().push(p);
                }
            }
        }
    }
    mods
}

/// A file's code without its tests (the `#[cfg(test)]` module ends every file that has one, and files
/// named `tests.rs`, `*_tests.rs` or `harness.rs` are tests) and without `//` comments.
fn code(p: &Path) -> String {
    let name = p.file_name().expect("a file").to_string_lossy();
    if name == "tests.rs" || name.ends_with("_tests.rs") || name == "harness.rs" {
        return String::new();
    }
    let text = std::fs::read_to_string(p).expect("readable");
    let text = text.split("#[cfg(test)]").next().unwrap_or("");
    text.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n")
}

/// `crate::name` references from each module to the others.
fn graph(mods: &BTreeMap<String, Vec<PathBuf>>) -> BTreeMap<String, BTreeSet<String>> {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (m, files) in mods {
        let deps = g.entry(m.clone()).or_default();
        for f in files {
            let c = code(f);
            for piece in c.split("crate::").skip(1) {
                let name: String = piece.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                if name != *m && mods.contains_key(&name) {
                    deps.insert(name);
                }
            }
        }
    }
    g
}

/// A cycle through `start`, if any (depth-first search for a path back to it).
fn cycle_through(g: &BTreeMap<String, BTreeSet<String>>, start: &str) -> Option<Vec<String>> {
    let mut stack = vec![(start.to_string(), vec![start.to_string()])];
    let mut seen = BTreeSet::new();
    while let Some((at, path)) = stack.pop() {
        for next in &g[&at] {
            if next == start {
                return Some([path.clone(), vec![start.to_string()]].concat());
            }
            if seen.insert(next.clone()) {
                stack.push((next.clone(), [path.clone(), vec![next.clone()]].concat()));
            }
        }
    }
    None
}

fn layer_of(m: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, ms)| ms.contains(&m))
}

#[test]
fn every_module_has_a_layer_and_no_module_cycle_exists() {
    let mods = modules();
    assert!(mods.len() > 30, "found {} modules", mods.len());
    let unplaced: Vec<&String> = mods.keys().filter(|m| layer_of(m).is_none()).collect();
    assert!(unplaced.is_empty(), "modules without a layer (place them in LAYERS): {unplaced:?}");
    let g = graph(&mods);
    for m in g.keys() {
        if let Some(c) = cycle_through(&g, m) {
            panic!("module cycle: {}", c.join(" -> "));
        }
    }
}

#[test]
fn references_go_down_the_layers_only() {
    let g = graph(&modules());
    let mut upward = BTreeSet::new();
    for (m, deps) in &g {
        for d in deps {
            if layer_of(d) > layer_of(m) {
                upward.insert((m.as_str(), d.as_str()));
            }
        }
    }
    let known: BTreeSet<(&str, &str)> = KNOWN_UPWARD.iter().map(|&(a, b, _)| (a, b)).collect();
    let new: Vec<_> = upward.difference(&known).collect();
    assert!(new.is_empty(), "a module names one of a higher layer: {new:?}");
    let gone: Vec<_> = known.difference(&upward).collect();
    assert!(gone.is_empty(), "fixed, so remove from KNOWN_UPWARD: {gone:?}");
}

#[test]
fn the_protocol_layer_is_sans_io() {
    let mods = modules();
    let protocol = LAYERS.iter().position(|(n, _)| *n == "protocol").expect("a protocol layer");
    let g = graph(&mods);
    for &m in LAYERS[protocol].1 {
        for d in &g[m] {
            assert!(layer_of(d) <= Some(protocol), "{m} (protocol layer) names {d}");
        }
        for f in &mods[m] {
            let c = code(f);
            let words: Vec<&str> =
                c.split(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_' || ch == ':')).collect();
            for bad in NOT_SANS_IO {
                let hit = words.iter().any(|w| w == bad || w.starts_with(&format!("{bad}::")));
                assert!(!hit, "{} (protocol layer) uses {bad}", f.display());
            }
        }
    }
}
