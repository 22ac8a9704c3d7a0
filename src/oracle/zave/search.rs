//! Random search for unrepairable violations in Zave's model of the original
//! protocol, with delta-debugging shrinking of the traces it finds.
//!
//! Owns: a tiny seeded PRNG (SplitMix64), the enumeration of enabled steps that
//! change the state, the search loop, replay from the initial state, and
//! shrinking. Everything is deterministic in the seed.
//! Must never: alter the model's semantics (it only calls `Model::apply`),
//! use ambient randomness or wall-clock time, or iterate a hash container.

use crate::oracle::zave::model::{Checks, Model, Step, to_script};
use crate::oracle::zave::properties::{Property, RingView, check_all};

/// SplitMix64 (Steele, Lea and Flood): small, fast, and good enough to pick
/// steps; seeded explicitly so every search is reproducible.
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    #[must_use]
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform-enough index in `0..n` (multiply-shift; `n` must be > 0).
    pub fn below(&mut self, n: usize) -> usize {
        assert!(n > 0, "below(0) has no valid result");
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }
}

/// A trace reaching an unrepairable violation, shrunk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counterexample {
    /// The unrepairable property violated at the end of `steps`.
    pub property: Property,
    pub ids: Vec<u64>,
    pub checks: Checks,
    pub seed: u64,
    /// Number of random steps taken when the violation was first seen.
    pub found_after: usize,
    /// The shrunk trace; every step applies when replayed from the start.
    pub steps: Vec<Step>,
    /// `steps` in the DSL syntax of `Model::run`.
    pub script: String,
}

/// The first unrepairable property (in zave.md order) violated by `view`.
pub fn unrepairable_violation<V: RingView + ?Sized>(view: &V) -> Option<Property> {
    check_all(view).into_iter().map(|v| v.property).find(|p| p.unrepairable())
}

/// Every step that is enabled in `z` and changes its state, in a fixed order:
/// per node, joins via each accepting member, then S, Stabilize, the pending
/// notification of its successor, Fail, Flush, Update, Reconcile.
#[must_use]
pub fn effective_steps(z: &Model) -> Vec<Step> {
    let mut candidates = Vec::new();
    for n in 0..z.len() {
        if !z.node(n).joined() {
            candidates.extend(z.join_candidates(n).into_iter().map(|m| Step::Join { n, via: Some(m) }));
            continue;
        }
        candidates.extend([Step::S(n), Step::Stabilize(n)]);
        if let Some(s) = z.node(n).succ() {
            candidates.push(Step::Notified { n: s, p: n });
        }
        candidates.extend([Step::Fail(n), Step::Flush(n), Step::Update(n), Step::Reconcile(n)]);
    }
    candidates
        .into_iter()
        .filter(|&step| {
            let mut next = z.clone();
            next.apply(step).is_ok() && next != *z
        })
        .collect()
}

/// Applies random effective steps (weighted by swarm-style `Phase`s, see
/// there) from the initial state, seeded by `seed`, until one
/// of the four unrepairable properties is violated (by Zave's argument such a
/// violation is permanent in this model, so the first sighting is reported),
/// no step is enabled, or `max_steps` were taken. The trace is then shrunk.
#[must_use]
pub fn random_search(ids: &[u64], checks: Checks, seed: u64, max_steps: usize) -> Option<Counterexample> {
    let mut rng = SplitMix64::new(seed);
    let mut z = Model::new(ids, checks);
    let mut trail = Vec::new();
    let mut phase = Phase::draw(&mut rng);
    while trail.len() < max_steps {
        let steps = effective_steps(&z);
        if steps.is_empty() {
            return None;
        }
        let step = pick(&mut rng, &mut phase, &steps);
        z.apply(step).expect("effective steps are enabled");
        trail.push(step);
        if let Some(property) = unrepairable_violation(&z) {
            let steps = shrink(ids, checks, &trail, property);
            let script = to_script(&steps);
            let (ids, found_after) = (ids.to_vec(), trail.len());
            return Some(Counterexample { property, ids, checks, seed, found_after, steps, script });
        }
    }
    None
}

/// The step kinds, for per-kind weights (index into `Phase::weights`).
fn kind(step: &Step) -> usize {
    match step {
        Step::Join { .. } => 0,
        Step::S(_) => 1,
        Step::Stabilize(_) => 2,
        Step::Notified { .. } => 3,
        Step::Fail(_) => 4,
        Step::Flush(_) => 5,
        Step::Update(_) => 6,
        Step::Reconcile(_) => 7,
    }
}

/// Swarm-style phases: every few steps each step kind gets a fresh random
/// weight, often zero. Runs thereby alternate between, say, a burst of joins
/// and reconciles, a stretch of stabilization without reconciles, and a burst
/// of failures and updates: the shapes of Zave's counterexamples, which a
/// uniform choice among all enabled steps almost never produces.
struct Phase {
    weights: [u64; 8],
    left: usize,
}

impl Phase {
    fn draw(rng: &mut SplitMix64) -> Self {
        let mut weights = [0; 8];
        for w in &mut weights {
            *w = WEIGHT_MENU[rng.below(WEIGHT_MENU.len())];
        }
        Phase { weights, left: PHASE_MIN + rng.below(PHASE_SPREAD) }
    }
}

/// A kind's weight in a phase: zero (kind unused) a third of the time.
const WEIGHT_MENU: [u64; 3] = [0, 1, 8];
/// Phases last `PHASE_MIN .. PHASE_MIN + PHASE_SPREAD` steps.
const PHASE_MIN: usize = 8;
const PHASE_SPREAD: usize = 16;

/// Picks a step by the current phase's weights (uniformly if they are all
/// zero for the enabled steps), redrawing the phase when it runs out.
fn pick(rng: &mut SplitMix64, phase: &mut Phase, steps: &[Step]) -> Step {
    if phase.left == 0 {
        *phase = Phase::draw(rng);
    }
    phase.left -= 1;
    let total: u64 = steps.iter().map(|s| phase.weights[kind(s)]).sum();
    if total == 0 {
        return steps[rng.below(steps.len())];
    }
    let mut ticket = rng.next_u64() % total;
    for s in steps {
        let w = phase.weights[kind(s)];
        if ticket < w {
            return *s;
        }
        ticket -= w;
    }
    unreachable!("ticket is below the total weight")
}

/// Replays `steps` from the initial state, skipping refused ones; returns the
/// final model and the steps that were actually applied.
#[must_use]
pub fn replay(ids: &[u64], checks: Checks, steps: &[Step]) -> (Model, Vec<Step>) {
    let mut z = Model::new(ids, checks);
    let applied = steps.iter().copied().filter(|&s| z.apply(s).is_ok()).collect();
    (z, applied)
}

/// Shrinks `steps` while `property` stays the first unrepairable property
/// violated at the end of a replay (so a ConnectedAppendages trace does not
/// degrade into an AtLeastOneRing one): delta debugging over chunks, then
/// single-step removal to a fixpoint. Steps refused on replay are dropped, so
/// the result replays without refusals and is 1-minimal (removing any one
/// step changes the outcome).
#[must_use]
pub fn shrink(ids: &[u64], checks: Checks, steps: &[Step], property: Property) -> Vec<Step> {
    let violated = |cand: &[Step]| unrepairable_violation(&replay(ids, checks, cand).0) == Some(property);
    assert!(violated(steps), "shrink needs a trace whose first unrepairable violation is {property}");
    let mut cur = ddmin(steps.to_vec(), &violated);
    loop {
        cur = replay(ids, checks, &cur).1;
        let next = remove_single_steps(cur.clone(), &violated);
        if next.len() == cur.len() {
            return cur;
        }
        cur = next;
    }
}

/// Zeller's ddmin, complement-only variant: split into `parts` chunks, drop
/// the first chunk whose removal keeps the failure; otherwise refine.
fn ddmin(mut cur: Vec<Step>, fails: &dyn Fn(&[Step]) -> bool) -> Vec<Step> {
    let mut parts = 2;
    while cur.len() >= 2 {
        let chunk = cur.len().div_ceil(parts);
        let reduced = (0..cur.len()).step_by(chunk).find_map(|start| {
            let mut cand = cur[..start].to_vec();
            cand.extend_from_slice(&cur[(start + chunk).min(cur.len())..]);
            fails(&cand).then_some(cand)
        });
        match reduced {
            Some(cand) => {
                cur = cand;
                parts = (parts - 1).max(2);
            }
            None if parts >= cur.len() => break,
            None => parts = (parts * 2).min(cur.len()),
        }
    }
    cur
}

fn remove_single_steps(mut cur: Vec<Step>, fails: &dyn Fn(&[Step]) -> bool) -> Vec<Step> {
    let mut i = 0;
    while i < cur.len() {
        let mut cand = cur.clone();
        cand.remove(i);
        if fails(&cand) {
            cur = cand;
        } else {
            i += 1;
        }
    }
    cur
}

#[cfg(test)]
#[allow(clippy::disallowed_macros)] // eprintln! in a test goes to the harness's capture
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// 5 or 6 distinct ids in a 6-bit space, derived from the seed.
    fn ids_for(seed: u64) -> Vec<u64> {
        let mut rng = SplitMix64::new(seed ^ 0x05EE_D1D5);
        let count = 5 + rng.below(2);
        let mut ids = Vec::new();
        while ids.len() < count {
            let id = rng.next_u64() % 64;
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        ids
    }

    const SEEDS: u64 = 10_000;
    const MAX_STEPS: usize = 200;

    fn median(mut xs: Vec<usize>) -> usize {
        xs.sort_unstable();
        xs.get(xs.len() / 2).copied().unwrap_or(0)
    }

    fn assert_reproduces(ce: &Counterexample) {
        let mut z = Model::new(&ce.ids, ce.checks);
        z.run(&ce.script).unwrap_or_else(|e| panic!("seed {}: {e}", ce.seed));
        assert_eq!(unrepairable_violation(&z), Some(ce.property), "seed {}: {}", ce.seed, ce.script);
        for i in 0..ce.steps.len() {
            let mut fewer = ce.steps.clone();
            fewer.remove(i);
            let (end, _) = replay(&ce.ids, ce.checks, &fewer);
            assert_ne!(unrepairable_violation(&end), Some(ce.property), "seed {}: step {i} removable", ce.seed);
        }
    }

    /// Runs the search over all seeds; prints and returns violation counts
    /// per property. Every counterexample is checked by `assert_reproduces`.
    fn campaign(label: &str, checks: Checks) -> BTreeMap<Property, usize> {
        let mut counts = BTreeMap::new();
        let (mut lengths, mut found_after) = (Vec::new(), Vec::new());
        for seed in 0..SEEDS {
            let Some(ce) = random_search(&ids_for(seed), checks, seed, MAX_STEPS) else { continue };
            assert_reproduces(&ce);
            *counts.entry(ce.property).or_insert(0) += 1;
            lengths.push(ce.steps.len());
            found_after.push(ce.found_after);
        }
        let found: usize = counts.values().sum();
        let (min, max) = (lengths.iter().min(), lengths.iter().max());
        eprintln!(
            "[{label}] seeds 0..{SEEDS}, max {MAX_STEPS} steps: {found} violations {counts:?}; \
             shrunk length median {} (min {min:?}, max {max:?}); raw length median {}",
            median(lengths.clone()),
            median(found_after)
        );
        counts
    }

    /// zave.md: T1 needs the stabilize check removed, T2 the join check; T3 and
    /// T3' happen with both checks. So AtMostOneRing must be found with both
    /// checks, AtLeastOneRing without the stabilize check, ConnectedAppendages
    /// without the join check. (OrderedRing needs T3' with k = 3: six nodes
    /// in one precise three-phase order, which random search rarely hits; the
    /// deterministic T3' test covers it.)
    #[test]
    fn random_search_finds_unrepairable_violations() {
        let both = campaign("both checks", Checks::both());
        assert!(both.get(&Property::AtMostOneRing) > Some(&0), "{both:?}");
        let no_stab = campaign("no stabilize check", Checks { join_liveness: true, stabilize_liveness: false });
        assert!(no_stab.get(&Property::AtLeastOneRing) > Some(&0), "{no_stab:?}");
        let no_join = campaign("no join check", Checks { join_liveness: false, stabilize_liveness: true });
        assert!(no_join.get(&Property::ConnectedAppendages) > Some(&0), "{no_join:?}");
        let none = campaign("no checks", Checks::none());
        for p in [Property::AtLeastOneRing, Property::AtMostOneRing, Property::ConnectedAppendages] {
            assert!(none.get(&p) > Some(&0), "{p}: {none:?}");
        }
    }

    #[test]
    fn search_is_deterministic_in_the_seed() {
        for seed in 0..20 {
            let ids = ids_for(seed);
            let a = random_search(&ids, Checks::both(), seed, MAX_STEPS);
            assert_eq!(a, random_search(&ids, Checks::both(), seed, MAX_STEPS));
        }
    }

    #[test]
    fn shrinking_strips_noise_from_t3() {
        let ids = [0, 16, 32, 48];
        let z = Model::new(&ids, Checks::both());
        let t3 = "Join n2; S n2; S n0; Reconcile n0; Reconcile n2; Join n1; S n1; S n0; \
                  Join n3; S n3; S n2; Fail n1; Fail n3; Update n0; Update n2";
        let mut noisy = z.parse(t3).unwrap();
        for (at, step) in [(3, Step::S(2)), (9, Step::Flush(0)), (12, Step::Fail(2)), (14, Step::S(0))] {
            noisy.insert(at, step);
        }
        let (end, _) = replay(&ids, Checks::both(), &noisy);
        assert_eq!(unrepairable_violation(&end), Some(Property::AtMostOneRing));
        let shrunk = shrink(&ids, Checks::both(), &noisy, Property::AtMostOneRing);
        assert!(shrunk.len() <= 15, "{}", to_script(&shrunk));
        let (end, applied) = replay(&ids, Checks::both(), &shrunk);
        assert_eq!(applied, shrunk, "the shrunk trace has no refused steps");
        assert_eq!(unrepairable_violation(&end), Some(Property::AtMostOneRing));
    }

    #[test]
    fn replay_skips_refused_steps() {
        let steps = [Step::Fail(0), Step::Join { n: 1, via: None }, Step::S(3), Step::S(1)];
        let (z, applied) = replay(&[0, 10, 20, 30], Checks::both(), &steps);
        assert_eq!(applied, [Step::Join { n: 1, via: None }, Step::S(1)]);
        assert_eq!(z.node(0).prdc(), Some(1));
    }

    #[test]
    fn effective_steps_from_the_initial_state() {
        let z = Model::new(&[0, 10, 20], Checks::both());
        let steps = effective_steps(&z);
        // n0 alone: S n0 sets n0.prdc = n0 (Stabilize alone changes nothing,
        // Fail is refused); n1 and n2 can join via n0.
        assert_eq!(to_script(&steps), "S n0; Notified n0 n0; Reconcile n0; Join n1 via n0; Join n2 via n0");
    }

    #[test]
    fn prng_is_reproducible_and_in_range() {
        let (mut a, mut b) = (SplitMix64::new(7), SplitMix64::new(7));
        for n in 1..200 {
            assert_eq!(a.next_u64(), b.next_u64());
            assert!(a.below(n) < n);
            b.below(n);
        }
        assert_ne!(SplitMix64::new(1).next_u64(), SplitMix64::new(2).next_u64());
    }
}
