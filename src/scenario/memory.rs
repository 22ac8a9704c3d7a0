//! How much memory a scenario needs, estimated before the run, and the check that refuses a scenario
//! the machine cannot hold (`--mem-limit`, or the memory the system says is available) instead of
//! letting the allocator abort the process halfway.
//!
//! Owns: the per-slot and per-key cost model and its calibration, the expected number of slots a run
//! creates (initial ring, scripted joins, Poisson joins, session rejoins — each join takes a new slot),
//! the reading of `MemAvailable` from `/proc/meminfo`, and the parsing of `--mem-limit` values.
//! Never: allocate to find out, or depend on the machine in a test (tests pass the limit explicitly).
//!
//! Calibration (release build, `/usr/bin/time -v`, peak RSS of a 40-s run of an ideal ring): 10^5
//! nodes with r = 8 take 227 MiB (about 2.3 KB per node), 2·10^5 take 488 MiB (2.5 KB), r = 32
//! adds about 30 bytes per successor-list entry, `id_bits` does not matter (fingers are stored as
//! distinct runs), and 2·10^4 nodes × 10 virtual nodes cost what 2·10^5 nodes do; the SimGrid
//! workload at 10^6 peaks at 2.55 GiB (2.7 KB per node, results/bench.md). The model charges
//! 2,600 + 40·r bytes per slot, 120 bytes per DHT key copy and 16 MiB of base, so it errs high.

use super::{Event, Scenario, Workload};

/// Bytes a slot costs besides its successor list.
const SLOT_BYTES: u64 = 2_600;
/// Bytes per successor-list entry of a slot.
const SUCC_ENTRY_BYTES: u64 = 40;
/// Bytes per stored copy of a DHT key (store entry, ledger, accounting).
const KEY_BYTES: u64 = 120;
/// The program itself, the checker's tables, buffers.
const BASE_BYTES: u64 = 16 << 20;

/// The estimate and what drives it.
#[derive(Clone, Debug, PartialEq)]
pub struct Estimate {
    pub bytes: u64,
    /// Slots the run is expected to create (virtual nodes included).
    pub slots: u64,
    /// DHT key copies (keys × (replicas + 1)).
    pub key_copies: u64,
    /// The key path of the largest contributor, as the user writes it.
    pub key: String,
}

/// The estimate for `s`. Poisson joins count their mean plus five standard deviations.
#[must_use]
pub fn estimate(s: &Scenario) -> Estimate {
    let v = u64::from(s.initial.virtual_nodes.max(1));
    let mut parts: Vec<(String, u64)> = vec![("initial.nodes".into(), s.initial.nodes)];
    for (i, e) in s.events.iter().enumerate() {
        if let Event::Join { count, .. } = e {
            parts.push((format!("event[{i}].count"), *count));
        }
    }
    for (i, w) in s.workloads.iter().enumerate() {
        match w {
            Workload::Churn { start_s, end_s, join_per_s, .. } => {
                let mean = join_per_s * (end_s - start_s).max(0.0);
                parts.push((format!("workload[{i}].join_per_s"), (mean + 5.0 * mean.sqrt()).ceil() as u64));
            }
            Workload::Sessions { start_s, end_s, population, on, off, .. } => {
                let cycle = (on.mean_s() + off.mean_s()).max(1e-3);
                let rejoins = ((end_s - start_s).max(0.0) / cycle).ceil() as u64 + 1;
                parts.push((format!("workload[{i}].population"), population.saturating_mul(rejoins)));
            }
            _ => {}
        }
    }
    let physical = parts.iter().fold(0u64, |a, (_, n)| a.saturating_add(*n));
    let slots = physical.saturating_mul(v);
    let per_slot = SLOT_BYTES + SUCC_ENTRY_BYTES * u64::from(s.protocol.successor_list_len);
    let sources = if s.dht.enabled { dht_sources(s) } else { Vec::new() };
    let keys = sources.iter().fold(0u64, |a, (_, n)| a.saturating_add(*n));
    let key_copies = keys.saturating_mul(u64::from(s.dht.replicas) + 1);
    let (slot_bytes, key_bytes) = (slots.saturating_mul(per_slot), key_copies.saturating_mul(KEY_BYTES));
    let mut key = parts.iter().max_by_key(|(_, n)| *n).map(|(k, _)| k.clone()).unwrap_or_default();
    if v > 1 && key == "initial.nodes" {
        key = "initial.virtual_nodes".into();
    }
    if key_bytes > slot_bytes {
        key = sources.iter().max_by_key(|(_, n)| *n).map_or("dht.enabled".into(), |(k, _)| k.clone());
    }
    Estimate { bytes: BASE_BYTES.saturating_add(slot_bytes).saturating_add(key_bytes), slots, key_copies, key }
}

/// The sources of DHT keys, by the key that sets each: every `load_keys` count and each workload's
/// key range.
fn dht_sources(s: &Scenario) -> Vec<(String, u64)> {
    let loaded = s.events.iter().enumerate().filter_map(|(i, e)| match e {
        Event::LoadKeys { count, .. } => Some((format!("event[{i}].count"), *count)),
        _ => None,
    });
    let asked = s.workloads.iter().enumerate().filter_map(|(i, w)| match w {
        Workload::Dht { keys, .. } => Some((format!("workload[{i}].keys"), *keys)),
        _ => None,
    });
    loaded.chain(asked).collect()
}

/// Where the limit came from, for the message.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LimitSource {
    Flag,
    Available,
}

/// Refuses `s` when its estimate exceeds `limit` (one line naming the key and the estimate).
pub fn check(s: &Scenario, file: &str, limit: u64, source: LimitSource) -> Result<Estimate, String> {
    let e = estimate(s);
    if e.bytes <= limit {
        return Ok(e);
    }
    let whose = match source {
        LimitSource::Flag => "--mem-limit",
        LimitSource::Available => "the memory available on this machine (MemAvailable)",
    };
    Err(format!(
        "{file}: {}: the run needs about {} ({} slots{}), more than {whose}, {} (allowed: a scenario that fits; \
         lower it, or give a larger --mem-limit if the estimate is too cautious)",
        e.key,
        human(e.bytes),
        e.slots,
        if e.key_copies > 0 { format!(", {} DHT key copies", e.key_copies) } else { String::new() },
        human(limit)
    ))
}

/// The check a command makes before it runs: against `flag` (`--mem-limit`) when given, else against
/// the memory available now (skipped where that cannot be read). `runs` is how many runs of `s` are
/// in memory at once (a sweep's jobs).
pub fn check_before_run(s: &Scenario, file: &str, flag: Option<u64>, runs: u64) -> Result<(), String> {
    let (limit, source) = match (flag, available()) {
        (Some(l), _) => (l, LimitSource::Flag),
        (None, Some(a)) => (a, LimitSource::Available),
        (None, None) => return Ok(()),
    };
    check(s, file, limit / runs.max(1), source).map(|_| ()).map_err(|e| match runs {
        0 | 1 => e,
        n => format!("{e}; {n} runs at once (--jobs) share it"),
    })
}

/// `MemAvailable` from `/proc/meminfo`, in bytes (`None` where it cannot be read).
#[must_use]
pub fn available() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kb.checked_mul(1024)
}

/// Parses a `--mem-limit` value: bytes, or a number with K, M, G or T (binary units, optional `iB`).
pub fn parse_limit(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let digits = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (num, unit) = t.split_at(digits);
    let shift = match unit.trim().trim_end_matches("iB").trim_end_matches('B').to_ascii_uppercase().as_str() {
        "" => 0,
        "K" => 10,
        "M" => 20,
        "G" => 30,
        "T" => 40,
        _ => return Err(format!("{}: not a size (allowed: bytes, or a number with K, M, G or T, e.g. 8G)", cut(t))),
    };
    let n: f64 = num.parse().map_err(|_| format!("{}: not a size (allowed: e.g. 512M, 8G)", cut(t)))?;
    let bytes = n * 2f64.powi(shift);
    if !(1.0..1.8e19).contains(&bytes) {
        return Err(format!("{}: out of range (allowed: 1 byte ..= 16 EiB)", cut(t)));
    }
    Ok(bytes as u64)
}

fn cut(t: &str) -> String {
    let s: String = t.chars().take(40).collect();
    if s.len() < t.len() { format!("{s}…") } else { s }
}

/// Bytes as a short human figure (MiB below 1 GiB, else GiB).
#[must_use]
pub fn human(b: u64) -> String {
    if b < 1 << 30 {
        format!("{:.0} MiB", b as f64 / f64::from(1u32 << 20))
    } else {
        format!("{:.1} GiB", b as f64 / f64::from(1u32 << 30))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sc(text: &str) -> Scenario {
        Scenario::parse(&format!("expect = \"no_check\"\n{text}"), "m.toml", "m").expect("parses")
    }

    #[test]
    fn the_estimate_covers_the_measured_runs() {
        // Measured peaks (module doc): 10^5 nodes 227 MiB, 2·10^5 488 MiB, 2·10^4 × 10 virtual 467 MiB.
        for (text, measured_mib) in [
            ("duration_s = 40\n[initial]\nnodes = 100000\n", 227.0),
            ("duration_s = 40\n[initial]\nnodes = 200000\n", 488.0),
            ("duration_s = 40\n[initial]\nnodes = 20000\nvirtual_nodes = 10\n", 467.0),
        ] {
            let e = estimate(&sc(text));
            let mib = e.bytes as f64 / f64::from(1u32 << 20);
            assert!(mib >= measured_mib && mib <= 1.6 * measured_mib, "{text}: {mib} MiB against {measured_mib}");
        }
    }

    #[test]
    fn too_large_a_scenario_is_refused_naming_its_key() {
        let big = sc("duration_s = 40\n[initial]\nnodes = 10000000\n");
        let err = check(&big, "m.toml", 8 << 30, LimitSource::Flag).expect_err("too large for 8 GiB");
        assert!(err.starts_with("m.toml: initial.nodes: the run needs about 27.2 GiB"), "{err}");
        assert!(err.contains("more than --mem-limit, 8.0 GiB") && !err.contains('\n'), "{err}");
        let virt = sc("duration_s = 40\n[initial]\nnodes = 19531\nvirtual_nodes = 1024\n");
        let err = check(&virt, "m.toml", 8 << 30, LimitSource::Available).expect_err("too large");
        assert!(err.contains(": initial.virtual_nodes: ") && err.contains("MemAvailable"), "{err}");
        let churn = "duration_s = 400\n[initial]\nnodes = 10\n[[workload]]\nkind = \"churn\"\nstart_s = 0\nend_s = 100\njoin_per_s = 1e6\n";
        let err = check(&sc(churn), "m.toml", 8 << 30, LimitSource::Flag).expect_err("10^8 joins");
        assert!(err.contains(": workload[0].join_per_s: "), "{err}");
        assert!(check(&sc("duration_s = 40\n[initial]\nnodes = 1000\n"), "m.toml", 1 << 30, LimitSource::Flag).is_ok());
    }

    #[test]
    fn limits_parse_with_binary_units() {
        assert_eq!(parse_limit("512M"), Ok(512 << 20));
        assert_eq!(parse_limit("8G"), Ok(8 << 30));
        assert_eq!(parse_limit("8GiB"), Ok(8 << 30));
        assert_eq!(parse_limit("1.5g"), Ok(3 << 29));
        assert_eq!(parse_limit("4096"), Ok(4096));
        assert_eq!(parse_limit("2T"), Ok(2 << 40));
        for bad in ["", "G", "8X", "-1G", "0", "1e30"] {
            assert!(parse_limit(bad).is_err(), "{bad}");
        }
    }
}
