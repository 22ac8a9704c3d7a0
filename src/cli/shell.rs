//! `chordsim shell`: connects a [`Shell`] to the terminal — the line editor (rustyline) when stdin is
//! a terminal, plain stdin otherwise — and to stdout.
//!
//! Owns: the session's ending (`quit`, end of input, a closed stdout: exit 0; an I/O error: exit 1),
//! and Ctrl-C: the process's SIGINT handler only sets the shell's interrupt flag, so Ctrl-C stops a
//! `run` in progress and never ends the session (at the terminal prompt it clears the line).
//! Never: interpret a command (the library's `shell` module does).

use crate::cli::args::ShellArgs;
use crate::cli::{REPRO, fail};
use chordsim::errln;
use chordsim::out;
use chordsim::output::invocation;
use chordsim::output::report::VERSION;
use chordsim::scenario::Scenario;
use chordsim::tools::shell::{Flow, Shell};
use std::io::{self, IsTerminal};

pub fn shell_cmd(args: ShellArgs) -> u8 {
    let (mut sc, file) = match &args.scenario {
        Some(p) => match Scenario::load(p) {
            Ok(sc) => (sc, p.display().to_string()),
            Err(e) => return fail(e),
        },
        None => (Shell::default_scenario(None), "built-in ring".to_string()),
    };
    sc.reseed(args.seed.unwrap_or(sc.seed));
    if let Err(e) = chordsim::scenario::memory::check_before_run(&sc, &file, args.mem_limit, 1) {
        return fail(e);
    }
    let path = args.scenario.as_ref().map_or(String::new(), |p| format!(" {}", p.display()));
    let _ = REPRO.set(format!("{} shell{path} --seed {} (then the same commands)", invocation::prefix(), sc.seed));
    errln!("chordsim {VERSION}: shell on scenario {} ({file}), seed {} — type `help`", sc.name, sc.seed);
    let mut shell = match Shell::new(sc) {
        Ok(s) => s,
        Err(e) => return fail(format!("{file}: {e}")),
    };
    let flag = shell.interrupt_flag();
    if let Err(e) = ctrlc::set_handler(move || flag.store(true, std::sync::atomic::Ordering::Relaxed)) {
        errln!("note: Ctrl-C cannot be caught here ({e}): it ends the session");
    }
    let result = if std::io::stdin().is_terminal() {
        interactive(&mut shell)
    } else {
        shell.run_script(std::io::stdin().lock(), &mut std::io::stdout().lock())
    };
    match result {
        Ok(()) => 0,
        // Nobody reads the answers any more (`chordsim shell < s.txt | head`): the session ends.
        Err(e) if out::is_broken_pipe(&e) => 0,
        Err(e) => fail(format!("shell: {e}")),
    }
}

/// The shell on a terminal: rustyline gives line editing and history; Ctrl-C drops the line, Ctrl-D
/// ends the session.
fn interactive(shell: &mut Shell) -> io::Result<()> {
    use rustyline::error::ReadlineError;
    let mut editor = rustyline::DefaultEditor::new().map_err(io::Error::other)?;
    let mut out = std::io::stdout();
    loop {
        match editor.readline(&shell.prompt()) {
            Ok(line) => {
                if !line.trim().is_empty() {
                    let _ = editor.add_history_entry(line.as_str());
                }
                if shell.exec(&line, &mut out)? == Flow::Quit {
                    return Ok(());
                }
            }
            Err(ReadlineError::Interrupted) => {}
            Err(ReadlineError::Eof) => return Ok(()),
            Err(e) => return Err(io::Error::other(e)),
        }
    }
}
