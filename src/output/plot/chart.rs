//! Line charts: one or more series over a shared x axis, with a legend, vertical event markers and an
//! optional bar strip underneath (membership changes per round: joins up, departures down).
//!
//! Owns: the layout of every line chart chordsim writes (the run plots and the paper figures). A
//! series point may be missing (`None`): the line breaks there. Long series are thinned with
//! [`svg::decimate`] (min/max per bucket) and bars are summed into buckets, so a chart of 10^5 rounds
//! stays a few hundred kB and the subtitle says so.
//! Never: compute statistics from a run (callers hand in the numbers) or touch files.

use super::svg::{self, Axes, Font, Svg};

/// One line: a name for the legend, a colour, and (x, y) points in x order.
#[derive(Clone, Debug)]
pub struct Series {
    pub name: String,
    pub color: &'static str,
    pub dashed: bool,
    pub points: Vec<(f64, Option<f64>)>,
}

impl Series {
    #[must_use]
    pub fn new(name: &str, color: &'static str, points: Vec<(f64, Option<f64>)>) -> Series {
        Series { name: name.to_string(), color, dashed: false, points }
    }

    #[must_use]
    pub fn dashed(mut self) -> Series {
        self.dashed = true;
        self
    }
}

/// A vertical marker at an x value (a scripted event, the start of the quiet period, convergence).
#[derive(Clone, Debug)]
pub struct Marker {
    pub x: f64,
    pub label: String,
    pub color: &'static str,
}

/// One layer of the bar strip: bars up (`up = true`) or down from the baseline, stacked in order.
#[derive(Clone, Debug)]
pub struct Layer {
    pub name: String,
    pub color: &'static str,
    pub up: bool,
    /// One value per x (the same x for every layer).
    pub values: Vec<f64>,
}

/// The bar strip under the chart.
#[derive(Clone, Debug)]
pub struct Strip {
    pub label: String,
    pub xs: Vec<f64>,
    pub layers: Vec<Layer>,
}

#[derive(Clone, Debug, Default)]
pub struct Chart {
    pub title: String,
    pub subtitle: String,
    pub xlabel: String,
    pub ylabel: String,
    pub series: Vec<Series>,
    /// Fixed y range; `None`: from 0 (or the lowest value, if negative) to the highest value.
    pub y_range: Option<(f64, f64)>,
    /// Fixed x range; `None`: the series' x extent.
    pub x_range: Option<(f64, f64)>,
    pub markers: Vec<Marker>,
    pub strip: Option<Strip>,
    pub width: f64,
    pub height: f64,
}

/// Dots are drawn on the points of series with at most this many points.
const DOTS_MAX: usize = 60;
/// Marker labels are written only when there are at most this many markers.
const MARKER_LABELS_MAX: usize = 8;

impl Chart {
    #[must_use]
    pub fn new(title: &str, xlabel: &str, ylabel: &str) -> Chart {
        Chart {
            title: title.to_string(),
            xlabel: xlabel.to_string(),
            ylabel: ylabel.to_string(),
            width: 820.0,
            height: 340.0,
            ..Chart::default()
        }
    }

    fn x_extent(&self) -> (f64, f64) {
        if let Some(r) = self.x_range {
            return r;
        }
        let xs = self.series.iter().flat_map(|s| s.points.iter().map(|p| p.0));
        let (lo, hi) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| (a.min(x), b.max(x)));
        if lo.is_finite() { (lo, hi.max(lo + 1.0)) } else { (0.0, 1.0) }
    }

    fn y_extent(&self) -> (f64, f64) {
        if let Some(r) = self.y_range {
            return r;
        }
        let ys = self.series.iter().flat_map(|s| s.points.iter().filter_map(|p| p.1)).filter(|v| v.is_finite());
        let (lo, hi) = ys.fold((0.0f64, f64::NEG_INFINITY), |(a, b), y| (a.min(y), b.max(y)));
        let hi = if hi.is_finite() && hi > lo { hi } else { lo + 1.0 };
        (lo, hi + (hi - lo) * 0.05)
    }

    /// Renders the chart to an SVG document.
    #[must_use]
    pub fn render(&self) -> String {
        let strip_h = if self.strip.is_some() { 88.0 } else { 0.0 };
        let (w, h) = (self.width, self.height + strip_h);
        let (left, right, top) = (62.0, self.width - 16.0, 58.0);
        let bottom = self.height - 46.0;
        let mut s = Svg::new(w, h);
        s.text(left, 18.0, &self.title, Font::new("start", 13.0).bold());
        if !self.subtitle.is_empty() {
            s.text(left, 33.0, &self.subtitle, Font::new("start", 10.0).fill("#555"));
        }
        let max_pts = ((right - left) as usize * 2).max(8);
        if self.series.iter().any(|x| x.points.len() > max_pts) {
            let thinned = "lines thinned to the first, last, lowest and highest point per bucket of rounds";
            s.text(right, 18.0, thinned, Font::new("end", 9.0).fill("#777"));
        }
        let items: Vec<(&str, &'static str, bool)> =
            self.series.iter().map(|x| (x.name.as_str(), x.color, x.dashed)).collect();
        svg::legend(&mut s, left, 49.0, &items);
        let (x0, x1) = self.x_extent();
        let ax = Axes::new((left, top, right, bottom), (x0, x1), self.y_extent());
        let x_here = self.strip.is_none();
        ax.draw(&mut s, if x_here { &self.xlabel } else { "" }, &self.ylabel, true);
        self.draw_markers(&mut s, &ax);
        for ser in &self.series {
            draw_series(&mut s, &ax, ser, max_pts);
        }
        if let Some(st) = &self.strip {
            let sax = Axes::new((left, bottom + 40.0, right, bottom + 96.0), (x0, x1), (-1.0, 1.0));
            draw_strip(&mut s, &sax, st);
            self.draw_markers(&mut s, &Axes { top: sax.top, bottom: sax.bottom, ..ax });
            s.text(f64::midpoint(left, right), sax.bottom + 26.0, &self.xlabel, Font::new("middle", 11.0));
        }
        s.finish()
    }

    /// Vertical markers; labels (when few) go in staggered rows so neighbours do not overprint.
    fn draw_markers(&self, s: &mut Svg, ax: &Axes) {
        let labels = self.markers.len() <= MARKER_LABELS_MAX && ax.top < 70.0;
        for (i, m) in self.markers.iter().filter(|m| m.x >= ax.x.d0 && m.x <= ax.x.d1).enumerate() {
            ax.vmarker(s, m.x, m.color, None);
            if labels {
                let (x, y) = (ax.x.at(m.x), ax.top + 12.0 + 11.0 * (i % 3) as f64);
                // Near the right edge the label goes left of its line.
                let wide = x + 6.0 * m.label.chars().count() as f64 > ax.right;
                let (x, anchor) = if wide { (x - 3.0, "end") } else { (x + 3.0, "start") };
                s.text(x, y, &m.label, Font::new(anchor, 9.0).fill("#444"));
            }
        }
    }
}

/// A series as polylines between gaps (thinned when long), with dots when it is short.
fn draw_series(s: &mut Svg, ax: &Axes, ser: &Series, max_pts: usize) {
    let dash = ser.dashed.then_some("5 3");
    let mut seg: Vec<(f64, f64)> = Vec::new();
    let flush = |seg: &mut Vec<(f64, f64)>, s: &mut Svg| {
        if seg.len() == 1 {
            s.circle(ax.px(seg[0].0, seg[0].1), 2.0, ser.color, None);
        } else if seg.len() > 1 {
            let px: Vec<(f64, f64)> = svg::decimate(seg, max_pts).into_iter().map(|(x, y)| ax.px(x, y)).collect();
            s.polyline(&px, ser.color, 1.6, dash);
        }
        seg.clear();
    };
    for &(x, y) in &ser.points {
        match y.filter(|v| v.is_finite()) {
            Some(y) => seg.push((x, y)),
            None => flush(&mut seg, s),
        }
    }
    flush(&mut seg, s);
    let pts: Vec<(f64, f64)> = ser.points.iter().filter_map(|&(x, y)| y.map(|y| (x, y))).collect();
    if pts.len() <= DOTS_MAX {
        for (x, y) in pts {
            s.circle(ax.px(x, y), 2.5, ser.color, None);
        }
    }
}

/// Sums consecutive values into at most `n` buckets: (first x of the bucket, sums per layer).
fn bucket(xs: &[f64], layers: &[Layer], n: usize) -> (Vec<f64>, Vec<Vec<f64>>) {
    let per = xs.len().div_ceil(n.max(1)).max(1);
    let bx = xs.chunks(per).map(|c| c[0]).collect();
    let bl = layers.iter().map(|l| l.values.chunks(per).map(|c| c.iter().sum()).collect()).collect();
    (bx, bl)
}

/// The strip: stacked bars up and down from the middle line, scaled to the largest stack.
fn draw_strip(s: &mut Svg, ax: &Axes, st: &Strip) {
    let n = ((ax.right - ax.left) / 2.0) as usize;
    let (xs, vals) = bucket(&st.xs, &st.layers, n);
    let stack = |i: usize, up: bool| -> f64 {
        st.layers.iter().zip(&vals).filter(|(l, _)| l.up == up).map(|(_, v)| v.get(i).copied().unwrap_or(0.0)).sum()
    };
    let peak = (0..xs.len()).map(|i| stack(i, true).max(stack(i, false))).fold(0.0f64, f64::max).max(1.0);
    let mid = ax.y.at(0.0);
    let half = (ax.bottom - ax.top) / 2.0;
    let k = xs.len();
    let step = if k > 1 { ax.x.at(xs[k - 1]) - ax.x.at(xs[k - 2]) } else { ax.right - ax.left };
    let bw = (step * 0.8).clamp(1.0, 12.0);
    s.rect(ax.left, ax.top, ax.right - ax.left, ax.bottom - ax.top, "none", Some("#999"));
    s.line((ax.left, mid), (ax.right, mid), "#bbb", 1.0, None);
    for (i, &x) in xs.iter().enumerate() {
        let (mut up, mut down) = (0.0, 0.0);
        for (l, v) in st.layers.iter().zip(&vals) {
            let h = v[i] / peak * half;
            if h <= 0.0 {
                continue;
            }
            let px = ax.x.at(x) - bw / 2.0;
            if l.up {
                s.rect(px, mid - up - h, bw, h, l.color, None);
                up += h;
            } else {
                s.rect(px, mid + down, bw, h, l.color, None);
                down += h;
            }
        }
    }
    let per = st.xs.len().div_ceil(n.max(1)).max(1);
    let unit = if per > 1 { format!(" per {per} rounds") } else { " per round".to_string() };
    s.text(ax.left - 5.0, ax.top + 9.0, &tick_text(peak), Font::new("end", 9.0));
    s.text(ax.left - 5.0, ax.bottom, &tick_text(peak), Font::new("end", 9.0));
    let mut at = ax.left + 4.0;
    s.text(at, ax.top - 4.0, &format!("{}{unit}:", st.label), Font::new("start", 10.0));
    at += 6.0 * (st.label.chars().count() + unit.chars().count()) as f64 + 16.0;
    for l in &st.layers {
        s.rect(at, ax.top - 12.0, 9.0, 9.0, l.color, None);
        let dir = if l.up { "up" } else { "down" };
        s.text(at + 12.0, ax.top - 4.0, &format!("{} ({dir})", l.name), Font::new("start", 10.0));
        at += 12.0 + 6.5 * (l.name.chars().count() + dir.len() + 3) as f64 + 14.0;
    }
}

fn tick_text(v: f64) -> String {
    format!("{}", v.round() as i64)
}

#[cfg(test)]
mod tests {
    use super::super::svg::tests::well_formed;
    use super::*;

    fn chart(n: usize) -> Chart {
        let mut c = Chart::new("t", "round", "fraction");
        let pts = (0..n).map(|i| (i as f64, if i == 3 { None } else { Some((i % 7) as f64 / 7.0) })).collect();
        c.series.push(Series::new("a", "#1f77b4", pts));
        c.series.push(Series::new("b", "#d62728", (0..n).map(|i| (i as f64, Some(0.5))).collect()).dashed());
        c.markers.push(Marker { x: 5.0, label: "crash".into(), color: "#888" });
        c.strip = Some(Strip {
            label: "membership".into(),
            xs: (0..n).map(|i| i as f64).collect(),
            layers: vec![
                Layer { name: "joins".into(), color: "#2ca02c", up: true, values: vec![1.0; n] },
                Layer { name: "crashes".into(), color: "#d62728", up: false, values: vec![2.0; n] },
            ],
        });
        c
    }

    #[test]
    fn small_chart_has_a_gap_dots_bars_and_a_marker() {
        let doc = chart(20).render();
        let names = well_formed(&doc);
        let count = |n: &str| names.iter().filter(|x| *x == n).count();
        // Series a breaks at x = 3: a 3-point and a 16-point line; series b is one line.
        assert_eq!(count("polyline"), 3);
        // Dots: 19 of a, 20 of b.
        assert_eq!(count("circle"), 39);
        assert!(doc.contains(">crash</text>") && doc.contains("stroke-dasharray=\"4 3\""));
        // 20 join bars + 20 crash bars, plus the frame rectangles, background and legend swatches.
        assert!(count("rect") >= 40, "{}", count("rect"));
    }

    #[test]
    fn long_chart_is_thinned_and_deterministic() {
        let big = chart(50_000);
        let doc = big.render();
        well_formed(&doc);
        assert!(doc.len() < 400_000, "{} bytes", doc.len());
        assert!(!doc.contains("<circle"), "no dots on long series");
        assert!(doc.contains("lines thinned to the first, last, lowest and highest point"));
        let per = doc.split("membership per ").nth(1).and_then(|t| t.split(" rounds").next()).unwrap_or("");
        assert!(per.parse::<u32>().is_ok_and(|p| p > 100), "bars are bucketed and the strip says so: {per}");
        assert_eq!(doc, big.render());
    }
}
