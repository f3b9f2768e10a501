//! Configuration: defaults, then environment variables, then command-line flags.
//!
//! The flags and their environment variables are declared once, in [`MemoryArgs`], and clap
//! applies the precedence. A TOML configuration file joins the chain below the environment when
//! the app grows settings worth keeping in one.

use std::path::PathBuf;

use clap::Args;

use crate::memory::{LocalOptions, Retention};

/// Where memories live and how much of them and their history to keep.
#[derive(Args, Clone, Debug)]
pub struct MemoryArgs {
    /// The memory directory: what the model sees as /memories (created when missing)
    #[arg(
        long = "memory-dir",
        visible_alias = "dir",
        global = true,
        env = "MEMDECK_MEMORY_DIR",
        value_name = "DIR",
        default_value = "./memories"
    )]
    pub memory_dir: PathBuf,

    /// Where the history of every change is kept [default: .<name>-history beside the memory
    /// directory]
    #[arg(long, global = true, env = "MEMDECK_HISTORY_DIR", value_name = "DIR")]
    pub history_dir: Option<PathBuf>,

    /// Largest memory file the model may write, in KiB
    #[arg(
        long,
        global = true,
        env = "MEMDECK_MAX_FILE_KIB",
        value_name = "KIB",
        default_value_t = 100,
        value_parser = clap::value_parser!(u64).range(1..=65_536)
    )]
    pub max_file_kib: u64,

    /// History entries to keep before the oldest are pruned (each file always keeps its
    /// newest five)
    #[arg(
        long,
        global = true,
        env = "MEMDECK_HISTORY_KEEP",
        value_name = "ENTRIES",
        default_value_t = 10_000,
        value_parser = clap::value_parser!(u64).range(10..)
    )]
    pub history_keep: u64,
}

impl MemoryArgs {
    pub fn local_options(&self) -> LocalOptions {
        LocalOptions {
            dir: self.memory_dir.clone(),
            history_dir: self.history_dir.clone(),
            max_file_bytes: self.max_file_kib * 1024,
            retention: Retention {
                max_entries: usize::try_from(self.history_keep).unwrap_or(usize::MAX),
                ..Retention::default()
            },
        }
    }
}
