//! Configuration: defaults, then environment variables, then command-line flags.
//!
//! The flags and their environment variables are declared once, in [`MemoryArgs`] and
//! [`ModelArgs`], and clap applies the precedence. A TOML configuration file joins the chain
//! below the environment when the app grows settings worth keeping in one.
//!
//! Field doc comments here are `--help` text, so they name variables without backticks.
#![allow(clippy::doc_markdown)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;

use crate::chat::TurnOptions;
use crate::memory::{LocalOptions, Retention};
use crate::provider::anthropic::{Anthropic, AnthropicConfig};
use crate::provider::demo::Demo;
use crate::provider::{ContextEditing, Provider, ProviderError, Thinking};

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

/// Where the log goes.
#[derive(Args, Clone, Debug)]
pub struct LogArgs {
    /// Log file [default: memdeck.log in $XDG_STATE_HOME/memdeck or ~/.local/state/memdeck]
    #[arg(long, global = true, env = "MEMDECK_LOG_FILE", value_name = "PATH")]
    pub log_file: Option<PathBuf>,

    /// Log level or filter, e.g. debug or memdeck=trace
    #[arg(
        long,
        global = true,
        env = "MEMDECK_LOG",
        default_value = "info",
        value_name = "FILTER"
    )]
    pub log_level: String,
}

/// Which model backend answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ProviderKind {
    /// The built-in offline demo model.
    Demo,
    /// The Anthropic Messages API (needs ANTHROPIC_API_KEY).
    Anthropic,
}

/// How to reach the model and shape its answers. The API key is read from `ANTHROPIC_API_KEY`
/// only: a flag would show it in process lists and shell history.
#[derive(Args, Clone, Debug)]
pub struct ModelArgs {
    /// Model backend [default: anthropic when ANTHROPIC_API_KEY is set, else demo]
    #[arg(long, global = true, value_enum)]
    pub provider: Option<ProviderKind>,

    /// Model name for the Anthropic API
    #[arg(long, global = true, env = "ANTHROPIC_MODEL", default_value = crate::provider::anthropic::DEFAULT_MODEL)]
    pub model: String,

    /// API base URL
    #[arg(long, global = true, env = "ANTHROPIC_BASE_URL", default_value = crate::provider::anthropic::DEFAULT_BASE_URL)]
    pub base_url: String,

    /// The anthropic-version header
    #[arg(long, global = true, env = "MEMDECK_API_VERSION", default_value = crate::provider::anthropic::DEFAULT_VERSION,
          value_parser = ["2023-06-01", "2026-10-21"])]
    pub api_version: String,

    /// Largest answer per model call, in tokens
    #[arg(long, global = true, default_value_t = 4096, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_tokens: u32,

    /// Extended thinking: off, adaptive, or a token budget such as 2048
    #[arg(long, global = true, default_value = "off", value_parser = parse_thinking)]
    pub thinking: Thinking,

    /// Server-side context editing preset
    #[arg(long, global = true, value_enum, default_value_t = ContextEditing::Off)]
    pub context_editing: ContextEditing,

    /// Speed of the demo model in tokens per second (0: as fast as possible)
    #[arg(long, global = true, default_value_t = 60.0)]
    pub demo_speed: f64,

    /// Model calls allowed for one message
    #[arg(long, global = true, default_value_t = 25, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_calls: u32,

    /// Seconds without any data before a stream counts as stalled
    #[arg(long, global = true, default_value_t = 90, value_parser = clap::value_parser!(u64).range(1..))]
    pub idle_timeout: u64,
}

fn parse_thinking(text: &str) -> Result<Thinking, String> {
    match text {
        "off" => Ok(Thinking::Off),
        "adaptive" => Ok(Thinking::Adaptive),
        budget => budget
            .parse::<u32>()
            .ok()
            .filter(|n| *n >= 1024)
            .map(Thinking::Budget)
            .ok_or_else(|| "expected off, adaptive, or a token budget of at least 1024".to_owned()),
    }
}

impl ModelArgs {
    /// The backend to use, and a note for the user when it was chosen for them.
    pub fn provider(&self) -> Result<(Arc<dyn Provider>, Option<&'static str>), ProviderError> {
        let key = std::env::var("ANTHROPIC_API_KEY").unwrap_or_default();
        let kind = match self.provider {
            Some(kind) => kind,
            None if key.trim().is_empty() => {
                let note = "no ANTHROPIC_API_KEY set: using the demo model (offline)";
                return Ok((self.demo(), Some(note)));
            }
            None => ProviderKind::Anthropic,
        };
        match kind {
            ProviderKind::Demo => Ok((self.demo(), None)),
            ProviderKind::Anthropic => {
                let mut config = AnthropicConfig::new(key);
                config.base_url.clone_from(&self.base_url);
                config.model.clone_from(&self.model);
                config.version.clone_from(&self.api_version);
                config.idle_timeout = Duration::from_secs(self.idle_timeout);
                Ok((Arc::new(Anthropic::new(config)?), None))
            }
        }
    }

    fn demo(&self) -> Arc<dyn Provider> {
        Arc::new(Demo {
            tokens_per_second: self.demo_speed.max(0.0),
        })
    }

    pub fn turn_options(&self) -> TurnOptions {
        TurnOptions {
            max_calls: self.max_calls,
            max_tokens: self.max_tokens,
            thinking: self.thinking,
            context_editing: self.context_editing,
        }
    }
}
