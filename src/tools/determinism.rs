//! `--check-determinism`: run the same scenario twice, side by side, and compare the two event
//! sequences event by event, naming the first event where they part.
//!
//! Owns: the two observers of the check — [`Recorder`] on the first run hashes every event and
//! streams its [`EventRecord`]s through a bounded channel; [`Comparer`] on the second run hashes its
//! own and compares them one by one — and the verdict, [`DeterminismOutcome`]. The runs execute on two threads
//! in lockstep (the channel is bounded), so memory stays small however long the run. Both runs live in
//! the same process but in separate `Sim`s, so hash-order iteration (per-instance random keys) or any
//! other hidden nondeterminism shows up as a divergence.
//! Never: print, or change what either run does (observers only read).

use crate::oracle::checker::RoundRow;
use crate::output::report::Report;
use crate::output::trace::{EventRecord, Fanout, HASH_START, Observed, Observer, fold};
use crate::scenario::Scenario;
use crate::sim::engine::Sim;
use crate::tools::run::Run;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

/// Records per batch sent between the runs, and batches the channel holds.
const BATCH: usize = 1024;
const DEPTH: usize = 64;

/// The first run: hashes its events and sends them to the second.
pub struct Recorder {
    pub hash: u64,
    pub events: u64,
    tx: Option<SyncSender<Vec<EventRecord>>>,
    batch: Vec<EventRecord>,
}

impl Recorder {
    fn flush(&mut self) {
        if let Some(tx) = &self.tx
            && tx.send(std::mem::take(&mut self.batch)).is_err()
        {
            // The second run stopped comparing (it found a divergence); carry on alone.
            self.tx = None;
        }
        self.batch.clear();
    }

    /// Sends what is left and closes the channel.
    fn finish(&mut self) {
        self.flush();
        self.tx = None;
    }
}

impl Observer for Recorder {
    fn after_event(&mut self, _sim: &Sim, ev: &Observed) {
        let r = EventRecord::of(ev);
        self.hash = fold(self.hash, &r);
        self.events += 1;
        if self.tx.is_some() {
            self.batch.push(r);
            if self.batch.len() == BATCH {
                self.flush();
            }
        }
    }
}

/// Where two runs parted: the event each run had at that position (`None`: that run had ended).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Divergence {
    pub index: u64,
    pub first: Option<EventRecord>,
    pub second: Option<EventRecord>,
}

/// The second run: hashes its events and compares each with the first run's.
pub struct Comparer {
    pub hash: u64,
    pub events: u64,
    rx: Option<Receiver<Vec<EventRecord>>>,
    pending: std::vec::IntoIter<EventRecord>,
    pub divergence: Option<Divergence>,
}

impl Comparer {
    /// The first run's next event; `None` once it has ended.
    fn expected(&mut self) -> Option<EventRecord> {
        loop {
            if let Some(r) = self.pending.next() {
                return Some(r);
            }
            self.pending = self.rx.as_ref()?.recv().ok()?.into_iter();
        }
    }

    fn diverged(&mut self, index: u64, first: Option<EventRecord>, second: Option<EventRecord>) {
        self.divergence = Some(Divergence { index, first, second });
        self.rx = None; // lets the first run go on without waiting for us
    }

    /// After the second run's last event: did the first run have more?
    fn finish(&mut self) {
        if self.divergence.is_none()
            && let Some(extra) = self.expected()
        {
            self.diverged(self.events, Some(extra), None);
        }
        self.rx = None;
    }
}

impl Observer for Comparer {
    fn after_event(&mut self, _sim: &Sim, ev: &Observed) {
        let r = EventRecord::of(ev);
        self.hash = fold(self.hash, &r);
        self.events += 1;
        if self.divergence.is_some() || self.rx.is_none() {
            return;
        }
        match self.expected() {
            Some(e) if e == r => {}
            other => self.diverged(r.index, other, Some(r)),
        }
    }
}

/// The verdict of a determinism check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeterminismOutcome {
    /// Same events in the same order, and byte-identical reports.
    Deterministic { events: u64, hash: u64 },
    /// The event sequences part at this event.
    Diverged(Divergence),
    /// Same events, but the reports differ (nondeterministic output), first at this line.
    ReportsDiffer { events: u64, hash: u64, line: usize },
}

impl DeterminismOutcome {
    #[must_use]
    pub fn is_deterministic(&self) -> bool {
        matches!(self, DeterminismOutcome::Deterministic { .. })
    }
}

impl std::fmt::Display for DeterminismOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DeterminismOutcome::Deterministic { events, hash } => {
                write!(
                    f,
                    "deterministic: {events} events, hash {hash:#018x} (two runs, same events, same report bytes)"
                )
            }
            DeterminismOutcome::Diverged(d) => {
                let side =
                    |r: &Option<EventRecord>| r.map_or("no event (the run had ended)".to_string(), |r| r.describe());
                write!(
                    f,
                    "NOT deterministic: the runs part at event #{}: run 1 had {}; run 2 had {}",
                    d.index,
                    side(&d.first),
                    side(&d.second)
                )
            }
            DeterminismOutcome::ReportsDiffer { events, hash, line } => write!(
                f,
                "NOT deterministic: same {events} events (hash {hash:#018x}) but the reports differ, first at line {line}"
            ),
        }
    }
}

/// The first line (1-based) where two texts differ.
#[must_use]
pub fn first_diff_line(a: &str, b: &str) -> usize {
    let mut la = a.lines();
    let mut lb = b.lines();
    let mut n = 1;
    loop {
        match (la.next(), lb.next()) {
            (None, None) => return n,
            (x, y) if x != y => return n,
            _ => n += 1,
        }
    }
}

/// The first run's report, the outcome of the check, and the extra observer given to [`check`].
pub type Checked<T> = (Report, DeterminismOutcome, Option<Box<T>>);

/// Runs `sc` twice in lockstep and compares. The first run (on this thread) also carries `extra`
/// (e.g. a [`crate::output::trace::Tracer`], returned at the end), the plots' `capture` and the row and
/// step callbacks; its report is the one returned.
pub fn check<T: Observer>(
    sc: Scenario,
    extra: Option<T>,
    capture: Option<&mut crate::output::plot::Capture>,
    on_row: impl FnMut(&RoundRow),
    on_step: impl FnMut(&Sim),
) -> Result<Checked<T>, String> {
    let (tx, rx) = sync_channel(DEPTH);
    let rec = Recorder { hash: HASH_START, events: 0, tx: Some(tx), batch: Vec::with_capacity(BATCH) };
    let mut fan = Fanout(vec![Box::new(rec)]);
    fan.0.extend(extra.map(|o| Box::new(o) as Box<dyn Observer>));
    let cmp = Comparer { hash: HASH_START, events: 0, rx: Some(rx), pending: Vec::new().into_iter(), divergence: None };
    let second_sc = sc.clone();
    std::thread::scope(|s| {
        let second = s.spawn(move || {
            let mut done = Run::new(second_sc)?.observe(cmp).finish();
            let mut cmp = done.take_observer::<Comparer>().ok_or("lost the comparer")?;
            cmp.finish();
            Ok::<_, String>((done.report, cmp))
        });
        let first = Run::new(sc).map(|r| r.observe(fan).capture(capture).on_row(on_row).on_step(on_step).finish());
        let mut done = match first {
            Ok(x) => x,
            Err(e) => {
                let _ = second.join();
                return Err(e);
            }
        };
        let mut fan = done.take_observer::<Fanout>().ok_or("lost the recorder")?;
        let mut rec = fan.take::<Recorder>().ok_or("lost the recorder")?;
        rec.finish();
        let (rep2, cmp) = second.join().map_err(|_| "the second run panicked".to_string())??;
        let outcome = judge(&rec, &cmp, &done.report.to_json(), &rep2.to_json());
        Ok((done.report, outcome, fan.take::<T>()))
    })
}

fn judge(rec: &Recorder, cmp: &Comparer, json1: &str, json2: &str) -> DeterminismOutcome {
    if let Some(d) = &cmp.divergence {
        return DeterminismOutcome::Diverged(d.clone());
    }
    if rec.events != cmp.events || rec.hash != cmp.hash {
        // Cannot happen when every event compared equal; kept so a bug here is not silent.
        return DeterminismOutcome::Diverged(Divergence {
            index: rec.events.min(cmp.events),
            first: None,
            second: None,
        });
    }
    if json1 != json2 {
        return DeterminismOutcome::ReportsDiffer {
            events: rec.events,
            hash: rec.hash,
            line: first_diff_line(json1, json2),
        };
    }
    DeterminismOutcome::Deterministic { events: rec.events, hash: rec.hash }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::trace::NO_NODE;

    fn small() -> Scenario {
        let text = "duration_s = 200\n[initial]\nnodes = 12\n[protocol]\nstabilize_interval_ms = 10000\n\
                    [[workload]]\nkind = \"lookups\"\nstart_s = 0\nend_s = 200\nper_s = 1\n";
        Scenario::parse(text, "<test>", "small").expect("valid")
    }

    #[test]
    fn same_scenario_is_deterministic() {
        let (rep, out, extra) =
            check::<crate::output::trace::Tracer>(small(), None, None, |_| {}, |_| {}).expect("runs");
        assert!(extra.is_none());
        match out {
            DeterminismOutcome::Deterministic { events, .. } => assert_eq!(events, rep.run.events),
            o => panic!("{o}"),
        }
    }

    #[test]
    fn comparer_names_the_first_divergent_event() {
        let (tx, rx) = sync_channel(4);
        let a = EventRecord { index: 0, at: 10, seq: 0, kind: 0x700, node: NO_NODE };
        let b = EventRecord { index: 1, at: 20, seq: 1, kind: 0x400, node: NO_NODE };
        tx.send(vec![a, b]).expect("send");
        drop(tx);
        let mut c = Comparer { hash: 0, events: 0, rx: Some(rx), pending: Vec::new().into_iter(), divergence: None };
        assert_eq!(c.expected(), Some(a));
        let other = EventRecord { at: 21, ..b };
        match c.expected() {
            Some(e) if e == other => panic!("should differ"),
            e => c.diverged(1, e, Some(other)),
        }
        let d = c.divergence.clone().expect("diverged");
        assert_eq!((d.index, d.first, d.second), (1, Some(b), Some(other)));
        let text = DeterminismOutcome::Diverged(d).to_string();
        assert!(text.contains("event #1") && text.contains("t = 20 µs") && text.contains("churn"), "{text}");
    }

    #[test]
    fn first_diff_line_counts_from_one() {
        assert_eq!(first_diff_line("a\nb\nc", "a\nx\nc"), 2);
        assert_eq!(first_diff_line("a", "a\nb"), 2);
    }
}
