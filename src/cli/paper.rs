//! `chordsim paper`: the papers' experiments, one table (and figure) each.

use crate::cli::args::PaperArgs;
use crate::cli::fail;
use chordsim::output::report::VERSION;
use chordsim::{errln, out};

pub(crate) fn paper_cmd(args: PaperArgs) -> u8 {
    use chordsim::tools::paper;
    let names: Vec<&str> = match args.only.as_deref() {
        Some(n) if paper::EXPERIMENTS.contains(&n) => vec![n],
        Some(n) => return fail(format!("--only {n}: no such experiment (one of {})", paper::EXPERIMENTS.join(", "))),
        None => paper::EXPERIMENTS.to_vec(),
    };
    if args.seeds == 0 {
        return fail("--seeds 0: at least one repetition is needed");
    }
    if let Err(e) = chordsim::output::outdir::ensure_dir("--out", &args.out) {
        return fail(e);
    }
    let mut all_pass = true;
    for name in names {
        errln!("chordsim {VERSION}: paper experiment {name}");
        let result = match name {
            "fig8" => paper::fig8(&args.scenarios, args.seeds),
            "fig9" => paper::fig9(&args.scenarios),
            "fig11" => paper::fig11(&args.scenarios),
            "ton-table2" => paper::ton_table2(&args.scenarios),
            "fig12" => chordsim::tools::paper::churn::fig12(&args.scenarios, args.seeds.min(10)),
            "ton-table3" => chordsim::tools::paper::churn::ton_table3(&args.scenarios),
            _ => paper::fig10(&args.scenarios, args.seeds.min(3)),
        };
        let e = match result {
            Ok(e) => e,
            Err(err) => return fail(format!("{name}: {err}")),
        };
        if let Err(err) = paper::write(&e, &args.out) {
            return fail(format!("cannot write under {}: {err}", args.out.display()));
        }
        out!("{}", paper::markdown(&e));
        all_pass &= e.rows.iter().all(|r| r.pass);
    }
    if all_pass { 0 } else { 3 }
}
