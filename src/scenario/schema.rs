//! The scenario file's shape — every table, key, type and variant — checked on the spanned TOML
//! document before serde sees it.
//!
//! Owns: [`SCENARIO`], the schema as data, and [`check`], which walks a parsed `toml_edit` document
//! against it and returns the first problem in document order with its key path as the user writes
//! it (`workload[2].on.dist`) and its byte span. This pass exists because serde loses positions and key
//! names inside internally tagged enums and ignores extra keys on their unit variants; ranges and
//! cross-field rules stay in `scenario/check.rs`.
//! Never: read files, format positions (`load.rs` does) or accept a key the serde structs would not.
//! A test in `tests/it/schema.rs` keeps this schema and the serde structs in step.

use std::ops::Range;
use toml_edit::{Item, TableLike, Value};

/// The type a key's value must have.
pub enum Ty {
    Bool,
    /// An integer in `0..=max` (the Rust field's type bound; ranges are checked later).
    UInt(u64),
    /// A number (an integer is taken as a float).
    Float,
    Str,
    /// One of these strings.
    Choice(&'static [&'static str]),
    Table(&'static [Field]),
    /// A table whose key `tag` names the variant; each variant has its own keys.
    Tagged {
        tag: &'static str,
        variants: &'static [(&'static str, &'static [Field])],
    },
    /// A table with exactly one of these keys (an externally tagged enum such as a node reference).
    OneOf(&'static [Field]),
    /// An array (inline, or `[[key]]` tables) of elements of this type.
    Array(&'static Ty),
}

/// A key of a table.
pub struct Field {
    pub key: &'static str,
    pub ty: Ty,
    pub required: bool,
}

const fn opt(key: &'static str, ty: Ty) -> Field {
    Field { key, ty, required: false }
}

const fn req(key: &'static str, ty: Ty) -> Field {
    Field { key, ty, required: true }
}

const U32: Ty = Ty::UInt(u32::MAX as u64);
/// TOML integers are signed 64-bit.
const U64: Ty = Ty::UInt(i64::MAX as u64);
const F: Ty = Ty::Float;

const INITIAL: &[Field] = &[
    req("nodes", U64),
    opt("mode", Ty::Choice(&["ideal", "joins"])),
    opt("ids", Ty::Array(&Ty::Str)),
    opt("virtual_nodes", U32),
];

const PROTOCOL: &[Field] = &[
    opt("variant", Ty::Choice(&["ton03", "zave"])),
    opt("successor_list_len", U32),
    opt("stabilize_interval_ms", F),
    opt("stabilize_jitter", F),
    opt("fix_fingers_interval_ms", F),
    opt("check_predecessor_interval_ms", F),
    opt("lookup_max_steps", U32),
    opt("notify_old_predecessor", Ty::Bool),
    opt("answer_from_successor_list", Ty::Bool),
    opt("max_pending_rpcs", U32),
    opt("join_retry_ms", F),
    opt("ping_owner", Ty::Bool),
    opt("successor_fallback", Ty::Bool),
    opt("join_fetches_list", Ty::Bool),
    opt("finger_refresh", Ty::Choice(&["fix_fingers", "one_index_per_tick", "one_per_stabilize", "all_per_stabilize"])),
    opt("lookup_retries", Ty::Bool),
    opt("stabilize_on_join", Ty::Bool),
    opt("lookup_style", Ty::Choice(&["iterative", "recursive"])),
    opt("maintenance", Ty::Choice(&["separate", "joint"])),
    opt("finger_alternates", U32),
];

const LATENCY: Ty = Ty::Tagged {
    tag: "kind",
    variants: &[
        ("constant", &[req("ms", F)]),
        ("uniform", &[req("min_ms", F), req("max_ms", F)]),
        ("exponential", &[req("mean_ms", F)]),
        ("euclidean", &[req("dims", U32), req("side_ms", F)]),
        ("matrix", &[req("file", Ty::Str), req("values", Ty::Choice(&["rtt", "one_way"]))]),
    ],
};

const NET: &[Field] = &[
    opt("latency", LATENCY),
    opt("loss_ratio", F),
    opt("rpc_timeout_ms", F),
    opt("jitter_ms", F),
    opt("jitter_fraction", F),
];

const CHECK: &[Field] = &[
    opt("every_rounds", U32),
    opt("print_every_rounds", U32),
    opt("probe_keys", U32),
    opt("quiet_rounds_max", U32),
    opt("warmup_s", F),
    opt("on_violation", Ty::Choice(&["continue", "stop"])),
];

const DHT: &[Field] = &[
    opt("enabled", Ty::Bool),
    opt("replicas", U32),
    opt("repair_interval_ms", F),
    opt("repair_items_per_period", U32),
    opt("batch_items", U32),
];

const NODE: Ty = Ty::OneOf(&[opt("id", Ty::Str), opt("rank", U64)]);

const EVENT: Ty = Ty::Tagged {
    tag: "action",
    variants: &[
        ("join", &[req("at_s", F), req("count", U64)]),
        ("load_keys", &[req("at_s", F), req("count", U64)]),
        ("crash_fraction", &[req("at_s", F), req("fraction", F)]),
        ("leave_fraction", &[req("at_s", F), req("fraction", F)]),
        ("crash", &[req("at_s", F), req("node", NODE)]),
        ("leave", &[req("at_s", F), req("node", NODE)]),
        ("partition", &[req("at_s", F), req("heal_at_s", F), req("fraction", F)]),
    ],
};

const LIFETIME: Ty = Ty::Tagged {
    tag: "dist",
    variants: &[
        ("exponential", &[req("mean_s", F)]),
        ("weibull", &[req("mean_s", F), req("shape", F)]),
        ("pareto", &[req("mean_s", F), req("shape", F)]),
    ],
};

const POPULARITY: Ty = Ty::Tagged { tag: "kind", variants: &[("uniform", &[]), ("zipf", &[req("s", F)])] };

const WORKLOAD: Ty = Ty::Tagged {
    tag: "kind",
    variants: &[
        (
            "churn",
            &[req("start_s", F), req("end_s", F), opt("join_per_s", F), opt("crash_per_s", F), opt("leave_per_s", F)],
        ),
        ("lookups", &[req("start_s", F), req("end_s", F), req("per_s", F)]),
        (
            "dht",
            &[
                req("start_s", F),
                req("end_s", F),
                req("per_s", F),
                req("keys", U64),
                opt("read_fraction", F),
                opt("popularity", POPULARITY),
            ],
        ),
        (
            "sessions",
            &[
                req("start_s", F),
                req("end_s", F),
                req("population", U64),
                req("on", LIFETIME),
                req("off", LIFETIME),
                opt("leave_probability", F),
                opt("start_state", Ty::Choice(&["stationary", "on", "off"])),
            ],
        ),
    ],
};

/// The whole scenario file.
pub const SCENARIO: Ty = Ty::Table(&[
    opt("name", Ty::Str),
    opt("seed", U64),
    opt("id_bits", U32),
    req("duration_s", F),
    opt("expect", Ty::Choice(&["pass", "no_convergence", "safety", "limit_hit", "no_check"])),
    req("initial", Ty::Table(INITIAL)),
    opt("protocol", Ty::Table(PROTOCOL)),
    opt("net", Ty::Table(NET)),
    opt("check", Ty::Table(CHECK)),
    opt("faults", Ty::Table(&[opt("respect_assumptions", Ty::Bool)])),
    opt("dht", Ty::Table(DHT)),
    opt("limits", Ty::Table(&[opt("max_events", U64)])),
    opt("report", Ty::Table(&[opt("ring_pictures_at_rounds", Ty::Array(&U32))])),
    opt("event", Ty::Array(&EVENT)),
    opt("workload", Ty::Array(&WORKLOAD)),
]);

/// The first problem found: the key path, where it is (byte span, if known) and what is wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub path: String,
    pub span: Option<Range<usize>>,
    pub msg: String,
}

/// A node of the document: a key's item, or an array element (a plain value).
#[derive(Clone, Copy)]
enum Node<'a> {
    Item(&'a Item),
    Value(&'a Value),
    /// An element of `[[key]]`.
    Table(&'a toml_edit::Table),
}

impl<'a> Node<'a> {
    fn span(self) -> Option<Range<usize>> {
        match self {
            Node::Item(i) => i.span(),
            Node::Value(v) => v.span(),
            Node::Table(t) => t.span(),
        }
    }

    fn value(self) -> Option<&'a Value> {
        match self {
            Node::Item(Item::Value(v)) | Node::Value(v) => Some(v),
            _ => None,
        }
    }

    fn table(self) -> Option<&'a dyn TableLike> {
        match self {
            Node::Item(i) => i.as_table_like(),
            Node::Value(Value::InlineTable(t)) => Some(t),
            Node::Value(_) => None,
            Node::Table(t) => Some(t),
        }
    }

    /// The elements, if this is an array (inline, or `[[key]]` tables).
    fn elements(self) -> Option<Vec<Node<'a>>> {
        match self {
            Node::Item(Item::ArrayOfTables(a)) => Some(a.iter().map(Node::Table).collect()),
            Node::Item(Item::Value(Value::Array(a))) | Node::Value(Value::Array(a)) => {
                Some(a.iter().map(Node::Value).collect())
            }
            _ => None,
        }
    }

    /// What the user wrote, in words, for a wrong-type message (values cut to an excerpt).
    fn found(self) -> String {
        match self.value() {
            Some(Value::String(s)) => format!("the string {}", crate::bounds::excerpt(s.value())),
            Some(Value::Integer(i)) => format!("the integer {}", i.value()),
            Some(Value::Float(f)) => format!("the number {}", f.value()),
            Some(Value::Boolean(b)) => format!("the boolean {}", b.value()),
            Some(Value::Datetime(_)) => "a date-time".into(),
            Some(Value::Array(_)) => "an array".into(),
            Some(Value::InlineTable(_)) => "a table".into(),
            None if self.elements().is_some() => "an array of tables".into(),
            None => "a table".into(),
        }
    }
}

/// Checks `root` (the document's top table) against [`SCENARIO`].
pub fn check(root: &toml_edit::Table) -> Result<(), Problem> {
    walk("", Node::Table(root), &SCENARIO, None)
}

fn problem(path: &str, span: Option<Range<usize>>, msg: String) -> Problem {
    Problem { path: path.to_string(), span, msg }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_string() } else { format!("{path}.{key}") }
}

/// Checks `node` at `path` against `ty`; `near` is the closest known position (for nodes without one).
fn walk(path: &str, node: Node, ty: &Ty, near: Option<Range<usize>>) -> Result<(), Problem> {
    let here = node.span().or(near);
    let wrong =
        |allowed: String| problem(path, here.clone(), format!("wrong type: {} (allowed: {allowed})", node.found()));
    let unknown = |what: &str, text: &str, names: &[&str]| {
        let shown = crate::bounds::excerpt(text);
        problem(path, here.clone(), format!("unknown {what} {shown} (allowed: {})", names.join(" | ")))
    };
    match ty {
        Ty::Bool => match node.value() {
            Some(Value::Boolean(_)) => Ok(()),
            _ => Err(wrong("true or false".into())),
        },
        Ty::UInt(max) => match node.value() {
            Some(Value::Integer(i)) if (0..=i128::from(*max)).contains(&i128::from(*i.value())) => Ok(()),
            _ => Err(wrong(format!("an integer 0 ..= {max}"))),
        },
        Ty::Float => match node.value() {
            Some(Value::Integer(_) | Value::Float(_)) => Ok(()),
            _ => Err(wrong("a number".into())),
        },
        Ty::Str => match node.value() {
            Some(Value::String(_)) => Ok(()),
            _ => Err(wrong("a string".into())),
        },
        Ty::Choice(names) => match node.value() {
            Some(Value::String(s)) if names.contains(&s.value().as_str()) => Ok(()),
            Some(Value::String(s)) => Err(unknown("value", s.value(), names)),
            _ => Err(wrong(names.join(" | "))),
        },
        Ty::Array(elem) => {
            let Some(items) = node.elements() else { return Err(wrong("an array".into())) };
            for (i, e) in items.into_iter().enumerate() {
                walk(&format!("{path}[{i}]"), e, elem, here.clone())?;
            }
            Ok(())
        }
        Ty::Table(fields) => {
            let Some(t) = node.table() else { return Err(wrong("a table".into())) };
            table(path, t, fields, None, here)
        }
        Ty::OneOf(fields) => {
            let Some(t) = node.table() else { return Err(wrong("a table".into())) };
            table(path, t, fields, None, here.clone())?;
            if t.len() != 1 {
                let names: Vec<&str> = fields.iter().map(|f| f.key).collect();
                return Err(problem(path, here, format!("give exactly one key (allowed: {})", names.join(" | "))));
            }
            Ok(())
        }
        Ty::Tagged { tag, variants } => {
            let Some(t) = node.table() else { return Err(wrong("a table".into())) };
            let names: Vec<&str> = variants.iter().map(|v| v.0).collect();
            let tag_path = join(path, tag);
            let Some((k, v)) = t.get_key_value(tag) else {
                return Err(problem(&tag_path, here, format!("missing (allowed: {})", names.join(" | "))));
            };
            let fields = match v.as_value() {
                Some(Value::String(s)) => variants.iter().find(|x| x.0 == s.value()).map(|x| x.1),
                _ => None,
            };
            let Some(fields) = fields else {
                let at = v.span().or(k.span()).or(here);
                let found = match v.as_str() {
                    Some(text) => format!("unknown variant {}", crate::bounds::excerpt(text)),
                    None => format!("wrong type: {}", Node::Item(v).found()),
                };
                let msg = format!("{found} (allowed: {})", names.join(" | "));
                return Err(problem(&tag_path, at, msg));
            };
            table(path, t, fields, Some(tag), here)
        }
    }
}

/// Every key of `t` known (`tag` besides `fields`), each value of its type, every required key present.
fn table(
    path: &str,
    t: &dyn TableLike,
    fields: &[Field],
    tag: Option<&str>,
    here: Option<Range<usize>>,
) -> Result<(), Problem> {
    for (key, item) in t.iter() {
        let at = t.get_key_value(key).and_then(|(k, _)| k.span()).or(item.span()).or(here.clone());
        if Some(key) == tag {
            continue;
        }
        let Some(f) = fields.iter().find(|f| f.key == key) else {
            let mut names: Vec<&str> = tag.into_iter().collect();
            names.extend(fields.iter().map(|f| f.key));
            let allowed = if names.is_empty() { "none".to_string() } else { names.join(", ") };
            let shown = crate::bounds::excerpt(key);
            return Err(problem(&join(path, key), at, format!("unknown key {shown} (allowed: {allowed})")));
        };
        walk(&join(path, key), Node::Item(item), &f.ty, at)?;
    }
    for f in fields.iter().filter(|f| f.required) {
        if t.get(f.key).is_none() {
            return Err(problem(&join(path, f.key), here.clone(), "missing (this key is required)".into()));
        }
    }
    Ok(())
}
