//! Plots of a run: capturing their data leaves the report unchanged, every SVG is well formed with
//! the expected number of lines, dots and nodes, the command line writes them (byte-identical for the
//! same seed) unless `--no-plots`, `--ring-at` and `[report]` are validated, and sweeps write plots
//! only under `--plots`.

use crate::util::{Tmp, chordsim, scenario, stderr};
use chordsim::output::plot::{self, Capture, svg};
use chordsim::scenario::Scenario;
use chordsim::tools::run::Run;
use chordsim::tools::sweep::out::SeedSpan;
use chordsim::tools::sweep::{self, Config};
use std::path::Path;

fn count(names: &[String], el: &str) -> usize {
    names.iter().filter(|n| *n == el).count()
}

fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn capture_keeps_the_report_and_every_plot_is_well_formed() {
    let sc = Scenario::load(&scenario("plots-demo.toml")).expect("loads");
    let plain = Run::new(sc.clone()).and_then(Run::report).expect("runs").to_json();
    let mut cap = Capture::new(&sc, None);
    let rep = Run::new(sc.clone()).expect("builds").capture(&mut cap).finish().report;
    assert_eq!(rep.to_json(), plain, "a capture never changes the report");
    assert_eq!(cap.rounds.iter().map(|r| r.round).collect::<Vec<_>>(), (0..=60).collect::<Vec<_>>());
    let crashes: u64 = cap.rounds.iter().map(|r| r.crashes).sum();
    let joins: u64 = cap.rounds.iter().map(|r| r.joins).sum();
    assert_eq!((crashes, joins), (rep.run.crashes, rep.run.nodes_created - 40));
    assert_eq!(cap.rounds.iter().map(|r| r.leaves).sum::<u64>(), 1, "the scripted leave");
    assert_eq!(cap.rounds[26].crashes, rep.run.crashes, "the crash at 255 s falls in round 26");
    let hops_n: u64 = cap.rounds.iter().map(|r| r.hops_n).sum();
    assert_eq!(hops_n, rep.lookups.hops.count, "per-round hops add up to the report's");
    assert_eq!(cap.rings.iter().map(|r| r.round).collect::<Vec<_>>(), vec![25, 26, 60]);

    let out = plot::render_all(&rep, &cap);
    let names: Vec<&str> = out.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "lookups.svg",
            "lookup-failures.svg",
            "hops.svg",
            "ring-state.svg",
            "ring-round25.svg",
            "ring-round26.svg",
            "ring-round60.svg"
        ]
    );
    let parsed: Vec<Vec<String>> =
        out.iter().map(|(n, doc)| svg::check(doc).unwrap_or_else(|e| panic!("{n}: {e}"))).collect();
    // Ring state: four unbroken lines over 60 checked rounds (rounds 1..=60), with a dot per point.
    assert_eq!(rep.rounds.len(), 60);
    assert_eq!(count(&parsed[3], "polyline"), 4);
    assert_eq!(count(&parsed[3], "circle"), 4 * 60);
    // The ring after the crash: one dot per live node (+ outline + 2 legend dots), a red pointer per
    // node with a wrong successor (+ the legend's).
    let snap = &cap.rings[1];
    assert!(snap.wrong > 0, "the crash left wrong successors");
    assert_eq!(count(&parsed[5], "circle") as u64, snap.live + 3);
    assert_eq!(out[5].1.matches("url(#arrow-bad)").count() as u64, snap.wrong + 1);
    assert_eq!(out[6].1.matches("url(#arrow-bad)").count(), 1, "converged at the end: only the legend's");
}

#[test]
fn default_pictures_are_the_first_problem_and_the_end() {
    let sc = Scenario::load(&scenario("small-churn.toml")).expect("loads");
    let mut cap = Capture::new(&sc, None);
    let rep = Run::new(sc).expect("builds").capture(&mut cap).finish().report;
    let first = rep.rounds.iter().find(|r| r.succ_ok < 1.0 || !r.violated.is_empty()).expect("churn breaks something");
    let got: Vec<(u32, &str)> = cap.rings.iter().map(|r| (r.round, r.why.as_str())).collect();
    assert_eq!(
        got,
        vec![(first.round, "first round with a wrong successor or a violated property"), (90, "end of run")]
    );
}

#[test]
fn command_line_writes_identical_plots_per_seed_unless_told_not_to() {
    let t = Tmp::new("plots-cli");
    let f = scenario("small-churn.toml");
    let run = |out: &str, extra: &[&str]| {
        let mut args = vec![f.to_string_lossy().into_owned(), "--quiet".into(), "--seed".into(), "5".into()];
        args.extend(extra.iter().map(std::string::ToString::to_string));
        args.extend(["--out".to_string(), t.path(out).to_string_lossy().into_owned()]);
        chordsim(&args)
    };
    for out in ["a", "b"] {
        let o = run(out, &["--ring-at", "0,7"]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    let (a, b) = (t.path("a/small-churn-seed5"), t.path("b/small-churn-seed5"));
    let want = [
        "hops.svg",
        "lookup-failures.svg",
        "lookups.svg",
        "report.json",
        "ring-round0.svg",
        "ring-round7.svg",
        "ring-state.svg",
        "rounds.csv",
    ];
    assert_eq!(files(&a), want);
    for name in want {
        let (x, y) = (std::fs::read(a.join(name)).expect("read"), std::fs::read(b.join(name)).expect("read"));
        assert!(x == y, "{name} differs between two runs of seed 5");
    }
    let o = run("c", &["--no-plots"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(files(&t.path("c/small-churn-seed5")), ["report.json", "rounds.csv"]);
    assert_eq!(
        std::fs::read(t.path("c/small-churn-seed5/report.json")).ok(),
        std::fs::read(a.join("report.json")).ok()
    );
    let o = run("d", &["--ring-at", "3,999"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("--ring-at") && err.contains("[1]") && err.contains("0 ..= 90"), "{err}");
}

#[test]
fn report_section_is_validated() {
    let sc = |duration: u32, report: &str| {
        let text = format!(
            "duration_s = {duration}\n[initial]\nnodes = 8\n[protocol]\nstabilize_interval_ms = 10000\n[report]\n{report}\n"
        );
        Scenario::parse(&text, "x.toml", "x")
    };
    let e = sc(100, "ring_pictures_at_rounds = [2, 11]").expect_err("round 11 is past the end").to_string();
    assert!(e.contains("x.toml:7:31: report.ring_pictures_at_rounds[1]") && e.contains("0 ..= 10"), "{e}");
    assert!(sc(100, "plots = true").expect_err("unknown key").to_string().contains("report.plots: unknown key"));
    let many: Vec<String> = (0..17).map(|i| i.to_string()).collect();
    let e = sc(1000, &format!("ring_pictures_at_rounds = [{}]", many.join(","))).expect_err("too many").to_string();
    assert!(e.contains("at most 16"), "{e}");
    assert!(sc(100, "ring_pictures_at_rounds = []").is_ok(), "an empty list turns ring pictures off");
}

#[test]
fn sweeps_write_plots_only_when_asked() {
    let t = Tmp::new("plots-sweep");
    // Expects no convergence but converges: every seed "fails", so every report is written.
    let text = "duration_s = 200\nexpect = \"no_convergence\"\n[initial]\nnodes = 8\n[protocol]\n\
                stabilize_interval_ms = 10000\n[net]\nlatency = { kind = \"constant\", ms = 5 }\n";
    let base = Scenario::parse(text, "mismatch.toml", "mismatch").expect("valid");
    for plots in [false, true] {
        let cfg = Config {
            scenario_file: "mismatch.toml".into(),
            base: base.clone(),
            seeds: SeedSpan { start: 0, end: 2 },
            swarm: None,
            shard: None,
            jobs: 1,
            out: t.path(if plots { "with" } else { "without" }),
            plots,
        };
        let o = sweep::run(&cfg, &|_| {}).expect("sweeps");
        let run = o.dir.join("mismatch-seed1");
        let svgs = files(&run)
            .iter()
            .filter(|f| std::path::Path::new(f).extension().is_some_and(|ext| ext.eq_ignore_ascii_case("svg")))
            .count();
        assert_eq!(svgs > 0, plots, "{:?}", files(&run));
    }
}

/// Every file of `committed` equals the file of the same name under `fresh` (a report without its
/// `build` line, which names the commit).
fn assert_same_files(committed: &std::path::Path, fresh: &std::path::Path) {
    let mut n = 0;
    for e in std::fs::read_dir(committed).expect("committed folder") {
        let p = e.expect("entry").path();
        let name = p.file_name().expect("name").to_owned();
        let (a, b) = (crate::util::read(&p), crate::util::read(&fresh.join(&name)));
        let (a, b) = if name == "report.json" {
            (chordsim::output::report::without_build(&a), chordsim::output::report::without_build(&b))
        } else {
            (a, b)
        };
        assert!(a == b, "{} is stale: regenerate it with the current binary", p.display());
        n += 1;
    }
    assert!(n > 0, "{} is empty", committed.display());
}

#[test]
fn committed_plots_demo_is_what_the_binary_writes() {
    let tmp = Tmp::new("plots-demo-committed");
    let o = chordsim(&[scenario("plots-demo.toml").to_str().unwrap(), "--quiet", "--out", tmp.0.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("results");
    assert_same_files(&root.join("plots-demo-seed1"), &tmp.0.join("plots-demo-seed1"));
}

#[test]
fn committed_fast_paper_experiments_are_what_the_binary_writes() {
    // ToN'03 Table II and Fig. 10 take under a second; the other experiments run from the command line.
    let tmp = Tmp::new("paper-committed");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for only in ["ton-table2", "fig10"] {
        let o = chordsim(&[
            "paper",
            "--only",
            only,
            "--scenarios",
            root.join("scenarios/paper").to_str().unwrap(),
            "--out",
            tmp.0.to_str().unwrap(),
        ]);
        assert!(o.status.code().is_some_and(|c| c == 0 || c == 3), "{only}: {}", stderr(&o));
    }
    for f in ["ton-table2.md", "fig10.md", "fig10.svg"] {
        let (a, b) = (crate::util::read(&root.join("results/paper").join(f)), crate::util::read(&tmp.path(f)));
        assert!(a == b, "results/paper/{f} is stale: rerun `chordsim paper --only …`");
    }
}

#[test]
fn every_committed_paper_plot_is_what_its_committed_table_draws() {
    // The full `chordsim paper` takes minutes; this checks each committed SVG against the plot data
    // its committed table carries, with the binary's own drawing code.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("results/paper");
    let mut checked = Vec::new();
    for f in files(&dir)
        .iter()
        .filter(|f| std::path::Path::new(f).extension().is_some_and(|ext| ext.eq_ignore_ascii_case("md")))
    {
        let md = crate::util::read(&dir.join(f));
        let svg_name = f.replace(".md", ".svg");
        let drawn = chordsim::tools::paper::svg_from_markdown(&md).unwrap_or_else(|e| panic!("results/paper/{f}: {e}"));
        let has_image = md.contains(&format!("]({svg_name})"));
        match drawn {
            Some(svg) => {
                assert!(has_image, "results/paper/{f} carries plot data but shows no plot");
                let committed = crate::util::read(&dir.join(&svg_name));
                assert!(committed == svg, "results/paper/{svg_name} is not what {f}'s data draws");
                checked.push(svg_name);
            }
            None => assert!(!has_image, "results/paper/{f} shows {svg_name} but carries no plot data"),
        }
    }
    let svgs: Vec<String> = files(&dir)
        .into_iter()
        .filter(|f| std::path::Path::new(f).extension().is_some_and(|ext| ext.eq_ignore_ascii_case("svg")))
        .collect();
    assert_eq!(checked, svgs, "every committed paper SVG is checked");
    assert!(checked.len() >= 5, "{checked:?}");
}
