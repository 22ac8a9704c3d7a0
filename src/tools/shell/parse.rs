//! Parsing of shell command lines: the command words, durations (`30s`, `500ms`, `2m`), keys (`key-N`
//! or a hex id), and node references by hex prefix, resolved against the nodes alive right now.
//!
//! Owns: the [`Command`] vocabulary, the usage table that `help` prints, and every message a malformed
//! line gets. Each error is one line that says what was wrong and what is accepted.
//! Never: touch the simulation (resolution reads a list of peers it is handed), or panic on any input.

use crate::id::{Id, IdSpace};
use crate::protocol::msg::Peer;
use crate::sim::engine::apps::key_id;

/// Longest `run`: the longest scenario the validator accepts.
const MAX_RUN_US: u64 = 1_000_000_000 * 1_000_000;
/// Most nodes one `join` adds.
pub const MAX_JOIN: u64 = 1000;

/// One parsed command line. Node references are kept as normalized hex prefixes and resolved when
/// the command runs, against the nodes alive then.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    Help,
    Quit,
    /// Run this many µs of simulated time; `force` lifts the per-run cap (`run <d> force`).
    Run {
        us: u64,
        force: bool,
    },
    Step,
    Round,
    Join(u64),
    Crash(String),
    Leave(String),
    /// `lookup` (a zero-time probe) or `lookup!` (a real lookup with messages, `real`).
    Lookup {
        key: Key,
        from: Option<String>,
        real: bool,
    },
    Put {
        key: Key,
        from: Option<String>,
    },
    Get {
        key: Key,
        from: Option<String>,
    },
    Node(String),
    Nodes,
    Ring,
    Check,
    Save(String),
}

/// A key as typed: its id, and how to show it (`key-7 (0x1c3e)` or `0x1c3e`).
#[derive(Clone, Debug, PartialEq)]
pub struct Key {
    pub id: Id,
    pub label: String,
}

/// (command, what it does): the table `help` prints and usage errors quote.
pub const USAGE: &[(&str, &str)] = &[
    ("run <duration> [force]", "run that long: 30s, 500ms, 2m, 1h, 250us; Ctrl-C stops it (cap: see below)"),
    ("step", "run the next event only, and say what it was"),
    ("round", "run to the next round boundary (one stabilize interval)"),
    ("join [n]", "n new nodes (default 1) join through random joined nodes"),
    ("crash <node>", "the node fails silently (fail-stop)"),
    ("leave <node>", "the node leaves gracefully, telling its neighbours"),
    ("lookup <key> [from <node>]", "probe: walk the current routing state hop by hop; no messages, no time"),
    ("lookup! <key> [from <node>]", "a real lookup with messages, judged when it completes as time runs"),
    ("put <key> [from <node>]", "DHT put of a new version of the key (needs [dht] enabled)"),
    ("get <key> [from <node>]", "DHT get of the key, judged against the last acknowledged put"),
    ("node <node>", "a node's predecessor, successor list and fingers next to the truth (✗ = wrong)"),
    ("nodes", "the live node ids in ring order"),
    ("ring", "the checker's view: fractions correct, probes, Zave's properties, DHT items"),
    ("check", "what is wrong right now, node by node, and the properties violated"),
    ("save <file>", "write the session as a scenario whose replay reaches the same state"),
    ("help", "this list"),
    ("quit", "leave the shell (also exit, or end of input)"),
];

fn usage(cmd: &str) -> String {
    let u = USAGE.iter().find(|(u, _)| u.split_whitespace().next() == Some(cmd)).map_or(cmd, |(u, _)| u);
    format!("usage: {u}")
}

/// Parses one line. `Ok(None)` for a blank line or a `#` comment.
pub fn parse(line: &str, space: IdSpace) -> Result<Option<Command>, String> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let mut words = line.split_whitespace();
    let cmd = words.next().unwrap_or_default().to_ascii_lowercase();
    let args: Vec<&str> = words.collect();
    let none = |c: Command| if args.is_empty() { Ok(c) } else { Err(usage(&cmd)) };
    let one = || if args.len() == 1 { Ok(args[0]) } else { Err(usage(&cmd)) };
    let c = match cmd.as_str() {
        "help" | "?" => none(Command::Help)?,
        "quit" | "exit" => none(Command::Quit)?,
        "step" => none(Command::Step)?,
        "round" => none(Command::Round)?,
        "nodes" => none(Command::Nodes)?,
        "ring" => none(Command::Ring)?,
        "check" => none(Command::Check)?,
        "run" => match args.as_slice() {
            [d] => Command::Run { us: duration(d)?, force: false },
            [d, f] if f.eq_ignore_ascii_case("force") => Command::Run { us: duration(d)?, force: true },
            _ => return Err(usage(&cmd)),
        },
        "join" => Command::Join(match args.as_slice() {
            [] => 1,
            [n] => count(n)?,
            _ => return Err(usage(&cmd)),
        }),
        "crash" => Command::Crash(node_prefix(one()?)?),
        "leave" => Command::Leave(node_prefix(one()?)?),
        "node" => Command::Node(node_prefix(one()?)?),
        "lookup" | "lookup!" | "put" | "get" => keyed(&cmd, &args, space)?,
        "save" => {
            let rest = line[cmd.len()..].trim();
            if rest.is_empty() {
                return Err(usage(&cmd));
            }
            Command::Save(rest.to_string())
        }
        _ => return Err(format!("unknown command '{cmd}' (type `help` for the list)")),
    };
    Ok(Some(c))
}

/// `<key> [from <node>]` for lookup, lookup!, put and get.
fn keyed(cmd: &str, args: &[&str], space: IdSpace) -> Result<Command, String> {
    let (k, from) = match args {
        [k] => (k, None),
        [k, f, n] if f.eq_ignore_ascii_case("from") => (k, Some(node_prefix(n)?)),
        _ => return Err(usage(cmd)),
    };
    let key = parse_key(k, space)?;
    Ok(match cmd {
        "put" => Command::Put { key, from },
        "get" => Command::Get { key, from },
        _ => Command::Lookup { key, from, real: cmd == "lookup!" },
    })
}

fn count(s: &str) -> Result<u64, String> {
    match s.parse::<u64>() {
        Ok(n) if (1..=MAX_JOIN).contains(&n) => Ok(n),
        _ => Err(format!("'{s}' is not a node count: give a whole number from 1 to {MAX_JOIN}")),
    }
}

/// A duration with a unit, in µs: `30s`, `500ms`, `2m`, `1.5h`, `250us` (or `250µs`).
pub fn duration(s: &str) -> Result<u64, String> {
    let bad = || format!("'{s}' is not a duration: give a number and a unit, e.g. 30s, 500ms, 2m");
    if s.starts_with('-') {
        return Err(format!("'{s}': a duration must be positive"));
    }
    let split = s.find(|c: char| c.is_alphabetic()).ok_or_else(bad)?;
    let (num, unit) = s.split_at(split);
    let factor = match unit {
        "us" | "µs" => 1.0,
        "ms" => 1e3,
        "s" => 1e6,
        "m" | "min" => 60e6,
        "h" => 3600e6,
        _ => return Err(bad()),
    };
    let v: f64 = num.parse().map_err(|_| bad())?;
    let us = (v * factor).round();
    if !us.is_finite() || us < 1.0 {
        return Err(format!("'{s}': a duration must be at least 1 µs"));
    }
    if us > MAX_RUN_US as f64 {
        return Err(format!("'{s}' is too long: at most 1e9 s at a time"));
    }
    Ok(us as u64)
}

/// A node reference: hex digits of its id (a prefix is enough), with or without `0x`; normalized to
/// lowercase without `0x`.
pub fn node_prefix(s: &str) -> Result<String, String> {
    let t = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")).unwrap_or(s);
    if t.is_empty() || t.len() > 16 || !t.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(format!("'{s}' is not a node id: give hex digits of its id (a prefix is enough), e.g. 3a"));
    }
    Ok(t.to_ascii_lowercase())
}

/// A key: `key-N` (SHA-1 of that name, as the DHT workload names keys) or a hex id.
pub fn parse_key(s: &str, space: IdSpace) -> Result<Key, String> {
    if let Some(n) = s.strip_prefix("key-") {
        let n: u64 = n.parse().map_err(|_| format!("'{s}' is not a key name: key-N with N a whole number"))?;
        let id = key_id(space, n);
        return Ok(Key { id, label: format!("{s} ({id})") });
    }
    let t = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")).unwrap_or(s);
    let v = u64::from_str_radix(t, 16)
        .map_err(|_| format!("'{s}' is not a key: give key-N or a hex id, e.g. key-7 or 0x3a1f"))?;
    if space.id(v).0 != v {
        return Err(format!("key '{s}' does not fit in {} bits", space.bits()));
    }
    Ok(Key { id: Id(v), label: Id(v).to_string() })
}

/// The node among `candidates` that `prefix` names. An id equal to the whole prefix wins; otherwise
/// the prefix must start exactly one id, written either as shown (`0x3a1f`) or zero-padded to the
/// id width. `what` names the candidates in messages ("live").
pub fn resolve(prefix: &str, candidates: &[Peer], space: IdSpace, what: &str) -> Result<Peer, String> {
    if let Ok(v) = u64::from_str_radix(prefix, 16)
        && let Some(p) = candidates.iter().find(|p| p.id.0 == v)
    {
        return Ok(*p);
    }
    let width = space.bits().div_ceil(4) as usize;
    let matches: Vec<&Peer> = candidates
        .iter()
        .filter(|p| {
            let (plain, padded) = (format!("{:x}", p.id.0), format!("{:0width$x}", p.id.0));
            plain.starts_with(prefix) || padded.starts_with(prefix)
        })
        .collect();
    match matches.as_slice() {
        [] => Err(format!("no {what} node has an id starting with 0x{prefix} (`nodes` lists them)")),
        [p] => Ok(**p),
        many => {
            let shown: Vec<String> = many.iter().take(6).map(|p| p.id.to_string()).collect();
            let more = if many.len() > 6 { format!(" and {} more", many.len() - 6) } else { String::new() };
            Err(format!("0x{prefix} is ambiguous: {}{more} — type more digits", shown.join(", ")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::msg::Addr;

    fn sp() -> IdSpace {
        IdSpace::new(16)
    }

    fn peers(ids: &[u64]) -> Vec<Peer> {
        ids.iter().enumerate().map(|(i, &id)| Peer { id: Id(id), addr: Addr(i as u32) }).collect()
    }

    #[test]
    fn durations() {
        assert_eq!(duration("30s"), Ok(30_000_000));
        assert_eq!(duration("500ms"), Ok(500_000));
        assert_eq!(duration("2m"), Ok(120_000_000));
        assert_eq!(duration("1.5h"), Ok(5_400_000_000));
        assert_eq!(duration("250us"), Ok(250));
        assert_eq!(duration("0.5ms"), Ok(500));
        assert!(duration("-5s").unwrap_err().contains("positive"));
        assert!(duration("5").unwrap_err().contains("unit"));
        assert!(duration("5 parsecs").is_err());
        assert!(duration("0s").unwrap_err().contains("at least"));
        assert!(duration("nans").is_err());
        assert!(duration("1000000000000h").unwrap_err().contains("too long"));
        assert!(duration("1e3s").is_err(), "no exponents: the unit starts at the first letter");
    }

    #[test]
    fn commands_and_errors() {
        let p = |s: &str| parse(s, sp());
        assert_eq!(p("  "), Ok(None));
        assert_eq!(p("# a comment"), Ok(None));
        assert_eq!(p("RUN 30s"), Ok(Some(Command::Run { us: 30_000_000, force: false })));
        assert_eq!(p("run 2h FORCE"), Ok(Some(Command::Run { us: 7_200_000_000, force: true })));
        assert!(p("run 2h now").unwrap_err().starts_with("usage: run <duration> [force]"));
        assert_eq!(p("join"), Ok(Some(Command::Join(1))));
        assert_eq!(p("join 3"), Ok(Some(Command::Join(3))));
        assert_eq!(p("crash 0x3A"), Ok(Some(Command::Crash("3a".into()))));
        assert_eq!(p("save my session.toml"), Ok(Some(Command::Save("my session.toml".into()))));
        assert!(p("crash zz").unwrap_err().contains("not a node id"));
        assert!(p("crash").unwrap_err().starts_with("usage: crash <node>"));
        assert!(p("ring now").unwrap_err().starts_with("usage: ring"));
        assert!(p("join 0").unwrap_err().contains("1 to 1000"));
        assert!(p("frobnicate").unwrap_err().contains("unknown command 'frobnicate'"));
        assert!(p("lookup key-1 via 3a").unwrap_err().starts_with("usage: lookup <key>"));
        match p("lookup! key-1 from 3a") {
            Ok(Some(Command::Lookup { real: true, from: Some(f), key })) => {
                assert_eq!(f, "3a");
                assert_eq!(key.id, key_id(sp(), 1));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn keys() {
        let k = parse_key("key-7", sp()).unwrap();
        assert_eq!(k.id, key_id(sp(), 7));
        assert!(k.label.starts_with("key-7 (0x"));
        assert_eq!(parse_key("0x3a1f", sp()).unwrap().id, Id(0x3a1f));
        assert_eq!(parse_key("3a1f", sp()).unwrap().id, Id(0x3a1f));
        assert!(parse_key("0x13a1f", sp()).unwrap_err().contains("16 bits"));
        assert!(parse_key("key-x", sp()).is_err());
        assert!(parse_key("hello", sp()).is_err());
    }

    #[test]
    fn prefixes_resolve_or_say_why_not() {
        let ps = peers(&[0x3a10, 0x3b22, 0x0a3f, 0x3a, 0x9000]);
        let r = |s: &str| resolve(&node_prefix(s).unwrap(), &ps, sp(), "live").map(|p| p.id.0);
        assert_eq!(r("3b"), Ok(0x3b22));
        assert_eq!(r("0x9"), Ok(0x9000));
        assert_eq!(r("3a"), Ok(0x3a), "an exact id beats a prefix");
        assert_eq!(r("3a1"), Ok(0x3a10));
        assert_eq!(r("0a"), Ok(0x0a3f), "zero-padded form");
        assert_eq!(r("a3"), Ok(0x0a3f), "as displayed");
        let amb = r("3").unwrap_err();
        assert!(amb.contains("ambiguous") && amb.contains("0x3a10") && amb.contains("0x3b22"), "{amb}");
        assert!(r("77").unwrap_err().contains("no live node has an id starting with 0x77"));
    }
}
