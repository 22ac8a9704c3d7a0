//! The `chordsim` command line: `run` (the default), `sweep`, `merge`, `replay`, `shell` and `resume`
//! (its wiring lives in `cli/checkpoint.rs`).
//!
//! Owns: argument parsing (clap; usage errors exit 1, not clap's 2, with a typo hint), dispatch to
//! the command's file in `cli/`, and the panic hook that prints the version and the repro line. Exit codes: 0 pass, 1 usage /
//! I/O / scenario error, 2 safety, 3 no convergence (for sweeps: some seed does not match `expect`),
//! 4 limit hit, 5 `--check-determinism` found the two runs differ, 101 panic.
//! Never: run a command itself (each lives in `cli/`), or simulation logic (the library's).

use chordsim::errln;
use chordsim::output::progress;
use chordsim::output::report::VERSION;
use chordsim::tools::sweep;
use clap::Parser;

mod cli;
use cli::args::{Cli, Cmd};
use cli::{REPRO, fail};
use std::path::Path;
use std::process::ExitCode;

fn install_panic_hook() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let global = REPRO.get().cloned().unwrap_or_else(|| "(no scenario loaded yet)".into());
        let repro = sweep::current_repro().unwrap_or(global);
        errln!("chordsim {VERSION} panicked — this is a bug. repro: {repro}");
        default(info);
    }));
}

fn main() -> ExitCode {
    install_panic_hook();
    chordsim::sim::engine::set_wall_clock(progress::wall_secs); // for --timing's checker share
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Some(msg) = typo(&args) {
        return ExitCode::from(fail(msg));
    }
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) if e.use_stderr() => {
            errln!("{}", usage_line(&e.render().to_string()));
            return ExitCode::from(1);
        }
        Err(e) => {
            let _ = e.print(); // --help, --version
            return ExitCode::from(0);
        }
    };
    let code = match cli.cmd {
        Some(Cmd::Run(a)) => cli::run::run(a),
        None => cli::run::run(cli.run),
        Some(Cmd::Sweep(a)) => cli::sweep::sweep_cmd(a),
        Some(Cmd::Merge(a)) => cli::sweep::merge_cmd(a),
        Some(Cmd::Replay(a)) => cli::replay::replay_cmd(a),
        Some(Cmd::Shell(a)) => cli::shell::shell_cmd(a),
        Some(Cmd::Resume(a)) => cli::checkpoint::resume_cmd(a),
        Some(Cmd::Paper(a)) => cli::paper::paper_cmd(a),
    };
    ExitCode::from(code)
}

/// A clap usage error as one line: its message and tips, without the usage block.
fn usage_line(rendered: &str) -> String {
    let lines = rendered.lines().map(str::trim).filter(|l| !l.is_empty());
    let mut out = String::new();
    for l in lines.take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more")) {
        let sep = match out.chars().last() {
            None => "",
            Some(':') => " ",
            _ if l.starts_with("tip:") => "; ",
            _ => ", ", // the items of a list ("the following required arguments were not provided:")
        };
        out.push_str(sep);
        out.push_str(l);
    }
    format!("{out} (see --help)")
}

/// A first argument that is neither a subcommand nor a file, or a second file, as one line (clap
/// would call a stray word a subcommand that "cannot be used with '[SCENARIO]'").
fn typo(args: &[std::ffi::OsString]) -> Option<String> {
    use clap::CommandFactory;
    let first = args.get(1)?.to_str()?;
    let names: Vec<String> = Cli::command().get_subcommands().map(|c| c.get_name().to_string()).collect();
    if first.starts_with('-') || first == "help" || names.iter().any(|n| n == first) {
        return None;
    }
    if Path::new(first).exists() {
        let extra = args.get(2).and_then(|a| a.to_str()).filter(|a| !a.starts_with('-'))?;
        return Some(format!(
            "{}: unexpected argument after the scenario file {first} (allowed: one scenario file; several seeds: `sweep`)",
            chordsim::bounds::excerpt(extra)
        ));
    }
    if first.contains('/') || first.contains('.') {
        return None; // a path: the scenario loader says it cannot be read
    }
    let near = names
        .iter()
        .filter(|n| edit_distance(n, first) <= 2 || n.starts_with(first))
        .min_by_key(|n| edit_distance(n, first));
    let hint = near.map_or(String::new(), |n| format!(" — did you mean `{n}`?"));
    Some(format!(
        "{}: no such file or subcommand{hint} (allowed: a scenario file, or one of {})",
        chordsim::bounds::excerpt(first),
        names.join(", ")
    ))
}

/// Levenshtein distance (for subcommand suggestions).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}
