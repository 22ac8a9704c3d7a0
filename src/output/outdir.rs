//! Output locations, checked before a command spends any simulation time.
//!
//! Owns: the checks that an output folder (`--out`) is, or can be made, a writable folder, that the
//! run folder a command will create inside it is not taken by a file, and that an output file
//! (`--trace`, `--checkpoint-out`) can be created. Nothing is created here. Each error is one line naming the flag and the path.
//! Never: write results (callers do), or remove anything but its own probe file.

use std::path::Path;

/// `dir` is a folder we can write in, or can be created: an existing file, a path below a file, or
/// a read-only folder is refused. Nothing is created (a refused run leaves no empty folder behind).
/// `flag` names the option in messages (`--out`).
pub fn ensure_dir(flag: &str, dir: &Path) -> Result<(), String> {
    let shown = dir.display();
    if dir.is_dir() {
        let probe = dir.join(format!(".chordsim-write-probe-{}", std::process::id()));
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&probe)
            .map_err(|e| format!("{flag} {shown}: cannot write in the folder: {e}"))?;
        let _ = std::fs::remove_file(&probe);
        return Ok(());
    }
    if dir.exists() {
        return Err(format!("{flag} {shown}: is a file, not a folder"));
    }
    // The nearest existing ancestor must be a folder that is not read-only.
    let mut up = dir.parent();
    while let Some(p) = up.filter(|p| !p.as_os_str().is_empty()) {
        if let Ok(meta) = std::fs::metadata(p) {
            if !meta.is_dir() {
                return Err(format!("{flag} {shown}: cannot create the folder: {} is a file", p.display()));
            }
            if meta.permissions().readonly() {
                return Err(format!("{flag} {shown}: cannot create the folder: {} is read-only", p.display()));
            }
            return Ok(());
        }
        up = p.parent();
    }
    Ok(())
}

/// [`ensure_dir`] for `root`, and the folder `leaf` that the command will create in it is not a file.
pub fn ensure_run_dir(flag: &str, root: &Path, leaf: &str) -> Result<(), String> {
    ensure_dir(flag, root)?;
    let dir = root.join(leaf);
    if dir.exists() && !dir.is_dir() {
        return Err(format!("{flag} {}: {} is a file, not a folder", root.display(), dir.display()));
    }
    Ok(())
}

/// An output file can be created at `path`: its folder exists and the path is not a folder.
pub fn ensure_file(flag: &str, path: &Path) -> Result<(), String> {
    let shown = path.display();
    if path.is_dir() {
        return Err(format!("{flag} {shown}: is a folder, not a file"));
    }
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if !parent.is_dir() {
        return Err(format!("{flag} {shown}: the folder {} does not exist", parent.display()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(tag: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("chordsim-outdir-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("temp dir");
        d
    }

    #[test]
    fn a_file_is_not_an_out_folder() {
        let d = tmp("file");
        let f = d.join("taken");
        std::fs::write(&f, "x").expect("write");
        let e = ensure_dir("--out", &f).expect_err("a file");
        assert!(e.starts_with("--out ") && e.ends_with("is a file, not a folder"), "{e}");
        let e = ensure_dir("--out", &f.join("below")).expect_err("below a file");
        assert!(e.contains("cannot create the folder"), "{e}");
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn a_missing_folder_is_accepted_uncreated_and_left_clean() {
        let d = tmp("mk");
        let out = d.join("a/b");
        ensure_dir("--out", &out).expect("can be created");
        assert!(!out.exists(), "nothing created");
        std::fs::create_dir_all(&out).expect("mkdir");
        ensure_dir("--out", &out).expect("writable");
        assert_eq!(std::fs::read_dir(&out).expect("list").count(), 0, "the probe file is removed");
        std::fs::write(out.join("x-seed1"), "file").expect("write");
        let e = ensure_run_dir("--out", &out, "x-seed1").expect_err("run folder taken by a file");
        assert!(e.contains("x-seed1 is a file"), "{e}");
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn an_output_file_needs_its_folder() {
        let d = tmp("file-out");
        assert!(ensure_file("--trace", &d.join("t.txt")).is_ok());
        let e = ensure_file("--trace", &d.join("no/t.txt")).expect_err("no folder");
        assert!(e.contains("does not exist"), "{e}");
        let e = ensure_file("--trace", &d).expect_err("a folder");
        assert!(e.ends_with("is a folder, not a file"), "{e}");
        let _ = std::fs::remove_dir_all(&d);
    }
}
