//! Zave's ring properties over the simulated network, checked every round.
//!
//! Owns: [`SimView`], the read-only [`RingView`] of the simulator's nodes that Zave's checkers take
//! (liveness from the ground truth, successor lists from the nodes; each `pad` placeholder of the
//! `zave` variant becomes a virtual dead slot), the per-property tallies and the violation records that
//! reports carry, and the safety rule: an unrepairable property violated (or, for `zave`, its
//! invariant OneLiveSuccessor ∧ SufficientPrincipals) is a safety verdict at once when failure
//! detection is perfect, and at the end of the quiet phase otherwise.
//! Never: repair or change node state; build more than O(N · r) per round.

use super::Checker;
use super::NodeView;
use crate::oracle::truth::Truth;
use crate::oracle::zave::properties::{Property, RingView, Violation, check_all_counting};
use crate::time::Time;
use serde::Serialize;
use std::collections::BTreeMap;

/// At most this many violation records are kept; later ones are only counted.
const MAX_RECORDS: usize = 2000;
/// At most this many witness nodes are listed per record.
const MAX_WITNESSES: usize = 8;

/// The simulator's nodes as Zave's checkers see them.
pub struct SimView {
    ids: Vec<u64>,
    live: Vec<bool>,
    member: Vec<bool>,
    start: Vec<u32>,
    flat: Vec<usize>,
    r: usize,
}

impl SimView {
    pub fn build<V: NodeView>(nodes: &[V], truth: &Truth, r: usize) -> SimView {
        let n = nodes.len();
        let mut v = SimView {
            ids: Vec::with_capacity(n),
            live: Vec::with_capacity(n),
            member: Vec::with_capacity(n),
            start: Vec::with_capacity(n + 1),
            flat: Vec::with_capacity(n * r),
            r,
        };
        let mut pads = Vec::new();
        for (i, s) in nodes.iter().enumerate() {
            let alive = s.is_alive() && truth.is_alive(crate::protocol::msg::Addr(i as u32));
            v.ids.push(s.node().me().id.0);
            v.live.push(alive);
            v.member.push(alive && s.node().is_joined());
            v.start.push(v.flat.len() as u32);
            if !alive {
                continue;
            }
            for p in s.node().succ_list() {
                if p.is_pad() {
                    pads.push(p.id.0);
                    v.flat.push(n + pads.len() - 1);
                } else {
                    v.flat.push(p.addr.0 as usize);
                }
            }
        }
        for id in pads {
            v.ids.push(id);
            v.live.push(false);
            v.member.push(false);
            v.start.push(v.flat.len() as u32);
        }
        v.start.push(v.flat.len() as u32);
        v
    }
}

impl RingView for SimView {
    fn len(&self) -> usize {
        self.ids.len()
    }
    fn id(&self, n: usize) -> u64 {
        self.ids[n]
    }
    fn is_live(&self, n: usize) -> bool {
        self.live[n]
    }
    fn is_member(&self, n: usize) -> bool {
        self.member[n]
    }
    fn succ_list(&self, n: usize) -> &[usize] {
        &self.flat[self.start[n] as usize..self.start[n + 1] as usize]
    }
    fn r(&self) -> usize {
        self.r
    }
}

/// A property's name. An alias, so that serde's derive does not take the field for borrowed input.
pub type PropName = &'static str;

/// One recorded violation: round, property and witnesses (ids in hex).
#[derive(Serialize, serde::Deserialize, Clone, Debug, PartialEq)]
pub struct ViolationRecord {
    pub round: u32,
    pub time_s: f64,
    #[serde(deserialize_with = "crate::oracle::checker::names::de_one")]
    pub property: PropName,
    pub nodes: Vec<String>,
    pub detail: String,
}

/// Per property: how many checked rounds violated it, and when first and last.
#[derive(Serialize, serde::Deserialize, Clone, Debug, PartialEq, Default)]
pub struct PropTally {
    pub rounds_violated: u64,
    pub first_round: Option<u32>,
    pub first_time_s: Option<f64>,
    pub last_round: Option<u32>,
    /// Violated in the last checked round of the run (set when the report is built).
    #[serde(default)]
    pub at_end: bool,
    pub unrepairable: bool,
    pub warning: bool,
}

/// Everything the report says about Zave's properties.
#[derive(Serialize, serde::Deserialize, Clone, Debug, PartialEq, Default)]
pub struct PropReport {
    #[serde(deserialize_with = "crate::oracle::checker::names::de_map")]
    pub by_property: BTreeMap<&'static str, PropTally>,
    pub records: Vec<ViolationRecord>,
    pub records_dropped: u64,
    /// Checked rounds in which some member had no live successor entry, a state outside Zave's
    /// operating assumptions (crashes, not the protocol, put it there), and the first such round.
    pub assumption_broken_rounds: u64,
    pub assumption_first_broken: Option<u32>,
}

impl PropReport {
    /// A copy with each property's `at_end` set from the run's last checked round.
    #[must_use]
    pub fn with_end(&self, last: Option<&crate::oracle::checker::RoundRow>) -> PropReport {
        let mut r = self.clone();
        for (name, t) in &mut r.by_property {
            t.at_end = last.is_some_and(|row| row.violated.contains(name));
        }
        r
    }
}

/// Is this violation a safety failure for this protocol variant?
#[must_use]
pub fn is_safety(p: Property, zave: bool) -> bool {
    p.unrepairable() || (zave && matches!(p, Property::OneLiveSuccessor | Property::SufficientPrincipals))
}

impl Checker {
    /// Checks every property on the current state; records violations. Returns the names violated,
    /// the principal count, and the first safety violation (formatted) if any.
    ///
    /// A member with no live successor entry means a crash broke the operating assumptions, unless the
    /// injector guarded against that (`faults.respect_assumptions`, either variant): then no crash can
    /// have stranded it and the protocol lost its live entries itself (the published protocol adopts its
    /// successor's predecessor unchecked and cuts its list to `[x, s]`: Zave's T1). From a broken round
    /// until the ring converges again, unrepairable violations are not blamed on the protocol at once.
    pub(super) fn check_properties<V: NodeView>(
        &mut self,
        k: u32,
        now: u64,
        nodes: &[V],
        truth: &Truth,
    ) -> (Vec<&'static str>, u64, Option<String>) {
        let view = SimView::build(nodes, truth, self.r);
        if !view.member.iter().any(|&m| m) {
            // No member at all (everyone left, or no one joined yet): there is no ring to judge.
            return (Vec::new(), 0, None);
        }
        let (violations, principals) = check_all_counting(&view);
        let principals = principals as u64;
        let mut names = Vec::with_capacity(violations.len());
        let mut safety = None;
        let broken = violations.iter().any(|v| v.property == Property::OneLiveSuccessor) && !self.guarded;
        if broken {
            self.props.assumption_broken_rounds += 1;
            self.props.assumption_first_broken.get_or_insert(k);
        }
        for v in &violations {
            names.push(v.property.name());
            if safety.is_none() && is_safety(v.property, self.zave) {
                let note = if broken { " [a crash broke Zave's operating assumptions this round]" } else { "" };
                safety = Some(format!("{}{note}", describe(v, &view)));
            }
            self.record(k, now, v, &view);
        }
        self.assumption_broken |= broken;
        (names, principals, safety)
    }

    fn record(&mut self, k: u32, now: u64, v: &Violation, view: &SimView) {
        let p = v.property;
        let t = self.props.by_property.entry(p.name()).or_default();
        t.rounds_violated += 1;
        t.first_round.get_or_insert(k);
        t.first_time_s.get_or_insert(Time(now).as_secs_f64());
        t.last_round = Some(k);
        t.unrepairable = p.unrepairable();
        t.warning = p.is_warning();
        if self.props.records.len() >= MAX_RECORDS {
            self.props.records_dropped += 1;
            return;
        }
        let nodes = v.nodes.iter().take(MAX_WITNESSES).map(|&n| format!("{:#x}", view.id(n))).collect();
        self.props.records.push(ViolationRecord {
            round: k,
            time_s: Time(now).as_secs_f64(),
            property: p.name(),
            nodes,
            detail: v.detail.clone(),
        });
    }
}

fn describe(v: &Violation, view: &SimView) -> String {
    let ids: Vec<String> = v.nodes.iter().take(MAX_WITNESSES).map(|&n| format!("{:#x}", view.id(n))).collect();
    format!(
        "{} violated (nodes {}){}",
        v.property.name(),
        ids.join(", "),
        if v.detail.is_empty() { String::new() } else { format!(": {}", v.detail) }
    )
}
