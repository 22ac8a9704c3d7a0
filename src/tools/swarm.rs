//! Swarm testing (`--swarm`): each seed also draws the scenario's fault parameters — churn rates,
//! crash and leave fractions, message loss, latency, maintenance periods — so the seeds of a sweep
//! explore different fault mixes instead of one.
//!
//! Owns: the ranges the parameters are drawn from and the record of what was drawn ([`SwarmParams`]).
//! Draws come only from the `swarm` stream of the seed, so the run's own streams are unchanged and
//! `(scenario file, seed, --swarm)` names one variant forever. Drawn values are rounded (rates to 6
//! decimals, times to µs) so the recorded parameters are exactly those of the run. The stabilize
//! interval, churn windows and event times are kept, so rounds and the quiet phase stay as the base
//! scenario has them; the variant must still pass [`Scenario::validate`] (a refusal is a bug in the
//! ranges here: the message names the seed and the key).
//! What the variant allows ([`Reach`]): under `zave` the swarm draws no graceful leaves (TSE'17 has
//! none) and, unless `--swarm-outside` asks, stays inside Zave's assumptions — no message loss, only
//! bounded latencies whose round trip stays under the RPC timeout; the crash guard is kept. One seed
//! in five is drawn in lockstep (constant latency, stabilize jitter 0), for both variants.
//! Never: change the node count, the protocol variant, the workload of lookups, the checks or the
//! crash guard.

use crate::oracle::metrics::round6;
use crate::rng::{Rng, SimRng};
use crate::scenario::{Event, Latency, Scenario, Variant, Workload};
use serde::Serialize;

/// How far the draws may go.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default)]
pub enum Reach {
    /// Inside the variant's operating assumptions. For `zave` (TSE'17): reliable links and perfect
    /// failure detection — no loss, bounded latency with round trips under the RPC timeout. `ton03`
    /// assumes nothing of the network, so everything is drawn for it.
    #[default]
    Assumptions,
    /// `--swarm-outside`: loss and unbounded (exponential) latency for `zave` too. Such runs are
    /// marked `outside_assumptions` in their reports.
    Outside,
}

/// What one seed drew. Rates are per second over the whole network (sums over churn workloads).
#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct SwarmParams {
    pub join_per_s: f64,
    pub crash_per_s: f64,
    pub leave_per_s: f64,
    /// Factor applied to every scripted `crash_fraction` / `leave_fraction` (capped at 1).
    pub fraction_scale: f64,
    pub loss_ratio: f64,
    /// `constant`, `uniform` or `exponential`, with its parameters in ms (`b` is 0 when unused).
    pub latency_kind: &'static str,
    pub latency_a_ms: f64,
    pub latency_b_ms: f64,
    pub stabilize_jitter: f64,
    pub fix_fingers_interval_ms: f64,
    pub check_predecessor_interval_ms: f64,
}

/// Column names of [`SwarmParams`] in tables, in [`SwarmParams::values`] order.
pub const COLUMNS: [&str; 11] = [
    "swarm_join_per_s",
    "swarm_crash_per_s",
    "swarm_leave_per_s",
    "swarm_fraction_scale",
    "swarm_loss_ratio",
    "swarm_latency_kind",
    "swarm_latency_a_ms",
    "swarm_latency_b_ms",
    "swarm_stabilize_jitter",
    "swarm_fix_fingers_interval_ms",
    "swarm_check_predecessor_interval_ms",
];

impl SwarmParams {
    /// The values as text, in [`COLUMNS`] order.
    #[must_use]
    pub fn values(&self) -> Vec<String> {
        let n = crate::output::csv::num;
        vec![
            n(self.join_per_s),
            n(self.crash_per_s),
            n(self.leave_per_s),
            n(self.fraction_scale),
            n(self.loss_ratio),
            self.latency_kind.to_string(),
            n(self.latency_a_ms),
            n(self.latency_b_ms),
            n(self.stabilize_jitter),
            n(self.fix_fingers_interval_ms),
            n(self.check_predecessor_interval_ms),
        ]
    }
}

/// Uniform in `[lo, hi)`, rounded to 6 decimals.
fn uniform(r: &mut Rng, lo: f64, hi: f64) -> f64 {
    round6(lo + (hi - lo) * r.unit())
}

/// Milliseconds rounded to whole µs, so the run uses exactly the recorded value.
fn ms(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// A rate that is off with probability 1/4, else a third of the base total times U[0.25, 1.5].
fn rate(r: &mut Rng, total: f64) -> f64 {
    if r.below(4) == 0 { 0.0 } else { round6(total / 3.0 * uniform(r, 0.25, 1.5)) }
}

fn draw_churn(sc: &mut Scenario, r: &mut Rng, p: &mut SwarmParams) {
    let leaves = sc.protocol.variant != Variant::Zave; // TSE'17 has no graceful leave
    for w in &mut sc.workloads {
        if let Workload::Churn { join_per_s, crash_per_s, leave_per_s, .. } = w {
            let total = *join_per_s + *crash_per_s + *leave_per_s;
            if total <= 0.0 {
                continue;
            }
            *join_per_s = rate(r, total);
            *crash_per_s = rate(r, total);
            *leave_per_s = if leaves { rate(r, total) } else { 0.0 };
            p.join_per_s = round6(p.join_per_s + *join_per_s);
            p.crash_per_s = round6(p.crash_per_s + *crash_per_s);
            p.leave_per_s = round6(p.leave_per_s + *leave_per_s);
        }
    }
    p.fraction_scale = uniform(r, 0.5, 1.5);
    for e in &mut sc.events {
        if let Event::CrashFraction { fraction, .. } | Event::LeaveFraction { fraction, .. } = e {
            *fraction = round6((*fraction * p.fraction_scale).min(1.0));
        }
    }
}

/// Latency scaled to the RPC timeout T: bounded kinds keep a round trip under 0.8 T (a timeout still
/// means a dead node); the exponential kind (mean ≤ 0.1 T) sometimes exceeds it (false suspicions),
/// so it is drawn only where the reach allows loss too. A lockstep draw is constant.
fn draw_net(sc: &mut Scenario, r: &mut Rng, p: &mut SwarmParams, unreliable: bool, lockstep: bool) {
    let t = sc.net.rpc_timeout_ms;
    let lossy = unreliable && r.below(2) == 1;
    p.loss_ratio = if lossy { uniform(r, 0.0001, 0.01) } else { 0.0 };
    sc.net.loss_ratio = p.loss_ratio;
    let kind = match (lockstep, unreliable) {
        (true, _) => 0,
        (false, true) => r.below(4),
        (false, false) => r.below(3),
    };
    let (kind, a, b, lat) = match kind {
        0 => {
            let v = ms(uniform(r, 0.002 * t, 0.2 * t));
            ("constant", v, 0.0, Latency::Constant { ms: v })
        }
        1 | 2 => {
            let lo = ms(uniform(r, 0.002 * t, 0.1 * t));
            let hi = ms(lo + uniform(r, 0.0, 0.3 * t));
            ("uniform", lo, hi, Latency::Uniform { min_ms: lo, max_ms: hi })
        }
        _ => {
            let m = ms(uniform(r, 0.002 * t, 0.1 * t));
            ("exponential", m, 0.0, Latency::Exponential { mean_ms: m })
        }
    };
    (p.latency_kind, p.latency_a_ms, p.latency_b_ms) = (kind, a, b);
    sc.net.latency = lat;
}

fn draw_periods(sc: &mut Scenario, r: &mut Rng, p: &mut SwarmParams, lockstep: bool) {
    let pr = &mut sc.protocol;
    let s = pr.stabilize_interval_ms;
    p.stabilize_jitter = if lockstep { 0.0 } else { uniform(r, 0.0, 0.5) };
    p.fix_fingers_interval_ms = ms(s * uniform(r, 0.25, 2.0));
    p.check_predecessor_interval_ms = ms(s * uniform(r, 0.5, 2.0));
    pr.stabilize_jitter = p.stabilize_jitter;
    pr.fix_fingers_interval_ms = p.fix_fingers_interval_ms;
    pr.check_predecessor_interval_ms = p.check_predecessor_interval_ms;
}

/// The name of the runs of a swarm over `base`: `<name>-swarm`, or `<name>-swarm-outside`.
#[must_use]
pub fn name(base: &str, reach: Reach) -> String {
    match reach {
        Reach::Assumptions => format!("{base}-swarm"),
        Reach::Outside => format!("{base}-swarm-outside"),
    }
}

/// The command-line flag that selects `reach` (for repro commands).
#[must_use]
pub fn flag(reach: Reach) -> &'static str {
    match reach {
        Reach::Assumptions => "--swarm",
        Reach::Outside => "--swarm-outside",
    }
}

/// The variant of `base` for `seed`, named by [`name`], with its seed set, and what was drawn.
/// An error means the drawn variant failed validation: a bug in the ranges above.
pub fn variant(base: &Scenario, seed: u64, reach: Reach) -> Result<(Scenario, SwarmParams), String> {
    let mut sc = base.clone();
    sc.reseed(seed);
    sc.name = name(&base.name, reach);
    let unreliable = reach == Reach::Outside || base.protocol.variant != Variant::Zave;
    let mut r = SimRng::swarm(seed);
    let mut p = SwarmParams {
        join_per_s: 0.0,
        crash_per_s: 0.0,
        leave_per_s: 0.0,
        fraction_scale: 1.0,
        loss_ratio: 0.0,
        latency_kind: "constant",
        latency_a_ms: 0.0,
        latency_b_ms: 0.0,
        stabilize_jitter: 0.0,
        fix_fingers_interval_ms: 0.0,
        check_predecessor_interval_ms: 0.0,
    };
    let lockstep = r.below(5) == 0;
    draw_churn(&mut sc, &mut r, &mut p);
    draw_net(&mut sc, &mut r, &mut p, unreliable, lockstep);
    draw_periods(&mut sc, &mut r, &mut p, lockstep);
    let file = format!("<{} variant of {} for seed {seed}>", flag(reach), base.name);
    sc.validate(&file).map_err(|e| format!("chordsim bug, the swarm drew an invalid variant: {e}"))?;
    Ok((sc, p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Scenario {
        let text = "duration_s = 1200\n[initial]\nnodes = 40\n[protocol]\nstabilize_interval_ms = 10000\n\
                    [[workload]]\nkind = \"churn\"\nstart_s = 30\nend_s = 900\njoin_per_s = 0.02\n\
                    crash_per_s = 0.01\nleave_per_s = 0.01\n\
                    [[event]]\nat_s = 600\naction = \"crash_fraction\"\nfraction = 0.8\n\
                    [check]\nquiet_rounds_max = 30\n";
        Scenario::parse(text, "<test>", "base").expect("valid")
    }

    #[test]
    fn variants_are_valid_and_keep_the_round_structure() {
        let b = base();
        let mut kinds = std::collections::BTreeSet::new();
        for seed in 0..500 {
            let (v, p) = variant(&b, seed, Reach::Assumptions).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
            assert_eq!((v.seed, v.name.as_str()), (seed, "base-swarm"));
            assert_eq!(v.round_us(), b.round_us());
            assert!(v.last_change_us() <= b.last_change_us());
            assert_eq!(v.initial, b.initial);
            assert!(p.fraction_scale >= 0.5 && p.fraction_scale <= 1.5);
            assert!(p.loss_ratio <= 0.01);
            kinds.insert(p.latency_kind);
        }
        assert_eq!(kinds.len(), 3, "every latency kind is drawn: {kinds:?}");
    }

    #[test]
    fn same_seed_same_variant_other_seed_other_variant() {
        let b = base();
        assert_eq!(
            variant(&b, 7, Reach::Assumptions).expect("valid"),
            variant(&b, 7, Reach::Assumptions).expect("valid")
        );
        assert_ne!(
            variant(&b, 7, Reach::Assumptions).expect("valid").1,
            variant(&b, 8, Reach::Assumptions).expect("valid").1
        );
    }

    #[test]
    fn recorded_parameters_are_the_ones_applied() {
        let (v, p) = variant(&base(), 3, Reach::Assumptions).expect("valid");
        assert_eq!(v.net.loss_ratio, p.loss_ratio);
        assert_eq!(v.protocol.fix_fingers_interval_ms, p.fix_fingers_interval_ms);
        let Workload::Churn { join_per_s, .. } = v.workloads[0] else { panic!("churn") };
        assert_eq!(join_per_s, p.join_per_s);
        assert_eq!(p.values().len(), COLUMNS.len());
    }

    fn zave_base() -> Scenario {
        let text = "duration_s = 2400\n[initial]\nnodes = 50\nmode = \"ideal\"\n[protocol]\nvariant = \"zave\"\n\
                    successor_list_len = 4\nstabilize_interval_ms = 30000\n[net]\nrpc_timeout_ms = 500\n\
                    [[workload]]\nkind = \"churn\"\nstart_s = 60\nend_s = 1800\njoin_per_s = 0.1\n\
                    crash_per_s = 0.1\n";
        Scenario::parse(text, "<test>", "zave").expect("valid")
    }

    /// Issue 14: a zave variant is never refused (no leaves drawn) and, inside the assumptions, has
    /// perfect failure detection and keeps the crash guard; outside, it may have loss.
    #[test]
    fn zave_variants_stay_valid_and_inside_her_assumptions_unless_asked() {
        let b = zave_base();
        let (mut lossy, mut lockstep) = (0, 0);
        for seed in 0..1000 {
            let (v, p) = variant(&b, seed, Reach::Assumptions).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
            assert_eq!(p.leave_per_s, 0.0);
            assert!(v.perfect_failure_detection() && v.guard_crashes(), "seed {seed}: {p:?}");
            lockstep += usize::from(p.latency_kind == "constant" && p.stabilize_jitter == 0.0);
            let (v, p) = variant(&b, seed, Reach::Outside).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
            assert_eq!((p.leave_per_s, v.name.as_str()), (0.0, "zave-swarm-outside"));
            lossy += usize::from(p.loss_ratio > 0.0);
        }
        assert!((150..250).contains(&lockstep), "about one in five in lockstep: {lockstep}");
        assert!((400..600).contains(&lossy), "about half lossy outside: {lossy}");
    }

    #[test]
    fn ton03_variants_include_lockstep_and_every_latency_kind() {
        let b = base();
        let n = (0..500)
            .filter(|&s| {
                let p = variant(&b, s, Reach::Assumptions).expect("valid").1;
                p.latency_kind == "constant" && p.stabilize_jitter == 0.0
            })
            .count();
        assert!((60..140).contains(&n), "about one in five in lockstep: {n}");
    }
}
