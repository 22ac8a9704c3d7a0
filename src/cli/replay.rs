//! `chordsim replay REPORT`: reruns the scenario a report recorded and compares the two reports.

use crate::cli::args::ReplayArgs;
use crate::cli::run::{check_outputs, execute, plot_capture, verdict_code, write_plots};
use crate::cli::{REPRO, fail};
use chordsim::output::invocation;
use chordsim::output::report::VERSION;
use chordsim::tools::replay::{self, Comparison};
use chordsim::{errln, out, outln};

pub(crate) fn replay_cmd(args: ReplayArgs) -> u8 {
    let loaded = match replay::load(&args.report) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    let path = loaded.path.clone();
    let _ = REPRO.set(format!("{} replay {}", invocation::prefix(), path.display()));
    let sc = loaded.scenario.clone();
    errln!("chordsim {VERSION}: replaying {}: scenario {}, seed {}", path.display(), sc.name, sc.seed);
    for w in loaded.version_warnings() {
        errln!("{w}");
    }
    let checked = match &args.out {
        Some(out) => check_outputs(out, &sc, &args.diag),
        None => args.diag.trace.as_ref().map_or(Ok(()), |t| chordsim::output::outdir::ensure_file("--trace", t)),
    };
    if let Err(e) = checked {
        return fail(e);
    }
    let mut capture = match args.out.as_ref().map(|_| plot_capture(&sc, &args.plots)).transpose() {
        Ok(c) => c.flatten(),
        Err(e) => return fail(e),
    };
    let (rep, outcome) = match execute(sc, &args.show, &args.diag, capture.as_mut()) {
        Ok(x) => x,
        Err(e) => return fail(format!("{}: {e}", path.display())),
    };
    out!("{}", rep.summary());
    let json = rep.to_json();
    let cmp = loaded.compare(&json);
    outln!("{}", cmp.describe(&path));
    let differs = matches!(cmp, Comparison::Differs { .. });
    if differs {
        let to = loaded.replay_path();
        match std::fs::write(&to, &json) {
            Ok(()) => errln!("the replay's report is in {} (diff it with the original)", to.display()),
            Err(e) => errln!("warning: {}: cannot write the replay's report: {e}", to.display()),
        }
    }
    if let Some(out) = &args.out {
        match rep.write(out) {
            Ok(p) => outln!("  report        {}", p.display()),
            Err(e) => return fail(format!("cannot write results under {}: {e}", out.display())),
        }
        if let Some(c) = &capture
            && let Err(e) = write_plots(&rep, out, c)
        {
            return fail(e);
        }
    }
    // A replay that differs from its report is the determinism failure, whatever the verdict.
    if differs {
        return 5;
    }
    verdict_code(&rep, outcome)
}
