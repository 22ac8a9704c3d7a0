//! `chordsim shell` driven by scripts: what a session prints (node state next to the truth, lookups
//! hop by hop, one-line errors after which the shell goes on), hex-prefix node names, determinism,
//! `save` and its replay reaching the very same ring state, and the binary reading stdin.

use crate::util::{Tmp, json, scenario, stderr, stdout};
use chordsim::protocol::msg::Peer;
use chordsim::scenario::Scenario;
use chordsim::tools::shell::{MARK, Shell};
use std::io::Write;
use std::process::{Command, Stdio};

/// Runs `script` in `shell`; returns everything it printed.
fn session(shell: &mut Shell, script: &str) -> String {
    let mut out = Vec::new();
    shell.run_script(script.as_bytes(), &mut out).expect("writing to a Vec cannot fail");
    String::from_utf8(out).expect("the shell prints UTF-8")
}

fn default_shell(seed: u64) -> Shell {
    Shell::new(Shell::default_scenario(Some(seed))).expect("the built-in ring builds")
}

fn ring(shell: &Shell) -> Vec<Peer> {
    shell.sim().truth().sorted()
}

/// The shortest hex prefix of `id` that starts no other id of `ids`.
fn unique_prefix(id: u64, ids: &[u64]) -> String {
    let hex = format!("{id:x}");
    (1..=hex.len())
        .map(|k| hex[..k].to_string())
        .find(|p| ids.iter().filter(|&&o| format!("{o:x}").starts_with(p.as_str())).count() == 1)
        .expect("the full id is unique")
}

#[test]
fn a_session_shows_state_hops_and_truth_and_survives_bad_commands() {
    let mut sh = default_shell(1);
    let r = ring(&sh);
    let (a, b, c, d) = (r[0].id, r[2].id, r[3].id, r[4].id);
    let script = format!(
        "node {a}\ncrash {c}\nnode {b}\nlookup {c} from {b}\ncrash zz\nrun -5s\nfrobnicate\n\
         put key-1\nget key-1\nrun 5s\nround\nring\ncheck\nnodes\n"
    );
    let out = session(&mut sh, &script);
    assert!(out.starts_with(&format!("node {a}  address")), "{out}");
    assert!(out.contains(&format!("{c} crashed at t = 0 s")), "{out}");
    assert!(out.contains(&format!("successor 1   {:<6} {MARK} truth {d}", c.to_string())), "{out}");
    assert!(out.contains("a probe over the current routing state: no messages, no time passes"), "{out}");
    assert!(out.contains(&format!("done: {c} lies in ({b}, {c}], the owner is its successor {c} — dead: timeout")));
    assert!(out.contains(&format!("after 1 hop, 1 timeout — truth {d}: correct")), "{out}");
    let errors: Vec<&str> = out.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(
        errors,
        [
            "error: 'zz' is not a node id: give hex digits of its id (a prefix is enough), e.g. 3a",
            "error: '-5s': a duration must be positive",
            "error: unknown command 'frobnicate' (type `help` for the list)",
        ]
    );
    assert!(out.contains("put key-1 (0x") && out.contains("t = 5 s  (+"), "{out}");
    assert!(out.contains("dht operations completed: 1 put acknowledged, 1 get correct"), "{out}");
    assert!(out.contains("t = 6 s  (+") && out.contains("15 live nodes, 15 joined"), "{out}");
    assert!(out.contains("converged    yes") && out.contains("check at t = 6 s: consistent"), "{out}");
}

#[test]
fn nodes_are_named_by_hex_prefix() {
    let mut sh = default_shell(2);
    let ids: Vec<u64> = ring(&sh).iter().map(|p| p.id.0).collect();
    let target = ids[5];
    let p = unique_prefix(target, &ids);
    let out = session(&mut sh, &format!("node {p}\nnode 0x{p}\n"));
    let want = format!("node {target:#x}  address");
    assert_eq!(out.matches(&want).count(), 2, "{out}");
    // A digit that starts several ids is ambiguous; the error lists them.
    let digit = (0..16u64)
        .map(|d| format!("{d:x}"))
        .find(|d| ids.iter().filter(|&&i| format!("{i:x}").starts_with(d.as_str())).count() >= 2)
        .expect("16 ids share some first digit");
    let out = session(&mut sh, &format!("crash {digit}\nnode ffff1\n"));
    assert!(out.contains(&format!("error: 0x{digit} is ambiguous: ")), "{out}");
    assert!(out.contains("type more digits"), "{out}");
    assert!(out.contains("error: no node, live or dead, has an id starting with 0xffff1"), "{out}");
    // A dead node is still shown, as it was when it stopped.
    let out = session(&mut sh, &format!("crash {p}\nnode {p}\ncrash {p}\n"));
    assert!(out.contains("dead: its state as it was when it stopped"), "{out}");
    assert!(out.contains(&format!("error: no live node has an id starting with 0x{p}")), "{out}");
}

const BUSY: &str = "run 2s\nstep\nstep\njoin 2\nlookup key-3\nlookup! key-3\nput key-9\nrun 1500ms\n\
                    crash 0\nround\nget key-9\nrun 3s\nring\ncheck\nnodes\n";

#[test]
fn the_same_script_prints_the_same_bytes() {
    let one = session(&mut default_shell(7), BUSY);
    let two = session(&mut default_shell(7), BUSY);
    assert_eq!(one, two);
    assert_ne!(one, session(&mut default_shell(8), BUSY), "another seed, other ids");
}

#[test]
fn a_saved_session_replays_to_the_same_ring_state() {
    let t = Tmp::new("shell-save");
    let mut sh = default_shell(3);
    let r = ring(&sh);
    let (x, y) = (r[4].id, r[9].id);
    let file = t.path("session.toml");
    let script = format!(
        "run 3s\ncrash {x}\nrun 300ms\nstep\nstep\njoin 2\nround\nleave {y}\nrun 2500ms\nsave {}\n",
        file.display()
    );
    let out = session(&mut sh, &script);
    assert!(out.contains("3 scripted events; replay:") && out.contains("then `run 6.5s`"), "{out}");
    let live: Vec<Peer> = ring(&sh);
    let dump: String = live.iter().map(|p| format!("node {}\n", p.id)).collect();
    let state = session(&mut sh, &format!("nodes\n{dump}"));

    let saved = Scenario::load(&file).expect("the saved scenario loads");
    let mut replay = Shell::new(saved).expect("builds");
    let replayed = session(&mut replay, &format!("run 6.5s\nnodes\n{dump}"));
    assert_eq!(replayed.split_once('\n').map(|x| x.1), Some(state.as_str()), "same nodes, same routing state");

    let o = Command::new(env!("CARGO_BIN_EXE_chordsim"))
        .arg(&file)
        .args(["--quiet", "--out"])
        .arg(&t.0)
        .output()
        .expect("binary runs");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let report = json(&t.path("shell-session-seed3/report.json"));
    assert_eq!(report["run"]["live_final"].as_u64(), Some(live.len() as u64));
    assert_eq!(report["run"]["crashes"].as_u64(), Some(1));
    assert_eq!(report["run"]["leaves"].as_u64(), Some(1));
}

#[test]
fn puts_need_the_dht_and_zave_has_no_leave() {
    let text = std::fs::read_to_string(scenario("small-ring-churn.toml")).expect("shipped scenario");
    let text = text.replace("variant = \"ton03\"", "variant = \"zave\"");
    let sc = Scenario::parse(&text, "small-ring-churn.toml", "small-ring-churn").expect("valid");
    let mut sh = Shell::new(sc).expect("builds");
    let first = ring(&sh)[0].id;
    let out = session(&mut sh, &format!("put key-1\nleave {first}\nrun 1s\n"));
    assert!(out.starts_with("error: the DHT is not running in this scenario"), "{out}");
    assert!(out.contains("error: the zave variant has no graceful leave (TSE'17): use crash"), "{out}");
    assert!(out.contains("t = 1 s  (+"), "{out}");
}

#[test]
fn the_binary_reads_stdin_and_exits_0_at_its_end() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_chordsim"))
        .args(["shell", "--seed", "4"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    let mut stdin = child.stdin.take().expect("piped");
    stdin.write_all(b"nodes\nrun 2s\ncrash zz\nring\n").expect("write");
    drop(stdin);
    let o = child.wait_with_output().expect("exits");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("16 live nodes in ring order:\n"), "no prompt, no echo: {out}");
    assert!(out.contains("t = 2 s  (+") && out.contains("error: 'zz'") && out.contains("ring at t = 2 s"), "{out}");
    assert!(stderr(&o).lines().next().is_some_and(|l| l.contains("shell") && l.contains("seed 4")));

    let mut child = Command::new(env!("CARGO_BIN_EXE_chordsim"))
        .args(["shell"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    child.stdin.take().expect("piped").write_all(b"run 1s\nquit\nring\n").expect("write");
    let o = child.wait_with_output().expect("exits");
    assert_eq!(o.status.code(), Some(0));
    assert!(!stdout(&o).contains("ring at"), "nothing after quit: {}", stdout(&o));

    let o = Command::new(env!("CARGO_BIN_EXE_chordsim")).args(["shell", "no/such.toml"]).output().expect("runs");
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).starts_with("error: no/such.toml: cannot read"), "{}", stderr(&o));
}
