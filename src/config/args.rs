//! The command-line flags. Each has a config-file key and environment variables (see
//! [`super::load`]); the flags only say what was typed, the precedence is applied there.
//!
//! Field doc comments here are `--help` text, so they name variables without backticks.
#![allow(clippy::doc_markdown)]

use std::path::PathBuf;

use clap::Args;

use crate::provider::{ContextEditing, Thinking};

/// Which model backend answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ProviderKind {
    /// The built-in offline demo model.
    Demo,
    /// The Anthropic Messages API (needs ANTHROPIC_API_KEY).
    Anthropic,
    /// An OpenAI-compatible server: Ollama, llama.cpp, vLLM, LM Studio (--base-url).
    #[value(name = "openai")]
    OpenAi,
    /// Claude on AWS Bedrock (AWS credentials and region as the AWS CLI finds them).
    Bedrock,
}

impl ProviderKind {
    pub fn name(self) -> &'static str {
        match self {
            Self::Demo => "demo",
            Self::Anthropic => "anthropic",
            Self::OpenAi => "openai",
            Self::Bedrock => "bedrock",
        }
    }
}

/// Every setting that has a flag. Unset flags are `None`: the configuration file, the
/// environment or the default decides.
// The field docs are the `--help` text, plain words for a terminal, not rustdoc Markdown.
#[allow(rustdoc::bare_urls, rustdoc::invalid_html_tags)]
#[derive(Args, Clone, Debug, Default)]
pub struct Flags {
    /// Read only this configuration file [default: ./memdeck.toml over the user's
    /// ~/.config/memdeck/config.toml; env: MEMDECK_CONFIG]
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Model backend [default: anthropic when ANTHROPIC_API_KEY is set, else demo; env:
    /// MEMDECK_PROVIDER]
    #[arg(long, global = true, value_enum)]
    pub provider: Option<ProviderKind>,

    /// Model name [default: claude-sonnet-4-5, or for openai the server's first; env:
    /// ANTHROPIC_MODEL, OPENAI_MODEL]
    #[arg(long, global = true)]
    pub model: Option<String>,

    /// API base URL [default: https://api.anthropic.com, or for openai
    /// http://localhost:11434/v1; env: ANTHROPIC_BASE_URL, OPENAI_BASE_URL]
    #[arg(long, global = true)]
    pub base_url: Option<String>,

    /// AWS region for Bedrock [default: as the AWS CLI finds it: AWS_REGION, the profile]
    #[arg(long, global = true, value_name = "REGION")]
    pub aws_region: Option<String>,

    /// AWS profile for Bedrock [default: AWS_PROFILE, else the default profile]
    #[arg(long, global = true, value_name = "NAME")]
    pub aws_profile: Option<String>,

    /// The anthropic-version header [default: 2023-06-01; env: MEMDECK_API_VERSION]
    #[arg(long, global = true, value_parser = ["2023-06-01", "2026-10-21"])]
    pub api_version: Option<String>,

    /// Largest answer per model call, in tokens [default: 4096]
    #[arg(long, global = true, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_tokens: Option<u32>,

    /// Extended thinking: off, adaptive, or a token budget such as 2048 [default: off]
    #[arg(long, global = true, value_parser = super::parse_thinking)]
    pub thinking: Option<Thinking>,

    /// Server-side context editing: off, demo or production [default: off]
    #[arg(long, global = true, value_parser = super::parse_context_editing)]
    pub context_editing: Option<ContextEditing>,

    /// Speed of the demo model in tokens per second, 0 for as fast as possible [default: 60]
    #[arg(long, global = true, value_parser = super::parse_speed)]
    pub demo_speed: Option<f64>,

    /// After each answer, propose memories worth keeping (a second, cheaper model call): off,
    /// on (you accept or dismiss each) or auto (written at once) [default: off]
    /// [env: MEMDECK_EXTRACT]
    #[arg(long, global = true, value_name = "off|on|auto")]
    pub extract: Option<String>,

    /// Model calls allowed for one message [default: 25]
    #[arg(long, global = true, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_calls: Option<u32>,

    /// Seconds without any data before a stream counts as stalled [default: 90]
    #[arg(long, global = true, value_parser = clap::value_parser!(u64).range(1..))]
    pub idle_timeout: Option<u64>,

    /// The memory directory: what the model sees as /memories, created when missing
    /// [default: ./memories; env: MEMDECK_MEMORY_DIR]
    #[arg(
        long = "memory-dir",
        visible_alias = "dir",
        global = true,
        value_name = "DIR"
    )]
    pub memory_dir: Option<PathBuf>,

    /// Where memories live: local (a directory), or redis or postgres (shared by a team)
    /// [default: local; env: MEMDECK_MEMORY_BACKEND]
    #[arg(long, global = true, value_name = "local|redis|postgres")]
    pub memory_backend: Option<String>,

    /// The Redis server of the shared store, e.g. redis://host:6379 or rediss://user:pass@host:6380 (TLS)
    /// [env: MEMDECK_REDIS_URL]
    #[arg(long, global = true, value_name = "URL")]
    pub redis_url: Option<String>,

    /// The PostgreSQL database of the shared store, e.g.
    /// postgres://user:pass@host:5432/db?sslmode=require [env: MEMDECK_DATABASE_URL]
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,

    /// The team's namespace on that server; teams sharing one server use different ones
    /// [default: default; env: MEMDECK_NAMESPACE]
    #[arg(long, global = true, value_name = "NAME")]
    pub namespace: Option<String>,

    /// Where the history of every change is kept [default: .<name>-history beside the memory
    /// directory; env: MEMDECK_HISTORY_DIR]
    #[arg(long, global = true, value_name = "DIR")]
    pub history_dir: Option<PathBuf>,

    /// Largest memory file the model may write, in KiB [default: 100]
    #[arg(long, global = true, value_name = "KIB",
          value_parser = clap::value_parser!(u64).range(1..=65_536))]
    pub max_file_kib: Option<u64>,

    /// History entries to keep before the oldest are pruned; each file always keeps its
    /// newest five [default: 10000]
    #[arg(long, global = true, value_name = "ENTRIES",
          value_parser = clap::value_parser!(u64).range(10..))]
    pub history_keep: Option<u64>,

    /// A table of contents of the memory store (path, type, who wrote it when, description)
    /// in every request, so the model need not list the directory first: on or off
    /// [default: on] [env: MEMDECK_MEMORY_INDEX]
    #[arg(long, global = true, value_name = "ON|OFF")]
    pub memory_index: Option<String>,

    /// A demo script to present: a file, or a shipped one (team, code-review, incident); F5
    /// types the tab's next prompt [env: MEMDECK_DEMO]
    #[arg(long, global = true, value_name = "FILE|NAME")]
    pub demo: Option<String>,

    /// Where the demo script's speaker notes go as each step is typed: a file, another
    /// terminal (/dev/pts/N), or - for standard error when it is redirected; they are never on
    /// the main screen unless F8 shows them
    #[arg(long, global = true, value_name = "FILE|-")]
    pub notes: Option<String>,

    /// The saved session to continue (several demos can be kept apart) [default: default;
    /// env: MEMDECK_SESSION]
    #[arg(long, global = true, value_name = "NAME")]
    pub session: Option<String>,

    /// Where sessions are saved [default: sessions in $XDG_STATE_HOME/memdeck or
    /// ~/.local/state/memdeck; env: MEMDECK_SESSIONS_DIR]
    #[arg(long, global = true, value_name = "DIR")]
    pub sessions_dir: Option<PathBuf>,

    /// Where memory snapshots are saved [default: snapshots in $XDG_STATE_HOME/memdeck or
    /// ~/.local/state/memdeck; env: MEMDECK_SNAPSHOTS_DIR]
    #[arg(long, global = true, value_name = "DIR")]
    pub snapshots_dir: Option<PathBuf>,

    /// Save every model call's stream with its timing to FILE (appended to when it is a
    /// recording already) [env: MEMDECK_RECORD]
    #[arg(long, global = true, value_name = "FILE", conflicts_with = "replay")]
    pub record: Option<PathBuf>,

    /// Answer from a recording, offline and at the recorded pace, when the same prompts are
    /// sent in the same order per tab [env: MEMDECK_REPLAY]
    #[arg(long, global = true, value_name = "FILE")]
    pub replay: Option<PathBuf>,

    /// Colours: dark, light, high-contrast, or a theme file [default: dark; env: MEMDECK_THEME]
    #[arg(long, global = true, value_name = "NAME|FILE")]
    pub theme: Option<String>,

    /// Log file [default: memdeck.log in $XDG_STATE_HOME/memdeck or ~/.local/state/memdeck;
    /// env: MEMDECK_LOG_FILE]
    #[arg(long, global = true, value_name = "PATH")]
    pub log_file: Option<PathBuf>,

    /// Log level or filter, e.g. debug or memdeck=trace [default: info; env: MEMDECK_LOG]
    #[arg(long, global = true, value_name = "FILTER")]
    pub log_level: Option<String>,
}
