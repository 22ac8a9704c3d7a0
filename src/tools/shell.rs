//! `chordsim shell`: a line-oriented prompt over one simulated ring — build or load it, move time
//! (`run`, `step`, `round`), change membership (`join`, `crash`, `leave`), look inside (`node`,
//! `nodes`, `ring`, `check`, `lookup`), use the DHT (`put`, `get`) and `save` the session as a
//! scenario that replays it.
//!
//! Owns: the [`Shell`] (one [`Sim`], the scenario it started from, the log of commands that changed
//! it) and the dispatch of parsed commands; `parse.rs` reads lines, `clock.rs` moves time, `show.rs`
//! and `walk.rs` format what is seen, `save.rs` writes the session out. A shell is driven by lines
//! and writes to any [`Write`], so tests feed it a script and compare the output; `cli/shell.rs`
//! only connects it to stdin/stdout or the line editor.
//! Never: read a clock or an unseeded random source (defaults such as the origin of a lookup are the
//! first joined node in id order, not a random one), panic on a bad line (each gets one `error:`
//! line and the shell goes on), or print anything but answers (no echo, no prompt: the caller
//! prompts, and only on a terminal).

mod clock;
mod parse;
mod save;
mod show;
mod walk;

pub use parse::{Command, USAGE};
pub use show::{MARK, fmt_time};

use crate::protocol::msg::Peer;
use crate::scenario::{Event, Expect, NodeRef, Scenario, Variant};
use crate::sim::engine::Sim;
use save::{Logged, at_s};
use std::io::{self, BufRead, Write};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

/// The ring a shell starts with when no scenario file is given (`--seed` picks the ids).
pub const DEFAULT_SCENARIO: &str = r#"
name = "shell"
id_bits = 16
duration_s = 1000000
expect = "no_check"
[initial]
nodes = 16
[protocol]
successor_list_len = 4
stabilize_interval_ms = 1000
fix_fingers_interval_ms = 1000
check_predecessor_interval_ms = 1000
[net]
latency = { kind = "constant", ms = 10 }
rpc_timeout_ms = 100
[check]
probe_keys = 64
[dht]
enabled = true
replicas = 2
repair_interval_ms = 5000
"#;

/// Whether the shell goes on after a line.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Quit,
}

/// Lookup and DHT outcomes already reported, to report only what is new after time moves.
#[derive(Default)]
struct Reported {
    lookups: crate::oracle::checker::LookupCounts,
    dht: crate::oracle::checker::DhtCounts,
}

/// One interactive session over one simulation.
pub struct Shell {
    sim: Sim,
    /// The resolved scenario the session started from (what `save` builds on).
    base: Scenario,
    log: Vec<Logged>,
    /// A `step` left events at `sim.now` unrun: the position is not clean (see `clock.rs`).
    mid: bool,
    reported: Reported,
    /// Set (by the caller's Ctrl-C handler) to stop a `run` at the next batch of events.
    interrupt: Arc<AtomicBool>,
}

impl Shell {
    /// The built-in ring ([`DEFAULT_SCENARIO`]), with `seed` if given.
    #[must_use]
    pub fn default_scenario(seed: Option<u64>) -> Scenario {
        let mut sc = Scenario::parse(DEFAULT_SCENARIO, "<built-in shell ring>", "shell")
            .expect("the built-in shell scenario is valid");
        sc.reseed(seed.unwrap_or(sc.seed));
        sc
    }

    /// A shell over `base`. The checker runs at every round boundary but never ends the session: the
    /// simulation's copy of the scenario says `expect = "no_check"`.
    pub fn new(base: Scenario) -> Result<Shell, String> {
        let mut sc = base.clone();
        sc.expect = Expect::NoCheck;
        let mut sim = Sim::new(sc)?;
        // The shell reports each verdict as a notice and goes on (`take_verdict`), whatever the
        // scenario's `check.on_violation` says.
        sim.stop_at_verdicts();
        // `check` explains what it finds from the last few rounds' events (`diagnose`).
        let rec = crate::tools::diagnose::rolling_recorder(sim.sc());
        sim.observe_with(Box::new(rec));
        Ok(Shell {
            sim,
            base,
            log: Vec::new(),
            mid: false,
            reported: Reported::default(),
            interrupt: Arc::new(AtomicBool::new(false)),
        })
    }

    /// The flag that stops a `run` in progress (after the event it is at) when set: the binary sets
    /// it from its Ctrl-C handler. A `run` clears it as it starts.
    #[must_use]
    pub fn interrupt_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.interrupt)
    }

    /// The longest `run` without `force` (µs): the scenario's `duration_s`, at least one round.
    #[must_use]
    pub fn run_cap(&self) -> u64 {
        self.sim.sc().duration_us().max(self.sim.sc().round_us())
    }

    /// The simulation, read-only (tests and tools look at it).
    #[must_use]
    pub fn sim(&self) -> &Sim {
        &self.sim
    }

    /// The prompt for a terminal: `chordsim [30 s]> `.
    #[must_use]
    pub fn prompt(&self) -> String {
        format!("chordsim [{}]> ", fmt_time(self.sim.now()))
    }

    /// Runs every line of `input` until its end or `quit`.
    pub fn run_script<R: BufRead, W: Write>(&mut self, mut input: R, out: &mut W) -> io::Result<()> {
        let mut buf = Vec::new();
        loop {
            buf.clear();
            if input.read_until(b'\n', &mut buf)? == 0 {
                return Ok(());
            }
            if self.exec(&String::from_utf8_lossy(&buf), out)? == Flow::Quit {
                return Ok(());
            }
        }
    }

    /// Runs one line; a bad one gets a one-line `error:` answer. Only writing can fail.
    pub fn exec(&mut self, line: &str, out: &mut dyn Write) -> io::Result<Flow> {
        let text = match parse::parse(line, self.sim.params().space) {
            Ok(None) => return Ok(Flow::Continue),
            Ok(Some(Command::Quit)) => return Ok(Flow::Quit),
            Ok(Some(c)) => self.command(c).unwrap_or_else(|e| format!("error: {e}\n")),
            Err(e) => format!("error: {e}\n"),
        };
        out.write_all(text.as_bytes())?;
        out.flush()?;
        Ok(Flow::Continue)
    }

    fn command(&mut self, c: Command) -> Result<String, String> {
        match c {
            Command::Help => Ok(self.help()),
            Command::Quit => Ok(String::new()),
            Command::Run { us, force } if !force && us > self.run_cap() => Err(format!(
                "run {}: longer than one run may go without `force`, {} (the scenario's duration_s); \
                 `run {} force` goes beyond it (Ctrl-C stops a run)",
                fmt_time(us),
                fmt_time(self.run_cap()),
                fmt_time(us).replace(' ', "")
            )),
            Command::Run { us, .. } => Ok(self.run_for(us)),
            Command::Step => self.step(),
            Command::Round => Ok(self.round()),
            Command::Join(n) => Ok(self.join(n)),
            Command::Crash(p) => self.remove(&p, true),
            Command::Leave(p) => self.remove(&p, false),
            Command::Lookup { key, from, real: false } => {
                let o = self.origin(from.as_deref())?;
                Ok(walk::lookup_text(&mut self.sim, o.addr, key.id, &key.label))
            }
            Command::Lookup { key, from, real: true } => self.real_lookup(&key, from.as_deref()),
            Command::Put { key, from } => self.dht(&key, from.as_deref(), false),
            Command::Get { key, from } => self.dht(&key, from.as_deref(), true),
            Command::Node(p) => Ok(show::node_state(&self.sim, self.any_node(&p)?.addr)),
            Command::Nodes => Ok(show::nodes_list(&self.sim)),
            Command::Ring => Ok(show::ring_summary(&mut self.sim)),
            Command::Check => Ok(show::check_report(&mut self.sim)),
            Command::Save(f) => self.save(&f),
        }
    }

    fn help(&self) -> String {
        let mut s = "commands (node: hex digits of its id, a prefix is enough; key: key-N or a hex id):\n".to_string();
        for (u, what) in USAGE {
            s.push_str(&format!("  {u:<28} {what}\n"));
        }
        s.push_str(
            "Time moves only with run, step and round; every other command acts at the current time. run and\n\
             round stop just before the events due at the new time (the round due then is checked by the next\n\
             move), so a command there acts exactly where a scripted event would and `save` replays it. lookup,\n\
             put and get start at the first joined node in id order unless `from` names another. Without a\n\
             scenario file the ring is the built-in one: 16 nodes, 16-bit ids, successor lists of 4, constant\n\
             10 ms latency, stabilize / fix_fingers / check_predecessor every 1 s (one round), the DHT with 2\n\
             replicas; --seed picks the ids. The checker runs at every round boundary and never ends the session.\n\
             One run goes at most the scenario's duration_s (the built-in ring: 1000000 s) unless `force` is\n\
             added; Ctrl-C stops a run after the event it is at and returns here (`run` again to go on).\n",
        );
        s
    }

    /// The live node `prefix` names.
    fn live(&self, prefix: &str) -> Result<Peer, String> {
        parse::resolve(prefix, &self.sim.truth().sorted(), self.sim.params().space, "live")
    }

    /// A live node, else a dead one (the latest slot with that id) for `node`.
    fn any_node(&self, prefix: &str) -> Result<Peer, String> {
        let err = match self.live(prefix) {
            Ok(p) => return Ok(p),
            Err(e) if e.contains("ambiguous") => return Err(e),
            Err(e) => e,
        };
        let mut dead: Vec<Peer> = self.sim.nodes().iter().filter(|s| !s.alive).map(|s| s.node.me()).collect();
        dead.reverse();
        dead.sort_by_key(|p| p.id);
        dead.dedup_by_key(|p| p.id);
        parse::resolve(prefix, &dead, self.sim.params().space, "dead").map_err(|e| {
            if e.starts_with("no dead node") { err.replace("no live node", "no node, live or dead,") } else { e }
        })
    }

    /// `from <node>` if given (live), else the first joined node in id order.
    fn origin(&self, from: Option<&str>) -> Result<Peer, String> {
        if let Some(p) = from {
            self.live(p)
        } else {
            let t = self.sim.truth();
            t.sorted().into_iter().find(|p| t.is_joined(p.addr)).ok_or_else(|| "no joined node left".to_string())
        }
    }

    /// A joined origin, for commands that send messages.
    fn joined_origin(&self, from: Option<&str>) -> Result<Peer, String> {
        let o = self.origin(from)?;
        if !self.sim.truth().is_joined(o.addr) {
            return Err(format!("node {} has not joined yet: it cannot route", o.id));
        }
        Ok(o)
    }

    fn record(&mut self, event: Option<Event>, text: String) {
        self.log.push(Logged { at_us: self.sim.now(), event, text });
    }

    fn join(&mut self, n: u64) -> String {
        let mut s = self.settle();
        let first = self.sim.nodes().len();
        for _ in 0..n {
            self.sim.join_new();
        }
        self.record(Some(Event::Join { at_s: at_s(self.sim.now()), count: n }), format!("join {n}"));
        let new: Vec<String> = self.sim.nodes()[first..].iter().map(|x| x.node.me().id.to_string()).collect();
        if new.is_empty() {
            s.push_str("join: no free id left in the id space: nobody joined\n");
            return s;
        }
        s.push_str(&format!(
            "joining at t = {}: {} (through a random joined node; in the ring once the join lookup completes)\n",
            fmt_time(self.sim.now()),
            new.join(", ")
        ));
        s
    }

    /// `crash` (fail-stop) or `leave` (graceful) of a live node.
    fn remove(&mut self, prefix: &str, crash: bool) -> Result<String, String> {
        if !crash && self.sim.sc().protocol.variant == Variant::Zave {
            return Err("the zave variant has no graceful leave (TSE'17): use crash".into());
        }
        let p = self.live(prefix)?;
        let mut s = self.settle();
        if !self.sim.truth().is_alive(p.addr) {
            s.push_str(&format!("{} is no longer alive: nothing to do\n", p.id));
            return Ok(s);
        }
        let node = NodeRef::Id(p.id.to_string());
        let (at_s, t) = (at_s(self.sim.now()), fmt_time(self.sim.now()));
        if crash {
            self.sim.crash(p.addr);
            self.record(Some(Event::Crash { at_s, node }), format!("crash {}", p.id));
            if self.sim.truth().is_alive(p.addr) {
                s.push_str(&format!(
                    "crash of {} refused at t = {t}: it would break Zave's operating assumptions \
                     (faults.respect_assumptions)\n",
                    p.id
                ));
            } else {
                s.push_str(&format!("{} crashed at t = {t} (its neighbours find out through timeouts)\n", p.id));
            }
        } else {
            self.sim.leave(p.addr);
            self.record(Some(Event::Leave { at_s, node }), format!("leave {}", p.id));
            s.push_str(&format!("{} left at t = {t} (it told its predecessor and successor)\n", p.id));
        }
        Ok(s)
    }

    /// `lookup!`: a real lookup, judged by the checker when it completes.
    fn real_lookup(&mut self, key: &parse::Key, from: Option<&str>) -> Result<String, String> {
        let o = self.joined_origin(from)?;
        let mut s = self.settle();
        self.sim.lookup_from(o.addr, key.id);
        self.record(None, format!("lookup! {} from {}", key.label, o.id));
        s.push_str(&format!(
            "lookup! {} from {} started at t = {}: real messages; the run that completes it says how it went\n",
            key.label,
            o.id,
            fmt_time(self.sim.now())
        ));
        Ok(s)
    }

    /// `put` / `get`: a DHT operation from a joined node, judged when it completes.
    fn dht(&mut self, key: &parse::Key, from: Option<&str>, read: bool) -> Result<String, String> {
        let Some(acked) = self.sim.checker().dht.as_ref().map(|d| d.acked(key.id)) else {
            return Err("the DHT is not running in this scenario (set [dht] enabled = true)".into());
        };
        let o = self.joined_origin(from)?;
        let mut s = self.settle();
        self.sim.dht_op(o.addr, read, key.id);
        let what = if read { "get" } else { "put" };
        self.record(None, format!("{what} {} from {}", key.label, o.id));
        let owner = self.sim.truth().successor(key.id).map_or("none".to_string(), |p| p.id.to_string());
        s.push_str(&format!(
            "{what} {} from {} at t = {}: owner (truth) {owner}, last acknowledged version {acked}; \
             it completes as time runs\n",
            key.label,
            o.id,
            fmt_time(self.sim.now())
        ));
        Ok(s)
    }

    fn save(&mut self, file: &str) -> Result<String, String> {
        save::check_path(file)?;
        let mut s = self.settle();
        let text = save::render(&self.base, &self.log, self.sim.now())?;
        std::fs::write(file, text).map_err(|e| format!("{file}: cannot write: {e}"))?;
        let scripted = self.log.iter().filter(|l| l.event.is_some()).count();
        let other = match self.log.len() - scripted {
            0 => String::new(),
            1 => ", and 1 command that cannot be scripted named in a comment".to_string(),
            n => format!(", and {n} commands that cannot be scripted named in a comment"),
        };
        s.push_str(&format!(
            "saved to {file}: {scripted} scripted event{}{other}; replay: `chordsim shell {file}`, then `run {}`\n",
            if scripted == 1 { "" } else { "s" },
            fmt_time(self.sim.now()).replace(' ', "")
        ));
        Ok(s)
    }
}
