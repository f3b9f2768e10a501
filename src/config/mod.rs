//! Configuration: defaults < configuration files < `.env` < the environment < flags.
//!
//! The files are the user's `~/.config/memdeck/config.toml` (or `$XDG_CONFIG_HOME/...`), then
//! `./memdeck.toml` over it; `--config FILE` (or `MEMDECK_CONFIG`) reads that file alone.
//! `.env` in the working directory fills in variables the environment does not set. Every
//! value remembers where it came from, for `memdeck config`; a bad one is an error naming the
//! file and line (or the variable, or the flag) and what is allowed.
//!
//! The API key is read from the environment (or `.env`) only, never from a configuration file
//! (those get committed and shared), and is shown nowhere.

pub mod args;
mod build;
mod dotenv;
mod file;
mod parse;
mod resolve;

use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::path::{Path, PathBuf};

pub use args::{Flags, ProviderKind};
pub(crate) use parse::quote;
pub use parse::{parse_context_editing, parse_speed, parse_thinking};
pub use resolve::load;

use crate::chat::persona::Persona;
use crate::provider::{ContextEditing, Thinking};

/// A configuration problem, said so that the user can fix it: where, which key, what is
/// allowed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

/// Where a value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    Default,
    File { path: PathBuf, line: usize },
    DotEnv { path: PathBuf, var: String },
    Env(String),
    Flag(&'static str),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Default => f.write_str("default"),
            Self::File { path, line } => write!(f, "{}, line {line}", path.display()),
            Self::DotEnv { path, var } => write!(f, "{var} in {}", path.display()),
            Self::Env(var) => write!(f, "environment {var}"),
            Self::Flag(flag) => write!(f, "flag {flag}"),
        }
    }
}

/// A secret that never prints.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(redacted)")
    }
}

/// One effective setting, as `memdeck config` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setting {
    pub key: &'static str,
    /// The value as it would be written in the configuration file (secrets redacted).
    pub value: String,
    pub origin: Origin,
    /// The text as it was given (the flag's or variable's value, the file's raw value), for
    /// an error found after loading ([`Config::invalid`]); empty for a default.
    pub given: String,
}

/// One `[keys]` entry of a configuration file: an action's name and its key, as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyEntry {
    pub name: String,
    /// The key's text, and the value as written in the file (quoted).
    pub text: String,
    pub raw: String,
    pub path: PathBuf,
    pub line: usize,
}

impl KeyEntry {
    /// The error for this entry: where it is, then `message`.
    pub fn invalid(&self, message: &str) -> ConfigError {
        let origin = Origin::File {
            path: self.path.clone(),
            line: self.line,
        };
        bad_setting(&origin, &format!("keys.{}", self.name), &self.raw, message)
    }

    /// The error for this entry's name: where it is, then `message`.
    pub fn invalid_name(&self, message: &str) -> ConfigError {
        ConfigError(format!(
            "{}, line {}: keys.{}: {message}",
            self.path.display(),
            self.line,
            self.name
        ))
    }
}

/// The error for setting `key`, given as `given` (a variable's value, a file's raw value) where
/// `origin` says: where it was set, what was given, then `message`. Every error about one
/// setting is worded here, whenever it is found.
pub(crate) fn bad_setting(origin: &Origin, key: &str, given: &str, message: &str) -> ConfigError {
    ConfigError(match origin {
        Origin::Default => format!("{key} (default): {message}"),
        Origin::Flag(flag) => format!("flag {flag}: {message}"),
        Origin::Env(_) | Origin::DotEnv { .. } => {
            format!("{origin}: {given:?} is not a valid {key}: {message}")
        }
        Origin::File { .. } => format!("{origin}: {key} = {given}: {message}"),
    })
}

/// The process's view of the outside: its environment, `.env`, the working directory and
/// the user's configuration directory. Tests build one by hand.
#[derive(Clone, Debug, Default)]
pub struct Environment {
    pub vars: HashMap<String, String>,
    pub cwd: PathBuf,
    /// The user's configuration directory (`$XDG_CONFIG_HOME` or `~/.config`).
    pub config_home: Option<PathBuf>,
}

impl Environment {
    pub fn from_process() -> Self {
        let vars: HashMap<String, String> = std::env::vars().collect();
        let config_home = vars
            .get("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(|| vars.get("HOME").map(|h| Path::new(h).join(".config")));
        Self {
            vars,
            cwd: std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
            config_home,
        }
    }
}

/// How the app says that a tab in the background finished or failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notify {
    Off,
    /// The terminal's bell (BEL): a sound, a flash or a tmux window flag, as the terminal does.
    Bell,
    /// A desktop notification by OSC 9 (iTerm2, WezTerm, kitty, Windows Terminal, foot).
    Osc9,
    /// A desktop notification by OSC 777 (`notify;title;body`: VTE terminals, urxvt,
    /// Ghostty, WezTerm).
    Osc777,
}

impl Notify {
    /// `off`, `bell`, `osc9` or `osc777`, in any case.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "off" | "none" => Ok(Self::Off),
            "bell" => Ok(Self::Bell),
            "osc9" => Ok(Self::Osc9),
            "osc777" => Ok(Self::Osc777),
            _ => Err("expected off, bell, osc9 or osc777".to_owned()),
        }
    }

    pub const fn name(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Bell => "bell",
            Self::Osc9 => "osc9",
            Self::Osc777 => "osc777",
        }
    }
}

/// Which store holds the memories.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemoryBackend {
    /// The local directory (`memory.dir`).
    Local,
    /// The Redis store at `memory.redis_url`.
    Redis,
    /// The PostgreSQL store at `memory.database_url`.
    Postgres,
}

impl MemoryBackend {
    /// The backend a setting, flag or `memory migrate` names: `local` (also `file` or `dir`)
    /// `redis`, or `postgres` (also `postgresql`, `pg`), in any case.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "local" | "file" | "dir" => Ok(Self::Local),
            "redis" => Ok(Self::Redis),
            "postgres" | "postgresql" | "pg" => Ok(Self::Postgres),
            _ => Err("expected local, redis or postgres".to_owned()),
        }
    }

    /// Its name as the configuration writes it.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Local => "local",
            Self::Redis => "redis",
            Self::Postgres => "postgres",
        }
    }
}

/// Where memories live and how much history is kept.
#[derive(Clone, Debug, PartialEq)]
pub struct MemoryConfig {
    pub backend: MemoryBackend,
    pub redis_url: Option<String>,
    /// The PostgreSQL database of the shared store.
    pub database_url: Option<String>,
    pub namespace: String,
    pub dir: PathBuf,
    pub history_dir: Option<PathBuf>,
    pub max_file_kib: u64,
    pub history_keep: u64,
    /// The memory index in every request, within these limits; `None`: off.
    pub index: Option<crate::memory::index::IndexOptions>,
}

/// The effective configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// `None`: the Anthropic API when a key is set, else the demo model.
    pub provider: Option<ProviderKind>,
    pub model: String,
    pub base_url: String,
    pub api_key: Option<Secret>,
    /// `OPENAI_API_KEY`, for an OpenAI-compatible server that wants one.
    pub openai_key: Option<Secret>,
    /// Bedrock's region and profile, when not as the AWS CLI would find them.
    pub aws_region: Option<String>,
    pub aws_profile: Option<String>,
    pub api_version: String,
    pub max_tokens: u32,
    pub max_calls: u32,
    pub idle_timeout: u64,
    pub thinking: Thinking,
    pub context_editing: ContextEditing,
    pub demo_speed: f64,
    pub instructions: Option<String>,
    /// Memories proposed after each answer: off, on (the person accepts), auto.
    pub extract: crate::chat::extract::Extract,
    /// The model extraction asks (`None`: the cheap default of the backend).
    pub extract_model: Option<String>,
    /// Changes to the store after which the app suggests consolidating (0: never).
    pub consolidate_after: u64,
    /// Receipts under answers that changed memory.
    pub receipts: bool,
    /// Others' changes to files a tab's model read are told with its next message.
    pub tell_changes: bool,
    /// A file a tab's model reads is leased to it until its write (others wait).
    pub leases: bool,
    pub personas: Vec<Persona>,
    pub memory: MemoryConfig,
    pub log_file: Option<PathBuf>,
    pub log_level: String,
    /// The saved session to continue, and where sessions are kept.
    pub session: String,
    pub sessions_dir: PathBuf,
    /// The demo script: a file or a shipped script's name.
    pub demo: Option<String>,
    /// Where the speaker notes go (`--notes`): a path, or `-` for standard error.
    pub notes: Option<String>,
    /// Where memory snapshots are kept.
    pub snapshots_dir: PathBuf,
    /// Every model call is also saved here, with its timing.
    pub record: Option<PathBuf>,
    /// Calls are answered from this recording instead of a backend.
    pub replay: Option<PathBuf>,
    /// Token prices, for the cost shown per persona and in total.
    pub prices: crate::chat::cost::PriceTable,
    /// The `[keys]` entries of every configuration file, the highest file's first; the
    /// keymap is built from them (with the defaults) by `tui::prefs`.
    pub keys: Vec<KeyEntry>,
    /// The colours: a built-in theme's name or a theme file, as written (`tui::prefs` loads it).
    pub theme: String,
    /// Whether the app takes the mouse (off: the terminal selects text itself).
    pub mouse: bool,
    /// How a tab in the background finishing or failing is said.
    pub notify: Notify,
    /// Every setting with its origin, in the order `memdeck config` prints them.
    pub settings: Vec<Setting>,
    /// The configuration files looked for, and whether each was read.
    pub files: Vec<(PathBuf, bool)>,
}

impl Config {
    /// The error for a setting found wrong after loading (a theme file that does not parse):
    /// where the setting came from, then `message`, as [`load`] words its own errors.
    pub fn invalid(&self, key: &str, message: &str) -> ConfigError {
        match self.settings.iter().find(|s| s.key == key) {
            Some(setting) => bad_setting(&setting.origin, key, &setting.given, message),
            None => ConfigError(format!("{key}: {message}")),
        }
    }

    /// Defaults only, as a fresh machine with no files and no environment would have.
    pub fn defaults() -> Self {
        let env = Environment {
            cwd: PathBuf::from("."),
            ..Environment::default()
        };
        load(&Flags::default(), &env)
            .unwrap_or_else(|e| unreachable!("the defaults are valid: {e}"))
    }

    /// The effective configuration as `memdeck config` prints it: TOML that could be pasted
    /// into a configuration file, each line saying where its value came from.
    pub fn describe(&self) -> String {
        let mut out = String::from(
            "# memdeck's effective configuration. Precedence, highest first: flags, the \
             environment, .env, ./memdeck.toml, the user's config.toml, defaults.\n",
        );
        for (path, read) in &self.files {
            let state = if *read { "read" } else { "not found" };
            let _ = writeln!(out, "# {}: {state}", path.display());
        }
        let width = self
            .settings
            .iter()
            .map(|s| s.key.len() + s.value.len())
            .max();
        let width = (width.unwrap_or(0) + 3).min(48);
        for setting in &self.settings {
            // Values in parentheses say why there is no value; they are not TOML.
            let line = if setting.value.starts_with('(') {
                format!("# {}: {}", setting.key, setting.value)
            } else {
                format!("{} = {}", setting.key, setting.value)
            };
            let _ = writeln!(out, "{line:<width$}  # {}", setting.origin);
        }
        out
    }
}
