//! The `memdeck` binary for command-line tests: run in a directory of the test's own, on the
//! instant demo model, away from the user's configuration, keys and sessions.
#![allow(dead_code, clippy::unwrap_used, clippy::pedantic)]

use std::path::Path;
use std::process::{Command, Output};

/// The command, ready for its arguments; sessions are kept in `dir/sessions`.
pub fn memdeck(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_memdeck"));
    command
        .current_dir(dir)
        .args(["--provider", "demo", "--demo-speed", "0"])
        .args(["--sessions-dir", "sessions"])
        .env("XDG_CONFIG_HOME", dir)
        .env_remove("ANTHROPIC_API_KEY")
        .env_remove("MEMDECK_CONFIG")
        .env_remove("MEMDECK_SESSION");
    command
}

/// Run it with `args` and wait.
pub fn run(dir: &Path, args: &[&str]) -> Output {
    memdeck(dir).args(args).output().unwrap()
}
