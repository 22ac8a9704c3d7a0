//! Moving simulated time in the shell: `run`, `round`, `step`, and what each reports afterwards (the
//! time, events run, rounds checked, lookups and DHT operations completed, the checker's notices).
//!
//! Owns: the shell's *position*. After `run` and `round` it is clean: every event before `sim.now`
//! has run and none at or after it, so a command then takes effect exactly where a scripted event at
//! `sim.now` would (scripted events are queued first, so they run before everything else at their
//! time) and `save` can replay it. `step` runs a single event and may leave others at the same µs;
//! before the next command that changes anything, [`Shell::settle`] runs those and moves 1 µs on.
//! A checker verdict (e.g. a safety violation under perfect failure detection) is reported and the
//! simulation goes on. `run` and `round` go in batches of [`BATCH`] events and poll the shell's
//! interrupt flag (set by Ctrl-C) between batches: an interrupted run stops after the event it is
//! at, like a `step` (the position is not clean), and the events that ran are exactly those an
//! uninterrupted run would have run first, so `run` again to the same time gives the same state. `step` runs one event through
//! [`Sim::step`], which hands back the event it ran.
//! Never: skip or reorder events, move time backwards, or let the batching show in the results.

use super::Shell;
use super::show::{fmt_time, row_brief};
use crate::output::trace::{kind_code, kind_name, target};
use crate::sim::engine::{Ev, Stop};
use std::sync::atomic::Ordering;

/// Events run between two looks at the interrupt flag (well under a millisecond of wall time).
const BATCH: u64 = 4096;

/// What moving time found besides the events themselves.
#[derive(Default)]
struct Moved {
    notices: Vec<String>,
    limit: bool,
    /// Ctrl-C stopped the move short of this target (µs).
    interrupted: Option<u64>,
}

impl Shell {
    /// Runs every event before `target` and stands at `target` (unless the event limit stops it, or
    /// the interrupt flag when `interruptible`).
    fn advance(&mut self, target: u64, interruptible: bool) -> Moved {
        let mut m = Moved::default();
        let limit = self.sim.sc().limits.max_events;
        loop {
            if interruptible && self.interrupt.swap(false, Ordering::Relaxed) {
                m.interrupted = Some(target);
                break;
            }
            let batch_end = if interruptible { limit.min(self.sim.events().saturating_add(BATCH)) } else { limit };
            match self.sim.run_capped(target - 1, batch_end) {
                Stop::Verdict => self.take_notices(&mut m),
                Stop::EventLimit if self.sim.events() < limit => {}
                Stop::EventLimit => {
                    m.limit = true;
                    break;
                }
                Stop::Reached | Stop::Duration => {
                    self.sim.wait_until(target);
                    break;
                }
            }
        }
        // Stopped mid-stretch, events at `now` may be left (as after a `step`).
        self.mid = m.interrupted.is_some();
        self.sim.prune_truth();
        m
    }

    /// The checker stopped the run: say why, and let the simulation go on.
    fn take_notices(&mut self, m: &mut Moved) {
        let (script, verdict) = self.sim.clear_stop();
        if let Some(e) = script {
            m.notices.push(format!("scripted event failed: {e}"));
        }
        if let Some(s) = verdict {
            m.notices.push(format!("checker: {s}"));
        }
    }

    /// Before a command that changes the simulation: if a `step` left events at `now`, run them and
    /// move 1 µs on, so the command takes effect at a clean position. Returns a note saying so.
    pub(super) fn settle(&mut self) -> String {
        if !self.mid {
            return String::new();
        }
        let t = self.sim.now();
        let m = self.advance(t + 1, false);
        let mut s =
            format!("(the events left at t = {} ran first; this acts at t = {})\n", fmt_time(t), fmt_time(t + 1));
        s.push_str(&self.tail(&m));
        s
    }

    pub(super) fn run_for(&mut self, d: u64) -> String {
        let target = self.sim.now().saturating_add(d);
        self.moved_to(target)
    }

    /// To the next round boundary after now; the round due there is checked by the next move.
    pub(super) fn round(&mut self) -> String {
        let r = self.sim.sc().round_us().max(1);
        let target = (self.sim.now() / r + 1) * r;
        self.moved_to(target)
    }

    fn moved_to(&mut self, target: u64) -> String {
        let (events, rounds, from) = (self.sim.events(), self.sim.checker().rounds.len(), self.sim.now());
        // A Ctrl-C before this move (at the prompt) does not stop it.
        self.interrupt.store(false, Ordering::Relaxed);
        let m = self.advance(target, true);
        let mut s = format!("t = {}  (+{} events", fmt_time(self.sim.now()), self.sim.events() - events);
        let rows = &self.sim.checker().rounds[rounds..];
        if let Some(last) = rows.last() {
            let n = rows.len();
            s.push_str(&format!("; {n} round{} checked, last {}", if n == 1 { "" } else { "s" }, row_brief(last)));
        }
        s.push_str(")\n");
        let end = self.sim.sc().duration_us();
        if from <= end && end < self.sim.now() {
            s.push_str(&format!("  past the scenario's duration_s ({}): no more rounds are checked\n", fmt_time(end)));
        }
        s.push_str(&self.tail(&m));
        s
    }

    /// `step`: runs the next event alone and says what it was.
    pub(super) fn step(&mut self) -> Result<String, String> {
        let limit = self.sim.sc().limits.max_events;
        if self.sim.queued() == 0 {
            return Err("nothing left to run: the event queue is empty".into());
        }
        if self.sim.events() >= limit {
            return Err(format!("the event limit is reached (limits.max_events = {limit})"));
        }
        // The session's own observer (the `check` recorder) sees the step too.
        let Some((o, stop)) = self.sim.step() else { return Err("no event ran".into()) };
        let mut m = Moved::default();
        if stop == Stop::Verdict {
            self.take_notices(&mut m);
        }
        self.mid = true;
        let mut s = format!("t = {}  event #{}: {}\n", fmt_time(o.at), o.index, self.describe(&o.ev));
        s.push_str(&self.tail(&m));
        Ok(s)
    }

    /// `recv:get_state at 0x3a10 from 0x51c2`, `timer:stabilize at 0x3a10`, `round 3`, …
    fn describe(&self, ev: &Ev) -> String {
        let id = |a: crate::protocol::msg::Addr| self.sim.nodes()[a.0 as usize].node.me().id;
        let mut s = kind_name(kind_code(ev));
        match ev {
            Ev::Round(k) => {
                s = match self.sim.checker().rounds.last().filter(|r| r.round == *k) {
                    Some(row) => format!("the checker ran: {}", row_brief(row)),
                    None => format!("round {k} boundary (not a checked round)"),
                };
            }
            Ev::Script(i) => s.push_str(&format!(" (scripted event {}: {:?})", i, self.sim.script()[*i as usize])),
            _ => {}
        }
        if let Some(a) = target(ev) {
            s.push_str(&format!(" at {}", id(a)));
        }
        if let Ev::Deliver { from, .. } = ev {
            s.push_str(&format!(" from {}", from.id));
        }
        s
    }

    /// Lines after time moved: the event limit, the checker's notices, what completed.
    fn tail(&mut self, m: &Moved) -> String {
        let mut s = String::new();
        if let Some(t) = m.interrupted {
            s.push_str(&format!(
                "  interrupted (Ctrl-C) at t = {}, short of t = {}: the session goes on (`run` again to go on)\n",
                fmt_time(self.sim.now()),
                fmt_time(t)
            ));
        }
        if m.limit {
            s.push_str(&format!(
                "  event limit reached (limits.max_events = {}): time stops here\n",
                self.sim.sc().limits.max_events
            ));
        }
        if let Some(first) = m.notices.first() {
            s.push_str(&format!("  {first}\n"));
            if m.notices.len() > 1 {
                s.push_str(&format!("  (and {} more such notices in this stretch)\n", m.notices.len() - 1));
            }
        }
        let l = &self.sim.checker().lookups;
        let was = &self.reported.lookups;
        let parts = [
            (l.correct - was.correct, "correct"),
            (l.wrong - was.wrong, "wrong"),
            (l.failed - was.failed, "failed"),
            (l.ambiguous - was.ambiguous, "ambiguous"),
        ];
        push_counts(&mut s, "lookups completed", &parts);
        self.reported.lookups = l.clone();
        if let Some(d) = self.sim.checker().dht.as_ref() {
            let (c, was) = (&d.counts, &self.reported.dht);
            let parts = [
                (c.puts_acked - was.puts_acked, "put acknowledged"),
                (c.puts_failed - was.puts_failed, "put failed"),
                (c.gets_correct - was.gets_correct, "get correct"),
                (c.gets_stale - was.gets_stale, "get stale"),
                (c.gets_missing - was.gets_missing, "get missing"),
                (c.gets_failed - was.gets_failed, "get failed"),
                (c.abandoned - was.abandoned, "abandoned"),
            ];
            push_counts(&mut s, "dht operations completed", &parts);
            self.reported.dht = c.clone();
        }
        s
    }
}

/// `  what: 2 correct, 1 failed` with only the non-zero counts; nothing if all are zero.
fn push_counts(s: &mut String, what: &str, parts: &[(u64, &str)]) {
    let nz: Vec<String> = parts.iter().filter(|(n, _)| *n > 0).map(|(n, w)| format!("{n} {w}")).collect();
    if !nz.is_empty() {
        s.push_str(&format!("  {what}: {}\n", nz.join(", ")));
    }
}
