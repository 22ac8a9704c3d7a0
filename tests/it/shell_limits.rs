//! The shell's guards: the cap on one `run` (and `force` past it), `save` checking its path before
//! anything runs, and Ctrl-C stopping a run — in the library (an interrupted run, continued, reaches
//! the state of an uninterrupted one) and in the binary (SIGINT to `chordsim shell`: the session
//! goes on, at the prompt too).

use crate::util::{Tmp, scenario};
use chordsim::scenario::Scenario;
use chordsim::tools::shell::Shell;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

fn session(shell: &mut Shell, script: &str) -> String {
    let mut out = Vec::new();
    shell.run_script(script.as_bytes(), &mut out).expect("writing to a Vec cannot fail");
    String::from_utf8(out).expect("the shell prints UTF-8")
}

/// Everything a session shows of the ring: the nodes, each node's routing state, the checker's view.
fn state(sh: &mut Shell) -> String {
    let dump: String = sh.sim().truth().sorted().iter().map(|p| format!("node {}\n", p.id)).collect();
    let events = sh.sim().events();
    format!("events {events}\n{}", session(sh, &format!("nodes\nring\ncheck\n{dump}")))
}

#[test]
fn an_interrupted_run_continued_reaches_the_state_of_an_uninterrupted_one() {
    let mut whole = Shell::new(Shell::default_scenario(Some(5))).expect("builds");
    session(&mut whole, "run 1000s\n");
    let mut sh = Shell::new(Shell::default_scenario(Some(5))).expect("builds");
    // Ctrl-C held down: the run stops at its first look at the flag, wherever that falls.
    let (flag, stop) = (sh.interrupt_flag(), Arc::new(AtomicBool::new(false)));
    let presser = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                flag.store(true, Ordering::Relaxed);
                std::thread::yield_now();
            }
        })
    };
    let out = session(&mut sh, "run 1000s\n");
    stop.store(true, Ordering::Relaxed);
    presser.join().expect("joins");
    assert!(out.contains("interrupted (Ctrl-C) at t = ") && out.contains("short of t = 1000 s"), "{out}");
    let t = sh.sim().now();
    assert!(t < 1_000_000_000 && sh.sim().events() < whole.sim().events(), "stopped short: t = {t} µs");
    let out = session(&mut sh, &format!("run {}us\n", 1_000_000_000 - t));
    assert!(out.starts_with("t = 1000 s  (+") && !out.contains("interrupted"), "{out}");
    assert_eq!(state(&mut sh), state(&mut whole), "interrupted + continued = uninterrupted");
}

#[test]
fn one_run_is_capped_at_the_scenario_duration_unless_forced() {
    let mut sh = Shell::new(Scenario::load(&scenario("small-churn.toml")).expect("loads")).expect("builds");
    let out = session(&mut sh, "run 901s\nrun 1000000000s\n");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines,
        [
            "error: run 901 s: longer than one run may go without `force`, 900 s (the scenario's duration_s); \
             `run 901s force` goes beyond it (Ctrl-C stops a run)",
            "error: run 1000000000 s: longer than one run may go without `force`, 900 s (the scenario's \
             duration_s); `run 1000000000s force` goes beyond it (Ctrl-C stops a run)",
        ]
    );
    assert_eq!(sh.sim().now(), 0, "a refused run moves nothing");
    let out = session(&mut sh, "run 901s force\nrun 900s\n");
    assert!(out.starts_with("t = 901 s  (+") && out.contains("t = 1801 s  (+"), "{out}");
    let mut d = Shell::new(Shell::default_scenario(Some(1))).expect("builds");
    assert_eq!(d.run_cap(), 1_000_000 * 1_000_000, "the built-in ring: 1000000 s");
    assert!(session(&mut d, "run 1000001s\n").contains("1000000 s (the scenario's duration_s)"));
}

#[test]
fn save_checks_its_path_before_anything_runs() {
    let t = Tmp::new("shell-save-path");
    let mut sh = Shell::new(Shell::default_scenario(Some(2))).expect("builds");
    session(&mut sh, "run 2s\nstep\n");
    let (now, events) = (sh.sim().now(), sh.sim().events());
    let missing = t.path("no/such/folder/s.toml").display().to_string();
    let out = session(&mut sh, &format!("save {missing}\nsave {}\nsave {}/s\0x.toml\n", t.0.display(), t.0.display()));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(lines[0].starts_with("error: save ") && lines[0].contains("/no/such/folder\" does not exist"), "{out}");
    assert!(lines[1].starts_with("error: save ") && lines[1].ends_with(": is a folder, not a file"), "{out}");
    assert!(lines[2].starts_with("error: save ") && lines[2].contains("cannot write"), "{out}");
    assert_eq!((sh.sim().now(), sh.sim().events()), (now, events), "the step's leftovers did not run");
    let file = t.path("s.toml");
    let out = session(&mut sh, &format!("save {}\n", file.display()));
    assert!(out.contains("saved to") && file.is_file(), "the session goes on and saves: {out}");
}

/// SIGINT to `chordsim shell` while `run` goes: it stops short and the session goes on; a SIGINT at
/// the prompt ends nothing either.
#[test]
fn ctrl_c_stops_a_run_of_the_binary_and_the_session_goes_on() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_chordsim"))
        .args(["shell", "--seed", "4"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary runs");
    let mut stdin = child.stdin.take().expect("stdin");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let sigint = |pid: u32| {
        let ok = Command::new("kill").args(["-INT", &pid.to_string()]).status().is_ok_and(|s| s.success());
        assert!(ok, "kill -INT");
    };
    let pid = child.id();
    // Its answer to `nodes` means the session (and its Ctrl-C handler) is up: a SIGINT before that
    // ends the process, as Ctrl-C during start-up does.
    writeln!(stdin, "nodes").expect("write");
    stdin.flush().expect("flush");
    let first = rx.recv_timeout(Duration::from_mins(1)).expect("the shell answers");
    assert!(first.starts_with("16 live nodes"), "{first}");
    while rx.recv_timeout(Duration::from_millis(50)).is_ok() {}
    writeln!(stdin, "run 100000000s force").expect("write");
    stdin.flush().expect("flush");
    // Until the run's answer comes: SIGINT again every 100 ms (the first may come before it starts).
    let clock = Instant::now();
    let mut answer = Vec::new();
    while !answer.iter().any(|l: &String| l.contains("interrupted (Ctrl-C)")) {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the shell ended ({status}) instead of stopping the run: {answer:?}");
        }
        if clock.elapsed() > Duration::from_mins(1) {
            let _ = child.kill();
            panic!("no interruption after 60 s: {answer:?}");
        }
        sigint(pid);
        while let Ok(l) = rx.recv_timeout(Duration::from_millis(100)) {
            answer.push(l);
        }
    }
    assert!(answer[0].starts_with("t = ") && !answer[0].starts_with("t = 100000000 s"), "{answer:?}");
    sigint(pid); // at the prompt
    std::thread::sleep(Duration::from_millis(200));
    writeln!(stdin, "nodes\nquit").expect("the session is still there");
    drop(stdin);
    let status = child.wait().expect("waits");
    let rest: Vec<String> = rx.iter().collect();
    assert_eq!(status.code(), Some(0), "{rest:?}");
    assert!(rest.iter().any(|l| l.starts_with("16 live nodes")), "{rest:?}");
}
