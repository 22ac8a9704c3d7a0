//! Generated input: proptest over mutations of a valid scenario (type swaps, boundary values,
//! unknown keys, huge sizes, bad node references) run through the parser and validator in process.
//! Every case is accepted or refused with exactly one line that names a key; none panics.
//! `CHORDSIM_INPUT_CASES` raises the case count (default 3000).

use chordsim::scenario::Scenario;
use proptest::prelude::*;

/// (line, key path) of the base scenario; a `None` path is a table header.
const LINES: &[(&str, Option<&str>)] = &[
    ("name = \"p\"", Some("name")),
    ("duration_s = 400", Some("duration_s")),
    ("id_bits = 32", Some("id_bits")),
    ("[initial]", None),
    ("nodes = 20", Some("initial.nodes")),
    ("virtual_nodes = 1", Some("initial.virtual_nodes")),
    ("[protocol]", None),
    ("stabilize_interval_ms = 10000", Some("protocol.stabilize_interval_ms")),
    ("successor_list_len = 4", Some("protocol.successor_list_len")),
    ("[net]", None),
    ("latency = { kind = \"uniform\", min_ms = 1, max_ms = 5 }", Some("net.latency")),
    ("loss_ratio = 0", Some("net.loss_ratio")),
    ("[check]", None),
    ("probe_keys = 16", Some("check.probe_keys")),
    ("[[event]]", None),
    ("at_s = 50", Some("event[0].at_s")),
    ("action = \"crash\"", Some("event[0].action")),
    ("node = { rank = 3 }", Some("event[0].node")),
    ("[[workload]]", None),
    ("kind = \"lookups\"", Some("workload[0].kind")),
    ("start_s = 0", Some("workload[0].start_s")),
    ("end_s = 100", Some("workload[0].end_s")),
    ("per_s = 1", Some("workload[0].per_s")),
];

/// Values no key of the base takes as they are: a wrong type wherever they go.
const ALIEN: &[&str] = &["[1, 2]", "{ a = 1 }", "1979-05-27T07:32:00Z", "[]"];
/// Boundary and extreme values, huge sizes and bad node references: valid for some keys only.
const EDGE: &[&str] = &[
    "-1",
    "0",
    "1",
    "9223372036854775807",
    "-9223372036854775808",
    "1e308",
    "nan",
    "inf",
    "-inf",
    "-0.0",
    "4294967296",
    "20000001",
    "1000000000000",
    "true",
    "\"s\"",
    "\"\"",
    "\" 0x1\"",
    "{ rank = 1000000000 }",
    "{ id = \" 0x1\" }",
    "{ id = \"0x1\", rank = 2 }",
    "{ id = \"0xffffffffff\" }",
    "{ kind = \"zipf\" }",
    "\"exponential\"",
    "\"join\"",
    "\"churn\"",
    "0.5",
];

#[derive(Debug, Clone)]
enum Mutation {
    /// Replace the value of line `i` by this text.
    Value(usize, String),
    /// Insert `bogus_<n> = 1` after line `i`.
    Unknown(usize, u32),
    /// A string of `n` characters as the value of line `i`.
    Huge(usize, usize),
}

fn value_lines() -> Vec<usize> {
    (0..LINES.len()).filter(|&i| LINES[i].1.is_some()).collect()
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let lines = value_lines();
    let pick = proptest::sample::select(lines);
    prop_oneof![
        (pick.clone(), proptest::sample::select(ALIEN)).prop_map(|(i, v)| Mutation::Value(i, v.to_string())),
        (pick.clone(), proptest::sample::select(EDGE)).prop_map(|(i, v)| Mutation::Value(i, v.to_string())),
        (0..LINES.len(), any::<u32>()).prop_map(|(i, n)| Mutation::Unknown(i, n)),
        (pick, 1usize..200_000).prop_map(|(i, n)| Mutation::Huge(i, n)),
    ]
}

fn render(muts: &[Mutation]) -> String {
    let mut lines: Vec<String> = LINES.iter().map(|l| l.0.to_string()).collect();
    let mut extra: Vec<(usize, String)> = Vec::new();
    for m in muts {
        match m {
            Mutation::Value(i, v) => lines[*i] = format!("{} = {v}", LINES[*i].0.split(" = ").next().unwrap_or("")),
            Mutation::Huge(i, n) => {
                lines[*i] = format!("{} = \"{}\"", LINES[*i].0.split(" = ").next().unwrap_or(""), "y".repeat(*n));
            }
            Mutation::Unknown(i, n) => extra.push((*i, format!("bogus_{n} = 1"))),
        }
    }
    extra.sort();
    for (i, l) in extra.into_iter().rev() {
        lines.insert(i + 1, l);
    }
    lines.join("\n") + "\n"
}

fn cases() -> u32 {
    std::env::var("CHORDSIM_INPUT_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(3000)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_scenarios_are_refused_on_one_line_naming_a_key(muts in proptest::collection::vec(mutation(), 1..4)) {
        let text = render(&muts);
        let result = Scenario::parse(&text, "p.toml", "p");
        // An alien value counts only if no later mutation overwrites its line.
        let line = |m: &Mutation| match m { Mutation::Value(i, _) | Mutation::Huge(i, _) => Some(*i), Mutation::Unknown(..) => None };
        let alien = muts.iter().enumerate().any(|(n, m)| {
            matches!(m, Mutation::Value(_, v) if ALIEN.contains(&v.as_str()))
                && !muts[n + 1..].iter().any(|later| line(later) == line(m))
        });
        let unknown = muts.iter().any(|m| matches!(m, Mutation::Unknown(..)));
        let huge = muts.iter().any(|m| matches!(m, Mutation::Huge(..)));
        if alien || unknown {
            prop_assert!(result.is_err(), "accepted:\n{}", text);
        }
        if let Err(e) = result {
            let e = e.to_string();
            prop_assert_eq!(e.lines().count(), 1, "{}", e);
            prop_assert!(e.starts_with("p.toml"), "{}", e);
            prop_assert!(e.len() < 600, "{} bytes: {}", e.len(), &e[..200]);
            // A key path is named unless the TOML itself is malformed (then the position says where).
            let named = LINES.iter().filter_map(|l| l.1).any(|k| e.contains(&format!(" {k}")))
                || e.contains("bogus_") || e.contains(": TOML syntax: ");
            prop_assert!(named, "no key named: {}", e);
            if huge {
                prop_assert!(!e.contains(&"y".repeat(41)), "value echoed whole: {}", e);
            }
        }
    }
}
