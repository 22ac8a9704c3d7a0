//! The ring picture: live nodes on a circle at their id position (0 at the top, ids growing
//! clockwise), each node's successor pointer as an arrow, wrong pointers (against the true ring) in
//! red, pointers to dead nodes ending in a red ×, nodes still joining as hollow orange rings. Crashed
//! and departed nodes are not drawn.
//!
//! Owns: the layout of `ring-round<k>.svg`. A thinned snapshot (more than `capture::MAX_DRAWN` live
//! nodes) draws only the sampled nodes and their wrong pointers, and its subtitle says how many of how
//! many are shown and how they were chosen; correct pointers are drawn only when every node is.
//! Never: judge correctness itself (the snapshot carries the verdict per node) or touch files.

use super::capture::RingSnap;
use super::svg::{Font, Svg};

const W: f64 = 760.0;
const H: f64 = 800.0;
const CX: f64 = 380.0;
const CY: f64 = 420.0;
const R: f64 = 300.0;
/// Node ids are written next to the nodes when at most this many are drawn.
const LABELS_MAX: usize = 40;
/// Correct pointers get arrowheads when at most this many nodes are drawn.
const HEADS_MAX: usize = 120;

const OK: &str = "#9aa5b1";
const BAD: &str = "#d62728";
const NODE: &str = "#1f4e79";
const JOINING: &str = "#ff7f0e";

/// Where id `id` sits on the circle of radius `r`.
fn at(id: u64, bits: u32, r: f64) -> (f64, f64) {
    polar(id as f64 / 2f64.powi(bits as i32), r)
}

/// The point at a fraction `f` of the way round (clockwise from the top) on the circle of radius `r`.
fn polar(f: f64, r: f64) -> (f64, f64) {
    let theta = std::f64::consts::TAU * f;
    (CX + r * theta.sin(), CY - r * theta.cos())
}

/// The control point of a wrong pointer from `a` to `b`: halfway along the shorter way round, pulled
/// inside the circle the more the longer the pointer, so even a pointer to a near neighbour shows.
fn bend(a: u64, b: u64, bits: u32) -> (f64, f64) {
    let size = 2f64.powi(bits as i32);
    let (fa, fb) = (a as f64 / size, b as f64 / size);
    let mut d = fb - fa;
    if d > 0.5 {
        d -= 1.0;
    } else if d < -0.5 {
        d += 1.0;
    }
    polar(fa + d / 2.0, R * (0.92 - 0.9 * d.abs()))
}

/// `to` pulled back towards `from` by `by` px (so an arrowhead stops at a node's edge).
fn shorten(from: (f64, f64), to: (f64, f64), by: f64) -> (f64, f64) {
    let (dx, dy) = (to.0 - from.0, to.1 - from.1);
    let len = (dx * dx + dy * dy).sqrt();
    if len <= by * 2.0 { to } else { (to.0 - dx / len * by, to.1 - dy / len * by) }
}

/// A short id label: hex of the top 16 bits (with `…`) when ids are longer.
fn short_id(id: u64, bits: u32) -> String {
    if bits <= 16 { format!("{id:#x}") } else { format!("{:#06x}…", id >> (bits - 16)) }
}

fn subtitle(s: &RingSnap) -> String {
    let shown = if s.stride == 1 {
        format!("all {} live nodes drawn", s.live)
    } else {
        format!(
            "{} of {} live nodes drawn: 1 in {} in ring order, plus nodes with a wrong successor; correct \
             pointers not drawn",
            s.nodes.len(),
            s.live,
            s.stride
        )
    };
    format!("{} of {} live nodes have a wrong successor, {} still joining. {shown}", s.wrong, s.live, s.joining)
}

/// Renders one snapshot.
#[must_use]
pub fn render(s: &RingSnap) -> String {
    let mut svg = Svg::new(W, H);
    svg.arrow_defs(&[("ok", OK), ("bad", BAD)]);
    let title = format!("Ring at round {} (t = {:.1} s) — {}", s.round, s.time_s, s.why);
    svg.text(20.0, 22.0, &title, Font::new("start", 13.0).bold());
    let sub = subtitle(s);
    let (first, rest) = sub.split_once(". ").unwrap_or((&sub, ""));
    svg.text(20.0, 40.0, &format!("{first}."), Font::new("start", 10.5).fill("#444"));
    svg.text(20.0, 54.0, rest, Font::new("start", 10.5).fill("#444"));
    svg.circle((CX, CY), R, "none", Some("#ddd"));
    svg.line((CX, CY - R - 12.0), (CX, CY - R + 12.0), "#999", 1.0, None);
    svg.text(CX, CY - R - 16.0, "id 0", Font::new("middle", 10.0).fill("#777"));
    let node_r = if s.nodes.len() > 200 { 2.0 } else { 3.5 };
    pointers(&mut svg, s, node_r);
    nodes(&mut svg, s, node_r);
    legend(&mut svg);
    svg.finish()
}

/// The successor pointers: grey chords for correct ones (only when every node is drawn), red curves
/// for wrong ones, a red ring for a node that names itself, a red × on a dead target.
fn pointers(svg: &mut Svg, s: &RingSnap, node_r: f64) {
    let all_drawn = s.stride == 1;
    for n in &s.nodes {
        let from = at(n.id, s.id_bits, R);
        let to = at(n.succ, s.id_bits, R);
        if n.succ_ok {
            if all_drawn && s.nodes.len() > 1 {
                let end = shorten(from, to, node_r + 1.0);
                if s.nodes.len() <= HEADS_MAX {
                    svg.arrow(from, end, OK, 1.0, "ok");
                } else {
                    svg.line(from, end, OK, 0.8, None);
                }
            }
            continue;
        }
        if n.succ == n.id {
            svg.circle(from, node_r + 4.0, "none", Some(BAD));
            continue;
        }
        let ctrl = bend(n.id, n.succ, s.id_bits);
        svg.curve_arrow(from, ctrl, shorten(ctrl, to, node_r + 1.0), BAD, 1.3, "bad");
        if !n.succ_alive {
            svg.cross(to, 4.0, BAD);
        }
    }
}

type Point = (f64, f64);

/// The nodes, and on a small ring their ids; a label too close to the previous (or the first) one,
/// nodes with nearby ids, is left out.
fn nodes(svg: &mut Svg, s: &RingSnap, node_r: f64) {
    let (mut first_label, mut last_label): (Option<Point>, Option<Point>) = (None, None);
    for n in &s.nodes {
        let p = at(n.id, s.id_bits, R);
        if n.joined {
            svg.circle(p, node_r, NODE, None);
        } else {
            svg.circle(p, node_r + 0.5, "white", Some(JOINING));
        }
        let q = at(n.id, s.id_bits, R + 14.0);
        let apart = |l: Option<Point>| l.is_none_or(|l| (l.0 - q.0).abs() > 40.0 || (l.1 - q.1).abs() > 11.0);
        if s.nodes.len() <= LABELS_MAX && apart(last_label) && apart(first_label) {
            last_label = Some(q);
            first_label = first_label.or(Some(q));
            let anchor = if q.0 < CX - 5.0 {
                "end"
            } else if q.0 > CX + 5.0 {
                "start"
            } else {
                "middle"
            };
            svg.text(q.0, q.1 + 3.0, &short_id(n.id, s.id_bits), Font::new(anchor, 9.0).fill("#555"));
        }
    }
}

fn legend(svg: &mut Svg) {
    let y = H - 24.0;
    svg.circle((30.0, y - 4.0), 3.5, NODE, None);
    svg.text(38.0, y, "live node", Font::new("start", 10.0));
    svg.circle((110.0, y - 4.0), 4.0, "white", Some(JOINING));
    svg.text(118.0, y, "still joining", Font::new("start", 10.0));
    svg.arrow((200.0, y - 4.0), (228.0, y - 4.0), OK, 1.0, "ok");
    svg.text(234.0, y, "correct successor", Font::new("start", 10.0));
    svg.arrow((340.0, y - 4.0), (368.0, y - 4.0), BAD, 1.3, "bad");
    svg.text(374.0, y, "wrong successor (× : points to a dead node; ring: points to itself)", Font::new("start", 10.0));
}

#[cfg(test)]
mod tests {
    use super::super::capture::SnapNode;
    use super::super::svg::tests::well_formed;
    use super::*;

    fn snap(n: u64, bad: &[u64]) -> RingSnap {
        let bits = 16;
        let step = (1u64 << bits) / n;
        let nodes = (0..n)
            .map(|i| {
                let wrong = bad.contains(&i);
                SnapNode {
                    id: i * step,
                    succ: if wrong { ((i + n / 2) % n) * step } else { ((i + 1) % n) * step },
                    succ_ok: !wrong,
                    succ_alive: i != bad.first().copied().unwrap_or(u64::MAX),
                    joined: i != 3,
                }
            })
            .collect();
        RingSnap {
            round: 4,
            time_s: 40.0,
            why: "asked".into(),
            id_bits: bits,
            live: n,
            wrong: bad.len() as u64,
            joining: 1,
            stride: 1,
            nodes,
        }
    }

    #[test]
    fn every_node_and_pointer_is_drawn() {
        let doc = render(&snap(16, &[5, 9]));
        let names = well_formed(&doc);
        let count = |n: &str| names.iter().filter(|x| *x == n).count();
        // 16 nodes + the ring outline + 2 legend dots.
        assert_eq!(count("circle"), 16 + 1 + 2);
        assert_eq!(doc.matches("url(#arrow-bad)").count(), 2 + 1, "two wrong pointers and the legend");
        assert_eq!(doc.matches("url(#arrow-ok)").count(), 14 + 1);
        assert_eq!(doc.matches(" Q ").count(), 2, "wrong pointers are curves");
        assert_eq!(
            doc.matches("<path d=\"M").count(),
            2 + 1 + 2,
            "curves, one × (pointer to a dead node), 2 arrowheads"
        );
        assert!(doc.contains("2 of 16 live nodes have a wrong successor, 1 still joining.</text>"));
        assert!(doc.contains(">all 16 live nodes drawn</text>"));
        assert!(doc.contains(">0x5000</text>"), "ids labelled on a small ring");
    }

    #[test]
    fn thinned_snapshot_says_so_and_skips_correct_pointers() {
        let mut s = snap(400, &[10]);
        s.stride = 25;
        s.live = 10_000;
        let doc = render(&s);
        well_formed(&doc);
        assert!(doc.contains("400 of 10000 live nodes drawn: 1 in 25 in ring order"), "{}", &doc[..900]);
        assert_eq!(doc.matches("url(#arrow-ok)").count(), 1, "only the legend's");
        assert!(!doc.contains("…</text>") && !doc.contains(">0x"), "no labels on a large ring");
        assert_eq!(short_id(0x3a7f_0000_1234, 48), "0x3a7f…");
    }
}
