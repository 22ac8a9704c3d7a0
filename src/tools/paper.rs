//! Reproductions of the Chord papers' experiments (`chordsim paper`): runs the scenarios under
//! `scenarios/paper/`, compares chordsim's numbers with the papers' (as `reference/chord.md` lists
//! them, with its tolerances) and writes `results/paper/<experiment>.md` plus an SVG plot per figure.
//!
//! Owns: the list of experiments, the paper values and tolerances, the extraction of each number from
//! the run reports, and the table / plot formats. So far: SIGCOMM'01 Fig. 8 (keys per node), Fig. 9
//! (virtual nodes), Fig. 10 (path length against N), Fig. 11 (simultaneous failures) and ToN'03
//! Table II (lookups over frozen routing state after failures); Fig. 12 and Table III (churn) live in
//! `paper/churn.rs`. Never: tune a scenario to hit a number — a row that does not match says so.

pub mod churn;

use crate::output::report::Report;
use crate::scenario::Scenario;
use crate::tools::run::Run;
use std::fmt::Write as _;
use std::path::Path;

/// One compared quantity.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub what: String,
    pub paper: String,
    pub chordsim: String,
    pub tolerance: String,
    pub pass: bool,
}

/// An experiment's outcome: its table, notes, and (for figures) a plot.
#[derive(Clone, Debug)]
pub struct Experiment {
    pub name: &'static str,
    pub title: &'static str,
    pub settings: String,
    pub rows: Vec<Row>,
    pub notes: Vec<String>,
    /// The figure's data; `<name>.svg` is drawn from it, and the table prints it (see [`PlotData`]).
    pub plot: Option<PlotData>,
}

/// What a paper plot draws: two lines over the same x values, `(x, lower, upper)` (upper red, lower
/// blue). The markdown table carries it as a text block with every value in Rust's shortest
/// round-trip form, so the committed SVG can be checked against the committed table
/// ([`svg_from_markdown`]) without rerunning the experiment.
#[derive(Clone, Debug, PartialEq)]
pub struct PlotData {
    pub title: String,
    pub xlabel: String,
    /// Legend of the upper (red) and the lower (blue) line.
    pub legend: (String, String),
    pub series: Vec<(u32, f64, f64)>,
}

/// The first line of a table's plot-data block.
const PLOT_DATA_HEAD: &str = "```text plot-data";

/// The names `chordsim paper --only` accepts.
pub const EXPERIMENTS: [&str; 7] = ["fig8", "fig9", "fig10", "fig11", "fig12", "ton-table2", "ton-table3"];

/// Runs a paper scenario to its report (no progress shown).
pub(crate) fn run(sc: Scenario) -> Result<Report, String> {
    Run::new(sc).and_then(Run::report)
}

/// Keys-per-node figures of a run's last round, as multiples of the mean: (p1, p99, max).
fn load_ratios(rep: &Report) -> Result<(f64, f64, f64), String> {
    let row = rep.dht.as_ref().and_then(|d| d.last_round.clone()).ok_or("the run has no DHT accounting")?;
    let m = row.keys_per_node_mean.max(1e-9);
    Ok((row.keys_per_node_p1 as f64 / m, row.keys_per_node_p99 as f64 / m, row.keys_per_node_max as f64 / m))
}

fn within(x: f64, lo: f64, hi: f64) -> bool {
    (lo..=hi).contains(&x)
}

fn row(what: &str, paper: &str, chordsim: f64, lo: f64, hi: f64) -> Row {
    Row {
        what: what.to_string(),
        paper: paper.to_string(),
        chordsim: format!("{chordsim:.2}×"),
        tolerance: format!("[{lo:.1}, {hi:.1}]×"),
        pass: within(chordsim, lo, hi),
    }
}

/// SIGCOMM'01 Fig. 8 / ToN'03 V-B: 10^4 nodes, 5·10^5 keys, `seeds` repetitions (the paper: 20).
pub fn fig8(dir: &Path, seeds: u64) -> Result<Experiment, String> {
    let base = Scenario::load(&dir.join("fig8.toml")).map_err(|e| e.to_string())?;
    let (mut p99, mut max, mut zero_p1) = (0.0, 0.0, 0);
    for seed in 1..=seeds {
        let mut sc = base.clone();
        sc.reseed(seed);
        let (p1, q99, mx) = load_ratios(&run(sc)?)?;
        p99 += q99 / seeds as f64;
        max += mx / seeds as f64;
        zero_p1 += u64::from(p1 == 0.0);
    }
    let rows = vec![
        row("99th percentile of keys per node", "4.6×", p99, 4.3, 4.9),
        row("maximum keys per node", "9.1× (457)", max, 9.1 * 0.85, 9.1 * 1.15),
        Row {
            what: "nodes with no key".into(),
            paper: "some".into(),
            chordsim: format!("1st percentile = 0 in {zero_p1} of {seeds} runs"),
            tolerance: "in every run".into(),
            pass: zero_p1 == seeds,
        },
    ];
    Ok(Experiment {
        name: "fig8",
        title: "SIGCOMM'01 Fig. 8 / ToN'03 Sec. V-B — keys per node",
        settings: format!(
            "{} nodes, {} keys placed on their owners (`scenarios/paper/fig8.toml`), mean over seeds 1..={seeds} \
             (the paper: 20 repetitions); multiples of the mean number of keys per node",
            base.initial.nodes,
            keys_loaded(&base)
        ),
        rows,
        notes: vec!["Ownership is the ground truth (the key's successor among live nodes), as in the paper.".into()],
        plot: None,
    })
}

fn keys_loaded(sc: &Scenario) -> u64 {
    sc.events
        .iter()
        .map(|e| match e {
            crate::scenario::Event::LoadKeys { count, .. } => *count,
            _ => 0,
        })
        .sum()
}

/// SIGCOMM'01 Fig. 9: 10^4 physical nodes, 10^6 keys, v = 1, 2, 5, 10, 20 virtual nodes each.
pub fn fig9(dir: &Path) -> Result<Experiment, String> {
    let base = Scenario::load(&dir.join("fig9.toml")).map_err(|e| e.to_string())?;
    let vs = [1u32, 2, 5, 10, 20];
    let mut series = Vec::new();
    for &v in &vs {
        let mut sc = base.clone();
        sc.initial.virtual_nodes = v;
        let (p1, p99, _) = load_ratios(&run(sc)?)?;
        series.push((v, p1, p99));
    }
    let (first, last) = (series[0], series[series.len() - 1]);
    let mut rows = vec![
        row("99th percentile, v = 1", "4.8×", first.2, 4.6, 5.0),
        row("1st percentile, v = 1", "0×", first.1, 0.0, 0.2),
        row("99th percentile, v = 20", "1.6×", last.2, 1.4, 1.8),
        row("1st percentile, v = 20", "0.5×", last.1, 0.3, 0.7),
    ];
    for &(v, p1, p99) in &series[1..series.len() - 1] {
        rows.push(Row {
            what: format!("v = {v}: 1st / 99th percentile"),
            paper: "(plot only)".into(),
            chordsim: format!("{p1:.2}× / {p99:.2}×"),
            tolerance: "—".into(),
            pass: true,
        });
    }
    let data = plot("Keys per physical node vs virtual nodes (multiples of the mean)", &series);
    Ok(Experiment {
        name: "fig9",
        title: "SIGCOMM'01 Fig. 9 — virtual nodes",
        settings: format!(
            "{} physical nodes, {} keys (`scenarios/paper/fig9.toml`), v virtual nodes per physical node; \
             percentiles of keys per physical node as multiples of the mean; seed {}",
            base.initial.nodes,
            keys_loaded(&base),
            base.seed
        ),
        rows,
        notes: vec![
            "Endpoints are compared with the paper's text (chord.md); the intermediate points exist only \
                     as a plot in the paper."
                .into(),
        ],
        plot: Some(data),
    })
}

/// SIGCOMM'01 Fig. 10: mean path length on ideal rings of N = 2^k nodes, k = 3..=14, `seeds` each.
pub fn fig10(dir: &Path, seeds: u64) -> Result<Experiment, String> {
    let base = Scenario::load(&dir.join("fig10.toml")).map_err(|e| e.to_string())?;
    let mut rows = Vec::new();
    let mut series = Vec::new();
    for k in 3..=14u32 {
        let mut hops = 0.0;
        for seed in 1..=seeds {
            let mut sc = base.clone();
            sc.initial.nodes = 1 << k;
            sc.reseed(seed);
            let rep = run(sc)?;
            if rep.probes.correct != rep.probes.total {
                return Err(format!("N = 2^{k}, seed {seed}: probe lookups failed on an ideal ring"));
            }
            // The paper's path excludes the final contact with the key's successor; ours includes it.
            hops += (rep.probes.hops.mean - 1.0) / seeds as f64;
        }
        let want = f64::from(k) / 2.0;
        rows.push(Row {
            what: format!("N = 2^{k} = {}", 1u32 << k),
            paper: format!("≈ {want:.1} (½ log2 N)"),
            chordsim: format!("{hops:.2}"),
            tolerance: "± 0.3 hop".into(),
            pass: (hops - want).abs() <= 0.3,
        });
        series.push((k, want, hops));
    }
    Ok(Experiment {
        name: "fig10",
        title: "SIGCOMM'01 Fig. 10 / ToN'03 Sec. V-C — path length against N",
        settings: format!(
            "ideal rings of N = 2^k nodes, k = 3..14, {} probe lookups per checked round over the nodes' \
             routing state, mean over seeds 1..={seeds} (`scenarios/paper/fig10.toml`). Hops: chordsim counts \
             the live nodes contacted including the key's successor; the paper's path length excludes that \
             last contact, so the table shows chordsim's hops − 1",
            base.check.probe_keys
        ),
        rows,
        notes: vec!["The plot's x axis is log2 N; the paper's reference line is ½ log2 N.".into()],
        plot: Some(plot_xy("Mean path length against log2 N (red: ½ log2 N, blue: chordsim)", "log2 N", &series)),
    })
}

/// `base` with every scripted `crash_fraction` set to `p`.
fn with_crash_fraction(base: &Scenario, p: f64) -> Scenario {
    let mut sc = base.clone();
    for e in &mut sc.events {
        if let crate::scenario::Event::CrashFraction { fraction, .. } = e {
            *fraction = p;
        }
    }
    sc
}

/// SIGCOMM'01 Fig. 11: a fraction p of 10^4 nodes fails at once; after stabilization, gets of random keys.
pub fn fig11(dir: &Path) -> Result<Experiment, String> {
    let base = Scenario::load(&dir.join("fig11.toml")).map_err(|e| e.to_string())?;
    let mut unconverged = Vec::new();
    let mut rows = Vec::new();
    let mut series = Vec::new();
    for i in 1..=10u32 {
        let p = f64::from(i) * 0.05;
        let rep = run(with_crash_fraction(&base, p))?;
        if rep.verdict.verdict != crate::output::report::Verdict::Pass {
            unconverged.push(format!("p = {p:.2} ({})", rep.verdict.verdict.name()));
        }
        let d = rep.dht.as_ref().ok_or("the run has no DHT")?;
        let o = &d.ops;
        let gets = o.gets.max(1) as f64;
        let failed = (o.gets - o.gets_correct) as f64 / gets;
        // Judged get by get: a failed get whose key no live node held is explained by the loss; the
        // paper's claim is that there are no others (routing recovers), so those are what is counted.
        let routing = o.gets_unsuccessful_key_held();
        let last = d.last_round.as_ref().ok_or("no DHT round")?;
        let lost = last.lost as f64 / last.items.max(1) as f64;
        rows.push(Row {
            what: format!("p = {p:.2}"),
            paper: "≈ p: only keys of failed nodes".into(),
            chordsim: format!(
                "{:.2} % failed: {} of {} gets for a lost key, {routing} with the key held ({:.2} % of keys lost)",
                100.0 * failed,
                o.gets_unsuccessful_key_lost,
                o.gets,
                100.0 * lost
            ),
            tolerance: format!("key held: ≤ {} (0.1 % of gets)", o.gets / 1000),
            pass: routing <= o.gets / 1000,
        });
        series.push(((p * 100.0).round() as u32, lost, failed));
    }
    Ok(Experiment {
        name: "fig11",
        title: "SIGCOMM'01 Fig. 11 — lookups after simultaneous failures",
        settings: format!(
            "{} nodes, {} keys without replication (`scenarios/paper/fig11.toml`); a fraction p fails at t = 10 s; \
             after stabilization, 10^4 gets of random keys from random live nodes; a get fails when it returns \
             nothing, an old version, or gives up. The paper's claim is that lookups fail only for the keys \
             whose nodes died, so each row compares the failed fraction with the fraction of keys actually \
             lost (ground truth), within the 95 % binomial interval of that many gets",
            base.initial.nodes,
            keys_loaded(&base)
        ),
        rows,
        notes: fig11_notes(&base, &unconverged)?,
        plot: Some(plot_lines(
            "Failed lookups and keys lost (fraction)",
            "nodes failed at once (%)",
            ("failed lookups", "keys lost"),
            &series,
        )),
    })
}

/// Fig. 11's notes: what the rows count, which runs did not reconverge, and the published rule for an
/// exhausted successor list (no fallback) measured at two failure fractions.
fn fig11_notes(base: &Scenario, unconverged: &[String]) -> Result<Vec<String>, String> {
    let mut notes = vec![
        "Each failed get is judged against ground truth when it completes: a get for a key that no live node \
         holds any more is explained by the loss, however it was routed; a failed get whose key was still held \
         is a failure of routing (or a timeout), and the paper's claim is that there are none once the ring has \
         stabilized. Comparing the failed fraction with the fraction of keys lost instead mixes in sampling \
         noise: the 10^4 keys asked are not lost in exactly the proportion of all keys."
            .into(),
    ];
    notes.push(if unconverged.is_empty() {
        "Every run's ring reconverged (verdict pass).".into()
    } else {
        format!(
            "Runs whose ring had not reconverged by the end: {}. There, nodes behind r consecutive failures \
             (about N·p^r of them: 39 at p = 0.5 with r = {}) are still finding their way back through their \
             fingers when the gets run, and gets routed across those gaps fail with the key still held. This is \
             where chordsim and the paper's figure differ; the paper does not give its r for this experiment.",
            unconverged.join(", "),
            base.protocol.successor_list_len
        )
    });
    let mut published = Vec::new();
    for p in [0.2, 0.5] {
        let mut sc = with_crash_fraction(base, p);
        sc.protocol.successor_fallback = false;
        let rep = run(sc)?;
        let o = &rep.dht.as_ref().ok_or("the run has no DHT")?.ops;
        let held = o.gets_unsuccessful_key_held();
        published.push(format!(
            "p = {p:.2}: {:.2} % of gets failed, {held} of {} with the key held (verdict {})",
            100.0 * (o.gets - o.gets_correct) as f64 / o.gets.max(1) as f64,
            o.gets,
            rep.verdict.verdict.name()
        ));
    }
    notes.push(format!(
        "`successor_fallback = true`: the papers do not say what a node does once all r = {} entries of its \
         successor list are dead. With the published rule (it becomes its own successor) a node behind r \
         consecutive failed nodes — expected about N·p^r times, 0.03 at p = 0.2, 39 at p = 0.5 — then adopts \
         its predecessor as successor at its next stabilization, so its successor interval spans almost the \
         whole ring and it answers almost every lookup that reaches it with the wrong node. Measured with \
         the published rule: {}.",
        base.protocol.successor_list_len,
        published.join("; ")
    ));
    Ok(notes)
}

/// ToN'03 Table II: (p, mean path, path p1, path p99, mean timeouts, timeouts p1, timeouts p99).
const TABLE2: [(f64, f64, u64, u64, f64, u64, u64); 6] = [
    (0.0, 3.84, 2, 5, 0.0, 0, 0),
    (0.1, 4.03, 2, 6, 0.60, 0, 2),
    (0.2, 4.22, 2, 6, 1.17, 0, 3),
    (0.3, 4.44, 2, 6, 2.02, 0, 5),
    (0.4, 4.69, 2, 7, 3.23, 0, 8),
    (0.5, 5.09, 3, 8, 5.10, 0, 11),
];

/// ToN'03 Table II: 1,000 nodes, r = 20, a fraction p fails, lookups over the frozen routing state.
pub fn ton_table2(dir: &Path) -> Result<Experiment, String> {
    let base = Scenario::load(&dir.join("ton-table2.toml")).map_err(|e| e.to_string())?;
    let mut rows = Vec::new();
    for &(p, path, pp1, pp99, touts, tp1, tp99) in &TABLE2 {
        let rep = run(with_crash_fraction(&base, p))?;
        let (h, t) = (&rep.probes.hops, &rep.probes.timeouts);
        rows.push(Row {
            what: format!("p = {p:.1}: path length (1st, 99th)"),
            paper: format!("{path:.2} ({pp1}, {pp99})"),
            chordsim: format!("{:.2} ({}, {})", h.mean, h.p1, h.p99),
            tolerance: "mean ± 0.2".into(),
            pass: (h.mean - path).abs() <= 0.2,
        });
        let tol = (touts * 0.15).max(0.05);
        rows.push(Row {
            what: format!("p = {p:.1}: timeouts (1st, 99th)"),
            paper: format!("{touts:.2} ({tp1}, {tp99})"),
            chordsim: format!("{:.2} ({}, {})", t.mean, t.p1, t.p99),
            tolerance: format!("mean ± {tol:.2}"),
            pass: (t.mean - touts).abs() <= tol,
        });
        rows.push(Row {
            what: format!("p = {p:.1}: lookups resolved"),
            paper: "all".into(),
            chordsim: format!("{} of {}", rep.probes.correct, rep.probes.total),
            tolerance: "all".into(),
            pass: rep.probes.correct == rep.probes.total,
        });
    }
    Ok(Experiment {
        name: "ton-table2",
        title: "ToN'03 Table II — lookups after simultaneous failures, routing state frozen",
        settings: format!(
            "{} nodes, r = {}, a fraction p fails at t = 1 s and the check of t = 1 s walks {} probe lookups over \
             the frozen routing state (`scenarios/paper/ton-table2.toml`); hops = live nodes contacted including \
             the key's successor, timeouts counted separately (chord.md's reading of the table)",
            base.initial.nodes, base.protocol.successor_list_len, base.check.probe_keys
        ),
        rows,
        notes: vec![
            "The scenario sets `answer_from_successor_list = true`: a node answers a key that lies within its \
             successor list with the owner from the list. ToN'03 Fig. 5 answers only up to the first \
             successor, and with that default chordsim's paths are ~0.9 hop longer at every p (4.78 at p = 0): \
             the table's 3.84, and the paper's model ½ log2 N − ½ log2 r + 1 = 3.82, imply the ToN simulator \
             answered from the list, and with the option the means agree within 0.1 hop."
                .into(),
            "Timeouts agree within 15 % except at p = 0.1 (0.47 against 0.60). chordsim's 99th percentiles are \
             wider than the table's (e.g. 22 timeouts against 11 at p = 0.5): with all fingers to dead nodes \
             kept, a walk retries the next candidate at the same node, which can be dead too; the paper does \
             not say how its simulator orders those retries."
                .into(),
        ],
        plot: None,
    })
}

/// A line plot of (x, reference, measured) points, hand-written SVG.
#[must_use]
pub fn plot_xy(title: &str, xlabel: &str, series: &[(u32, f64, f64)]) -> PlotData {
    let swapped: Vec<(u32, f64, f64)> = series.iter().map(|&(x, reference, ours)| (x, ours, reference)).collect();
    plot_lines(title, xlabel, ("reference", "chordsim"), &swapped)
}

/// The markdown table of an experiment.
#[must_use]
pub fn markdown(e: &Experiment) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# {}\n\n{}.\n", e.title, e.settings);
    let _ = writeln!(s, "| quantity | paper | chordsim | tolerance | result |\n|---|---|---|---|---|");
    for r in &e.rows {
        let verdict = if r.pass { "pass" } else { "**fail**" };
        let _ = writeln!(s, "| {} | {} | {} | {} | {verdict} |", r.what, r.paper, r.chordsim, r.tolerance);
    }
    for n in &e.notes {
        let _ = writeln!(s, "\n{n}");
    }
    if let Some(p) = &e.plot {
        let _ = writeln!(s, "\n![{}]({}.svg)", e.title, e.name);
        let _ = write!(s, "\nWhat the plot draws:\n\n{}", p.block());
    }
    let _ = writeln!(s, "\nRegenerate: `cargo run --release -- paper --only {}`.", e.name);
    s
}

/// A small line plot of (v, p1, p99) series.
#[must_use]
pub fn plot(title: &str, series: &[(u32, f64, f64)]) -> PlotData {
    plot_lines(title, "virtual nodes per physical node", ("99th percentile", "1st percentile"), series)
}

/// Two lines over the same x values: `(x, lower, upper)`; the upper line is red, the lower blue.
fn plot_lines(title: &str, xlabel: &str, legend: (&str, &str), series: &[(u32, f64, f64)]) -> PlotData {
    PlotData {
        title: title.into(),
        xlabel: xlabel.into(),
        legend: (legend.0.into(), legend.1.into()),
        series: series.to_vec(),
    }
}

impl PlotData {
    /// The SVG, drawn by the shared chart code of [`crate::output::plot::chart`].
    pub fn render(&self) -> String {
        use crate::output::plot::chart::{Chart, Series};
        let series = &self.series;
        let mut c = Chart::new(&self.title, &self.xlabel, "");
        c.width = 560.0;
        let line = |pick: fn(&(u32, f64, f64)) -> f64| series.iter().map(|s| (f64::from(s.0), Some(pick(s)))).collect();
        c.series = vec![
            Series::new(&self.legend.0, "#c0392b", line(|s| s.2)),
            Series::new(&self.legend.1, "#2471a3", line(|s| s.1)),
        ];
        let ymax = series.iter().map(|s| s.2).fold(1.0f64, f64::max).ceil();
        c.y_range = Some((0.0, ymax));
        let xmax = f64::from(series.iter().map(|s| s.0).max().unwrap_or(1).max(1));
        c.x_range = Some((0.0, xmax));
        c.render()
    }

    /// The text block the markdown table carries (read back by [`PlotData::parse`]).
    fn block(&self) -> String {
        let mut s = format!("{PLOT_DATA_HEAD}\ntitle: {}\nx: {}\n", self.title, self.xlabel);
        let _ = writeln!(s, "red: {}\nblue: {}\nx red blue", self.legend.0, self.legend.1);
        for &(x, lower, upper) in &self.series {
            let _ = writeln!(s, "{x} {upper} {lower}");
        }
        s.push_str("```\n");
        s
    }

    /// The plot data of a table written by [`markdown`], if it has a figure.
    pub fn parse(md: &str) -> Result<Option<PlotData>, String> {
        let Some(start) = md.find(PLOT_DATA_HEAD) else { return Ok(None) };
        let body = &md[start + PLOT_DATA_HEAD.len()..];
        let body = &body[..body.find("```").ok_or("the plot-data block is not closed")?];
        let mut lines = body.lines().filter(|l| !l.is_empty());
        let mut field = |name: &str| {
            let l = lines.next().unwrap_or_default();
            l.strip_prefix(name).map(str::to_string).ok_or(format!("plot data: expected `{name}`, found `{l}`"))
        };
        let (title, xlabel) = (field("title: ")?, field("x: ")?);
        let legend = (field("red: ")?, field("blue: ")?);
        field("x red blue")?;
        let mut series = Vec::new();
        for l in lines {
            let v: Vec<&str> = l.split(' ').collect();
            let num =
                |i: usize| v.get(i).and_then(|t| t.parse::<f64>().ok()).ok_or(format!("plot data: bad line `{l}`"));
            let x = v[0].parse::<u32>().map_err(|_| format!("plot data: bad x in `{l}`"))?;
            series.push((x, num(2)?, num(1)?));
        }
        Ok(Some(PlotData { title, xlabel, legend, series }))
    }
}

/// The SVG a committed table's plot data draws (`None` for a table without a figure).
pub fn svg_from_markdown(md: &str) -> Result<Option<String>, String> {
    Ok(PlotData::parse(md)?.map(|p| p.render()))
}

/// Writes `<name>.md` (and `<name>.svg`) under `out`.
pub fn write(e: &Experiment, out: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(out)?;
    std::fs::write(out.join(format!("{}.md", e.name)), markdown(e))?;
    if let Some(p) = &e.plot {
        std::fs::write(out.join(format!("{}.svg", e.name)), p.render())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_judge_against_their_tolerance() {
        assert!(row("x", "4.6×", 4.66, 4.3, 4.9).pass);
        assert!(!row("x", "4.6×", 5.2, 4.3, 4.9).pass);
        assert_eq!(row("x", "4.6×", 4.666, 4.3, 4.9).chordsim, "4.67×");
    }

    #[test]
    fn markdown_and_plot_are_well_formed() {
        let e = Experiment {
            name: "figX",
            title: "A title",
            settings: "settings".into(),
            rows: vec![row("q", "1×", 1.0, 0.9, 1.1), row("r", "2×", 3.0, 1.9, 2.1)],
            notes: vec![],
            plot: Some(plot("t", &[(1, 0.0, 4.7), (20, 0.5, 1.6)])),
        };
        let md = markdown(&e);
        assert!(md.contains("| q | 1× | 1.00× | [0.9, 1.1]× | pass |"), "{md}");
        assert!(md.contains("| **fail** |") && md.contains("![A title](figX.svg)"), "{md}");
        let svg = e.plot.as_ref().expect("plot").render();
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert_eq!(
            PlotData::parse(&md).expect("parses").as_ref(),
            e.plot.as_ref(),
            "the table carries the plot's data"
        );
        assert_eq!(svg_from_markdown(&md).expect("parses"), Some(svg));
        assert_eq!(svg_from_markdown("# no figure\n").expect("parses"), None);
    }
}
