//! The schema pass walked over every shipped scenario: a bogus key inserted into every table and
//! inline table is refused, on one line, at its own line, naming its key path; where serde would
//! also refuse it, serde's list of expected keys equals the schema's allowed list (so the schema in
//! `scenario/schema.rs` and the serde structs cannot drift apart unnoticed).

use chordsim::scenario::Scenario;
use std::path::{Path, PathBuf};
use toml_edit::{DocumentMut, Item, Value};

const BOGUS: &str = "bogus_key";

/// Every `*.toml` under `scenarios/`.
fn shipped() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<PathBuf> =
            std::fs::read_dir(dir).expect("list").map(|e| e.expect("entry").path()).collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|e| e == "toml") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios"), &mut out);
    out
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_string() } else { format!("{path}.{key}") }
}

/// Inserts the bogus key into the `target`-th table or inline table (document order); returns the
/// table's key path, or `None` when there are fewer tables.
fn insert_nth(doc: &mut DocumentMut, target: usize) -> Option<String> {
    let mut count = 0;
    table(doc.as_table_mut(), String::new(), target, &mut count)
}

fn table(t: &mut toml_edit::Table, path: String, target: usize, count: &mut usize) -> Option<String> {
    if *count == target {
        t.insert(BOGUS, toml_edit::value(1));
        return Some(path);
    }
    *count += 1;
    for (k, v) in t.iter_mut() {
        if let Some(p) = item(v, join(&path, k.get()), target, count) {
            return Some(p);
        }
    }
    None
}

fn item(i: &mut Item, path: String, target: usize, count: &mut usize) -> Option<String> {
    match i {
        Item::Table(t) => table(t, path, target, count),
        Item::ArrayOfTables(a) => {
            a.iter_mut().enumerate().find_map(|(n, t)| table(t, format!("{path}[{n}]"), target, count))
        }
        Item::Value(v) => value(v, path, target, count),
        Item::None => None,
    }
}

fn value(v: &mut Value, path: String, target: usize, count: &mut usize) -> Option<String> {
    match v {
        Value::InlineTable(t) => {
            if *count == target {
                t.insert(BOGUS, Value::from(1));
                return Some(path);
            }
            *count += 1;
            t.iter_mut().find_map(|(k, v)| value(v, join(&path, k.get()), target, count))
        }
        Value::Array(a) => a.iter_mut().enumerate().find_map(|(n, v)| value(v, format!("{path}[{n}]"), target, count)),
        _ => None,
    }
}

/// The names in a list such as "(allowed: a, b, c)" or serde's "expected one of `a`, `b`".
fn names(list: &str) -> Vec<String> {
    let mut v: Vec<String> = list
        .split([',', '|', ' '])
        .map(|s| s.trim_matches(|c| c == '`' || c == ')'))
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    v.sort();
    v
}

#[test]
fn a_bogus_key_in_any_table_of_any_shipped_scenario_is_refused_by_name() {
    let mut tables = 0;
    let mut compared = 0;
    let files = shipped();
    assert!(files.len() >= 20, "{} scenarios found", files.len());
    for path in &files {
        let text = std::fs::read_to_string(path).expect("read");
        let file = path.display().to_string();
        Scenario::parse(&text, &file, "x").unwrap_or_else(|e| panic!("shipped scenario refused: {e}"));
        for n in 0.. {
            let mut doc: DocumentMut = text.parse().expect("toml");
            let Some(at) = insert_nth(&mut doc, n) else { break };
            tables += 1;
            let bad = doc.to_string();
            let key = join(&at, BOGUS);
            let err = Scenario::parse(&bad, &file, "x").expect_err(&format!("{file}: {key} accepted")).to_string();
            assert_eq!(err.lines().count(), 1, "{err}");
            let line = bad.lines().position(|l| l.contains(BOGUS)).expect("inserted") + 1;
            let head = format!("{file}:{line}:");
            assert!(err.starts_with(&head), "{key}: error not at line {line}: {err}");
            assert!(err.contains(&format!("{key}: unknown key \"{BOGUS}\" (allowed: ")), "{err}");
            // Where serde refuses it too, its expected list is the schema's allowed list.
            let serde = toml::from_str::<Scenario>(&bad).map_err(|e| e.message().to_string());
            if let Err(m) = serde
                && let Some(expected) = m.split("expected one of ").nth(1)
            {
                let allowed = err.rsplit("(allowed: ").next().expect("allowed list");
                let serde_names = names(expected);
                // serde leaves out the tag of an internally tagged enum; the schema lists it.
                let mut ours = names(allowed);
                ours.retain(|n| serde_names.contains(n) || !matches!(n.as_str(), "kind" | "action" | "dist"));
                assert_eq!(ours, serde_names, "{file}: {key}: schema and serde disagree");
                compared += 1;
            }
        }
    }
    eprintln!("{} scenarios, {tables} tables with a bogus key refused, {compared} compared with serde", files.len());
    assert!(tables > 200 && compared > 100, "{tables} tables, {compared} compared");
}

#[test]
fn every_resolved_shipped_scenario_passes_the_schema() {
    // A report embeds the resolved scenario (every default written out): the schema knows all of it.
    for path in shipped() {
        let file = path.display().to_string();
        let sc = Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
        let back = Scenario::parse(&sc.to_toml(), &file, "x").unwrap_or_else(|e| panic!("resolved {file}: {e}"));
        assert_eq!(back.to_toml(), sc.to_toml(), "{file}");
    }
}
