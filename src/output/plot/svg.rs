//! SVG primitives, hand-written: a document builder, linear scales, "nice" axis ticks, axes with
//! grid, tick labels and titles, polylines, dots, bars, legends and vertical event markers.
//!
//! Owns: the text of every SVG chordsim writes. Output is deterministic: coordinates are printed with
//! one decimal ([`num`]), never `NaN`/`inf` (non-finite values are drawn at 0 and never reach the
//! file), never `-0.0`; text is XML-escaped. Nothing here reads the clock, the environment or a hash
//! map, so the same inputs give the same bytes on every platform.
//! Never: decide what to plot (charts in `chart.rs`, run plots in `run_plots.rs`) or touch files.

use std::fmt::Write as _;

/// A coordinate with one decimal; non-finite becomes 0 and `-0.0` becomes `0.0`.
#[must_use]
pub fn num(v: f64) -> String {
    let v = if v.is_finite() { v } else { 0.0 };
    let s = format!("{v:.1}");
    if s == "-0.0" { "0.0".to_string() } else { s }
}

/// XML-escapes text for element content and attribute values.
#[must_use]
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// Text placement: anchor (`start`, `middle`, `end`), size in px, colour, bold, rotation in degrees.
#[derive(Clone, Copy, Debug)]
pub struct Font {
    pub anchor: &'static str,
    pub size: f64,
    pub fill: &'static str,
    pub bold: bool,
    pub rotate: f64,
}

impl Font {
    #[must_use]
    pub const fn new(anchor: &'static str, size: f64) -> Font {
        Font { anchor, size, fill: "#222", bold: false, rotate: 0.0 }
    }
    #[must_use]
    pub const fn fill(mut self, fill: &'static str) -> Font {
        self.fill = fill;
        self
    }
    #[must_use]
    pub const fn bold(mut self) -> Font {
        self.bold = true;
        self
    }
    #[must_use]
    pub const fn rotate(mut self, deg: f64) -> Font {
        self.rotate = deg;
        self
    }
}

/// An SVG document being written, `w` × `h` px, white background.
pub struct Svg {
    buf: String,
}

impl Svg {
    #[must_use]
    pub fn new(w: f64, h: f64) -> Svg {
        let mut buf = String::new();
        let _ = writeln!(
            buf,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" \
             font-family=\"sans-serif\" font-size=\"11\">",
            num(w),
            num(h)
        );
        let _ = writeln!(buf, "<rect x=\"0.0\" y=\"0.0\" width=\"{}\" height=\"{}\" fill=\"white\"/>", num(w), num(h));
        Svg { buf }
    }

    /// Arrowhead markers `arrow-<name>` for the given (name, colour) pairs.
    pub fn arrow_defs(&mut self, colors: &[(&str, &str)]) {
        self.buf.push_str("<defs>\n");
        for (name, color) in colors {
            let _ = writeln!(
                self.buf,
                "<marker id=\"arrow-{name}\" viewBox=\"0 0 10 10\" refX=\"9.0\" refY=\"5.0\" markerWidth=\"6.0\" \
                 markerHeight=\"6.0\" orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"{color}\"/></marker>"
            );
        }
        self.buf.push_str("</defs>\n");
    }

    pub fn text(&mut self, x: f64, y: f64, s: &str, f: Font) {
        let weight = if f.bold { " font-weight=\"bold\"" } else { "" };
        let rot = if f.rotate == 0.0 {
            String::new()
        } else {
            format!(" transform=\"rotate({} {} {})\"", num(f.rotate), num(x), num(y))
        };
        let _ = writeln!(
            self.buf,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"{}\" font-size=\"{}\" fill=\"{}\"{weight}{rot}>{}</text>",
            num(x),
            num(y),
            f.anchor,
            num(f.size),
            f.fill,
            esc(s)
        );
    }

    /// A straight line; `dash` is an SVG dash array such as `"4 3"`.
    pub fn line(&mut self, (x1, y1): (f64, f64), (x2, y2): (f64, f64), stroke: &str, width: f64, dash: Option<&str>) {
        let dash = dash.map_or(String::new(), |d| format!(" stroke-dasharray=\"{d}\""));
        let _ = writeln!(
            self.buf,
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{stroke}\" stroke-width=\"{}\"{dash}/>",
            num(x1),
            num(y1),
            num(x2),
            num(y2),
            num(width)
        );
    }

    /// A line ending in the arrowhead `arrow-<marker>` (see [`Svg::arrow_defs`]).
    pub fn arrow(&mut self, from: (f64, f64), to: (f64, f64), stroke: &str, width: f64, marker: &str) {
        let _ = writeln!(
            self.buf,
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{stroke}\" stroke-width=\"{}\" marker-end=\"url(#arrow-{marker})\"/>",
            num(from.0),
            num(from.1),
            num(to.0),
            num(to.1),
            num(width)
        );
    }

    /// A quadratic curve from `from` to `to` bent towards `ctrl`, ending in `arrow-<marker>`.
    pub fn curve_arrow(
        &mut self,
        from: (f64, f64),
        ctrl: (f64, f64),
        to: (f64, f64),
        stroke: &str,
        width: f64,
        marker: &str,
    ) {
        let _ = writeln!(
            self.buf,
            "<path d=\"M {} {} Q {} {} {} {}\" fill=\"none\" stroke=\"{stroke}\" stroke-width=\"{}\" marker-end=\"url(#arrow-{marker})\"/>",
            num(from.0),
            num(from.1),
            num(ctrl.0),
            num(ctrl.1),
            num(to.0),
            num(to.1),
            num(width)
        );
    }

    /// A polyline through `pts` (pixel coordinates).
    pub fn polyline(&mut self, pts: &[(f64, f64)], stroke: &str, width: f64, dash: Option<&str>) {
        let p: Vec<String> = pts.iter().map(|&(x, y)| format!("{},{}", num(x), num(y))).collect();
        let dash = dash.map_or(String::new(), |d| format!(" stroke-dasharray=\"{d}\""));
        let _ = writeln!(
            self.buf,
            "<polyline fill=\"none\" stroke=\"{stroke}\" stroke-width=\"{}\" stroke-linejoin=\"round\"{dash} points=\"{}\"/>",
            num(width),
            p.join(" ")
        );
    }

    pub fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: &str, stroke: Option<&str>) {
        let stroke = stroke.map_or(String::new(), |s| format!(" stroke=\"{s}\""));
        let _ = writeln!(
            self.buf,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{fill}\"{stroke}/>",
            num(x),
            num(y),
            num(w.max(0.0)),
            num(h.max(0.0))
        );
    }

    /// A dot; `fill = "none"` draws a ring.
    pub fn circle(&mut self, (cx, cy): (f64, f64), r: f64, fill: &str, stroke: Option<&str>) {
        let stroke = stroke.map_or(String::new(), |s| format!(" stroke=\"{s}\" stroke-width=\"1.0\""));
        let _ = writeln!(
            self.buf,
            "<circle cx=\"{}\" cy=\"{}\" r=\"{}\" fill=\"{fill}\"{stroke}/>",
            num(cx),
            num(cy),
            num(r)
        );
    }

    /// A small × (e.g. a pointer to a dead node).
    pub fn cross(&mut self, (x, y): (f64, f64), r: f64, stroke: &str) {
        let _ = writeln!(
            self.buf,
            "<path d=\"M {} {} L {} {} M {} {} L {} {}\" stroke=\"{stroke}\" stroke-width=\"1.5\"/>",
            num(x - r),
            num(y - r),
            num(x + r),
            num(y + r),
            num(x - r),
            num(y + r),
            num(x + r),
            num(y - r)
        );
    }

    /// Closes the document.
    #[must_use]
    pub fn finish(mut self) -> String {
        self.buf.push_str("</svg>\n");
        self.buf
    }
}

/// Maps a data interval onto a pixel interval (either may be reversed, e.g. y grows downwards).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scale {
    pub d0: f64,
    pub d1: f64,
    pub p0: f64,
    pub p1: f64,
}

impl Scale {
    #[must_use]
    pub fn new(d0: f64, d1: f64, p0: f64, p1: f64) -> Scale {
        let d1 = if (d1 - d0).abs() < 1e-12 { d0 + 1.0 } else { d1 };
        Scale { d0, d1, p0, p1 }
    }

    #[must_use]
    pub fn at(&self, v: f64) -> f64 {
        self.p0 + (self.p1 - self.p0) * (v - self.d0) / (self.d1 - self.d0)
    }
}

/// Tick step of 1, 2 or 5 × 10^k giving at most `max` intervals over `[lo, hi]`.
#[must_use]
pub fn tick_step(lo: f64, hi: f64, max: usize) -> f64 {
    let span = (hi - lo).abs().max(1e-9);
    let raw = span / max.max(1) as f64;
    let mag = 10f64.powi(raw.log10().floor() as i32);
    [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * mag).find(|s| *s >= raw - 1e-12).unwrap_or(10.0 * mag)
}

/// The multiples of [`tick_step`] inside `[lo, hi]`.
#[must_use]
pub fn ticks(lo: f64, hi: f64, max: usize) -> Vec<f64> {
    let step = tick_step(lo, hi, max);
    let first = (lo / step - 1e-9).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    (first..=last).map(|i| i as f64 * step).collect()
}

/// A tick label with as many decimals as the step needs (`0.25`, `40`, `1.5`).
#[must_use]
pub fn tick_label(v: f64, step: f64) -> String {
    let decimals = if step >= 1.0 { 0 } else { (-step.log10()).ceil().clamp(0.0, 6.0) as usize };
    let s = format!("{v:.decimals$}");
    if s.trim_start_matches('-').chars().all(|c| c == '0' || c == '.') { format!("{:.decimals$}", 0.0) } else { s }
}

/// A plotting area in pixels with its two scales.
#[derive(Clone, Copy, Debug)]
pub struct Axes {
    pub left: f64,
    pub top: f64,
    pub right: f64,
    pub bottom: f64,
    pub x: Scale,
    pub y: Scale,
}

impl Axes {
    #[must_use]
    pub fn new((left, top, right, bottom): (f64, f64, f64, f64), (x0, x1): (f64, f64), (y0, y1): (f64, f64)) -> Axes {
        Axes { left, top, right, bottom, x: Scale::new(x0, x1, left, right), y: Scale::new(y0, y1, bottom, top) }
    }

    #[must_use]
    pub fn px(&self, x: f64, y: f64) -> (f64, f64) {
        (self.x.at(x), self.y.at(y))
    }

    /// Frame, light grid, ticks with labels on both axes (x labels only if `x_labels`), axis titles.
    pub fn draw(&self, svg: &mut Svg, xlabel: &str, ylabel: &str, x_labels: bool) {
        svg.rect(self.left, self.top, self.right - self.left, self.bottom - self.top, "none", Some("#999"));
        let (ylo, yhi) = (self.y.d0.min(self.y.d1), self.y.d0.max(self.y.d1));
        let ystep = tick_step(ylo, yhi, 5);
        for v in ticks(ylo, yhi, 5) {
            let y = self.y.at(v);
            svg.line((self.left, y), (self.right, y), "#e5e5e5", 1.0, None);
            svg.text(self.left - 5.0, y + 4.0, &tick_label(v, ystep), Font::new("end", 10.0));
        }
        let (xlo, xhi) = (self.x.d0, self.x.d1);
        let xmax = (((self.right - self.left) / 70.0) as usize).max(2);
        let xstep = tick_step(xlo, xhi, xmax).max(if xhi - xlo >= 2.0 { 1.0 } else { 0.0 });
        for v in ticks(xlo, xhi, xmax).into_iter().filter(|v| (v / xstep).fract().abs() < 1e-9 || xstep < 1.0) {
            let x = self.x.at(v);
            svg.line((x, self.bottom), (x, self.bottom + 4.0), "#666", 1.0, None);
            if x_labels {
                svg.text(x, self.bottom + 15.0, &tick_label(v, xstep), Font::new("middle", 10.0));
            }
        }
        if !xlabel.is_empty() {
            svg.text(f64::midpoint(self.left, self.right), self.bottom + 30.0, xlabel, Font::new("middle", 11.0));
        }
        if !ylabel.is_empty() {
            let (x, y) = (self.left - 40.0, f64::midpoint(self.top, self.bottom));
            svg.text(x, y, ylabel, Font::new("middle", 11.0).rotate(-90.0));
        }
    }

    /// A vertical dashed marker at data x `x`, from top to bottom, with an optional label at the top.
    pub fn vmarker(&self, svg: &mut Svg, x: f64, color: &str, label: Option<&str>) {
        let px = self.x.at(x);
        svg.line((px, self.top), (px, self.bottom), color, 1.0, Some("4 3"));
        if let Some(l) = label {
            svg.text(px + 3.0, self.top + 10.0, l, Font::new("start", 9.0).fill("#555"));
        }
    }
}

/// A horizontal legend: a colour swatch and a name per entry, starting at (x, y); returns the x
/// where it ended.
pub fn legend(svg: &mut Svg, x: f64, y: f64, items: &[(&str, &'static str, bool)]) -> f64 {
    let mut at = x;
    for &(name, color, dashed) in items {
        svg.line((at, y - 4.0), (at + 18.0, y - 4.0), color, 2.5, dashed.then_some("4 3"));
        svg.text(at + 22.0, y, name, Font::new("start", 10.0));
        at += 22.0 + 6.0 * name.chars().count() as f64 + 14.0;
    }
    at
}

/// Thins a polyline to at most about `max` points by keeping, per bucket of consecutive points, the
/// first, the lowest, the highest and the last (in x order): spikes and dips survive. Deterministic.
#[must_use]
pub fn decimate(pts: &[(f64, f64)], max: usize) -> Vec<(f64, f64)> {
    if pts.len() <= max.max(4) {
        return pts.to_vec();
    }
    let buckets = (max / 4).max(1);
    let per = pts.len().div_ceil(buckets);
    let mut out = Vec::with_capacity(buckets * 4);
    for chunk in pts.chunks(per) {
        let mut idx = vec![0, chunk.len() - 1];
        let lo = (0..chunk.len()).min_by(|&a, &b| chunk[a].1.total_cmp(&chunk[b].1)).unwrap_or(0);
        let hi = (0..chunk.len()).max_by(|&a, &b| chunk[a].1.total_cmp(&chunk[b].1)).unwrap_or(0);
        idx.extend([lo, hi]);
        idx.sort_unstable();
        idx.dedup();
        out.extend(idx.into_iter().map(|i| chunk[i]));
    }
    out
}

/// Parse-level check of an SVG document as chordsim writes it (for tests and tools): one root
/// `<svg>`, every tag closed and closing tags matching, every number inside an attribute value
/// finite, no `NaN`/`inf`. Returns the element names in document order, so a caller can count
/// polylines, dots or bars.
pub fn check(doc: &str) -> Result<Vec<String>, String> {
    let mut stack: Vec<String> = Vec::new();
    let mut names = Vec::new();
    let mut rest = doc;
    while let Some(i) = rest.find('<') {
        let j = rest[i..].find('>').ok_or("a tag does not close")? + i;
        let tag = &rest[i + 1..j];
        rest = &rest[j + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            match stack.pop() {
                Some(open) if open == name.trim() => continue,
                other => return Err(format!("</{name}> closes {other:?}")),
            }
        }
        let name = tag.split_whitespace().next().ok_or("an empty tag")?.trim_end_matches('/').to_string();
        for part in tag.split('"').skip(1).step_by(2) {
            for tok in part.split([' ', ',']) {
                let bad = tok.parse::<f64>().is_ok_and(|v| !v.is_finite());
                if bad || tok.eq_ignore_ascii_case("nan") || tok.contains("inf") {
                    return Err(format!("a non-finite number in <{tag}>"));
                }
            }
        }
        if stack.is_empty() && (!names.is_empty() || name != "svg") {
            return Err(format!("<{name}> outside the one root <svg>"));
        }
        names.push(name.clone());
        if !tag.ends_with('/') {
            stack.push(name);
        }
    }
    if !stack.is_empty() {
        return Err(format!("not closed: {stack:?}"));
    }
    if names.is_empty() {
        return Err("no <svg> element".into());
    }
    Ok(names)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// [`check`], panicking with its message.
    pub(crate) fn well_formed(doc: &str) -> Vec<String> {
        check(doc).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn numbers_are_fixed_and_finite() {
        assert_eq!(num(1.25), "1.2");
        assert_eq!(num(-0.01), "0.0");
        assert_eq!(num(f64::NAN), "0.0");
        assert_eq!(num(f64::INFINITY), "0.0");
        assert_eq!(esc("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
    }

    #[test]
    fn ticks_are_nice() {
        assert_eq!(ticks(0.0, 1.0, 5), vec![0.0, 0.2, 0.4, 0.600_000_000_000_000_1, 0.8, 1.0]);
        assert_eq!(ticks(0.0, 90.0, 5), vec![0.0, 20.0, 40.0, 60.0, 80.0]);
        assert_eq!(tick_label(0.600_000_000_000_000_1, 0.2), "0.6");
        assert_eq!(tick_label(40.0, 20.0), "40");
        assert_eq!(tick_step(0.0, 3000.0, 10), 500.0);
    }

    #[test]
    fn decimation_keeps_extremes_and_ends() {
        let pts: Vec<(f64, f64)> = (0..10_000).map(|i| (f64::from(i), if i == 4321 { -5.0 } else { 1.0 })).collect();
        let d = decimate(&pts, 400);
        assert!(d.len() <= 400 && d.len() >= 100, "{}", d.len());
        assert!(d.contains(&(4321.0, -5.0)) && d[0] == pts[0] && d[d.len() - 1] == pts[9999]);
        assert!(d.windows(2).all(|w| w[0].0 < w[1].0), "x order kept");
        assert_eq!(decimate(&pts[..10], 400), pts[..10].to_vec());
    }

    #[test]
    fn a_document_is_well_formed() {
        let mut s = Svg::new(200.0, 100.0);
        s.arrow_defs(&[("red", "#c00")]);
        let ax = Axes::new((40.0, 10.0, 190.0, 80.0), (0.0, 10.0), (0.0, 1.0));
        ax.draw(&mut s, "x <label>", "y", true);
        ax.vmarker(&mut s, 5.0, "#888", Some("crash & leave"));
        s.polyline(&[ax.px(0.0, 0.0), ax.px(10.0, f64::NAN)], "#00f", 1.5, None);
        s.arrow((0.0, 0.0), (5.0, 5.0), "#c00", 1.0, "red");
        s.cross((3.0, 3.0), 2.0, "#c00");
        legend(&mut s, 40.0, 95.0, &[("a", "#00f", false), ("b", "#0f0", true)]);
        let doc = s.finish();
        let names = well_formed(&doc);
        assert_eq!(names.iter().filter(|n| *n == "polyline").count(), 1);
        assert!(check("<svg><g></svg>").is_err() && check("<svg></svg><svg/>").is_err());
        assert!(check("<svg><line x1=\"NaN\"/></svg>").is_err() && check("<svg x=\"inf\"/>").is_err());
        assert!(doc.contains("x &lt;label&gt;") && doc.contains("crash &amp; leave"));
    }
}
