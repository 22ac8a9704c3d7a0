//! The architecture, checked: `src/`'s folder list is the layer list, and the references between the
//! modules of those layers, read from the source, go downwards or sideways only, with no cycle
//! anywhere. The protocol layer is sans-IO by construction: it names nothing outside the ground and
//! protocol layers, and no randomness, clock, file, socket or thread.
//!
//! A unit is a ground module (a file at the top of `src/`), the scenario module, or a child of a layer
//! folder (`src/sim/queue.rs` with `src/sim/queue/` is `sim::queue`). A new file or folder at the top
//! of `src/` must be placed in [`GROUND`] or be a layer of [`LAYERS`].

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Lowest first. A unit may name units of its own layer or of layers below. `folder` layers hold
/// their units in `src/<layer>/`; the ground layer's units are files at the top of `src/`.
const LAYERS: &[(&str, Kind)] = &[
    ("ground", Kind::Files),
    ("protocol", Kind::Folder),
    ("scenario", Kind::Module),
    ("oracle", Kind::Folder),
    ("sim", Kind::Folder),
    ("output", Kind::Folder),
    ("tools", Kind::Folder),
];

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// Units are the files named in [`GROUND`].
    Files,
    /// The layer is one module (`src/<layer>.rs` and `src/<layer>/`).
    Module,
    /// Units are the children of `src/<layer>/`; `src/<layer>.rs` only declares them.
    Folder,
}

/// The ground layer's files at the top of `src/`.
const GROUND: &[&str] = &["id", "rng", "time", "prefetch", "bounds", "out"];

/// The crate roots and the binary's command-line layer, which sit above every library layer.
const ROOTS: &[&str] = &["lib", "main", "cli"];

/// Words the protocol layer must not contain (outside tests): randomness, clocks, I/O, threads.
const NOT_SANS_IO: &[&str] =
    &["rand", "std::time", "Instant", "SystemTime", "std::fs", "std::io", "std::net", "std::thread"];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The unit a source file belongs to, and its layer; `None` for a layer's root file.
fn unit_of(p: &Path) -> Result<Option<(String, usize)>, String> {
    let rel = p.strip_prefix(src()).expect("under src");
    let parts: Vec<String> = rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    let top = parts[0].trim_end_matches(".rs").to_string();
    if let Some(g) = GROUND.iter().position(|&g| g == top) {
        let _ = g;
        return Ok(Some((top, 0)));
    }
    let Some(layer) = LAYERS.iter().position(|&(n, _)| n == top) else {
        return Err(format!("{} is in no layer (add it to GROUND or LAYERS)", rel.display()));
    };
    match LAYERS[layer].1 {
        Kind::Module => Ok(Some((top, layer))),
        Kind::Folder if parts.len() == 1 => Ok(None),
        Kind::Folder => Ok(Some((format!("{top}::{}", parts[1].trim_end_matches(".rs")), layer))),
        Kind::Files => unreachable!("the ground layer is GROUND"),
    }
}

/// Each unit's source files and layer (the crate roots and `cli/` left out).
fn units() -> BTreeMap<String, (usize, Vec<PathBuf>)> {
    let mut units: BTreeMap<String, (usize, Vec<PathBuf>)> = BTreeMap::new();
    for p in rs_files() {
        let top = p.strip_prefix(src()).expect("under src").components().next().expect("a component");
        if ROOTS.contains(&top.as_os_str().to_string_lossy().trim_end_matches(".rs")) {
            continue;
        }
        match unit_of(&p) {
            Ok(Some((u, layer))) => units.entry(u).or_insert((layer, vec![])).1.push(p),
            Ok(None) => {}
            Err(e) => panic!("{e}"),
        }
    }
    units
}

/// A file's code without its tests and without `//` comments: every `#[cfg(test)]` item is cut (a
/// `mod x;` or `use …;` to its semicolon, a block to its closing brace), and files named `tests.rs`,
/// `*_tests.rs` or `harness.rs` are tests.
fn code(p: &Path) -> String {
    let name = p.file_name().expect("a file").to_string_lossy();
    if name == "tests.rs" || name.ends_with("_tests.rs") || name == "harness.rs" {
        return String::new();
    }
    let text = std::fs::read_to_string(p).expect("readable");
    let text: String = text.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n");
    without_test_items(&text)
}

fn without_test_items(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let item = &rest[at..];
        let end = match (item.find(';'), item.find('{')) {
            (Some(semi), Some(brace)) if semi < brace => semi + 1,
            (Some(semi), None) => semi + 1,
            (_, Some(brace)) => brace + closing(&item[brace..]),
            (None, None) => item.len(),
        };
        rest = &item[end..];
    }
    out.push_str(rest);
    out
}

/// The length of the balanced `{…}` block `s` starts with.
fn closing(s: &str) -> usize {
    let mut depth = 0usize;
    for (i, ch) in s.char_indices() {
        match ch {
            '{' => depth += 1,
            '}' if depth == 1 => return i + 1,
            '}' => depth -= 1,
            _ => {}
        }
    }
    s.len()
}

#[test]
fn test_items_are_cut_and_the_code_after_them_is_kept() {
    let c = without_test_items("use a;\n#[cfg(test)]\nmod t;\nuse b;\n#[cfg(test)]\nmod u { fn f() { } }\nuse c;");
    assert_eq!(c.split_whitespace().collect::<Vec<_>>(), ["use", "a;", "use", "b;", "use", "c;"]);
}

fn ident(s: &str) -> String {
    s.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect()
}

/// The first segment of each path in a `{a::b, c}` group that starts `s` (the text after the brace).
fn group_heads(s: &str) -> Vec<String> {
    let (mut depth, mut heads, mut start) = (0, vec![], true);
    for (i, ch) in s.char_indices() {
        match ch {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => start = true,
            c if start && (c.is_ascii_alphabetic() || c == '_') => {
                heads.push(ident(&s[i..]));
                start = false;
            }
            _ => {}
        }
    }
    heads
}

/// The top-level items of the `{…}` group `s` starts after its brace, as text (`a::b`, `c::{d, e}`).
fn group_items(s: &str) -> Vec<&str> {
    let (mut depth, mut items, mut start) = (0usize, vec![], 0);
    for (i, ch) in s.char_indices() {
        match ch {
            '{' => depth += 1,
            '}' if depth == 0 => {
                items.push(&s[start..i]);
                break;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.into_iter().map(str::trim).filter(|i| !i.is_empty()).collect()
}

/// The units a path after `crate::` names (`sim::queue::EventQueue`, `scenario`, `{id, sim::net}`).
fn resolve_crate_path(path: &str, names: &mut BTreeSet<String>) {
    if let Some(group) = path.strip_prefix('{') {
        for item in group_items(group) {
            resolve_crate_path(item, names);
        }
        return;
    }
    let head = ident(path);
    let rest = &path[head.len()..];
    let folder = LAYERS.iter().any(|&(n, k)| n == head && k == Kind::Folder);
    match rest.strip_prefix("::") {
        Some(rest) if folder => resolve_in_layer(&head, rest, names),
        _ => {
            names.insert(head);
        }
    }
}

/// The units `rest` names inside layer folder `layer` (`queue::X`, `{engine::Sim, net}`).
fn resolve_in_layer(layer: &str, rest: &str, names: &mut BTreeSet<String>) {
    if let Some(g) = rest.strip_prefix('{') {
        names.extend(group_heads(g).into_iter().map(|u| format!("{layer}::{u}")));
    } else {
        names.insert(format!("{layer}::{}", ident(rest)));
    }
}

/// The units a file names: `crate::unit`, `crate::layer::unit` (also in `{…}` groups, at any level),
/// and for a file directly in a layer folder, `super::unit`.
fn references(p: &Path, c: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for piece in c.split("crate::").skip(1) {
        resolve_crate_path(piece, &mut names);
    }
    let rel = p.strip_prefix(src()).expect("under src");
    if rel.components().count() == 2 {
        let layer = rel.components().next().expect("a layer").as_os_str().to_string_lossy().into_owned();
        for piece in c.split("super::").skip(1) {
            resolve_in_layer(&layer, piece, &mut names);
        }
    }
    names
}

/// References from each unit to the other units.
fn graph(units: &BTreeMap<String, (usize, Vec<PathBuf>)>) -> BTreeMap<String, BTreeSet<String>> {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (u, (_, files)) in units {
        let deps = g.entry(u.clone()).or_default();
        for f in files {
            for name in references(f, &code(f)) {
                if name != *u && units.contains_key(&name) {
                    deps.insert(name);
                }
            }
        }
    }
    g
}

/// A cycle through `start`, if any (depth-first search for a path back to it).
fn cycle_through(g: &BTreeMap<String, BTreeSet<String>>, start: &str) -> Option<Vec<String>> {
    let mut stack = vec![(start.to_string(), vec![start.to_string()])];
    let mut seen = BTreeSet::new();
    while let Some((at, path)) = stack.pop() {
        for next in &g[&at] {
            if next == start {
                return Some([path.clone(), vec![start.to_string()]].concat());
            }
            if seen.insert(next.clone()) {
                stack.push((next.clone(), [path.clone(), vec![next.clone()]].concat()));
            }
        }
    }
    None
}

#[test]
fn the_folder_list_is_the_layer_list_and_no_unit_cycle_exists() {
    let units = units();
    assert!(units.len() > 30, "found {} units", units.len());
    for (name, kind) in LAYERS {
        assert!(*kind == Kind::Files || src().join(name).is_dir(), "layer {name} has no folder");
    }
    let g = graph(&units);
    assert!(g["sim::engine"].contains("oracle::checker"), "the graph reader misses references: {g:?}");
    for u in g.keys() {
        if let Some(c) = cycle_through(&g, u) {
            panic!("module cycle: {}", c.join(" -> "));
        }
    }
}

#[test]
fn references_go_down_the_layers_only() {
    let units = units();
    let g = graph(&units);
    let upward: Vec<_> =
        g.iter().flat_map(|(u, deps)| deps.iter().filter(|d| units[*d].0 > units[u].0).map(move |d| (u, d))).collect();
    assert!(upward.is_empty(), "a module names one of a higher layer: {upward:?}");
}

#[test]
fn the_protocol_layer_is_sans_io() {
    let units = units();
    let protocol = LAYERS.iter().position(|(n, _)| *n == "protocol").expect("a protocol layer");
    let g = graph(&units);
    for (u, (layer, files)) in &units {
        if *layer != protocol {
            continue;
        }
        for d in &g[u] {
            assert!(units[d].0 <= protocol, "{u} (protocol layer) names {d}");
        }
        for f in files {
            let c = code(f);
            let words: Vec<&str> =
                c.split(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_' || ch == ':')).collect();
            for bad in NOT_SANS_IO {
                let hit = words.iter().any(|w| w == bad || w.starts_with(&format!("{bad}::")));
                assert!(!hit, "{} (protocol layer) uses {bad}", f.display());
            }
        }
    }
}

/// Every file of `src/` (the crate roots and `cli/` included), with its text.
fn all_sources() -> Vec<(PathBuf, String)> {
    rs_files().into_iter().map(|p| (p.clone(), std::fs::read_to_string(&p).expect("readable"))).collect()
}

/// Every `.rs` file under `src/`, sorted.
fn rs_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![src()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).expect("src is readable").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn streams_and_the_seed_are_made_in_one_place() {
    for (p, text) in all_sources() {
        let rel = p.strip_prefix(src()).expect("under src").to_string_lossy().replace('\\', "/");
        if rel != "rng.rs" {
            for made in ["ChaCha8Rng", "Rng::new(", "Stream::", "at_position(", "seed_from_u64", "from_seed", "rand::"]
            {
                let bare = text.match_indices(made).any(|(i, _)| !text[..i].ends_with("Sim"));
                assert!(!bare, "{rel} makes a random stream ({made}): take it from SimRng");
            }
        }
        if rel != "scenario.rs" {
            assert!(!writes_a_seed(&text), "{rel} sets a seed: use Scenario::reseed");
        }
    }
}

/// Whether `text` assigns to a `.seed` field (`x.seed = …`, `x.seed += …`) or borrows one mutably.
fn writes_a_seed(text: &str) -> bool {
    let assigned = text.match_indices(".seed").any(|(i, m)| {
        let after = &text[i + m.len()..];
        let next = after.chars().next().unwrap_or(' ');
        let after = after.trim_start();
        !(next.is_ascii_alphanumeric() || next == '_')
            && ((after.starts_with('=') && !after.starts_with("=="))
                || after.starts_with("+=")
                || after.starts_with("-="))
    });
    let borrowed = text.match_indices("&mut ").any(|(i, m)| {
        let path: String =
            text[i + m.len()..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '.').collect();
        path.strip_suffix("seed").is_some_and(|p| p.ends_with('.'))
    });
    assigned || borrowed
}

#[test]
fn the_checks_see_what_they_look_for() {
    assert!(writes_a_seed("sc.seed = 3;") && writes_a_seed("sc.seed+=1") && writes_a_seed("f(&mut sc.seed)"));
    assert!(!writes_a_seed("if sc.seed == 3 {}") && !writes_a_seed("let s = sc.seed_of(x);"));
    let mut names = BTreeSet::new();
    resolve_crate_path("{tools::run, sim::{engine::Sim, net}, id::Id};", &mut names);
    let want: BTreeSet<String> = ["tools::run", "sim::engine", "sim::net", "id"].map(String::from).into();
    assert_eq!(names, want);
}

#[test]
fn layer_roots_only_declare_their_modules() {
    for (name, kind) in LAYERS {
        if *kind != Kind::Folder {
            continue;
        }
        let c = code(&src().join(format!("{name}.rs")));
        for line in c.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with("//")) {
            let decl = line.strip_prefix("pub mod ").is_some_and(|m| m.ends_with(';'));
            assert!(decl, "src/{name}.rs holds more than its module list: {line}");
        }
    }
}
