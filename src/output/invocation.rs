//! How the user ran chordsim, so that every repro line is a command that works where they are.
//!
//! Owns: the command prefix of repro lines (`cargo run --release --` inside the checkout the binary
//! was built in, else the binary as invoked) and the build's identity (version and commit, from the
//! build script). Must never influence a run: nothing here reaches the simulation, a report's
//! compared fields or any file a byte comparison reads — the `build` field is left out of those.

use std::path::Path;
use std::sync::OnceLock;

/// The crate version and the commit it was built from ("unknown" outside a git checkout), with
/// "-dirty" when the work tree had uncommitted changes.
#[must_use]
pub fn build() -> &'static str {
    concat!(env!("CARGO_PKG_VERSION"), " (", env!("CHORDSIM_COMMIT"), ")")
}

/// The commit alone, as the build script read it.
#[must_use]
pub fn commit() -> &'static str {
    env!("CHORDSIM_COMMIT")
}

/// The prefix a repro line starts with, e.g. `cargo run --release --` or `./chordsim`.
pub fn prefix() -> &'static str {
    static PREFIX: OnceLock<String> = OnceLock::new();
    PREFIX.get_or_init(|| {
        let argv0 = std::env::args_os().next().map(|a| a.to_string_lossy().into_owned());
        let exe = std::env::current_exe().ok();
        let cwd = std::env::current_dir().ok();
        choose(argv0.as_deref(), exe.as_deref(), cwd.as_deref())
    })
}

/// `cargo run --release --` when the binary is this checkout's own build (it lives under the working
/// folder's `target/` and a `Cargo.toml` is there), else argv[0] as the user typed it.
fn choose(argv0: Option<&str>, exe: Option<&Path>, cwd: Option<&Path>) -> String {
    const CARGO: &str = "cargo run --release --";
    let in_checkout = match (exe, cwd) {
        (Some(e), Some(c)) => e.starts_with(c.join("target")) && c.join("Cargo.toml").is_file(),
        _ => false,
    };
    match argv0 {
        _ if in_checkout => CARGO.to_string(),
        Some(a) if !a.is_empty() => quote(a),
        _ => CARGO.to_string(),
    }
}

/// The argument as a shell would need it: quoted when it holds anything but safe characters.
fn quote(a: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./+:=@%,".contains(c);
    if a.chars().all(safe) { a.to_string() } else { format!("'{}'", a.replace('\'', "'\\''")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkout_build_repros_through_cargo_and_an_installed_binary_as_typed() {
        let root = std::env::current_dir().unwrap();
        let exe = root.join("target/release/chordsim");
        assert_eq!(choose(Some("target/release/chordsim"), Some(&exe), Some(&root)), "cargo run --release --");
        let elsewhere = Path::new("/opt/bin/chordsim");
        assert_eq!(choose(Some("chordsim"), Some(elsewhere), Some(&root)), "chordsim");
        assert_eq!(choose(Some("../bin/chord sim"), Some(elsewhere), Some(&root)), "'../bin/chord sim'");
        assert_eq!(choose(None, None, None), "cargo run --release --");
    }

    #[test]
    fn the_build_names_version_and_commit() {
        assert!(build().starts_with(env!("CARGO_PKG_VERSION")));
        assert!(!commit().is_empty());
    }
}
