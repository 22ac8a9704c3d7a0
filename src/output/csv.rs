//! Comma-separated tables: writing fields (RFC 4180 quoting), reading them back, and `rounds.csv`,
//! the per-round series of a report as a table.
//!
//! Owns: the CSV dialect of every table chordsim writes (comma, `\n` line ends, a header line, fields
//! quoted only when they hold a comma, quote or line break; floats in Rust's shortest round-trip form,
//! so reading a table back gives the same numbers bit for bit).
//! Never: decide which columns a table has beyond `rounds.csv` (callers do), or touch files.
//! Why not the `csv` crate (checked against csv 1.4): its writer would give the same bytes, but its
//! reader has no strict mode — it accepts an unclosed quote (`"open`) or a quote inside an unquoted
//! field (`a"b`) without an error, drops blank lines and ends a record at a lone `\r`, so a merge of
//! damaged shards could not say which line is wrong. Reading and writing stay one dialect in this
//! file, about as long as the crate's setup would be.

use crate::oracle::checker::RoundRow;
use serde_json::Value;

/// One field, quoted if needed.
#[must_use]
pub fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

/// One line (with its `\n`) from fields that are already plain text.
pub fn line<S: AsRef<str>>(fields: &[S]) -> String {
    let mut out = fields.iter().map(|f| field(f.as_ref())).collect::<Vec<_>>().join(",");
    out.push('\n');
    out
}

/// Parses a whole table into rows of fields. Errors name the line (1-based).
pub fn parse(text: &str) -> Result<Vec<Vec<String>>, String> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut line = 1;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cur.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => {
                line += usize::from(c == '\n');
                cur.push(c);
            }
            (false, '"') if cur.is_empty() => quoted = true,
            (false, '"') => return Err(format!("line {line}: a quote inside an unquoted field")),
            (false, ',') => row.push(std::mem::take(&mut cur)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut cur));
                rows.push(std::mem::take(&mut row));
                line += 1;
            }
            (false, c) => cur.push(c),
        }
    }
    if quoted {
        return Err(format!("line {line}: a quoted field is not closed"));
    }
    if !cur.is_empty() || !row.is_empty() {
        row.push(cur);
        rows.push(row);
    }
    Ok(rows)
}

/// A float as text that parses back to the same bits (`{}` is Rust's shortest round-trip form).
#[must_use]
pub fn num(v: f64) -> String {
    format!("{v}")
}

/// An optional value: empty when absent.
pub fn opt<T: ToString>(v: Option<T>) -> String {
    v.map_or(String::new(), |v| v.to_string())
}

/// Flattens a JSON object into (column, text) pairs in field order; nested objects become
/// `outer_inner` columns.
fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                let name = if prefix.is_empty() { k.clone() } else { format!("{prefix}_{k}") };
                flatten(&name, v, out);
            }
        }
        Value::Null => out.push((prefix.to_string(), String::new())),
        Value::String(s) => out.push((prefix.to_string(), s.clone())),
        // A list (e.g. the properties violated in a round) becomes one `;`-separated field.
        Value::Array(items) => {
            let parts: Vec<String> =
                items.iter().map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string)).collect();
            out.push((prefix.to_string(), parts.join(";")));
        }
        other => out.push((prefix.to_string(), other.to_string())),
    }
}

/// `rounds.csv`: a header, then one line per checked round with every [`RoundRow`] field in
/// declaration order (`lookups` flattened to `lookups_done`, `lookups_correct`, …).
#[must_use]
pub fn rounds_csv(rows: &[RoundRow]) -> String {
    let mut out = String::new();
    for (i, r) in rows.iter().enumerate() {
        let v = serde_json::to_value(r).unwrap_or(Value::Null);
        let mut cols = Vec::new();
        flatten("", &v, &mut cols);
        if i == 0 {
            out.push_str(&line(&cols.iter().map(|c| c.0.as_str()).collect::<Vec<_>>()));
        }
        out.push_str(&line(&cols.iter().map(|c| c.1.as_str()).collect::<Vec<_>>()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oracle::checker::LookupCounts;

    #[test]
    fn fields_round_trip_through_quoting() {
        let fields = ["plain", "a,b", "say \"hi\"", "two\nlines", ""];
        let text = line(&fields) + &line(&["x", "y"]);
        let rows = parse(&text).expect("parses");
        assert_eq!(
            rows,
            vec![fields.iter().map(std::string::ToString::to_string).collect::<Vec<_>>(), vec!["x".into(), "y".into()]]
        );
        assert!(parse("\"open").is_err());
        assert!(parse("a\"b").unwrap_err().contains("line 1"));
    }

    #[test]
    fn floats_round_trip_bit_for_bit() {
        for v in [0.1, 1.0 / 3.0, 123_456.789_012, 1e-7, 0.0] {
            assert_eq!(num(v).parse::<f64>().expect("parses").to_bits(), v.to_bits());
        }
    }

    #[test]
    fn rounds_csv_has_header_and_flattened_lookups() {
        let row = RoundRow {
            round: 3,
            time_s: 90.0,
            live: 10,
            joined: 10,
            checked: 10,
            succ_ok: 1.0,
            pred_ok: 0.9,
            list_ok: 0.8,
            finger_entries_ok: 0.75,
            fingers_all_ok: 0.5,
            fingers_checked: 10,
            probes: 4,
            probes_ok: 4,
            probe_hops_mean: 2.5,
            probe_timeouts_mean: 0.0,
            lookups: LookupCounts { done: 7, correct: 6, wrong: 1, failed: 0, ambiguous: 0 },
            msgs: 99,
            converged: false,
            violated: vec!["OrderedMerges", "NoDuplicates"],
            principals: 8,
            dht: None,
            warmup: None,
            latency: None,
        };
        let text = rounds_csv(&[row.clone(), row]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("round,time_s,live,joined,checked,succ_ok"), "{}", lines[0]);
        assert!(lines[0].contains("lookups_done,lookups_correct,lookups_wrong"), "{}", lines[0]);
        assert!(lines[1].starts_with("3,90.0,10,10,10,1.0,0.9"), "{}", lines[1]);
        assert!(lines[1].ends_with(",7,6,1,0,0,99,false,OrderedMerges;NoDuplicates,8"), "{}", lines[1]);
        assert_eq!(rounds_csv(&[]), "");
    }
}
