//! Session churn (OverSim-style): a population of physical nodes, each alternating online and offline
//! periods drawn from exponential, Weibull or Pareto distributions; a node that comes back rejoins
//! with the same id(s), in a new slot (addresses are never reused).
//!
//! Owns: the population ([`Sessions`]: each member's ids and current physical node), the ids it
//! reserves, period sampling (by mean, and the residual of a stationary start), and the
//! `Ev::Session` transitions. Every draw is on the `churn` stream (ids on the `ids` stream), and only
//! when a `sessions` workload exists, so runs without one keep their draws.
//! Invariants: a member's ids are never handed to another node (`fresh_id` skips reserved ids); a
//! member is online iff `host` is `Some`; no transition is scheduled after the workload's `end_s`,
//! so the quiet phase after it is the same as after a Poisson churn window.
//! Never: reuse a slot, or touch routing state except through join / leave / crash.

use crate::id::Id;
use crate::rng::Rng;
use crate::scenario::{Lifetime, SessionStart, Workload};
use crate::sim::engine::{Ev, Sim};
use crate::time::Time;
use std::collections::BTreeSet;

/// One member of a session population.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Member {
    /// Index of its `sessions` workload.
    w: u16,
    /// Its virtual nodes' ids, kept across sessions.
    ids: Vec<Id>,
    /// The physical node of the current session (a fresh one each time), while online.
    host: Option<u32>,
    /// End of the first on period of a member that starts online (a residual period).
    first_end_us: Option<u64>,
}

/// Every session member of the run, and the ids they own.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Sessions {
    members: Vec<Member>,
    reserved: BTreeSet<Id>,
}

impl Sessions {
    /// Is `id` owned by a session member (online or not)?
    #[must_use]
    pub fn reserves(&self, id: Id) -> bool {
        !self.reserved.is_empty() && self.reserved.contains(&id)
    }

    /// Members currently online.
    #[must_use]
    pub fn online(&self) -> usize {
        self.members.iter().filter(|m| m.host.is_some()).count()
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.members.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Read back from a checkpoint: every member names a `sessions` workload of `workloads` and, while
    /// online, one of `hosts` physical nodes.
    pub fn check_restored(&self, workloads: &[Workload], hosts: usize) -> Result<(), String> {
        for (i, m) in self.members.iter().enumerate() {
            let ok = matches!(workloads.get(m.w as usize), Some(Workload::Sessions { .. }));
            if !ok || m.host.is_some_and(|h| h as usize >= hosts) {
                return Err(format!("session member {i} names workload {} and host {:?}", m.w, m.host));
            }
        }
        Ok(())
    }

    /// The member `m` exists (for an `Ev::Session` read back from a checkpoint).
    #[must_use]
    pub fn has(&self, m: u32) -> bool {
        (m as usize) < self.members.len()
    }
}

/// A period length in seconds drawn from `l`.
pub fn sample(l: &Lifetime, rng: &mut Rng) -> f64 {
    match *l {
        Lifetime::Exponential { mean_s } => rng.exponential(mean_s),
        Lifetime::Weibull { mean_s, shape } => rng.weibull(mean_s / libm::tgamma(1.0 + 1.0 / shape), shape),
        Lifetime::Pareto { mean_s, shape } => rng.pareto(mean_s * (shape - 1.0), shape),
    }
}

/// The remaining length of the period in progress at a random time of a stationary process: the
/// equilibrium distribution, density `P(X > x)/E[X]`. Exponential: itself (memoryless). Weibull(λ, k):
/// λ·U·G^(1/k) with G ~ Gamma(1 + 1/k) (uniform point of a length-biased period). Pareto(α, β):
/// Pareto(α − 1, β).
pub fn residual(l: &Lifetime, rng: &mut Rng) -> f64 {
    match *l {
        Lifetime::Exponential { mean_s } => rng.exponential(mean_s),
        Lifetime::Weibull { mean_s, shape } => {
            let scale = mean_s / libm::tgamma(1.0 + 1.0 / shape);
            let g = rng.gamma(1.0 + 1.0 / shape);
            scale * rng.unit() * libm::pow(g, 1.0 / shape)
        }
        Lifetime::Pareto { mean_s, shape } => rng.pareto(mean_s * (shape - 1.0), shape - 1.0),
    }
}

impl Sim {
    /// Creates the population of `sessions` workload `w` and schedules each member's first transition.
    pub(super) fn start_sessions(&mut self, w: usize) {
        let Workload::Sessions { start_s, end_s, population, on, off, start_state, .. } = self.sc.workloads[w] else {
            return;
        };
        let (start, end) = (Time::from_s(start_s).us(), Time::from_s(end_s).us());
        let p_on = on.mean_s() / (on.mean_s() + off.mean_s());
        for _ in 0..population {
            let mut ids = Vec::with_capacity(self.sc.initial.virtual_nodes as usize);
            for _ in 0..self.sc.initial.virtual_nodes {
                match self.fresh_id() {
                    Some(id) => {
                        self.sessions.reserved.insert(id);
                        ids.push(id);
                    }
                    None => self.metrics.joins_skipped += 1,
                }
            }
            let online = match start_state {
                SessionStart::Stationary => self.rng.churn.chance(p_on),
                SessionStart::On => true,
                SessionStart::Off => false,
            };
            let stationary = start_state == SessionStart::Stationary;
            let first = match (online, stationary) {
                (true, true) => residual(&on, &mut self.rng.churn),
                (true, false) => sample(&on, &mut self.rng.churn),
                (false, true) => residual(&off, &mut self.rng.churn),
                (false, false) => sample(&off, &mut self.rng.churn),
            };
            let first_end = start.saturating_add(Time::from_s_at_least_1us(first).us());
            let m = self.sessions.members.len() as u32;
            self.sessions.members.push(Member { w: w as u16, ids, host: None, first_end_us: None });
            if online {
                self.sessions.members[m as usize].first_end_us = Some(first_end);
                self.push(start, Ev::Session(m));
            } else if first_end <= end {
                self.push(first_end, Ev::Session(m));
            }
        }
    }

    /// Member `m` goes online (rejoins with its ids) or offline (leaves or crashes), and its next
    /// transition is scheduled if it falls inside the window.
    pub(super) fn session_transition(&mut self, m: usize) {
        let w = self.sessions.members[m].w as usize;
        let Workload::Sessions { end_s, on, off, leave_probability, .. } = self.sc.workloads[w] else { return };
        let host = self.sessions.members[m].host;
        let next = match host {
            None if self.member_online(m) => match self.sessions.members[m].first_end_us.take() {
                Some(t) => t,
                None => self.now.saturating_add(Time::from_s_at_least_1us(sample(&on, &mut self.rng.churn)).us()),
            },
            // Every id is taken by another node (only possible with explicit joins of that id).
            None => self.now.saturating_add(Time::from_s_at_least_1us(sample(&off, &mut self.rng.churn)).us()),
            Some(h) => {
                let graceful = self.rng.churn.chance(leave_probability);
                for a in self.hosts[h as usize].clone() {
                    if graceful { self.leave(a) } else { self.crash(a) }
                }
                // A crash the failure injector refused (Zave's assumptions) keeps the node online.
                let period = if self.hosts[h as usize].iter().any(|a| self.nodes[a.0 as usize].alive) {
                    sample(&on, &mut self.rng.churn)
                } else {
                    self.sessions.members[m].host = None;
                    sample(&off, &mut self.rng.churn)
                };
                self.now.saturating_add(Time::from_s_at_least_1us(period).us())
            }
        };
        if next <= Time::from_s(end_s).us() {
            self.push(next, Ev::Session(m as u32));
        }
    }

    /// Starts a new session of member `m`: a new physical node whose virtual nodes join with the
    /// member's ids. An id some other live node holds is skipped (counted in `joins_skipped`).
    fn member_online(&mut self, m: usize) -> bool {
        let host = self.hosts.len() as u32;
        let mut any = false;
        for id in self.sessions.members[m].ids.clone() {
            if self.truth.contains_id(id) {
                self.metrics.joins_skipped += 1;
                continue;
            }
            self.join_as(id, host);
            any = true;
        }
        if any {
            self.sessions.members[m].host = Some(host);
        }
        any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SimRng;

    fn mean_of(n: usize, mut f: impl FnMut() -> f64) -> f64 {
        (0..n).map(|_| f()).sum::<f64>() / n as f64
    }

    fn close(got: f64, want: f64) {
        assert!((got - want).abs() <= 0.03 * want, "sample mean {got}, analytic {want}");
    }

    #[test]
    fn sampled_periods_have_the_given_mean() {
        let mut r = SimRng::new(21).churn;
        for l in [
            Lifetime::Exponential { mean_s: 600.0 },
            Lifetime::Weibull { mean_s: 3600.0, shape: 0.5 },
            Lifetime::Weibull { mean_s: 60.0, shape: 3.0 },
            Lifetime::Pareto { mean_s: 100.0, shape: 3.0 },
        ] {
            close(mean_of(200_000, || sample(&l, &mut r)), l.mean_s());
        }
    }

    /// The residual mean is E[X²] / (2 E[X]).
    #[test]
    fn residual_periods_have_the_equilibrium_mean() {
        let mut r = SimRng::new(22).churn;
        close(mean_of(200_000, || residual(&Lifetime::Exponential { mean_s: 50.0 }, &mut r)), 50.0);
        for k in [0.5, 2.0] {
            let l = Lifetime::Weibull { mean_s: 100.0, shape: k };
            let scale = 100.0 / libm::tgamma(1.0 + 1.0 / k);
            let want = scale * libm::tgamma(1.0 + 2.0 / k) / (2.0 * libm::tgamma(1.0 + 1.0 / k));
            close(mean_of(400_000, || residual(&l, &mut r)), want);
        }
        // Lomax(α, β): E[X²] = 2β²/((α−1)(α−2)), so the residual mean is β/(α−2).
        let (alpha, mean) = (5.0, 10.0);
        let beta = mean * (alpha - 1.0);
        close(mean_of(400_000, || residual(&Lifetime::Pareto { mean_s: mean, shape: alpha }, &mut r)), beta / 3.0);
    }

    #[test]
    fn periods_are_at_least_one_microsecond() {
        assert_eq!(Time::from_s_at_least_1us(0.0).us(), 1);
        assert_eq!(Time::from_s_at_least_1us(1.5).us(), 1_500_000);
        assert_eq!(Time::from_s_at_least_1us(f64::INFINITY).us(), u64::MAX);
    }
}
