//! Checkpoint / restore: the whole simulation state in one file, so that an expensive setup (say,
//! 10^5 nodes joining) runs once and many runs continue from it.
//!
//! Owns: the file format and its checks, and the state record (`State`: the engine's
//! [`crate::sim::engine::state`] and the side files). A run pauses for a checkpoint and goes on with
//! [`crate::tools::run::Run::pause_at`].
//! File: magic `CHORDCKP`, format version (u32 LE), header length (u64 LE) and header (JSON: format
//! and chordsim versions, a layout fingerprint, seed, time, events, and the resolved scenario),
//! payload length (u64 LE) and payload (the state in [`codec`]'s binary encoding), then the SHA-1 of
//! everything before it. The state is everything that evolves: time, event counter, the queue with its
//! `seq` counter, lanes and radix-heap layout, every node with its pending RPCs and lookups, applications and
//! items in flight, successor lists in flight, truth, checker, metrics, every RNG stream's position
//! (seed, stream, word position), cut links and host maps; and the side files the scenario read (the
//! latency matrix, as parsed), so a checkpoint resumes from any folder. Rebuilt from the scenario on restore:
//! protocol and application parameters, the network model, the sorted script, Zipf tables (lazily).
//! Invariant: a run restored from a checkpoint taken at time t continues event for event as the
//! uninterrupted run does, and writes a byte-identical report (tests/it/checkpoint.rs proves it).
//! What may differ on resume: nothing that the simulation reads. The scenario is the checkpoint's own
//! (events and workloads are already in the queue as events with their `seq` numbers, so a changed tail
//! could not run as the same scenario would from t = 0); only the output folder, the display and an
//! observer (`--trace`) are chosen anew.
//! Never: read a checkpoint written by another chordsim version, format or state layout, or a file
//! whose checksum fails (a clear error, exit 1); read the wall clock (callers time save and load).

pub mod codec;
mod verify;

use crate::oracle::checker::Checker;
use crate::oracle::metrics::Metrics;
use crate::oracle::truth::Truth;
use crate::output::report::VERSION;
use crate::scenario::{Latency, Scenario};
use crate::sim::engine::{Ev, Sim, Slot};
use crate::sim::queue::EventQueue;
use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};
use std::path::Path;

const MAGIC: &[u8; 8] = b"CHORDCKP";
/// Bump when the file layout or the encoding changes. 7: the coordinate and partition streams moved
/// from the network into the run's `SimRng`.
pub const FORMAT_VERSION: u32 = 7;
const SUM_LEN: usize = 20;

/// A cheap guard against reading state written by a build whose types differ although the version
/// string is the same: the sizes of the main state types.
#[must_use]
pub fn layout() -> String {
    use std::mem::size_of;
    format!(
        "slot={} ev={} queue={} node={} dht={} checker={} truth={} metrics={}",
        size_of::<Slot>(),
        size_of::<Ev>(),
        size_of::<EventQueue<Ev>>(),
        size_of::<crate::protocol::node::Node>(),
        size_of::<crate::protocol::app::DhtNode>(),
        size_of::<Checker>(),
        size_of::<Truth>(),
        size_of::<Metrics>()
    )
}

/// What a checkpoint says about itself (readable with `head -c 4096 FILE`).
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Header {
    pub format_version: u32,
    pub chordsim_version: String,
    pub layout: String,
    pub seed: u64,
    /// Simulated time of the checkpoint: every event at or before it has run.
    pub at_us: u64,
    pub events: u64,
    pub nodes: u64,
    pub queued: u64,
    pub scenario: Scenario,
}

/// The checkpoint's state: the engine's, then the files the scenario read (field order = [`State`]'s).
#[derive(Serialize)]
struct StateRef<'a> {
    engine: crate::sim::engine::state::StateRef<'a>,
    side: SideRef<'a>,
}

/// The checkpoint's state, owned for reading.
#[derive(Deserialize)]
struct State {
    engine: crate::sim::engine::state::State,
    side: SideFiles,
}

/// What the scenario read from files beside it, embedded so that a checkpoint resumes from any
/// folder, with the scenario file moved or gone.
#[derive(Serialize, Deserialize, Default)]
struct SideFiles {
    /// `net.latency.file`: the matrix as parsed (N, then N×N one-way delays in µs).
    matrix: Option<(u64, Vec<u64>)>,
}

/// [`SideFiles`], borrowed for writing.
#[derive(Serialize)]
struct SideRef<'a> {
    matrix: Option<(u64, &'a [u64])>,
}

impl SideRef<'_> {
    fn of(sc: &Scenario) -> SideRef<'_> {
        match &sc.net.latency {
            Latency::Matrix { data: Some(m), .. } => SideRef { matrix: Some((m.n as u64, &m.us)) },
            _ => SideRef { matrix: None },
        }
    }
}

impl SideFiles {
    /// Puts the embedded files back into `sc`; the scenario and the state must agree on them.
    fn restore(self, sc: &mut Scenario) -> Result<(), String> {
        match (&mut sc.net.latency, self.matrix) {
            (Latency::Matrix { data, file, .. }, Some((n, us))) => {
                let m = crate::scenario::Matrix::from_parts(n, us)
                    .map_err(|e| format!("corrupt checkpoint: the embedded latency matrix ({file}): {e}"))?;
                *data = Some(std::sync::Arc::new(m));
                Ok(())
            }
            (Latency::Matrix { file, .. }, None) => {
                Err(format!("corrupt checkpoint: the scenario reads the latency matrix {file}, but none is embedded"))
            }
            (_, Some(_)) => Err("corrupt checkpoint: a latency matrix is embedded, but the scenario uses none".into()),
            (_, None) => Ok(()),
        }
    }
}

/// The checkpoint file of `sim` as it stands.
pub fn to_bytes(sim: &Sim) -> Result<Vec<u8>, String> {
    let st = StateRef { engine: sim.state(), side: SideRef::of(sim.sc()) };
    let payload = codec::to_bytes(&st).map_err(|e| format!("cannot encode the state: {e}"))?;
    let header = Header {
        format_version: FORMAT_VERSION,
        chordsim_version: VERSION.to_string(),
        layout: layout(),
        seed: sim.sc().seed,
        at_us: sim.now(),
        events: sim.events(),
        nodes: sim.nodes().len() as u64,
        queued: sim.queued() as u64,
        scenario: sim.sc().clone(),
    };
    let head = serde_json::to_vec(&header).map_err(|e| format!("cannot encode the header: {e}"))?;
    let mut out = Vec::with_capacity(payload.len() + head.len() + 64);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(head.len() as u64).to_le_bytes());
    out.extend_from_slice(&head);
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&payload);
    let sum = Sha1::digest(&out);
    out.extend_from_slice(&sum);
    Ok(out)
}

/// Writes the checkpoint of `sim` to `path` (through a temporary file, so a crash never leaves a
/// half-written checkpoint under the name). Returns its size in bytes.
pub fn save(sim: &Sim, path: &Path) -> Result<u64, String> {
    let bytes = to_bytes(sim)?;
    let tmp = path.with_extension("partial");
    std::fs::write(&tmp, &bytes).map_err(|e| format!("{}: cannot write: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("{}: cannot write: {e}", path.display()))?;
    Ok(bytes.len() as u64)
}

/// Reads a checkpoint file and restores the simulation (without an observer). `accept` sees the
/// checked header before the state is decoded, and may refuse it (say, a scenario the machine cannot
/// hold); its error is returned as it is, every other error names the file.
pub fn load(path: &Path, accept: impl FnOnce(&Header) -> Result<(), String>) -> Result<(Sim, Header), String> {
    let named = |e: String| format!("{}: {}", path.display(), one_line(&e));
    let bytes = std::fs::read(path).map_err(|e| named(format!("cannot read: {e}")))?;
    let (h, payload) = read_header(&bytes).map_err(named)?;
    accept(&h)?;
    restore(h, payload).map_err(named)
}

/// Splits `n` bytes off the front of `b`, or says the file is truncated.
fn take<'a>(b: &mut &'a [u8], n: usize, what: &str) -> Result<&'a [u8], String> {
    if b.len() < n {
        return Err(format!("truncated checkpoint: {what} needs {n} bytes, {} left", b.len()));
    }
    let (head, rest) = b.split_at(n);
    *b = rest;
    Ok(head)
}

fn take_u64(b: &mut &[u8], what: &str) -> Result<usize, String> {
    let v = u64::from_le_bytes(take(b, 8, what)?.try_into().expect("8 bytes"));
    usize::try_from(v).map_err(|_| format!("corrupt checkpoint: {what} length {v}"))
}

/// Checks and reads the header of a checkpoint; returns it with the payload.
pub fn read_header(bytes: &[u8]) -> Result<(Header, &[u8]), String> {
    let mut b = bytes;
    if take(&mut b, 8, "the magic").ok() != Some(MAGIC.as_slice()) {
        return Err("not a chordsim checkpoint (bad magic bytes)".into());
    }
    let format = u32::from_le_bytes(take(&mut b, 4, "the format version")?.try_into().expect("4 bytes"));
    if format != FORMAT_VERSION {
        return Err(format!(
            "checkpoint format {format}, this chordsim {VERSION} reads format {FORMAT_VERSION} only: rerun the scenario"
        ));
    }
    let n = take_u64(&mut b, "header")?;
    let head = take(&mut b, n, "the header")?;
    let n = take_u64(&mut b, "state")?;
    let payload = take(&mut b, n, "the state")?;
    let sum = take(&mut b, SUM_LEN, "the checksum")?;
    if !b.is_empty() {
        return Err(format!("corrupt checkpoint: {} bytes after the checksum", b.len()));
    }
    if Sha1::digest(&bytes[..bytes.len() - SUM_LEN]).as_slice() != sum {
        return Err("corrupt checkpoint: checksum mismatch (the file was altered or damaged)".into());
    }
    let h: Header = serde_json::from_slice(head).map_err(|e| format!("corrupt checkpoint header: {e}"))?;
    if h.chordsim_version != VERSION || h.layout != layout() {
        return Err(format!(
            "checkpoint written by chordsim {} (layout {}), this is chordsim {VERSION} (layout {}): a checkpoint \
             is read only by the version that wrote it; rerun the scenario",
            h.chordsim_version,
            h.layout,
            layout()
        ));
    }
    Ok((h, payload))
}

/// Restores a simulation from the bytes of a checkpoint file. Errors are one line: whatever a damaged
/// file makes a message quote (a name, a string) is shown escaped and cut short.
pub fn from_bytes(bytes: &[u8]) -> Result<(Sim, Header), String> {
    let (h, payload) = read_header(bytes).map_err(|e| one_line(&e))?;
    restore(h, payload).map_err(|e| one_line(&e))
}

/// `e` with control characters escaped and cut to 300 characters.
fn one_line(e: &str) -> String {
    let escaped: String =
        e.chars().map(|c| if c.is_control() { c.escape_default().to_string() } else { c.to_string() }).collect();
    match escaped.char_indices().nth(300) {
        Some((cut, _)) => format!("{}…", &escaped[..cut]),
        None => escaped,
    }
}

/// The simulation a checked header and its state describe.
fn restore(h: Header, payload: &[u8]) -> Result<(Sim, Header), String> {
    let mut sc = h.scenario.clone();
    sc.reseed(h.seed);
    sc.validate("checkpoint scenario").map_err(|e| e.to_string())?;
    let slots = u32::try_from(h.nodes)
        .map_err(|_| format!("corrupt checkpoint header: nodes = {} (more than 2^32 slots)", h.nodes))?;
    let limits = crate::bounds::Limits { slots, id_bits: sc.id_bits };
    let mut st: State = crate::bounds::with(limits, || codec::from_bytes(payload))
        .map_err(|e| format!("corrupt checkpoint state: {e}"))?;
    if st.engine.slots() as u64 != h.nodes {
        return Err(format!(
            "corrupt checkpoint: the header says {} nodes, the state holds {}",
            h.nodes,
            st.engine.slots()
        ));
    }
    std::mem::take(&mut st.side).restore(&mut sc)?;
    let sim = Sim::restore(sc, st.engine)?;
    if sim.now() != h.at_us || sim.events() != h.events || sim.queued() as u64 != h.queued {
        return Err("corrupt checkpoint: header and state disagree".into());
    }
    verify::check(&sim).map_err(|e| format!("corrupt checkpoint state: {e}"))?;
    Ok((sim, h))
}
