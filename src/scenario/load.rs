//! Reading a scenario file: TOML syntax, then the schema on the spanned document, then serde, then
//! ranges and cross-field rules — every refusal one line, `FILE:LINE:COL: key.path: problem (allowed: …)`.
//!
//! Owns: [`Scenario::load`] and [`Scenario::parse`], the size limit of a scenario file, and turning
//! byte spans and key paths into `LINE:COL` (1-based, columns in characters).
//! Never: echo a user's value whole (messages cut values to an excerpt), or accept a file that the
//! schema pass refused.

use super::{Scenario, Variant, schema};
use std::ops::Range;
use std::path::Path;
use toml_edit::{Item, Table, TableLike, Value};

/// A scenario error: already formatted with the file and the key.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioError(pub String);

impl std::fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A scenario file larger than this is refused unread (shipped ones are a few kB).
pub const MAX_FILE_BYTES: u64 = 4 << 20;

/// The longest problem text kept from a parser message.
const MAX_MSG: usize = 200;

impl Scenario {
    /// Reads, parses and validates a scenario file.
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        let file = path.display().to_string();
        let cannot = |e: std::io::Error| ScenarioError(format!("{file}: cannot read: {e}"));
        let meta = std::fs::metadata(path).map_err(cannot)?;
        if meta.is_dir() {
            return Err(ScenarioError(format!("{file}: is a folder, not a scenario file")));
        }
        if meta.len() > MAX_FILE_BYTES {
            let msg = format!(
                "{file}: {} bytes is too large for a scenario file (allowed: at most {MAX_FILE_BYTES})",
                meta.len()
            );
            return Err(ScenarioError(msg));
        }
        let bytes = std::fs::read(path).map_err(cannot)?;
        let text = String::from_utf8(bytes).map_err(|e| {
            let (line, col) = line_col_bytes(e.as_bytes(), e.utf8_error().valid_up_to());
            ScenarioError(format!("{file}:{line}:{col}: not UTF-8 text (allowed: a UTF-8 TOML file)"))
        })?;
        let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        Scenario::parse(&text, &file, &stem)
    }

    /// Parses and validates scenario text; `file` is used in messages, `stem` as the default name.
    pub fn parse(text: &str, file: &str, stem: &str) -> Result<Scenario, ScenarioError> {
        let doc = toml_edit::ImDocument::parse(text).map_err(|e| {
            let at = position(text, e.span());
            ScenarioError(format!("{file}{at}: TOML syntax: {} (allowed: a TOML document)", one_line(e.message())))
        })?;
        let root = doc.as_table();
        schema::check(root)
            .map_err(|p| ScenarioError(format!("{file}{}: {}: {}", position(text, p.span.clone()), p.path, p.msg)))?;
        let mut sc: Scenario = toml::from_str(text).map_err(|e| {
            let at = position(text, e.span());
            ScenarioError(format!("{file}{at}: {}", one_line(e.message())))
        })?;
        if sc.name.is_empty() {
            sc.name = stem.to_string();
        }
        sc.faults.respect_assumptions.get_or_insert(sc.protocol.variant == Variant::Zave);
        let mut v = crate::scenario::check::Validator::new(file);
        v.scenario(&sc);
        v.finish_at(&|key| position(text, locate(root, key)))?;
        sc.net.load_matrix(file)?;
        Ok(sc)
    }

    /// Checks ranges and cross-field rules; the first problem is reported (one line), with a count of
    /// the others.
    pub fn validate(&self, file: &str) -> Result<(), ScenarioError> {
        let mut v = crate::scenario::check::Validator::new(file);
        v.scenario(self);
        v.finish()
    }
}

/// A parser's message on one line, cut to [`MAX_MSG`] characters.
fn one_line(msg: &str) -> String {
    let joined = msg.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("; ");
    if joined.chars().count() > MAX_MSG {
        format!("{}…", joined.chars().take(MAX_MSG).collect::<String>())
    } else {
        joined
    }
}

/// `:LINE:COL` of the start of `span` in `text`, or nothing when unknown.
pub fn position(text: &str, span: Option<Range<usize>>) -> String {
    match span {
        Some(s) => {
            let (line, col) = line_col_bytes(text.as_bytes(), s.start.min(text.len()));
            format!(":{line}:{col}")
        }
        None => String::new(),
    }
}

/// 1-based line and column (in characters) of byte `offset`.
fn line_col_bytes(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let start = before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let col = String::from_utf8_lossy(&before[start..]).chars().count() + 1;
    (line, col)
}

/// A place in the document: a key's item, an element of `[[key]]`, or an element of an inline array.
#[derive(Clone, Copy)]
enum Cur<'a> {
    Item(&'a Item),
    Table(&'a Table),
    Value(&'a Value),
}

impl<'a> Cur<'a> {
    fn table_like(self) -> Option<&'a dyn TableLike> {
        match self {
            Cur::Item(i) => i.as_table_like(),
            Cur::Table(t) => Some(t),
            Cur::Value(Value::InlineTable(t)) => Some(t),
            Cur::Value(_) => None,
        }
    }

    fn index(self, i: usize) -> Option<Cur<'a>> {
        match self {
            Cur::Item(Item::ArrayOfTables(a)) => a.get(i).map(Cur::Table),
            Cur::Item(Item::Value(Value::Array(a))) | Cur::Value(Value::Array(a)) => a.get(i).map(Cur::Value),
            _ => None,
        }
    }

    fn span(self) -> Option<Range<usize>> {
        match self {
            Cur::Item(i) => i.span(),
            Cur::Table(t) => t.span(),
            Cur::Value(v) => v.span(),
        }
    }
}

/// The span of the deepest part of key path `path` (`workload[2].on.mean_s`, `initial.ids[3]`) that
/// the document has: the key itself when written, else its closest written parent.
pub fn locate(root: &Table, path: &str) -> Option<Range<usize>> {
    let mut cur = Cur::Table(root);
    let mut best = None;
    for seg in path.split('.') {
        let (key, indices) = seg.find('[').map_or((seg, ""), |i| (&seg[..i], &seg[i..]));
        let Some((k, next)) = cur.table_like().and_then(|t| t.get_key_value(key)) else { return best };
        best = k.span().or(next.span()).or(best);
        cur = Cur::Item(next);
        for ix in indices.split(['[', ']']).filter(|s| !s.is_empty()) {
            let Some(next) = ix.parse().ok().and_then(|i| cur.index(i)) else { return best };
            best = next.span().or(best);
            cur = next;
        }
    }
    best
}
