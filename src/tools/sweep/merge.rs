//! `chordsim merge`: shard folders of one sweep read back, checked, and merged into the folder the
//! unsharded sweep writes, byte for byte.
//!
//! Owns: reading a shard folder, the checks across shards (one sweep, each shard once, the same
//! chordsim), the merged rows, and copying the reports of failing seeds. Each shard is first checked
//! on its own (`sweep/verify.rs`), and nothing is written until every check passed; every figure of
//! the merged summary is recomputed from the per-seed rows.
//! Never: trust a figure it can recompute, write a partial merge, or print (the CLI prints).

use crate::tools::sweep::out::{SeedRow, SweepSummary, parse_runs_csv, summary, write};
use crate::tools::sweep::verify;
use std::path::{Path, PathBuf};

/// A shard folder read back: its summary and rows.
fn read_shard(dir: &Path) -> Result<(SweepSummary, Vec<SeedRow>), String> {
    let sfile = dir.join("summary.json");
    let text = std::fs::read_to_string(&sfile).map_err(|e| format!("{}: cannot read: {e}", sfile.display()))?;
    let s: SweepSummary = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", sfile.display()))?;
    let rfile = dir.join("runs.csv");
    let text = std::fs::read_to_string(&rfile).map_err(|e| format!("{}: cannot read: {e}", rfile.display()))?;
    let rows = parse_runs_csv(&text, &rfile.display().to_string(), s.swarm)?;
    Ok((s, rows))
}

/// Checks that `shards` are the `n` shards of one sweep, each once.
fn check_shards(dirs: &[PathBuf], shards: &[(SweepSummary, Vec<SeedRow>)]) -> Result<u64, String> {
    let first = &shards[0].0;
    let count = first
        .shard
        .map(|s| s.count)
        .ok_or(format!("{}: not a shard (no \"shard\" in summary.json)", dirs[0].display()))?;
    let mut given = std::collections::BTreeSet::new();
    for (dir, (s, _)) in dirs.iter().zip(shards) {
        let d = dir.display();
        let same = s.scenario_name == first.scenario_name
            && s.seeds == first.seeds
            && s.swarm == first.swarm
            && s.swarm_outside == first.swarm_outside
            && s.scenario == first.scenario;
        if !same {
            return Err(format!(
                "{d}: a shard of another sweep (scenario, seeds or --swarm differ from {})",
                dirs[0].display()
            ));
        }
        if s.chordsim_version != first.chordsim_version {
            return Err(format!(
                "{d}: written by chordsim {}, the others by {}",
                s.chordsim_version, first.chordsim_version
            ));
        }
        let Some(h) = s.shard.filter(|h| h.count == count && h.index < count) else {
            return Err(format!("{d}: not one of the {count} shards of this sweep"));
        };
        if !given.insert(h.index) {
            return Err(format!("{d}: shard {}/{count} given twice", h.index));
        }
    }
    // The first index not given (the set holds at most one index per folder: this stays small).
    match (0..count).find(|i| !given.contains(i)) {
        Some(i) => Err(format!("shard {i}/{count} is missing")),
        None => Ok(count),
    }
}

/// Merges shard folders into `<out>/<sweep folder>/`, exactly as the unsharded sweep writes it,
/// copying the reports of failing seeds. Returns the summary, the rows and the folder.
pub fn merge(dirs: &[PathBuf], out: &Path) -> Result<(SweepSummary, Vec<SeedRow>, PathBuf), String> {
    if dirs.is_empty() {
        return Err("merge: no shard folders given".into());
    }
    let shards = dirs.iter().map(|d| read_shard(d)).collect::<Result<Vec<_>, _>>()?;
    check_shards(dirs, &shards)?;
    for (dir, (s, rows)) in dirs.iter().zip(&shards) {
        verify::shard(dir, s, rows)?;
    }
    // Shard 0's record, whatever order the folders were given in.
    let zero = shards.iter().find(|(s, _)| s.shard.is_some_and(|h| h.index == 0)).unwrap_or(&shards[0]);
    let mut meta = zero.0.meta();
    meta.shard = None;
    // Where each seed's row came from, for its report.
    let mut rows: Vec<(SeedRow, &Path)> =
        dirs.iter().zip(&shards).flat_map(|(d, (_, r))| r.iter().map(move |r| (r.clone(), d.as_path()))).collect();
    rows.sort_by_key(|(r, _)| r.seed);
    let want = meta.seeds.end - meta.seeds.start;
    let contiguous = rows.iter().zip(meta.seeds.start..).all(|((r, _), s)| r.seed == s);
    if rows.len() as u64 != want || !contiguous {
        return Err(format!(
            "merge: the shards hold {} runs, not exactly the seeds {}..{}",
            rows.len(),
            meta.seeds.start,
            meta.seeds.end
        ));
    }
    let (rows, from): (Vec<SeedRow>, Vec<&Path>) = rows.into_iter().unzip();
    let s = summary(&meta, &rows);
    let dir = out.join(meta.folder_name());
    write(&dir, &s, &rows).map_err(|e| format!("{}: cannot write: {e}", dir.display()))?;
    for (r, d) in rows.iter().zip(from).filter(|(r, _)| !r.matches_expect) {
        let name = format!("{}-seed{}", meta.scenario_name, r.seed);
        if d.join(&name).is_dir() {
            copy_dir(&d.join(&name), &dir.join(&name))
                .map_err(|e| format!("{}: cannot copy: {e}", d.join(&name).display()))?;
        }
    }
    Ok((s, rows, dir))
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for e in std::fs::read_dir(from)? {
        let e = e?;
        if e.file_type()?.is_file() {
            std::fs::copy(e.path(), to.join(e.file_name()))?;
        }
    }
    Ok(())
}
