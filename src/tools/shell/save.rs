//! `save <file>`: the session so far as a scenario whose run replays it.
//!
//! Owns: the log entry of a command that changed the simulation ([`Logged`]) and the mapping of the
//! log to a scenario: the resolved base scenario, its own scripted events that already happened, the
//! session's joins, crashes and leaves as scripted events at the times they took effect, workloads
//! cut off where the session stands, then `check.quiet_rounds_max` quiet rounds and `expect =
//! "no_check"`. The shell only lets a command take effect at a clean position P — every event before
//! P ran, none at or after it — and a scripted event at P runs before every other event at P (it was
//! queued first), so the replay's events come in the session's order. Cutting a workload off keeps
//! its random draws (an arrival is drawn, then dropped past the window's end), so no stream shifts.
//! Never: write anything but the returned text (the caller writes the file; [`check_path`] only
//! opens it to see that it can); save put, get or
//! `lookup!` as anything but comments (no scripted event exists for them).

use super::show::fmt_time;
use crate::scenario::{Event, Expect, Scenario, Workload};
use crate::time::Time;

/// A command that changed the simulation, at the time it took effect.
#[derive(Clone, Debug)]
pub struct Logged {
    pub at_us: u64,
    /// The scripted event that replays it; `None` when there is none (put, get, `lookup!`).
    pub event: Option<Event>,
    /// The command as the user could retype it, with ids in full.
    pub text: String,
}

/// `save <file>` can write `file`, checked before anything runs: not a folder, its folder exists,
/// and it can be opened for writing (a file created by the check alone is removed again). Errors
/// are one line with the name cut to a short excerpt.
pub fn check_path(file: &str) -> Result<(), String> {
    let path = std::path::Path::new(file);
    let name = shown(file);
    if path.is_dir() {
        return Err(format!("save {name}: is a folder, not a file"));
    }
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    if !parent.is_dir() {
        let what = if parent.exists() { "is not a folder" } else { "does not exist" };
        return Err(format!("save {name}: the folder {} {what}", shown(&parent.display().to_string())));
    }
    let existed = path.exists();
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|e| format!("save {name}: cannot write: {e}"))?;
    if !existed {
        let _ = std::fs::remove_file(path);
    }
    Ok(())
}

/// A path for a message: quoted with control characters escaped, cut after 200 characters.
fn shown(path: &str) -> String {
    if path.chars().count() > 200 { crate::bounds::excerpt(path) } else { format!("{path:?}") }
}

/// µs → seconds, exact enough that [`Time::from_s`] gives the µs back.
pub fn at_s(us: u64) -> f64 {
    Time(us).as_secs_f64()
}

fn set_at(e: &mut Event, t: f64) {
    match e {
        Event::Join { at_s, .. }
        | Event::LoadKeys { at_s, .. }
        | Event::CrashFraction { at_s, .. }
        | Event::LeaveFraction { at_s, .. }
        | Event::Crash { at_s, .. }
        | Event::Leave { at_s, .. } => *at_s = t,
        Event::Partition { at_s, heal_at_s, .. } => {
            *heal_at_s += t - *at_s;
            *at_s = t;
        }
    }
}

/// Arrivals after `last` (µs) did not happen in the session: the window ends there.
fn cut(w: &mut Workload, last: u64) {
    let (start_s, end_s) = match w {
        Workload::Churn { start_s, end_s, .. }
        | Workload::Lookups { start_s, end_s, .. }
        | Workload::Dht { start_s, end_s, .. }
        | Workload::Sessions { start_s, end_s, .. } => (start_s, end_s),
    };
    if Time::from_s(*end_s).us() > last {
        *end_s = at_s(last);
    }
    if Time::from_s(*start_s).us() > Time::from_s(*end_s).us() {
        *start_s = *end_s;
    }
}

/// The scenario that replays the session standing at the clean position `now`.
pub fn session_scenario(base: &Scenario, log: &[Logged], now: u64) -> Scenario {
    let mut sc = base.clone();
    let quiet = u64::from(sc.check.quiet_rounds_max) * sc.round_us().max(1);
    sc.duration_s = at_s(now + quiet);
    sc.expect = Expect::NoCheck;
    if !sc.name.ends_with("-session") {
        sc.name = format!("{}-session", base.name);
    }
    // (time, the session's own commands first at equal times, order, event)
    let mut events: Vec<(u64, u8, usize, Event)> = Vec::new();
    for (i, l) in log.iter().enumerate() {
        if let Some(e) = &l.event {
            events.push((l.at_us, 0, i, e.clone()));
        }
    }
    for (i, e) in base.events.iter().enumerate() {
        let t = Time::from_s(e.at_s()).us();
        if t < now {
            events.push((t, 1, i, e.clone()));
        }
    }
    events.sort_by_key(|&(t, o, i, _)| (t, o, i));
    sc.events = events
        .into_iter()
        .map(|(t, _, _, mut e)| {
            set_at(&mut e, at_s(t));
            e
        })
        .collect();
    for w in &mut sc.workloads {
        cut(w, now.saturating_sub(1));
    }
    sc
}

/// The text of the saved file: a comment saying what it is and what it leaves out, then the TOML.
/// Checked by parsing it back.
pub fn render(base: &Scenario, log: &[Logged], now: u64) -> Result<String, String> {
    let sc = session_scenario(base, log, now);
    let t = fmt_time(now);
    let mut s = format!(
        "# {}: saved by `chordsim shell` at t = {t} (seed {}). The scenario the session started from, with\n\
         # the session's joins, crashes and leaves as scripted events, then {} quiet rounds; expect = \"no_check\".\n\
         # `chordsim shell FILE` then `run {}` reaches the session's state; `chordsim FILE` runs it to the end.\n",
        sc.name,
        sc.seed,
        sc.check.quiet_rounds_max,
        t.replace(' ', "")
    );
    let left_out: Vec<&Logged> = log.iter().filter(|l| l.event.is_none()).collect();
    if !left_out.is_empty() {
        s.push_str(
            "# Not replayed: scenarios have no event for these, and they sent messages, so the replay may\n\
             # differ from the session after the first of them:\n",
        );
        for l in left_out {
            s.push_str(&format!("#   t = {}: {}\n", fmt_time(l.at_us), l.text));
        }
    }
    s.push('\n');
    s.push_str(&sc.to_toml());
    Scenario::parse(&s, "<saved session>", &sc.name)
        .map_err(|e| format!("the saved scenario does not validate (a bug in the shell): {e}"))?;
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::NodeRef;

    const BASE: &str = "name = \"b\"\nduration_s = 100\n[initial]\nnodes = 8\n[protocol]\n\
                        stabilize_interval_ms = 1000\n\
                        [[event]]\nat_s = 5\naction = \"join\"\ncount = 1\n\
                        [[event]]\nat_s = 50\naction = \"crash_fraction\"\nfraction = 0.5\n\
                        [[workload]]\nkind = \"churn\"\nstart_s = 2\nend_s = 80\njoin_per_s = 0.1\n\
                        [[workload]]\nkind = \"lookups\"\nstart_s = 30\nend_s = 80\nper_s = 1\n";

    fn log() -> Vec<Logged> {
        let crash = Event::Crash { at_s: 5.0, node: NodeRef::Id("0x3a10".into()) };
        vec![
            Logged { at_us: 5_000_000, event: Some(crash), text: "crash 0x3a10".into() },
            Logged { at_us: 7_000_001, event: None, text: "put key-1 from 0x3a10".into() },
            Logged { at_us: 7_000_001, event: Some(Event::Join { at_s: 7.000_001, count: 2 }), text: "join 2".into() },
        ]
    }

    #[test]
    fn session_events_come_first_at_equal_times_and_later_events_are_dropped() {
        let base = Scenario::parse(BASE, "<b>", "b").unwrap();
        let sc = session_scenario(&base, &log(), 20_000_000);
        let kinds: Vec<(f64, &str)> = sc
            .events
            .iter()
            .map(|e| match e {
                Event::Crash { .. } => (e.at_s(), "crash"),
                Event::Join { count: 1, .. } => (e.at_s(), "base join"),
                Event::Join { .. } => (e.at_s(), "join"),
                _ => (e.at_s(), "other"),
            })
            .collect();
        assert_eq!(kinds, vec![(5.0, "crash"), (5.0, "base join"), (7.000_001, "join")]);
        assert_eq!((sc.duration_s, sc.expect, sc.name.as_str()), (30.0, Expect::NoCheck, "b-session"));
        match (&sc.workloads[0], &sc.workloads[1]) {
            (Workload::Churn { start_s, end_s, .. }, Workload::Lookups { start_s: s2, end_s: e2, .. }) => {
                assert_eq!((*start_s, *end_s), (2.0, 19.999_999));
                assert_eq!((*s2, *e2), (19.999_999, 19.999_999), "not started yet: an empty window");
            }
            w => panic!("{w:?}"),
        }
    }

    #[test]
    fn rendered_text_parses_back_and_names_what_it_leaves_out() {
        let base = Scenario::parse(BASE, "<b>", "b").unwrap();
        let text = render(&base, &log(), 20_000_000).unwrap();
        assert!(text.contains("#   t = 7.000001 s: put key-1 from 0x3a10"), "{text}");
        assert!(text.contains("`run 20s`"), "{text}");
        let back = Scenario::parse(&text, "<saved>", "x").unwrap();
        assert_eq!(back, session_scenario(&base, &log(), 20_000_000));
        assert!(matches!(&back.events[0], Event::Crash { node: NodeRef::Id(id), .. } if id == "0x3a10"));
    }
}
