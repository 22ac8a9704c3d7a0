//! What the shell prints about the simulation: one node's routing state next to the truth, the live
//! nodes, the checker's summary of the ring, and the node-by-node `check`.
//!
//! Owns: the text layout of those views and the marking of wrong entries with [`MARK`]. The truth of
//! a live node at ring index i is the checker's (`checker/state.rs`): predecessor ring[i−1], successor
//! list ring[i+1..=i+r] (wrapping), finger k the true successor of `id + 2^(k−1)`.
//! Never: change node state or draw from a protocol stream (snapshots use the checker's own stream).

use crate::oracle::checker::{RoundRow, SimView};
use crate::oracle::zave::properties::{RingView, check_all};
use crate::protocol::msg::{Addr, Peer};
use crate::protocol::node::{Node, Status};
use crate::sim::engine::Sim;
use crate::time::Time;

/// Marks an entry that differs from the truth.
pub const MARK: &str = "✗";
/// At most this many node ids are listed per kind of problem.
const LIST_MAX: usize = 8;

/// Simulated time: `30 s`, `1.25 s`, `0.000250 s` trimmed of trailing zeros.
#[must_use]
pub fn fmt_time(us: u64) -> String {
    let frac = format!("{:06}", us % 1_000_000);
    let frac = frac.trim_end_matches('0');
    if frac.is_empty() { format!("{} s", us / 1_000_000) } else { format!("{}.{frac} s", us / 1_000_000) }
}

/// Width of an id as shown (`0x` and the hex digits of the space), for columns.
pub fn id_width(sim: &Sim) -> usize {
    2 + sim.params().space.bits().div_ceil(4) as usize
}

fn id_or(p: Option<Peer>, none: &str) -> String {
    p.map_or(none.to_string(), |p| p.id.to_string())
}

/// The first `LIST_MAX` items, then "and k more".
fn capped(items: &[String]) -> String {
    let mut s = items.iter().take(LIST_MAX).cloned().collect::<Vec<_>>().join(", ");
    if items.len() > LIST_MAX {
        s.push_str(&format!(" and {} more", items.len() - LIST_MAX));
    }
    s
}

/// Rows of `label  held  [✗]  truth …`, counting wrong entries.
struct Table {
    out: String,
    width: usize,
    wrong: u64,
    entries: u64,
}

impl Table {
    fn row(&mut self, label: &str, held: String, truth: Option<String>, entries: u64) {
        self.entries += entries;
        match truth {
            Some(t) => {
                let ok = held == t;
                if !ok {
                    self.wrong += entries;
                }
                let mark = if ok { " " } else { MARK };
                let w = self.width;
                self.out.push_str(&format!("  {label:<13} {held:<w$} {mark} truth {t}\n"));
            }
            None => self.out.push_str(&format!("  {label:<13} {held}\n")),
        }
    }
}

/// What the checker says a live node at ring index `i` should hold: predecessor and successor list.
fn expected(ring: &[Peer], i: usize, r: usize, held_len: usize) -> (Peer, Vec<Peer>) {
    let n = ring.len();
    if n == 1 {
        return (ring[0], vec![ring[0]; held_len.max(1)]);
    }
    (ring[(i + n - 1) % n], (0..r).map(|j| ring[(i + 1 + j) % n]).collect())
}

/// `node <id>`: header, predecessor, successor list and fingers (grouped where equal) next to the
/// truth — or, for a dead node, its state as it was when it stopped — and its DHT items.
pub fn node_state(sim: &Sim, a: Addr) -> String {
    let slot = &sim.nodes()[a.0 as usize];
    let (node, me) = (&slot.node, slot.node.me());
    let ring = sim.truth().sorted();
    let pos = if slot.alive { ring.iter().position(|p| *p == me) } else { None };
    let status = match node.status() {
        Status::Joining => "joining",
        Status::Joined => "joined",
        Status::Left => "left",
    };
    let life = if slot.alive { "alive" } else { "dead: its state as it was when it stopped" };
    let mut t = Table {
        out: format!("node {}  address {}, {status}, {life}, {} RPCs pending\n", me.id, a.0, node.pending_rpcs()),
        width: id_width(sim).max(3),
        wrong: 0,
        entries: 0,
    };
    let truth = pos.map(|i| expected(&ring, i, sim.params().r, node.succ_list().len()));
    // A lone node is right with itself or nothing as predecessor.
    let lone_nil = ring.len() == 1 && node.predecessor().is_none();
    let pred_want = truth.as_ref().map(|(p, _)| if lone_nil { "nil".to_string() } else { p.id.to_string() });
    t.row("predecessor", id_or(node.predecessor(), "nil"), pred_want, 1);
    let held = node.succ_list();
    let want: Option<&Vec<Peer>> = truth.as_ref().map(|(_, l)| l);
    let rows = held.len().max(want.map_or(0, std::vec::Vec::len));
    for j in 0..rows {
        let h = id_or(held.get(j).copied(), "-");
        let w = want.map(|w| id_or(w.get(j).copied(), "-"));
        t.row(&format!("successor {}", j + 1), h, w, 1);
    }
    finger_rows(&mut t, sim, node, pos.is_some());
    if let Some(d) = slot.app.dht() {
        let store = d.store();
        let own = match &truth {
            Some((p, _)) if ring.len() > 1 => {
                let n = store.keys().filter(|&&k| sim.params().space.in_half_open(k, p.id, me.id)).count();
                format!(", {n} of them in its own range (truth)")
            }
            _ => String::new(),
        };
        t.out.push_str(&format!("  {:<13} {} stored{own}\n", "dht items", store.len()));
    }
    if pos.is_some() {
        let verdict = match t.wrong {
            0 => format!("  all {} entries correct\n", t.entries),
            w => format!("  {w} of {} entries wrong ({MARK})\n", t.entries),
        };
        t.out.push_str(&verdict);
    }
    t.out
}

/// Fingers 1..=m, consecutive ones that hold and should hold the same node on one row.
fn finger_rows(t: &mut Table, sim: &Sim, node: &Node, with_truth: bool) {
    let space = sim.params().space;
    let me = node.me().id;
    let fingers = node.fingers();
    let want = |k: usize| with_truth.then(|| sim.truth().successor(space.finger_start(me, k as u32)));
    let m = fingers.len();
    let mut k = 1;
    while k <= m {
        let (held, w) = (fingers[k - 1], want(k));
        let mut j = k;
        while j < m && fingers[j] == held && want(j + 1) == w {
            j += 1;
        }
        let label = if j == k { format!("finger {k}") } else { format!("fingers {k}-{j}") };
        t.row(&label, id_or(held, "-"), w.map(|w| id_or(w, "none")), (j - k + 1) as u64);
        k = j + 1;
    }
}

/// `nodes`: the live ids in ring order, eight to a line; `*` marks a node still joining.
pub fn nodes_list(sim: &Sim) -> String {
    let ring = sim.truth().sorted();
    let joining = ring.iter().filter(|p| !sim.truth().is_joined(p.addr)).count();
    let mut s = format!("{} live nodes in ring order", ring.len());
    if joining > 0 {
        s.push_str(&format!(" ({joining} still joining, marked *)"));
    }
    s.push_str(":\n");
    let w = id_width(sim) + 1;
    for chunk in ring.chunks(8) {
        let ids: Vec<String> = chunk
            .iter()
            .map(|p| format!("{:<w$}", format!("{}{}", p.id, if sim.truth().is_joined(p.addr) { "" } else { "*" })))
            .collect();
        s.push_str(&format!("  {}\n", ids.join(" ").trim_end()));
    }
    s
}

/// Zave's properties violated now, each as `Name (tag)` and, for `check`, witnesses and detail.
fn violations(sim: &Sim, detail: bool) -> Vec<String> {
    let view = SimView::build(sim.nodes(), sim.truth(), sim.params().r);
    check_all(&view)
        .iter()
        .map(|v| {
            let p = v.property;
            let tag = if p.unrepairable() {
                " (unrepairable)"
            } else if p.is_warning() {
                " (warning)"
            } else {
                ""
            };
            if !detail {
                return format!("{}{tag}", p.name());
            }
            let ids: Vec<String> = v.nodes.iter().map(|&n| format!("{:#x}", view.id(n))).collect();
            let d = if v.detail.is_empty() { String::new() } else { format!(": {}", v.detail) };
            format!("{}{tag}: nodes {}{d}", p.name(), capped(&ids))
        })
        .collect()
}

/// `ring`: counts, fractions correct, probes, properties and the DHT's accounting.
pub fn ring_summary(sim: &mut Sim) -> String {
    let (row, _) = sim.snapshot();
    let n = row.live;
    let c = |f: f64| (f * n as f64).round() as u64;
    let m = sim.metrics();
    let mut s = format!("ring at t = {}: {} live nodes, {} joined\n", fmt_time(sim.now()), n, row.joined);
    s.push_str(&format!(
        "  {:<12} {} created, {} crashed ({} refused), {} left\n",
        "membership",
        sim.nodes().len(),
        m.crashes,
        m.crashes_refused,
        m.leaves
    ));
    s.push_str(&format!(
        "  {:<12} successor {}/{n}, predecessor {}/{n}, successor list {}/{n}\n",
        "correct",
        c(row.succ_ok),
        c(row.pred_ok),
        c(row.list_ok)
    ));
    s.push_str(&format!(
        "  {:<12} {:.1} % of entries right, {}/{n} nodes with all right\n",
        "fingers",
        row.finger_entries_ok * 100.0,
        c(row.fingers_all_ok)
    ));
    s.push_str(&format!(
        "  {:<12} {}/{} correct, {:.2} hops, {:.2} timeouts (mean)\n",
        "probes", row.probes_ok, row.probes, row.probe_hops_mean, row.probe_timeouts_mean
    ));
    let v = violations(sim, false);
    let props = if v.is_empty() { "none of Zave's violated".to_string() } else { format!("violated {}", v.join(", ")) };
    s.push_str(&format!("  {:<12} {props}\n", "properties"));
    if let Some(d) = sim.dht_account() {
        s.push_str(&format!(
            "  {:<12} {} item{}: owner holds {}, under-replicated {}, lost {}; {} copies stored\n",
            "dht",
            d.items,
            if d.items == 1 { "" } else { "s" },
            d.owner_holds,
            d.under_replicated,
            d.lost,
            d.stored_copies
        ));
    }
    s.push_str(&format!("  {:<12} {}\n", "converged", if row.converged { "yes" } else { "no" }));
    s
}

/// `check`: every live node whose state is wrong, by kind, the probes and the properties violated.
pub fn check_report(sim: &mut Sim) -> String {
    let (row, reason) = sim.snapshot();
    let ring = sim.truth().sorted();
    let n = ring.len();
    let (mut joining, mut succ, mut pred, mut list) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (i, me) in ring.iter().enumerate() {
        let node = &sim.nodes()[me.addr.0 as usize].node;
        if !node.is_joined() {
            joining.push(me.id.to_string());
            continue;
        }
        let (p, l) = expected(&ring, i, sim.params().r, node.succ_list().len());
        if node.successor() != ring[(i + 1) % n] {
            succ.push(format!("{} (holds {}, truth {})", me.id, node.successor().id, ring[(i + 1) % n].id));
        }
        let pred_ok = node.predecessor().map_or(n == 1, |q| q == p);
        if !pred_ok {
            pred.push(format!("{} (holds {}, truth {})", me.id, id_or(node.predecessor(), "nil"), p.id));
        }
        if node.succ_list() != l.as_slice() {
            list.push(me.id.to_string());
        }
    }
    let v = violations(sim, true);
    let mut lines = Vec::new();
    for (what, items) in
        [("not joined", joining), ("successor wrong", succ), ("predecessor wrong", pred), ("list wrong", list)]
    {
        if !items.is_empty() {
            lines.push(format!("  {what:<18} {}", capped(&items)));
        }
    }
    if row.probes_ok < row.probes {
        let why = reason.map_or(String::new(), |r| format!("; first: {r}"));
        lines.push(format!("  {:<18} {}/{} correct{why}", "probes", row.probes_ok, row.probes));
    }
    lines.extend(v.iter().map(|v| format!("  {v}")));
    let head = format!("check at t = {}: ", fmt_time(sim.now()));
    if lines.is_empty() {
        return format!(
            "{head}consistent\n  every successor, predecessor and successor list of the {n} live nodes correct\n  \
             {}/{} probes correct, none of Zave's properties violated\n",
            row.probes_ok, row.probes
        );
    }
    let kinds = lines.len();
    let rec = sim.observer::<crate::tools::diagnose::record::Recorder>();
    let d = crate::tools::diagnose::of_state(sim, rec.map_or(&[][..], |r| &r.entries));
    lines.extend(crate::tools::diagnose::lines(&d).into_iter().map(|l| format!("  {l}")));
    format!("{head}{kinds} kinds of problem\n{}\n", lines.join("\n"))
}

/// One checked round in a line: `round 29 (t = 29 s): converged`, or what is off.
pub fn row_brief(row: &RoundRow) -> String {
    let t = fmt_time(Time::from_s(row.time_s).us());
    if row.converged && row.violated.is_empty() {
        return format!("round {} (t = {t}): converged", row.round);
    }
    let n = row.live;
    let c = |f: f64| (f * n as f64).round() as u64;
    let mut s = format!(
        "round {} (t = {t}): successor {}/{n}, predecessor {}/{n}, lists {}/{n}, probes {}/{}",
        row.round,
        c(row.succ_ok),
        c(row.pred_ok),
        c(row.list_ok),
        row.probes_ok,
        row.probes
    );
    if !row.violated.is_empty() {
        s.push_str(&format!("; violated {}", row.violated.join(", ")));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;

    fn sim(ids: &[u64]) -> Sim {
        let ids: Vec<String> = ids.iter().map(|i| format!("\"{i:#x}\"")).collect();
        let text = format!(
            "id_bits = 8\nduration_s = 100\nexpect = \"no_check\"\n[initial]\nnodes = {}\nids = [{}]\n\
             [protocol]\nsuccessor_list_len = 2\nstabilize_interval_ms = 1000\n\
             [net]\nlatency = {{ kind = \"constant\", ms = 10 }}\nrpc_timeout_ms = 100\n",
            ids.len(),
            ids.join(", ")
        );
        Sim::new(Scenario::parse(&text, "<t>", "t").expect("valid")).expect("builds")
    }

    #[test]
    fn times_are_trimmed() {
        assert_eq!(fmt_time(0), "0 s");
        assert_eq!(fmt_time(30_000_000), "30 s");
        assert_eq!(fmt_time(1_250_000), "1.25 s");
        assert_eq!(fmt_time(250), "0.00025 s");
    }

    #[test]
    fn ideal_node_is_all_correct_and_crash_marks_entries() {
        let mut s = sim(&[0x10, 0x40, 0x80, 0xc0]);
        let a = s.truth().by_id(crate::id::Id(0x10)).unwrap().addr;
        let text = node_state(&s, a);
        assert!(text.contains("predecessor   0xc0") && text.contains("all "), "{text}");
        assert!(!text.contains(MARK), "{text}");
        let b = s.truth().by_id(crate::id::Id(0x40)).unwrap().addr;
        s.crash(b);
        let text = node_state(&s, a);
        assert!(text.contains(&format!("successor 1   0x40 {MARK} truth 0x80")), "{text}");
        assert!(text.contains("entries wrong"), "{text}");
        let dead = node_state(&s, b);
        assert!(dead.contains("dead: its state") && !dead.contains("truth"), "{dead}");
        let check = check_report(&mut s);
        assert!(check.contains("successor wrong") && check.contains("0x10 (holds 0x40, truth 0x80)"), "{check}");
    }

    #[test]
    fn ring_and_nodes_views() {
        let mut s = sim(&[0x10, 0x40, 0x80, 0xc0]);
        let r = ring_summary(&mut s);
        assert!(r.contains("4 live nodes, 4 joined") && r.contains("none of Zave's violated"), "{r}");
        assert!(r.contains("converged    yes"), "{r}");
        assert!(check_report(&mut s).contains("consistent"));
        let list = nodes_list(&s);
        assert_eq!(
            list.lines().nth(1).map(|l| l.split_whitespace().collect::<Vec<_>>()),
            Some(vec!["0x10", "0x40", "0x80", "0xc0"])
        );
    }
}
