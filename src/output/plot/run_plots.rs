//! The plots of one run, written beside its report: lookup outcomes, lookup failures, hops and
//! routing-state correctness per round (each with the membership changes as a bar strip and the
//! scripted events, the start of the quiet period and convergence as vertical markers), and a ring
//! picture per captured snapshot.
//!
//! Owns: which charts a run gets, their file names (`lookups.svg`, `lookup-failures.svg`, `hops.svg`,
//! `ring-state.svg`, `ring-round<k>.svg`) and where each number comes from: the report's per-round
//! rows for everything the checker measures, the [`Capture`] for membership changes and
//! workload-lookup hops per round and for the ring snapshots.
//! Never: run anything or decide correctness; the same report and capture give the same bytes.

use super::capture::Capture;
use super::chart::{Chart, Layer, Marker, Series, Strip};
use super::ring;
use crate::oracle::checker::RoundRow;
use crate::output::report::Report;
use crate::scenario::{Event, Expect};
use crate::time::Time;
use std::path::{Path, PathBuf};

const GREEN: &str = "#2ca02c";
const RED: &str = "#d62728";
const PURPLE: &str = "#9467bd";
const ORANGE: &str = "#ff7f0e";
const BLUE: &str = "#1f77b4";
const GREY: &str = "#7f7f7f";
const BROWN: &str = "#8c564b";

/// Every chart and picture of a run as (file name, SVG text), in a fixed order.
#[must_use]
pub fn render_all(rep: &Report, cap: &Capture) -> Vec<(String, String)> {
    let mut out = vec![
        ("lookups.svg".to_string(), lookups(rep, cap).render()),
        ("lookup-failures.svg".to_string(), failures(rep, cap).render()),
        ("hops.svg".to_string(), hops(rep, cap).render()),
        ("ring-state.svg".to_string(), ring_state(rep, cap).render()),
    ];
    for snap in &cap.rings {
        out.push((format!("ring-round{}.svg", snap.round), ring::render(snap)));
    }
    out
}

/// Writes the plots into `dir` (the run's folder); returns the paths written.
pub fn write(dir: &Path, rep: &Report, cap: &Capture) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut paths = Vec::new();
    for (name, svg) in render_all(rep, cap) {
        let p = dir.join(name);
        std::fs::write(&p, svg)?;
        paths.push(p);
    }
    Ok(paths)
}

fn round_s(rep: &Report) -> f64 {
    Time(rep.scenario.round_us().max(1)).as_secs_f64()
}

/// A chart with the run's common parts: subtitle, x axis, markers and the membership strip.
fn base(rep: &Report, cap: &Capture, title: &str, ylabel: &str) -> Chart {
    let mut c = Chart::new(title, &format!("round ({} s each)", round_s(rep)), ylabel);
    c.subtitle = format!(
        "{} · seed {} · verdict {} · {} checked rounds",
        rep.scenario_name,
        rep.seed,
        rep.verdict.verdict.name(),
        rep.rounds.len()
    );
    let last = rep.rounds.last().map_or(0, |r| r.round).max(cap.rounds.last().map_or(0, |r| r.round));
    c.x_range = Some((0.0, f64::from(last.max(1))));
    c.markers = markers(rep);
    if !cap.rounds.is_empty() {
        // Round k's bar counts the changes in ((k-1)·interval, k·interval]: centre it in between.
        let xs = cap.rounds.iter().map(|r| (f64::from(r.round) - 0.5).max(0.0)).collect();
        let layer = |name: &str, color, up, f: fn(&super::capture::RoundChanges) -> u64| Layer {
            name: name.to_string(),
            color,
            up,
            values: cap.rounds.iter().map(|r| f(r) as f64).collect(),
        };
        c.strip = Some(Strip {
            label: "membership changes".into(),
            xs,
            layers: vec![
                layer("joins", GREEN, true, |r| r.joins),
                layer("crashes", RED, false, |r| r.crashes),
                layer("leaves", ORANGE, false, |r| r.leaves),
            ],
        });
    }
    c
}

/// Scripted membership events, the last membership change and convergence.
fn markers(rep: &Report) -> Vec<Marker> {
    let rs = round_s(rep);
    let mut m: Vec<Marker> = rep
        .scenario
        .events
        .iter()
        .filter_map(|e| {
            let label = match e {
                Event::Join { count, .. } => format!("join {count}"),
                Event::CrashFraction { fraction, .. } => format!("crash {fraction}"),
                Event::LeaveFraction { fraction, .. } => format!("leave {fraction}"),
                Event::Crash { .. } => "crash".to_string(),
                Event::Leave { .. } => "leave".to_string(),
                Event::Partition { fraction, heal_at_s, .. } => format!("cut {fraction} until {heal_at_s} s"),
                Event::LoadKeys { .. } => return None,
            };
            Some(Marker { x: e.at_s() / rs, label, color: GREY })
        })
        .collect();
    m.sort_by(|a, b| a.x.total_cmp(&b.x));
    let quiet = rep.verdict.quiet_start_s;
    if quiet > 0.0 && rep.scenario.expect != Expect::NoCheck {
        m.push(Marker { x: quiet / rs, label: "last change".into(), color: BLUE });
    }
    if let Some(k) = rep.verdict.converged_round {
        m.push(Marker { x: f64::from(k), label: "converged".into(), color: GREEN });
    }
    m
}

fn series(rows: &[RoundRow], name: &str, color: &'static str, f: impl Fn(&RoundRow) -> Option<f64>) -> Series {
    Series::new(name, color, rows.iter().map(|r| (f64::from(r.round), f(r))).collect())
}

fn lookups(rep: &Report, cap: &Capture) -> Chart {
    let mut c = base(rep, cap, "Workload lookups per round: outcome fractions", "fraction of completed");
    let frac =
        |x: fn(&RoundRow) -> u64| move |r: &RoundRow| (r.lookups.done > 0).then(|| x(r) as f64 / r.lookups.done as f64);
    c.series = vec![
        series(&rep.rounds, "correct", GREEN, frac(|r| r.lookups.correct)),
        series(&rep.rounds, "wrong", RED, frac(|r| r.lookups.wrong)),
        series(&rep.rounds, "failed", PURPLE, frac(|r| r.lookups.failed)),
        series(&rep.rounds, "ambiguous", ORANGE, frac(|r| r.lookups.ambiguous)),
    ];
    c.y_range = Some((0.0, 1.0));
    let o = &rep.lookups.outcomes;
    c.subtitle.push_str(&format!(
        " · {} lookups: {} correct, {} wrong, {} failed, {} ambiguous (gaps: rounds with none)",
        o.done, o.correct, o.wrong, o.failed, o.ambiguous
    ));
    c
}

fn failures(rep: &Report, cap: &Capture) -> Chart {
    let mut c = base(rep, cap, "Lookup failures per round", "lookups");
    let count = |x: fn(&RoundRow) -> u64| move |r: &RoundRow| Some(x(r) as f64);
    c.series = vec![
        series(&rep.rounds, "failed", PURPLE, count(|r| r.lookups.failed)),
        series(&rep.rounds, "wrong", RED, count(|r| r.lookups.wrong)),
        series(&rep.rounds, "ambiguous", ORANGE, count(|r| r.lookups.ambiguous)),
        series(&rep.rounds, "probe lookups not correct", GREY, count(|r| r.probes - r.probes_ok)).dashed(),
    ];
    c
}

fn hops(rep: &Report, cap: &Capture) -> Chart {
    let mut c = base(rep, cap, "Lookup path length per round (live nodes contacted)", "hops");
    let workload = |f: fn(&super::capture::RoundChanges) -> f64| {
        cap.rounds.iter().map(|r| (f64::from(r.round), (r.hops_n > 0).then(|| f(r)))).collect()
    };
    c.series = vec![
        Series::new("workload mean", BLUE, workload(|r| r.hops_mean)),
        Series::new("workload 99th pct", BROWN, workload(|r| r.hops_p99 as f64)).dashed(),
        series(&rep.rounds, "probe mean", GREEN, |r| (r.probes_ok > 0).then_some(r.probe_hops_mean)),
    ];
    c.subtitle.push_str(&format!(
        " · workload mean {:.2}, p99 {} · probes mean {:.2}",
        rep.lookups.hops.mean, rep.lookups.hops.p99, rep.probes.hops.mean
    ));
    c
}

fn ring_state(rep: &Report, cap: &Capture) -> Chart {
    let mut c = base(rep, cap, "Routing state correct against the true ring", "fraction of live nodes");
    c.series = vec![
        series(&rep.rounds, "successor", BLUE, |r| Some(r.succ_ok)),
        series(&rep.rounds, "predecessor", ORANGE, |r| Some(r.pred_ok)),
        series(&rep.rounds, "successor list", GREEN, |r| Some(r.list_ok)),
        series(&rep.rounds, "finger entries", PURPLE, |r| Some(r.finger_entries_ok)).dashed(),
    ];
    c.y_range = Some((0.0, 1.0));
    let sampled = rep.rounds.iter().any(|r| r.checked < r.live);
    if sampled {
        c.subtitle.push_str(" · large ring: a sample of nodes checked per round");
    }
    c
}
