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
mod dotenv;
mod file;

use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub use args::{Flags, ProviderKind};
use file::{FileConfig, Located};

use crate::chat::TurnOptions;
use crate::chat::persona::{Persona, default_team};
use crate::memory::{LocalOptions, LocalStore, Retention, StoreError};
use crate::provider::anthropic::{self, Anthropic, AnthropicConfig};
use crate::provider::demo::Demo;
use crate::provider::record::{Recorder, Replay};
use crate::provider::{ContextEditing, Provider, ProviderError, Thinking};

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
        ConfigError(format!(
            "{}, line {}: keys.{} = {}: {message}",
            self.path.display(),
            self.line,
            self.name,
            self.raw
        ))
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

/// Where memories live and how much history is kept.
#[derive(Clone, Debug, PartialEq)]
pub struct MemoryConfig {
    /// `false`: the local directory; `true`: the Redis store at `redis_url`.
    pub redis: bool,
    pub redis_url: Option<String>,
    pub namespace: String,
    pub dir: PathBuf,
    pub history_dir: Option<PathBuf>,
    pub max_file_kib: u64,
    pub history_keep: u64,
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
    /// Every setting with its origin, in the order `memdeck config` prints them.
    pub settings: Vec<Setting>,
    /// The configuration files looked for, and whether each was read.
    pub files: Vec<(PathBuf, bool)>,
}

impl Config {
    /// The error for a setting found wrong after loading (a theme file that does not parse):
    /// where the setting came from, then `message`, as [`load`] words its own errors.
    pub fn invalid(&self, key: &str, message: &str) -> ConfigError {
        let Some(setting) = self.settings.iter().find(|s| s.key == key) else {
            return ConfigError(format!("{key}: {message}"));
        };
        ConfigError(match &setting.origin {
            Origin::Default => format!("{key} (default): {message}"),
            Origin::Flag(flag) => format!("flag {flag}: {message}"),
            origin @ (Origin::Env(_) | Origin::DotEnv { .. }) => format!(
                "{origin}: {:?} is not a valid {key}: {message}",
                setting.given
            ),
            Origin::File { path, line } => format!(
                "{}, line {line}: {key} = {}: {message}",
                path.display(),
                setting.given
            ),
        })
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

    pub fn local_options(&self) -> LocalOptions {
        LocalOptions {
            dir: self.memory.dir.clone(),
            history_dir: self.memory.history_dir.clone(),
            max_file_bytes: self.memory.max_file_kib * 1024,
            retention: Retention {
                max_entries: usize::try_from(self.memory.history_keep).unwrap_or(usize::MAX),
                ..Retention::default()
            },
        }
    }

    pub fn turn_options(&self) -> TurnOptions {
        TurnOptions {
            max_calls: self.max_calls,
            max_tokens: self.max_tokens,
            thinking: self.thinking,
            context_editing: self.context_editing,
            instructions: self.instructions.clone(),
            model: None,
        }
    }

    /// The memory store as configured: the local directory, or the team's Redis store.
    pub fn open_store(&self) -> Result<Arc<dyn crate::memory::MemoryStore>, StoreError> {
        if self.memory.redis {
            Ok(Arc::new(self.redis_store()?))
        } else {
            Ok(Arc::new(LocalStore::open(&self.local_options())?))
        }
    }

    /// The Redis store (`--memory-backend redis`).
    pub fn redis_store(&self) -> Result<crate::memory::redis::RedisStore, StoreError> {
        let url = self.memory.redis_url.clone().ok_or_else(|| {
            StoreError::Rejected(
                "the Redis memory store needs a server: --redis-url redis://host:6379 (or \
                 memory.redis_url, MEMDECK_REDIS_URL)"
                    .to_owned(),
            )
        })?;
        crate::memory::redis::RedisStore::open(crate::memory::redis::RedisOptions {
            url,
            namespace: self.memory.namespace.clone(),
            max_file_bytes: self.memory.max_file_kib * 1024,
            history_keep: self.memory.history_keep,
            host: crate::memory::redis::hostname(),
        })
    }

    /// What to check when the store cannot be opened.
    pub fn store_hint(&self) -> &'static str {
        if self.memory.redis {
            "check --redis-url (MEMDECK_REDIS_URL), that the server runs, and the namespace"
        } else {
            "check --memory-dir (or MEMDECK_MEMORY_DIR) and its permissions"
        }
    }

    /// The prices, and the model tabs use unless they picked one: for costs.
    pub fn pricing(&self) -> crate::chat::cost::Pricing {
        crate::chat::cost::Pricing {
            table: self.prices.clone(),
            model: self.model.clone(),
            free: self.provider_kind() == ProviderKind::Demo && self.replay.is_none(),
        }
    }

    /// The persona called `name`: one of the configured team (any case), or a new member.
    pub fn persona(&self, name: &str) -> Persona {
        self.personas
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
            .cloned()
            .unwrap_or_else(|| Persona::named(name))
    }

    /// The backend to use (a replay, or the configured backend, recorded when asked), and a
    /// note for the user about it.
    pub fn provider(&self) -> Result<(Arc<dyn Provider>, Option<String>), ProviderError> {
        if let Some(path) = &self.replay {
            let replay = Replay::open(path)?;
            let note = replay.recording().torn_tail.then(|| {
                format!(
                    "replaying {}: its last call was cut short and is left out",
                    path.display()
                )
            });
            return Ok((Arc::new(replay), note));
        }
        let (backend, note) = self.backend()?;
        let Some(path) = &self.record else {
            return Ok((backend, note.map(str::to_owned)));
        };
        let secrets = self
            .api_key
            .iter()
            .chain(&self.openai_key)
            .map(|k| k.expose().to_owned())
            .collect();
        let recorder = Recorder::open(backend, path, secrets)?;
        let appending = (recorder.earlier_calls > 0).then(|| {
            format!(
                "recording: appending to {} ({} model calls already there)",
                path.display(),
                recorder.earlier_calls
            )
        });
        let note = match (note, appending) {
            (Some(a), Some(b)) => Some(format!("{a}; {b}")),
            (a, b) => a.map(str::to_owned).or(b),
        };
        Ok((Arc::new(recorder), note))
    }

    /// The Bedrock backend as configured.
    #[cfg(feature = "bedrock")]
    pub fn bedrock(&self) -> Result<Arc<dyn Provider>, ProviderError> {
        Ok(Arc::new(self.bedrock_backend()?))
    }

    /// The Bedrock backend itself (doctor lists its models).
    #[cfg(feature = "bedrock")]
    pub fn bedrock_backend(&self) -> Result<crate::provider::bedrock::Bedrock, ProviderError> {
        let mut config = crate::provider::bedrock::BedrockConfig::new(self.model.clone());
        config.region.clone_from(&self.aws_region);
        config.profile.clone_from(&self.aws_profile);
        config.idle_timeout = Duration::from_secs(self.idle_timeout);
        crate::provider::bedrock::Bedrock::new(config)
    }

    /// Without the `bedrock` feature there is no Bedrock backend.
    #[cfg(not(feature = "bedrock"))]
    pub fn bedrock(&self) -> Result<Arc<dyn Provider>, ProviderError> {
        Err(ProviderError::Setup(
            "this memdeck was built without Bedrock; build it with the default features \
             (cargo build --release)"
                .to_owned(),
        ))
    }

    /// The OpenAI-compatible backend as configured.
    pub fn openai(&self) -> Result<crate::provider::openai::OpenAi, ProviderError> {
        let mut config = crate::provider::openai::OpenAiConfig::new(self.base_url.clone());
        config.api_key = self.openai_key.as_ref().map(|k| k.expose().to_owned());
        config.model = Some(self.model.clone()).filter(|m| !m.is_empty());
        config.idle_timeout = Duration::from_secs(self.idle_timeout);
        crate::provider::openai::OpenAi::new(config)
    }

    /// The configured backend, and a note when it was chosen for the user.
    fn backend(&self) -> Result<(Arc<dyn Provider>, Option<&'static str>), ProviderError> {
        let kind = match self.provider {
            Some(kind) => kind,
            None if self.api_key.is_none() => {
                let note = "no ANTHROPIC_API_KEY set: using the demo model (offline)";
                return Ok((self.demo(), Some(note)));
            }
            None => ProviderKind::Anthropic,
        };
        match kind {
            ProviderKind::Demo => Ok((self.demo(), None)),
            ProviderKind::Anthropic => Ok((Arc::new(self.anthropic()?), None)),
            ProviderKind::OpenAi => Ok((Arc::new(self.openai()?), None)),
            ProviderKind::Bedrock => Ok((self.bedrock()?, None)),
        }
    }

    /// The Anthropic backend as configured (an error when there is no key).
    pub fn anthropic(&self) -> Result<Anthropic, ProviderError> {
        let key = self.api_key.as_ref().map_or("", Secret::expose);
        let mut config = AnthropicConfig::new(key.to_owned());
        config.base_url.clone_from(&self.base_url);
        config.model.clone_from(&self.model);
        config.version.clone_from(&self.api_version);
        config.idle_timeout = Duration::from_secs(self.idle_timeout);
        Anthropic::new(config)
    }

    /// The backend that answers: the configured one, or the demo model when none is
    /// configured and there is no key.
    pub fn provider_kind(&self) -> ProviderKind {
        match self.provider {
            Some(kind) => kind,
            None if self.api_key.is_none() => ProviderKind::Demo,
            None => ProviderKind::Anthropic,
        }
    }

    fn demo(&self) -> Arc<dyn Provider> {
        Arc::new(Demo {
            tokens_per_second: self.demo_speed,
        })
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

/// The configuration from `flags`, the environment, `.env` and the files.
pub fn load(flags: &Flags, env: &Environment) -> Result<Config, ConfigError> {
    let dotenv_path = env.cwd.join(".env");
    let dotenv = dotenv::read(&dotenv_path)?;
    let explicit = flags.config.clone().map(|p| (p, "--config")).or_else(|| {
        env.vars
            .get("MEMDECK_CONFIG")
            .map(|p| (PathBuf::from(p), "MEMDECK_CONFIG"))
    });
    let mut files = Vec::new();
    let mut seen = Vec::new();
    if let Some((path, named_by)) = explicit {
        let path = if path.is_absolute() {
            path
        } else {
            env.cwd.join(path)
        };
        match file::read(&path)? {
            Some(config) => files.push(config),
            None => {
                return Err(ConfigError(format!(
                    "the configuration file {} (named by {named_by}) does not exist",
                    path.display()
                )));
            }
        }
        seen.push((path, true));
    } else {
        // Highest first: the working directory's file over the user's.
        let mut candidates = vec![env.cwd.join("memdeck.toml")];
        if let Some(home) = &env.config_home {
            candidates.push(home.join("memdeck").join("config.toml"));
        }
        for path in candidates {
            let found = file::read(&path)?;
            seen.push((path, found.is_some()));
            files.extend(found);
        }
    }
    let mut r = Resolver {
        flags,
        env,
        dotenv: &dotenv,
        dotenv_path: &dotenv_path,
        files: &files,
        settings: Vec::new(),
    };
    let mut config = r.resolve()?;
    config.files = seen;
    Ok(config)
}

struct Resolver<'a> {
    flags: &'a Flags,
    env: &'a Environment,
    dotenv: &'a HashMap<String, String>,
    dotenv_path: &'a Path,
    files: &'a [FileConfig],
    settings: Vec<Setting>,
}

/// One setting's names: its key in the file, its flag, its environment variables.
struct Key {
    name: &'static str,
    flag: &'static str,
    vars: &'static [&'static str],
}

const fn key(name: &'static str, flag: &'static str, vars: &'static [&'static str]) -> Key {
    Key { name, flag, vars }
}

impl Resolver<'_> {
    /// The highest layer that sets `key`: the flag, a variable, a file, else the default.
    fn value<T>(
        &mut self,
        key: &Key,
        flag: Option<T>,
        in_file: impl Fn(&FileConfig) -> Option<&Located>,
        default: T,
        parse: impl Fn(&str) -> Result<T, String>,
        show: impl Fn(&T) -> String,
    ) -> Result<T, ConfigError> {
        let (value, origin, given) = if let Some(value) = flag {
            (value, Origin::Flag(key.flag), String::new())
        } else if let Some((text, origin)) = self.variable(key.vars) {
            let value = parse(&text).map_err(|allowed| {
                ConfigError(format!(
                    "{origin}: {text:?} is not a valid {}: {allowed}",
                    key.name
                ))
            })?;
            (value, origin, text)
        } else if let Some((located, path)) = self
            .files
            .iter()
            .find_map(|f| in_file(f).map(|v| (v, &f.path)))
        {
            let value = parse(&located.text).map_err(|allowed| {
                ConfigError(format!(
                    "{}, line {}: {} = {}: {allowed}",
                    path.display(),
                    located.line,
                    key.name,
                    located.raw
                ))
            })?;
            let origin = Origin::File {
                path: path.clone(),
                line: located.line,
            };
            (value, origin, located.raw.clone())
        } else {
            (default, Origin::Default, String::new())
        };
        self.settings.push(Setting {
            key: key.name,
            value: show(&value),
            origin,
            given,
        });
        Ok(value)
    }

    /// The first of `vars` set in the environment, else in `.env`.
    fn variable(&self, vars: &[&str]) -> Option<(String, Origin)> {
        vars.iter()
            .find_map(|var| {
                self.env
                    .vars
                    .get(*var)
                    .map(|v| (v.clone(), Origin::Env((*var).to_owned())))
            })
            .or_else(|| {
                vars.iter().find_map(|var| {
                    self.dotenv.get(*var).map(|v| {
                        let origin = Origin::DotEnv {
                            path: self.dotenv_path.to_owned(),
                            var: (*var).to_owned(),
                        };
                        (v.clone(), origin)
                    })
                })
            })
    }

    #[allow(clippy::too_many_lines)]
    fn resolve(&mut self) -> Result<Config, ConfigError> {
        let f = self.flags;
        let provider = self.value(
            &key("provider", "--provider", &["MEMDECK_PROVIDER"]),
            f.provider.map(Some),
            |c| c.provider.as_ref(),
            None,
            |t| parse_provider(t).map(Some),
            |p| quote(p.map_or("auto", ProviderKind::name)),
        )?;
        let openai = provider == Some(ProviderKind::OpenAi);
        let (model, base_url) = if provider == Some(ProviderKind::Bedrock) {
            let model = self.value(
                &key("model", "--model", &["MEMDECK_MODEL"]),
                f.model.clone(),
                |c| c.model.as_ref(),
                crate::provider::BEDROCK_MODEL.to_owned(),
                non_empty,
                |m| quote(m),
            )?;
            (model, String::new())
        } else if openai {
            let model = self.value(
                &key("model", "--model", &["OPENAI_MODEL", "MEMDECK_MODEL"]),
                f.model.clone(),
                |c| c.model.as_ref(),
                String::new(),
                non_empty,
                |m| {
                    if m.is_empty() {
                        "(not set: the server's first model)".to_owned()
                    } else {
                        quote(m)
                    }
                },
            )?;
            let base_url = self.value(
                &key("base_url", "--base-url", &["OPENAI_BASE_URL"]),
                f.base_url.clone(),
                |c| c.base_url.as_ref(),
                crate::provider::openai::DEFAULT_BASE_URL.to_owned(),
                parse_url,
                |u| quote(u),
            )?;
            (model, base_url)
        } else {
            let model = self.value(
                &key("model", "--model", &["ANTHROPIC_MODEL", "MEMDECK_MODEL"]),
                f.model.clone(),
                |c| c.model.as_ref(),
                anthropic::DEFAULT_MODEL.to_owned(),
                non_empty,
                |m| quote(m),
            )?;
            let base_url = self.value(
                &key("base_url", "--base-url", &["ANTHROPIC_BASE_URL"]),
                f.base_url.clone(),
                |c| c.base_url.as_ref(),
                anthropic::DEFAULT_BASE_URL.to_owned(),
                parse_url,
                |u| quote(u),
            )?;
            (model, base_url)
        };
        let aws_region = self.value(
            &key("aws_region", "--aws-region", &[]),
            f.aws_region.clone().map(Some),
            |c| c.aws_region.as_ref(),
            None,
            |t| Ok(Some(t.trim().to_owned()).filter(|t| !t.is_empty())),
            |r| match r {
                Some(r) => quote(r),
                None => "(not set: as the AWS CLI finds it, AWS_REGION or the profile)".to_owned(),
            },
        )?;
        let aws_profile = self.value(
            &key("aws_profile", "--aws-profile", &[]),
            f.aws_profile.clone().map(Some),
            |c| c.aws_profile.as_ref(),
            None,
            |t| Ok(Some(t.trim().to_owned()).filter(|t| !t.is_empty())),
            |p| match p {
                Some(p) => quote(p),
                None => "(not set: AWS_PROFILE, else the default profile)".to_owned(),
            },
        )?;
        let openai_key = self
            .variable(&["OPENAI_API_KEY"])
            .filter(|(k, _)| !k.trim().is_empty());
        if openai {
            self.settings.push(Setting {
                given: String::new(),
                key: "openai_api_key",
                value: if openai_key.is_some() {
                    "(set, not shown; from the environment or .env only)".to_owned()
                } else {
                    "(not set: OPENAI_API_KEY, if the server needs one)".to_owned()
                },
                origin: openai_key
                    .as_ref()
                    .map_or(Origin::Default, |(_, o)| o.clone()),
            });
        }
        let openai_key = openai_key.map(|(k, _)| Secret(k.trim().to_owned()));
        let api_key = self
            .variable(&["ANTHROPIC_API_KEY"])
            .filter(|(k, _)| !k.trim().is_empty());
        self.settings.push(Setting {
            given: String::new(),
            key: "api_key",
            value: if api_key.is_some() {
                "(set, not shown; from the environment or .env only)".to_owned()
            } else {
                "(not set: ANTHROPIC_API_KEY in the environment or .env)".to_owned()
            },
            origin: api_key.as_ref().map_or(Origin::Default, |(_, o)| o.clone()),
        });
        let api_key = api_key.map(|(k, _)| Secret(k.trim().to_owned()));
        let api_version = self.value(
            &key("api_version", "--api-version", &["MEMDECK_API_VERSION"]),
            f.api_version.clone(),
            |c| c.api_version.as_ref(),
            anthropic::DEFAULT_VERSION.to_owned(),
            |t| match t {
                "2023-06-01" | "2026-10-21" => Ok(t.to_owned()),
                _ => Err("expected 2023-06-01 or 2026-10-21".to_owned()),
            },
            |v| quote(v),
        )?;
        let max_tokens = self.value(
            &key("max_tokens", "--max-tokens", &["MEMDECK_MAX_TOKENS"]),
            f.max_tokens,
            |c| c.max_tokens.as_ref(),
            4096,
            |t| number(t, 1, u64::from(u32::MAX)).map(|n| u32::try_from(n).unwrap_or(u32::MAX)),
            u32::to_string,
        )?;
        let max_calls = self.value(
            &key("max_calls", "--max-calls", &["MEMDECK_MAX_CALLS"]),
            f.max_calls,
            |c| c.max_calls.as_ref(),
            25,
            |t| number(t, 1, 1000).map(|n| u32::try_from(n).unwrap_or(1000)),
            u32::to_string,
        )?;
        let idle_timeout = self.value(
            &key("idle_timeout", "--idle-timeout", &["MEMDECK_IDLE_TIMEOUT"]),
            f.idle_timeout,
            |c| c.idle_timeout.as_ref(),
            90,
            |t| number(t, 1, 86_400),
            u64::to_string,
        )?;
        let thinking = self.value(
            &key("thinking", "--thinking", &["MEMDECK_THINKING"]),
            f.thinking,
            |c| c.thinking.as_ref(),
            Thinking::Off,
            parse_thinking,
            |t| quote(&t.to_string()),
        )?;
        let preset = self.value(
            &key(
                "context_editing",
                "--context-editing",
                &["MEMDECK_CONTEXT_EDITING"],
            ),
            f.context_editing,
            |c| c.context_editing.as_ref(),
            ContextEditing::Off,
            parse_context_editing,
            |c| quote(&c.to_string()),
        )?;
        let context_editing = self.custom_thresholds(preset)?;
        let demo_speed = self.value(
            &key("demo_speed", "--demo-speed", &["MEMDECK_DEMO_SPEED"]),
            f.demo_speed,
            |c| c.demo_speed.as_ref(),
            60.0,
            parse_speed,
            f64::to_string,
        )?;
        let instructions = self.value(
            &key("instructions", "", &["MEMDECK_INSTRUCTIONS"]),
            None,
            |c| c.instructions.as_ref(),
            None,
            |t| Ok(Some(t.to_owned()).filter(|t| !t.trim().is_empty())),
            |i| match i {
                Some(text) => quote(&ellipsis(text, 60)),
                None => "(none: the memory-protocol prompt alone)".to_owned(),
            },
        )?;
        let personas = self.personas()?;
        let session = self.value(
            &key("session", "--session", &["MEMDECK_SESSION"]),
            f.session.clone(),
            |c| c.session.as_ref(),
            "default".to_owned(),
            |t| crate::chat::session::check_name(t).map(|()| t.to_owned()),
            |n| quote(n),
        )?;
        if let Err(e) = crate::chat::session::check_name(&session) {
            return Err(ConfigError(format!("flag --session: {e}")));
        }
        let sessions_dir = self.value(
            &key("sessions_dir", "--sessions-dir", &["MEMDECK_SESSIONS_DIR"]),
            f.sessions_dir.clone(),
            |c| c.sessions_dir.as_ref(),
            crate::chat::session::default_dir(),
            path,
            |p| quote(&p.display().to_string()),
        )?;
        let memory = MemoryConfig {
            redis: self.value(
                &key(
                    "memory.backend",
                    "--memory-backend",
                    &["MEMDECK_MEMORY_BACKEND"],
                ),
                f.memory_backend
                    .as_deref()
                    .map(parse_backend)
                    .transpose()
                    .map_err(|e| ConfigError(format!("flag --memory-backend: {e}")))?,
                |c| c.memory.as_ref()?.backend.as_ref(),
                false,
                parse_backend,
                |r| quote(if *r { "redis" } else { "local" }),
            )?,
            redis_url: self.value(
                &key("memory.redis_url", "--redis-url", &["MEMDECK_REDIS_URL"]),
                f.redis_url.clone().map(Some),
                |c| c.memory.as_ref()?.redis_url.as_ref(),
                None,
                |t| Ok(Some(t.trim().to_owned()).filter(|t| !t.is_empty())),
                |u| match u {
                    Some(u) => quote(&crate::memory::redis::redact_url(u)),
                    None => "(not set: the Redis store needs one)".to_owned(),
                },
            )?,
            namespace: self.value(
                &key("memory.namespace", "--namespace", &["MEMDECK_NAMESPACE"]),
                f.namespace.clone(),
                |c| c.memory.as_ref()?.namespace.as_ref(),
                "default".to_owned(),
                |t| {
                    crate::memory::redis::check_namespace(t)
                        .map(|()| t.to_owned())
                        .map_err(|e| e.to_string())
                },
                |n| quote(n),
            )?,
            dir: self.value(
                &key("memory.dir", "--memory-dir", &["MEMDECK_MEMORY_DIR"]),
                f.memory_dir.clone(),
                |c| c.memory.as_ref()?.dir.as_ref(),
                PathBuf::from("./memories"),
                path,
                |p| quote(&p.display().to_string()),
            )?,
            history_dir: self.value(
                &key(
                    "memory.history_dir",
                    "--history-dir",
                    &["MEMDECK_HISTORY_DIR"],
                ),
                f.history_dir.clone().map(Some),
                |c| c.memory.as_ref()?.history_dir.as_ref(),
                None,
                |t| path(t).map(Some),
                |p| match p {
                    Some(p) => quote(&p.display().to_string()),
                    None => "(not set: .<name>-history beside memory.dir)".to_owned(),
                },
            )?,
            max_file_kib: self.value(
                &key(
                    "memory.max_file_kib",
                    "--max-file-kib",
                    &["MEMDECK_MAX_FILE_KIB"],
                ),
                f.max_file_kib,
                |c| c.memory.as_ref()?.max_file_kib.as_ref(),
                100,
                |t| number(t, 1, 65_536),
                u64::to_string,
            )?,
            history_keep: self.value(
                &key(
                    "memory.history_keep",
                    "--history-keep",
                    &["MEMDECK_HISTORY_KEEP"],
                ),
                f.history_keep,
                |c| c.memory.as_ref()?.history_keep.as_ref(),
                10_000,
                |t| number(t, 10, u64::MAX),
                u64::to_string,
            )?,
        };
        let demo = self.value(
            &key("demo", "--demo", &["MEMDECK_DEMO"]),
            f.demo.clone().map(Some),
            |c| c.demo.as_ref(),
            None,
            |t| Ok(Some(t.to_owned()).filter(|t| !t.trim().is_empty())),
            |d| match d {
                Some(d) => quote(d),
                None => "(none: F5 has nothing to type)".to_owned(),
            },
        )?;
        let snapshots_dir = self.value(
            &key(
                "snapshots_dir",
                "--snapshots-dir",
                &["MEMDECK_SNAPSHOTS_DIR"],
            ),
            f.snapshots_dir.clone(),
            |c| c.snapshots_dir.as_ref(),
            crate::logging::state_dir().join("snapshots"),
            path,
            |p| quote(&p.display().to_string()),
        )?;
        let record = self.value(
            &key("record", "--record", &["MEMDECK_RECORD"]),
            f.record.clone().map(Some),
            |c| c.record.as_ref(),
            None,
            |t| path(t).map(Some),
            |p| match p {
                Some(p) => quote(&p.display().to_string()),
                None => "(not recording)".to_owned(),
            },
        )?;
        let replay = self.value(
            &key("replay", "--replay", &["MEMDECK_REPLAY"]),
            f.replay.clone().map(Some),
            |c| c.replay.as_ref(),
            None,
            |t| path(t).map(Some),
            |p| match p {
                Some(p) => quote(&p.display().to_string()),
                None => "(not replaying)".to_owned(),
            },
        )?;
        if let (Some(record), Some(replay)) = (&record, &replay) {
            return Err(ConfigError(format!(
                "record ({}) and replay ({}) are both set: a session either records or replays",
                record.display(),
                replay.display()
            )));
        }
        let prices = self.prices()?;
        let keys = self.keys();
        let theme = self.value(
            &key("theme", "--theme", &["MEMDECK_THEME"]),
            f.theme.clone(),
            |c| c.theme.as_ref(),
            "dark".to_owned(),
            non_empty,
            |name| quote(name),
        )?;
        let log_file = self.value(
            &key("log.file", "--log-file", &["MEMDECK_LOG_FILE"]),
            f.log_file.clone().map(Some),
            |c| c.log.as_ref()?.file.as_ref(),
            None,
            |t| path(t).map(Some),
            |p| match p {
                Some(p) => quote(&p.display().to_string()),
                None => quote(&crate::logging::default_path().display().to_string()),
            },
        )?;
        let log_level = self.value(
            &key("log.level", "--log-level", &["MEMDECK_LOG"]),
            f.log_level.clone(),
            |c| c.log.as_ref()?.level.as_ref(),
            "info".to_owned(),
            |t| {
                tracing_subscriber::EnvFilter::try_new(t)
                    .map(|_| t.to_owned())
                    .map_err(|e| format!("expected a level (error, warn, info, debug, trace) or a filter such as memdeck=debug ({e})"))
            },
            |l| quote(l),
        )?;
        Ok(Config {
            provider,
            model,
            base_url,
            api_key,
            openai_key,
            aws_region,
            aws_profile,
            api_version,
            max_tokens,
            max_calls,
            idle_timeout,
            thinking,
            context_editing,
            demo_speed,
            instructions,
            personas,
            memory,
            log_file,
            log_level,
            session,
            sessions_dir,
            demo,
            notes: f.notes.clone(),
            snapshots_dir,
            record,
            replay,
            prices,
            keys,
            theme,
            settings: std::mem::take(&mut self.settings),
            files: Vec::new(),
        })
    }

    /// `[keys]`: every file's entries, the highest file's first.
    fn keys(&self) -> Vec<KeyEntry> {
        self.files
            .iter()
            .flat_map(|file| {
                file.keys.iter().map(|(name, located)| KeyEntry {
                    name: name.clone(),
                    text: located.text.clone(),
                    raw: located.raw.clone(),
                    path: file.path.clone(),
                    line: located.line,
                })
            })
            .collect()
    }

    /// `context_trigger`, `context_keep` and `context_clear_at_least` change a preset's
    /// thresholds (and do nothing while context editing is off).
    fn custom_thresholds(&mut self, preset: ContextEditing) -> Result<ContextEditing, ConfigError> {
        let (trigger, keep, clear) = preset.thresholds().unwrap_or((0, 0, 0));
        let tokens = |t: &str| number(t, 1, 10_000_000).map(|n| u32::try_from(n).unwrap_or(0));
        let trigger = self.value(
            &key("context_trigger", "", &["MEMDECK_CONTEXT_TRIGGER"]),
            None,
            |c| c.context_trigger.as_ref(),
            trigger,
            tokens,
            u32::to_string,
        )?;
        let keep = self.value(
            &key("context_keep", "", &["MEMDECK_CONTEXT_KEEP"]),
            None,
            |c| c.context_keep.as_ref(),
            keep,
            |t| number(t, 0, 1000).map(|n| u32::try_from(n).unwrap_or(0)),
            u32::to_string,
        )?;
        let clear_at_least = self.value(
            &key(
                "context_clear_at_least",
                "",
                &["MEMDECK_CONTEXT_CLEAR_AT_LEAST"],
            ),
            None,
            |c| c.context_clear_at_least.as_ref(),
            clear,
            |t| number(t, 0, 10_000_000).map(|n| u32::try_from(n).unwrap_or(0)),
            u32::to_string,
        )?;
        if preset == ContextEditing::Off {
            // Nothing to change: list only thresholds someone set (they wait for a preset).
            let n = self.settings.len();
            let mut i = n - 3;
            while i < self.settings.len() {
                if self.settings[i].origin == Origin::Default {
                    self.settings.remove(i);
                } else {
                    i += 1;
                }
            }
            return Ok(preset);
        }
        if preset.thresholds() == Some((trigger, keep, clear_at_least)) {
            return Ok(preset);
        }
        Ok(ContextEditing::Custom {
            trigger,
            keep,
            clear_at_least,
        })
    }

    /// The default price table with every file's `[prices.PREFIX]` over it (the highest file
    /// last, so it wins).
    fn prices(&mut self) -> Result<crate::chat::cost::PriceTable, ConfigError> {
        use crate::chat::cost::{Price, PriceTable};
        let mut table = PriceTable::default();
        for file in self.files.iter().rev() {
            for (prefix, line, fields) in &file.prices {
                let at = |what: String| {
                    ConfigError(format!(
                        "{}, line {line}: [prices.{prefix}] {what}",
                        file.path.display()
                    ))
                };
                let mut price = Price {
                    input: -1.0,
                    output: -1.0,
                    cache_read: -1.0,
                };
                for (key, value) in fields {
                    #[allow(clippy::cast_precision_loss)]
                    let number = match value {
                        toml::Value::Float(f) => *f,
                        toml::Value::Integer(i) => *i as f64,
                        _ => -1.0,
                    };
                    if !(number.is_finite() && number >= 0.0) {
                        return Err(at(format!(
                            "{key} must be a price of 0 or more (US dollars per million tokens)"
                        )));
                    }
                    match key.as_str() {
                        "input" => price.input = number,
                        "output" => price.output = number,
                        "cache_read" => price.cache_read = number,
                        other => {
                            return Err(at(format!(
                                "has no {other:?}: the keys are input, output and cache_read"
                            )));
                        }
                    }
                }
                if price.input < 0.0 || price.output < 0.0 {
                    return Err(at(
                        "needs input and output (US dollars per million tokens)".to_owned()
                    ));
                }
                if price.cache_read < 0.0 {
                    price.cache_read = price.input / 10.0;
                }
                table.set(prefix, price);
                self.settings.push(Setting {
                    given: String::new(),
                    key: "prices",
                    value: format!(
                        "({prefix}: input {}, output {}, cache reads {} per million tokens)",
                        price.input, price.output, price.cache_read
                    ),
                    origin: Origin::File {
                        path: file.path.clone(),
                        line: *line,
                    },
                });
            }
        }
        Ok(table)
    }

    /// The team: the files' `[[persona]]` entries (the highest file that has any), else the
    /// built-in Alice, John and Sam.
    fn personas(&mut self) -> Result<Vec<Persona>, ConfigError> {
        let Some(file) = self.files.iter().find(|f| !f.personas.is_empty()) else {
            let team = default_team();
            self.settings.push(Setting {
                given: String::new(),
                key: "persona",
                value: show_team(&team),
                origin: Origin::Default,
            });
            return Ok(team);
        };
        let mut team: Vec<Persona> = Vec::new();
        for entry in &file.personas {
            let at = |what: String| {
                ConfigError(format!(
                    "{}, line {}: [[persona]] {what}",
                    file.path.display(),
                    entry.line
                ))
            };
            let name = entry.name.trim();
            if name.is_empty() || name.chars().count() > 32 || name.chars().any(char::is_control) {
                return Err(at("name must be 1 to 32 visible characters".to_owned()));
            }
            if team.iter().any(|p| p.name.eq_ignore_ascii_case(name)) {
                return Err(at(format!("{name:?} appears twice; names must differ")));
            }
            let color = entry.color.clone().unwrap_or_else(|| "white".to_owned());
            if color.parse::<ratatui::style::Color>().is_err() {
                return Err(at(format!(
                    "color {color:?} is not a colour: use a name such as cyan or lightmagenta, or #rrggbb"
                )));
            }
            team.push(Persona {
                name: name.to_owned(),
                role: entry.role.trim().to_owned(),
                color,
            });
        }
        self.settings.push(Setting {
            given: String::new(),
            key: "persona",
            value: show_team(&team),
            origin: Origin::File {
                path: file.path.clone(),
                line: file.personas.first().map_or(1, |p| p.line),
            },
        });
        Ok(team)
    }
}

fn show_team(team: &[Persona]) -> String {
    let names: Vec<String> = team
        .iter()
        .map(|p| format!("{}: {}, {}", p.name, p.role, p.color))
        .collect();
    // In a file each persona is a [[persona]] table; here they are listed on one line.
    format!("({})", names.join("; "))
}

/// `text` as a TOML basic string.
pub(crate) fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn ellipsis(text: &str, max: usize) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        one_line
    } else {
        let cut: String = one_line.chars().take(max - 1).collect();
        format!("{cut}…")
    }
}

fn non_empty(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.is_empty() {
        Err("expected a non-empty name".to_owned())
    } else {
        Ok(text.to_owned())
    }
}

fn path(text: &str) -> Result<PathBuf, String> {
    if text.trim().is_empty() {
        Err("expected a path".to_owned())
    } else {
        Ok(PathBuf::from(text))
    }
}

fn parse_url(text: &str) -> Result<String, String> {
    let text = text.trim().trim_end_matches('/');
    if (text.starts_with("http://") || text.starts_with("https://")) && text.len() > 8 {
        Ok(text.to_owned())
    } else {
        Err("expected an http:// or https:// URL".to_owned())
    }
}

fn number(text: &str, min: u64, max: u64) -> Result<u64, String> {
    let allowed = if max == u64::MAX {
        format!("expected a whole number of at least {min}")
    } else {
        format!("expected a whole number from {min} to {max}")
    };
    let n: u64 = text
        .trim()
        .replace('_', "")
        .parse()
        .map_err(|_| allowed.clone())?;
    if (min..=max).contains(&n) {
        Ok(n)
    } else {
        Err(allowed)
    }
}

fn parse_backend(text: &str) -> Result<bool, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "local" => Ok(false),
        "redis" => Ok(true),
        _ => Err("expected local or redis".to_owned()),
    }
}

fn parse_provider(text: &str) -> Result<ProviderKind, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "demo" => Ok(ProviderKind::Demo),
        "anthropic" => Ok(ProviderKind::Anthropic),
        "openai" => Ok(ProviderKind::OpenAi),
        _ => Err("expected demo, anthropic or openai".to_owned()),
    }
}

/// `off`, `adaptive`, or a budget of at least 1,024 tokens.
pub fn parse_thinking(text: &str) -> Result<Thinking, String> {
    match text.trim() {
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

/// A context-editing preset: `off`, `demo` or `production`.
pub fn parse_context_editing(text: &str) -> Result<ContextEditing, String> {
    match text.trim() {
        "off" => Ok(ContextEditing::Off),
        "demo" => Ok(ContextEditing::Demo),
        "production" => Ok(ContextEditing::Production),
        _ => Err("expected off, demo or production (change a preset's thresholds with context_trigger, context_keep and context_clear_at_least)".to_owned()),
    }
}

/// Tokens a second for the demo model: 0 (as fast as possible) to 100,000.
pub fn parse_speed(text: &str) -> Result<f64, String> {
    let allowed = "expected tokens per second from 0 (as fast as possible) to 100000";
    let speed: f64 = text.trim().parse().map_err(|_| allowed.to_owned())?;
    if speed.is_finite() && (0.0..=100_000.0).contains(&speed) {
        Ok(speed)
    } else {
        Err(allowed.to_owned())
    }
}
