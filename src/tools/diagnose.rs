//! Explaining a failure: when a run ends in `safety` or `no_convergence`, name the failure class and
//! give the causal slice — the nodes the violation names, the nodes their pointers name, and what
//! happened to them (joins, crashes, leaves, successor and predecessor changes, live entries dropped
//! after timeouts, lost messages) since the ring last looked right, at most [`WINDOW_ROUNDS`] checked
//! rounds back, capped at [`MAX_LINES`] lines.
//!
//! Owns: the [`Diagnosis`] a report carries and its console lines, and the diagnostic re-run. The
//! slice is computed off the hot path: the run itself records nothing; after it, the same scenario and
//! seed are run again (deterministically, so the same events happen) up to the deciding round with a
//! [`record::Recorder`] attached from the window's start. The re-run's deciding round must equal the
//! report's, which the diagnosis checks and says if it does not.
//! Never: change a report's verdict or any figure in it, or run during a normal run's event loop.

pub mod classify;
pub mod record;

use crate::oracle::checker::RoundRow;
use crate::oracle::zave::properties::Property;
use crate::output::report::{Report, Verdict};
use crate::scenario::Scenario;
use crate::sim::engine::Sim;
use crate::time::Time;
use classify::{Context, Final, secs};
use record::{Entry, Recorder, What};

/// The slice reaches back at most this many checked rounds before the deciding one.
pub const WINDOW_ROUNDS: u64 = 3;
/// At most this many slice lines are kept (the latest); the rest are counted.
pub const MAX_LINES: usize = 40;

pub use crate::output::report::Diagnosis;

/// The report's failure explained, for `safety` and `no_convergence` verdicts with a deciding round.
pub fn explain(report: &Report) -> Option<Diagnosis> {
    let v = &report.verdict;
    if !matches!(v.verdict, Verdict::Safety | Verdict::NoConvergence) {
        return None;
    }
    let k = v.decided_round?;
    let sc = &report.scenario;
    let (b, from) = window(report, k)?;
    let t_b = report.rounds.iter().find(|r| r.round == b).map(|r| Time::from_s(r.time_s).us())?;
    let (fin, entries, row) = rerun(sc, from, b)?;
    let same = report.rounds.iter().find(|r| r.round == b) == row.as_ref();
    let ctx = Context {
        slice: &entries,
        partitions: &crate::oracle::checker::partition_windows(sc),
        period_us: sc.round_us(),
    };
    let named = classify::classify(&fin, &ctx);
    let (slice, omitted) = slice_lines(&fin, &entries);
    Some(Diagnosis {
        class: named.class,
        summary: if same {
            named.summary
        } else {
            format!("the diagnostic re-run diverged from the run at round {b} (please report); {}", named.summary)
        },
        window_s: [Time(from).as_secs_f64(), Time(t_b).as_secs_f64()],
        nodes: fin.focus.iter().map(node_line).collect(),
        slice,
        slice_omitted: omitted as u64,
    })
}

/// The diagnosis of a live simulation's current state (the shell's `check`), from the entries a
/// rolling [`Recorder`] kept (none: the slice is empty). The window is the recorder's span.
pub fn of_state(sim: &Sim, entries: &[Entry]) -> Diagnosis {
    let fin = Final::capture(sim);
    let ctx = Context {
        slice: entries,
        partitions: &crate::oracle::checker::partition_windows(sim.sc()),
        period_us: sim.sc().round_us(),
    };
    let named = classify::classify(&fin, &ctx);
    let (slice, omitted) = slice_lines(&fin, entries);
    let from = entries.first().map_or(sim.now(), |e| e.at);
    Diagnosis {
        class: named.class,
        summary: named.summary,
        window_s: [Time(from).as_secs_f64(), Time(sim.now()).as_secs_f64()],
        nodes: fin.focus.iter().map(node_line).collect(),
        slice,
        slice_omitted: omitted as u64,
    }
}

/// A rolling recorder for a live session: keeps the last [`WINDOW_ROUNDS`] rounds.
#[must_use]
pub fn rolling_recorder(sc: &Scenario) -> Recorder {
    Recorder::rolling(WINDOW_ROUNDS * sc.round_us())
}

/// Sets `report.diagnosis` (a no-op for verdicts that need none).
pub fn attach(report: &mut Report) {
    report.diagnosis = explain(report);
}

/// The round the failure broke out in and the slice's start (µs). For a property the verdict names
/// (its first safety violation in the deciding round `k`), the break is the first round of the
/// unbroken run of rounds, ending at `k`, that violate it (the round before it is where the property
/// last held); without one (no convergence with no property violated), the break is `k` itself. The
/// slice reaches [`WINDOW_ROUNDS`] checked rounds back from the break: causes come before effects.
fn window(report: &Report, k: u32) -> Option<(u32, u64)> {
    let sc = &report.scenario;
    let rows = &report.rounds;
    let at = rows.iter().position(|r| r.round == k)?;
    let zave = sc.protocol.variant == crate::scenario::Variant::Zave;
    let safety =
        |name: &str| Property::ALL.iter().any(|&p| p.name() == name && crate::oracle::checker::is_safety(p, zave));
    let mut b = at;
    if let Some(p) = rows[at].violated.iter().copied().find(|n| safety(n)) {
        while b > 0 && rows[b - 1].violated.contains(&p) {
            b -= 1;
        }
    }
    let us = |i: usize| Time::from_s(rows[i].time_s).us();
    let span = WINDOW_ROUNDS * u64::from(sc.check.every_rounds) * sc.round_us();
    Some((rows[b].round, us(b).saturating_sub(span)))
}

/// Runs `sc` again up to round `k` with a recorder from `from_us`; its final state and entries.
/// Also returns the re-run's row of round `k`, which must equal the report's.
fn rerun(sc: &Scenario, from_us: u64, k: u32) -> Option<(Final, Vec<Entry>, Option<RoundRow>)> {
    let mut sim = Sim::new(sc.clone()).ok()?;
    sim.observe_with(Box::new(Recorder::window(from_us, k)));
    let t_k = u64::from(k) * sc.round_us();
    sim.run_until(t_k);
    let row = sim.checker().rounds.iter().find(|r| r.round == k).cloned();
    let rec = *sim.take_observer::<Recorder>()?;
    Some((rec.captured?, rec.entries, row))
}

fn node_line(n: &classify::NodeAt) -> String {
    let live = |b: bool| if b { "" } else { " (dead)" };
    let list: Vec<String> = n.list.iter().map(|(p, a)| format!("{}{}", p.id, live(*a))).collect();
    let pred = n.pred.map_or("none".to_string(), |(p, a)| format!("{}{}", p.id, live(a)));
    let state = match (n.alive, n.joined) {
        (false, _) => "dead",
        (true, false) => "joining",
        (true, true) => "member",
    };
    format!("{} {state}: successors [{}], predecessor {pred}", n.peer.id, list.join(", "))
}

/// The slice's lines (entries touching relevant nodes), the latest [`MAX_LINES`], and how many
/// earlier ones were left out.
fn slice_lines(fin: &Final, entries: &[Entry]) -> (Vec<String>, usize) {
    // Also every node a focus node pointed at during the slice (a join successor that left, say).
    let mut relevant = fin.relevant.clone();
    for e in entries.iter().filter(|e| fin.focus.iter().any(|f| f.peer.addr == e.node.addr)) {
        let named = match e.what {
            What::Joined { succ, .. } => [succ, None],
            What::Succ { old, new, .. } | What::Pred { old, new } => [old, new],
            _ => [None, None],
        };
        for p in named.into_iter().flatten().filter(|p| !p.is_pad()) {
            if !relevant.contains(&p.addr) {
                relevant.push(p.addr);
            }
        }
    }
    let touches = |e: &Entry| {
        relevant.contains(&e.node.addr)
            || matches!(e.what, What::DroppedLive { peer, .. } if relevant.contains(&peer.addr))
    };
    let lines: Vec<String> = entries.iter().filter(|e| touches(e)).map(entry_line).collect();
    let omitted = lines.len().saturating_sub(MAX_LINES);
    (lines[omitted..].to_vec(), omitted)
}

fn entry_line(e: &Entry) -> String {
    let id = |p: Option<crate::protocol::msg::Peer>| p.map_or("none".to_string(), |p| p.id.to_string());
    let what = match &e.what {
        What::Created => "created (joining)".to_string(),
        What::Joined { succ, succ_alive } => {
            format!("joined, successor {}{}", id(*succ), if *succ_alive { "" } else { " (dead)" })
        }
        What::Crashed => "crashed".to_string(),
        What::Left => "left".to_string(),
        What::Succ { old, new, alive } => {
            let dead = if !*alive && new.is_some() { " (dead)" } else { "" };
            format!("successor {} -> {}{dead}", id(*old), id(*new))
        }
        What::Pred { old, new } => format!("predecessor {} -> {}", id(*old), id(*new)),
        What::DroppedLive { peer, after_timeout } => format!(
            "dropped live {} from its successor list{}",
            peer.id,
            if *after_timeout { " after a timeout (false suspicion)" } else { "" }
        ),
        What::ListEmptied { had } => {
            let ids: Vec<String> = had.iter().map(|p| p.id.to_string()).collect();
            format!("successor list exhausted: every entry of [{}] gone", ids.join(", "))
        }
        What::Lost(n) => format!("{n} message{} it sent lost", if *n == 1 { "" } else { "s" }),
    };
    format!("t = {:>12}  {}  {what}  [{}]", secs(e.at), e.node.id, crate::output::trace::kind_name(e.cause))
}

/// The console lines of a diagnosis (stderr, after the verdict line).
#[must_use]
pub fn lines(d: &Diagnosis) -> Vec<String> {
    let mut out = vec![format!("diagnosis: {} — {}", d.class, d.summary)];
    out.extend(d.nodes.iter().map(|n| format!("  node {n}")));
    let shown = d.slice.len();
    let more = if d.slice_omitted > 0 {
        format!(", the latest {shown} of {}", shown as u64 + d.slice_omitted)
    } else {
        String::new()
    };
    out.push(format!("  slice {:.3}–{:.3} s{more}:", d.window_s[0], d.window_s[1]));
    out.extend(d.slice.iter().map(|l| format!("    {l}")));
    out
}
