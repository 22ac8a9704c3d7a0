//! The binary's command-line layer: the clap argument types (`args.rs`) and the commands that need
//! more than a few lines of wiring (`checkpoint.rs`: `--checkpoint-at-s` and `resume`; `shell.rs`).
//! `main.rs` parses and dispatches; the rest of the commands live there.
//!
//! Never: hold simulation logic (that is the library's); print except through `out`'s macros.

pub mod args;
pub mod checkpoint;
pub mod shell;
