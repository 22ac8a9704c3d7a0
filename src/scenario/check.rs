//! Range and cross-field validation of a parsed scenario.
//!
//! Owns: the allowed range of every numeric setting and the rules that tie settings together (a
//! window inside the run, enough quiet rounds after the last membership change, unique explicit ids).
//! Each message names the file, the key path and the allowed range. Never: modify the scenario.

use crate::scenario::{
    Event, Expect, Latency, Lifetime, NodeRef, Popularity, Scenario, ScenarioError, StartMode, Variant, Workload,
};
use crate::time::Time;

/// Collects every problem found, so the user fixes them all in one go.
pub struct Validator<'a> {
    file: &'a str,
    /// (key path, problem), in the order found.
    errors: Vec<(String, String)>,
}

/// Upper bound on nodes ever alive at once (memory guard, not a protocol limit).
pub const MAX_NODES: u64 = 20_000_000;
/// Upper bound on ring pictures per run (`[report] ring_pictures_at_rounds`).
pub const MAX_RING_PICTURES: usize = 16;
/// Upper bound on DHT items.
pub const MAX_ITEMS: u64 = 50_000_000;

/// What a scenario name may be, in words.
pub const NAME_RULE: &str = "1..=100 characters of A-Z a-z 0-9 . _ -, not starting with a dot";

/// Why `name` is not a safe scenario name, if it is not.
pub fn check_name(name: &str) -> Result<(), &'static str> {
    let safe = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if name.is_empty() {
        Err("is empty")
    } else if name.chars().count() > 100 {
        Err("is too long")
    } else if name.starts_with('.') {
        Err("starts with a dot")
    } else if !name.chars().all(safe) {
        Err("has a character outside the allowed set")
    } else {
        Ok(())
    }
}

pub use crate::bounds::excerpt;

impl<'a> Validator<'a> {
    #[must_use]
    pub fn new(file: &'a str) -> Self {
        Validator { file, errors: Vec::new() }
    }

    /// The first problem, on one line, with the keys of any others (fix them all in one go).
    pub fn finish(self) -> Result<(), ScenarioError> {
        self.finish_at(&|_| String::new())
    }

    /// [`Validator::finish`], with `at(key)` giving the key's `:LINE:COL` in the file (or nothing).
    pub fn finish_at(self, at: &dyn Fn(&str) -> String) -> Result<(), ScenarioError> {
        let Some((key, msg)) = self.errors.first() else { return Ok(()) };
        let mut line = format!("{}{}: {key}: {msg}", self.file, at(key));
        let rest: Vec<&str> = self.errors[1..].iter().map(|(k, _)| k.as_str()).collect();
        if !rest.is_empty() {
            let more = if rest.len() > 3 { ", …" } else { "" };
            let shown = rest.iter().take(3).copied().collect::<Vec<_>>().join(", ");
            line.push_str(&format!(" [{} more: {shown}{more}]", rest.len()));
        }
        Err(ScenarioError(line))
    }

    fn err(&mut self, key: &str, msg: String) {
        self.errors.push((key.to_string(), msg));
    }

    /// A finite number in `[lo, hi]`.
    fn range(&mut self, key: &str, v: f64, lo: f64, hi: f64) {
        if !v.is_finite() || v < lo || v > hi {
            self.err(key, format!("{v} is out of range (allowed {lo} ..= {hi})"));
        }
    }

    fn int_range(&mut self, key: &str, v: u64, lo: u64, hi: u64) {
        if v < lo || v > hi {
            self.err(key, format!("{v} is out of range (allowed {lo} ..= {hi})"));
        }
    }

    pub fn scenario(&mut self, s: &Scenario) {
        self.name(&s.name);
        self.int_range("id_bits", u64::from(s.id_bits), 1, 64);
        self.range("duration_s", s.duration_s, 1e-6, 1e9);
        self.initial(s);
        self.protocol(s);
        self.net(s);
        self.check(s);
        self.dht(s);
        self.int_range("limits.max_events", s.limits.max_events, 1, u64::MAX);
        for (i, e) in s.events.iter().enumerate() {
            self.event(i, e, s);
        }
        for (i, w) in s.workloads.iter().enumerate() {
            self.workload(i, w, s);
        }
        self.quiet_phase(s);
    }

    /// The name becomes a folder name (`<name>-seed<seed>`, `sweep-<name>-…`): a safe character set
    /// and length, so that it can never leave `--out` or fail to be created after the run.
    fn name(&mut self, name: &str) {
        if let Err(why) = check_name(name) {
            let shown = excerpt(name);
            self.err("name", format!("{shown} {why} (allowed: {NAME_RULE})"));
        }
    }

    fn initial(&mut self, s: &Scenario) {
        let space = if (1..=64).contains(&s.id_bits) { s.space().size() } else { u64::MAX };
        let hi = MAX_NODES.min(space);
        if s.initial.nodes > space {
            let msg =
                format!("{} nodes do not fit in a {}-bit id space (allowed 1 ..= {hi})", s.initial.nodes, s.id_bits);
            self.err("initial.nodes", msg);
        } else {
            self.int_range("initial.nodes", s.initial.nodes, 1, hi);
        }
        let drawn = s.initial.nodes.saturating_mul(u64::from(s.initial.virtual_nodes.max(1)));
        if s.initial.ids.is_empty() && s.initial.nodes <= space && drawn > space / 2 && s.id_bits < 64 {
            let msg = format!(
                "{drawn} ids drawn at random fill more than half of the {}-bit id space (allowed 1 ..= {}; \
                 give explicit initial.ids to fill it)",
                s.id_bits,
                space / 2
            );
            self.err("initial.nodes", msg);
        }
        if s.initial.ids.is_empty() || !(1..=64).contains(&s.id_bits) {
            return;
        }
        if s.initial.ids.len() as u64 != s.initial.nodes {
            let msg =
                format!("{} ids given but initial.nodes = {} (they must match)", s.initial.ids.len(), s.initial.nodes);
            self.err("initial.ids", msg);
        }
        let mut seen = std::collections::BTreeSet::new();
        for (i, t) in s.initial.ids.iter().enumerate() {
            match s.space().parse(t) {
                Ok(id) if !seen.insert(id) => self.err(&format!("initial.ids[{i}]"), format!("duplicate id {t}")),
                Ok(_) => {}
                Err(e) => self.err(&format!("initial.ids[{i}]"), e),
            }
        }
    }

    fn protocol(&mut self, s: &Scenario) {
        let p = &s.protocol;
        self.int_range("protocol.successor_list_len", u64::from(p.successor_list_len), 1, 32);
        self.range("protocol.stabilize_interval_ms", p.stabilize_interval_ms, 0.001, 1e9);
        self.range("protocol.stabilize_jitter", p.stabilize_jitter, 0.0, 0.99);
        self.range("protocol.fix_fingers_interval_ms", p.fix_fingers_interval_ms, 0.001, 1e9);
        self.range("protocol.check_predecessor_interval_ms", p.check_predecessor_interval_ms, 0.001, 1e9);
        if p.maintenance == crate::scenario::Maintenance::Joint {
            self.joint_intervals(p);
        }
        if p.variant == Variant::Zave {
            self.zave_start(s);
        }
        self.int_range("protocol.lookup_max_steps", u64::from(p.lookup_max_steps), 1, 10_000);
        self.int_range("protocol.max_pending_rpcs", u64::from(p.max_pending_rpcs), 4, 1_000_000);
        self.range("protocol.join_retry_ms", p.join_retry_ms, 0.001, 1e9);
        // Alternates come from the finger owner's successor list: at most r of them besides it.
        let max_alt = (u64::from(p.successor_list_len) + 1).min(33);
        self.int_range("protocol.finger_alternates", u64::from(p.finger_alternates), 0, max_alt);
    }

    /// `maintenance = "joint"` runs `fix_fingers` and `check_predecessor` every k-th stabilize tick, so their
    /// intervals must be whole multiples of the stabilize interval (in microseconds) — where they are
    /// used: not `fix_fingers`' under a per-stabilize finger refresh, not `check_predecessor`'s for `zave`.
    fn joint_intervals(&mut self, p: &crate::scenario::Protocol) {
        let stab = Time::from_ms(p.stabilize_interval_ms).us().max(1);
        let fix_used = p.finger_refresh.uses_fix_fingers_timer();
        let check_used = p.variant != Variant::Zave;
        let used = [
            ("protocol.fix_fingers_interval_ms", p.fix_fingers_interval_ms, fix_used),
            ("protocol.check_predecessor_interval_ms", p.check_predecessor_interval_ms, check_used),
        ];
        for (key, ms) in used.into_iter().filter(|u| u.2).map(|(k, ms, _)| (k, ms)) {
            let us = Time::from_ms(ms).us();
            if us < stab || !us.is_multiple_of(stab) {
                let msg = format!(
                    "{ms} ms: with maintenance = \"joint\" it must be a whole multiple (1, 2, 3, …) of \
                     stabilize_interval_ms = {} ms",
                    p.stabilize_interval_ms
                );
                self.err(key, msg);
            }
        }
    }

    /// TSE'17 operating assumptions: start from an ideal ring of at least r+1 nodes; the protocol has
    /// no graceful leave (use crashes).
    fn zave_start(&mut self, s: &Scenario) {
        let r = u64::from(s.protocol.successor_list_len);
        if s.initial.mode != StartMode::Ideal {
            self.err(
                "initial.mode",
                "protocol.variant = \"zave\" must start from an ideal ring (mode = \"ideal\")".into(),
            );
        }
        if s.initial.nodes < r + 1 {
            let msg = format!(
                "{} nodes, but protocol.variant = \"zave\" needs at least r+1 = {} to start",
                s.initial.nodes,
                r + 1
            );
            self.err("initial.nodes", msg);
        }
        let leaves = s.events.iter().any(|e| matches!(e, Event::Leave { .. } | Event::LeaveFraction { .. }))
            || s.workloads.iter().any(|w| match w {
                Workload::Churn { leave_per_s, .. } => *leave_per_s > 0.0,
                Workload::Sessions { leave_probability, .. } => *leave_probability > 0.0,
                _ => false,
            });
        if leaves {
            self.err(
                "protocol.variant",
                "\"zave\" has no graceful leave (TSE'17): use crashes instead of leaves".into(),
            );
        }
        let p = &s.protocol;
        for (key, on) in [
            ("protocol.ping_owner", p.ping_owner),
            ("protocol.successor_fallback", p.successor_fallback),
            ("protocol.join_fetches_list", p.join_fetches_list),
        ] {
            if on {
                let msg = "applies to variant \"ton03\" only (Zave's protocol checks every pointer it adopts)";
                self.err(key, msg.into());
            }
        }
    }

    fn net(&mut self, s: &Scenario) {
        let n = &s.net;
        match n.latency {
            Latency::Constant { ms } => self.range("net.latency.ms", ms, 0.0, 1e7),
            Latency::Uniform { min_ms, max_ms } => {
                self.range("net.latency.min_ms", min_ms, 0.0, 1e7);
                self.range("net.latency.max_ms", max_ms, min_ms.max(0.0), 1e7);
            }
            Latency::Exponential { mean_ms } => self.range("net.latency.mean_ms", mean_ms, 0.0, 1e7),
            Latency::Euclidean { dims, side_ms } => {
                self.int_range("net.latency.dims", u64::from(dims), 1, 16);
                self.range("net.latency.side_ms", side_ms, 0.0, 1e6);
            }
            Latency::Matrix { ref file, .. } => {
                if file.trim().is_empty() {
                    self.err("net.latency.file", "empty path (a file of N×N delays in ms)".into());
                }
            }
        }
        self.range("net.jitter_ms", n.jitter_ms, 0.0, 1e7);
        self.range("net.jitter_fraction", n.jitter_fraction, 0.0, 10.0);
        self.range("net.loss_ratio", n.loss_ratio, 0.0, 0.99);
        self.range("net.rpc_timeout_ms", n.rpc_timeout_ms, 0.001, 1e9);
    }

    fn dht(&mut self, s: &Scenario) {
        let d = &s.dht;
        self.int_range("dht.replicas", u64::from(d.replicas), 0, u64::from(s.protocol.successor_list_len));
        self.range("dht.repair_interval_ms", d.repair_interval_ms, 0.001, 1e9);
        self.int_range("dht.repair_items_per_period", u64::from(d.repair_items_per_period), 1, 100_000_000);
        self.int_range("dht.batch_items", u64::from(d.batch_items), 1, 100_000);
        self.int_range("initial.virtual_nodes", u64::from(s.initial.virtual_nodes), 1, 1024);
        if s.initial.virtual_nodes > 1 && !s.initial.ids.is_empty() {
            self.err("initial.ids", "explicit ids cannot be combined with virtual_nodes > 1".into());
        }
        let total = s.initial.nodes.saturating_mul(u64::from(s.initial.virtual_nodes));
        if total > MAX_NODES {
            self.err("initial.virtual_nodes", format!("{total} virtual nodes in all is over the limit of {MAX_NODES}"));
        }
    }

    fn check(&mut self, s: &Scenario) {
        let c = &s.check;
        self.int_range("check.every_rounds", u64::from(c.every_rounds), 1, 1_000_000);
        self.int_range("check.print_every_rounds", u64::from(c.print_every_rounds), 0, 1_000_000);
        self.int_range("check.probe_keys", u64::from(c.probe_keys), 0, 10_000_000);
        self.int_range("check.quiet_rounds_max", u64::from(c.quiet_rounds_max), 1, 1_000_000);
        if !c.warmup_s.is_finite() || c.warmup_s < 0.0 || c.warmup_s >= s.duration_s {
            let msg = format!("{} is out of range (allowed 0 <= warmup_s < duration_s = {})", c.warmup_s, s.duration_s);
            self.err("check.warmup_s", msg);
        }
        self.ring_pictures(s);
    }

    /// An on or off period distribution: a positive mean, and a shape with a finite mean.
    fn lifetime(&mut self, key: &str, l: &Lifetime) {
        self.range(&format!("{key}.mean_s"), l.mean_s(), 0.001, 1e9);
        match *l {
            Lifetime::Exponential { .. } => {}
            Lifetime::Weibull { shape, .. } => self.range(&format!("{key}.shape"), shape, 0.1, 20.0),
            Lifetime::Pareto { shape, .. } => {
                if !(shape.is_finite() && shape > 1.0 && shape <= 100.0) {
                    let msg = format!("{shape} is out of range (allowed 1 < shape <= 100; the mean is infinite at 1)");
                    self.err(&format!("{key}.shape"), msg);
                }
            }
        }
    }

    /// `[report] ring_pictures_at_rounds`: at most [`MAX_RING_PICTURES`] rounds, each within the run.
    pub fn ring_pictures(&mut self, s: &Scenario) {
        let Some(rounds) = &s.report.ring_pictures_at_rounds else { return };
        let key = "report.ring_pictures_at_rounds";
        if rounds.len() > MAX_RING_PICTURES {
            self.err(key, format!("{} rounds listed (allowed at most {MAX_RING_PICTURES})", rounds.len()));
        }
        let last = s.duration_us() / s.round_us().max(1);
        for (i, &k) in rounds.iter().enumerate() {
            self.int_range(&format!("{key}[{i}]"), u64::from(k), 0, last);
        }
    }

    fn event(&mut self, i: usize, e: &Event, s: &Scenario) {
        let key = |k: &str| format!("event[{i}].{k}");
        self.range(&key("at_s"), e.at_s(), 0.0, s.duration_s);
        match e {
            Event::Join { count, .. } => self.int_range(&key("count"), *count, 1, MAX_NODES),
            Event::LoadKeys { count, .. } => {
                self.int_range(&key("count"), *count, 1, MAX_ITEMS);
                if !s.dht.enabled {
                    self.err(&key("action"), "load_keys needs the DHT: set [dht] enabled = true".into());
                }
            }
            Event::CrashFraction { fraction, .. } | Event::LeaveFraction { fraction, .. } => {
                self.range(&key("fraction"), *fraction, 0.0, 1.0);
            }
            Event::Partition { at_s, heal_at_s, fraction } => {
                self.range(&key("fraction"), *fraction, 0.0, 1.0);
                self.range(&key("heal_at_s"), *heal_at_s, at_s.max(0.0), s.duration_s);
            }
            Event::Crash { node, .. } | Event::Leave { node, .. } => self.node_ref(&key("node"), node, s),
        }
    }

    /// A node reference as far as it can be known before the run: an id's syntax and, when no node
    /// can ever join, membership of the explicit ids; a rank against the largest ring the scenario
    /// can ever have (unbounded under Poisson joins).
    fn node_ref(&mut self, key: &str, node: &NodeRef, s: &Scenario) {
        let joins = s.events.iter().map(|e| if let Event::Join { count, .. } = e { *count } else { 0 });
        let sessions =
            s.workloads.iter().map(|w| if let Workload::Sessions { population, .. } = w { *population } else { 0 });
        let physical = joins.chain(sessions).fold(s.initial.nodes, u64::saturating_add);
        let poisson = s.workloads.iter().any(|w| matches!(w, Workload::Churn { join_per_s, .. } if *join_per_s > 0.0));
        match node {
            NodeRef::Id(t) if (1..=64).contains(&s.id_bits) => match s.space().parse(t) {
                Err(m) => self.err(&format!("{key}.id"), m),
                Ok(id) => {
                    let known = s.initial.ids.iter().any(|x| s.space().parse(x).ok() == Some(id));
                    if !s.initial.ids.is_empty() && physical == s.initial.nodes && !poisson && !known {
                        let msg = format!("{} is none of initial.ids and no node ever joins", excerpt(t));
                        self.err(&format!("{key}.id"), msg);
                    }
                }
            },
            NodeRef::Id(_) => {}
            NodeRef::Rank(k) => {
                let most = physical.saturating_mul(u64::from(s.initial.virtual_nodes.max(1)));
                if !poisson && *k >= most {
                    let msg = format!("{k}, but at most {most} nodes are ever alive (allowed 0 ..= {})", most - 1);
                    self.err(&format!("{key}.rank"), msg);
                }
            }
        }
    }

    fn workload(&mut self, i: usize, w: &Workload, s: &Scenario) {
        let key = |k: &str| format!("workload[{i}].{k}");
        let (start, end) = match w {
            Workload::Churn { start_s, end_s, join_per_s, crash_per_s, leave_per_s } => {
                self.range(&key("join_per_s"), *join_per_s, 0.0, 1e7);
                self.range(&key("crash_per_s"), *crash_per_s, 0.0, 1e7);
                self.range(&key("leave_per_s"), *leave_per_s, 0.0, 1e7);
                (*start_s, *end_s)
            }
            Workload::Sessions { start_s, end_s, population, on, off, leave_probability, .. } => {
                self.int_range(&key("population"), *population, 1, MAX_NODES);
                self.lifetime(&key("on"), on);
                self.lifetime(&key("off"), off);
                self.range(&key("leave_probability"), *leave_probability, 0.0, 1.0);
                (*start_s, *end_s)
            }
            Workload::Lookups { start_s, end_s, per_s } => {
                self.range(&key("per_s"), *per_s, 0.0, 1e8);
                (*start_s, *end_s)
            }
            Workload::Dht { start_s, end_s, per_s, keys, read_fraction, popularity } => {
                self.range(&key("per_s"), *per_s, 0.0, 1e8);
                self.int_range(&key("keys"), *keys, 1, MAX_ITEMS);
                self.range(&key("read_fraction"), *read_fraction, 0.0, 1.0);
                if let Popularity::Zipf { s } = popularity {
                    self.range(&key("popularity.s"), *s, 0.0, 10.0);
                }
                if !s.dht.enabled {
                    self.err(&key("kind"), "a dht workload needs the DHT: set [dht] enabled = true".into());
                }
                (*start_s, *end_s)
            }
        };
        self.range(&key("start_s"), start, 0.0, s.duration_s);
        self.range(&key("end_s"), end, start.max(0.0), s.duration_s);
    }

    /// DESIGN.md principle 5: after the last membership change there must be room for
    /// `quiet_rounds_max` rounds, or the convergence verdict would be meaningless.
    fn quiet_phase(&mut self, s: &Scenario) {
        if s.expect == Expect::NoCheck || !self.errors.is_empty() {
            return;
        }
        let round = s.round_us().max(1);
        let need = u64::from(s.check.quiet_rounds_max) * round;
        let last = s.last_change_us();
        let room = s.duration_us().saturating_sub(last);
        if room < need {
            let msg = format!(
                "only {} full rounds remain after the last membership change at {:.3} s; check.quiet_rounds_max = {} \
                 needs duration_s >= {:.3} (or set expect = \"no_check\")",
                room / round,
                Time(last).as_secs_f64(),
                s.check.quiet_rounds_max,
                Time(last + need).as_secs_f64()
            );
            self.err("duration_s", msg);
        }
    }
}
