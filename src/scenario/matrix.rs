//! The measured latency matrix a scenario may name (`net.latency.kind = "matrix"`): reading and
//! checking its file, writing it back, and the lookup of a pair's delay.
//!
//! Owns: [`Matrix`], the parsed file, and the copy a run folder keeps ([`write_side_files`]), as one-way delays in µs, and its text format (N lines of N
//! delays in ms, `#` comments; round trips halved when the scenario says `values = "rtt"`). Part of
//! the scenario because the scenario holds it once loaded (a checkpoint embeds it as parsed).
//! Never: draw randomness or know about hosts (the network maps hosts to rows, `net.rs`).

use super::{Latency, MatrixValues, Scenario};
use crate::time::Time;
use std::path::Path;

/// A measured delay matrix (King / PlanetLab style), stored as one-way µs.
#[derive(Clone, Debug, PartialEq)]
pub struct Matrix {
    pub n: usize,
    /// Row-major one-way delays in µs.
    pub us: Vec<u64>,
}

impl Matrix {
    /// Parses `n` lines of `n` whitespace-separated non-negative delays in ms (blank lines and lines
    /// starting with `#` are skipped). With `rtt`, each entry is a round trip and the one-way delay is
    /// half of it. Errors name the file, the line and what is wrong.
    pub fn parse(text: &str, file: &str, values: MatrixValues) -> Result<Matrix, String> {
        let mut rows: Vec<(usize, Vec<u64>)> = Vec::new();
        let div = if values == MatrixValues::Rtt { 2.0 } else { 1.0 };
        for (i, line) in text.lines().enumerate() {
            let t = line.trim();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            let mut row = Vec::new();
            for (c, w) in t.split_whitespace().enumerate() {
                let v: f64 = w.parse().map_err(|_| {
                    format!("{file}: line {}: column {}: `{w}` is not a number (delays in ms)", i + 1, c + 1)
                })?;
                if !v.is_finite() || !(0.0..=1e7).contains(&v) {
                    return Err(format!(
                        "{file}: line {}: column {}: {v} ms is out of range (0 ..= 1e7)",
                        i + 1,
                        c + 1
                    ));
                }
                row.push(Time::from_ms(v / div).us());
            }
            rows.push((i + 1, row));
        }
        let n = rows.len();
        if n == 0 {
            return Err(format!("{file}: no rows (expected an N×N matrix of delays in ms)"));
        }
        let mut us = Vec::with_capacity(n * n);
        for (line, row) in &rows {
            if row.len() != n {
                return Err(format!(
                    "{file}: line {line}: {} columns, but the matrix has {n} rows (it must be square)",
                    row.len()
                ));
            }
            us.extend_from_slice(row);
        }
        Ok(Matrix { n, us })
    }

    /// A matrix from its size and row-major one-way delays in µs (as a checkpoint embeds it): `n`
    /// must be at least 1, `us` hold n × n entries, each within what a file may give (1e7 ms).
    pub fn from_parts(n: u64, us: Vec<u64>) -> Result<Matrix, String> {
        let n = usize::try_from(n).map_err(|_| format!("size {n} is too large"))?;
        if n == 0 || n.checked_mul(n) != Some(us.len()) {
            return Err(format!("{} delays do not make a {n}×{n} matrix", us.len()));
        }
        if let Some(v) = us.iter().find(|&&v| v > 10_000_000_000) {
            return Err(format!("a delay of {v} µs is out of range (0 ..= 1e7 ms)"));
        }
        Ok(Matrix { n, us })
    }

    /// Reads and parses a matrix file.
    pub fn load(path: &Path, values: MatrixValues) -> Result<Matrix, String> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| format!("{file}: cannot read the latency matrix: {e}"))?;
        Matrix::parse(&text, &file, values)
    }

    /// The matrix as a file [`Matrix::parse`] reads back to the same delays, in the unit `values`
    /// names (round trips: twice the one-way delay), after `#` comment lines.
    #[must_use]
    pub fn to_text(&self, values: MatrixValues, comment: &str) -> String {
        use std::fmt::Write;
        let mul = if values == MatrixValues::Rtt { 2.0 } else { 1.0 };
        let mut s = String::new();
        for line in comment.lines() {
            let _ = writeln!(s, "# {line}");
        }
        for row in self.us.chunks(self.n.max(1)) {
            let cells: Vec<String> = row.iter().map(|&us| format!("{}", us as f64 * mul / 1e3)).collect();
            let _ = writeln!(s, "{}", cells.join(" "));
        }
        s
    }

    #[inline]
    #[must_use]
    pub fn get(&self, a: usize, b: usize) -> u64 {
        self.us[(a % self.n) * self.n + b % self.n]
    }

    #[must_use]
    pub fn max(&self) -> u64 {
        self.us.iter().copied().max().unwrap_or(0)
    }
}

/// The copy of `net.latency.file` in a run folder, beside `report.json`.
pub const MATRIX_COPY: &str = "latency-matrix.txt";

/// Writes into the run folder `dir` a copy of each file the scenario read beside it (the latency
/// matrix, as parsed, in the scenario's `values` unit): what a replay of the folder needs.
pub fn write_side_files(dir: &Path, sc: &Scenario) -> std::io::Result<()> {
    if let Latency::Matrix { file, values, data: Some(m) } = &sc.net.latency {
        let note = format!(
            "the latency matrix of this run (net.latency.file = \"{file}\"), copied by chordsim for `chordsim replay`"
        );
        std::fs::write(dir.join(MATRIX_COPY), m.to_text(*values, &note))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_matrix_written_out_reads_back_to_the_same_delays() {
        let mut r = crate::rng::SimRng::new(5).coords;
        for values in [MatrixValues::Rtt, MatrixValues::OneWay] {
            let us: Vec<u64> = (0..49).map(|_| r.below(5_000_000_000)).collect();
            let m = Matrix::from_parts(7, us).expect("7×7");
            let back = Matrix::parse(&m.to_text(values, "a copy\nof it"), "copy", values).expect("parses");
            assert_eq!(back, m, "{values:?}");
        }
        assert!(Matrix::from_parts(0, vec![]).is_err());
        assert!(Matrix::from_parts(3, vec![1; 8]).is_err());
        assert!(Matrix::from_parts(u64::MAX, vec![1]).is_err());
        assert!(Matrix::from_parts(1, vec![u64::MAX]).is_err());
    }

    #[test]
    fn malformed_matrices_name_file_and_line() {
        let e = Matrix::parse("0 1\n1 x\n", "m.txt", MatrixValues::OneWay).unwrap_err();
        assert!(e.contains("m.txt: line 2: column 2") && e.contains("`x`"), "{e}");
        let e = Matrix::parse("0 1 2\n1 0\n", "m.txt", MatrixValues::OneWay).unwrap_err();
        assert!(e.contains("line 1: 3 columns") && e.contains("square"), "{e}");
        let e = Matrix::parse("0 -1\n1 0\n", "m.txt", MatrixValues::OneWay).unwrap_err();
        assert!(e.contains("line 1: column 2: -1 ms is out of range"), "{e}");
        assert!(Matrix::parse("# nothing\n", "m.txt", MatrixValues::Rtt).unwrap_err().contains("no rows"));
    }
}
