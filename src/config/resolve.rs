//! The layers resolved into one [`Config`]: every setting looked up in the flags, the
//! environment, `.env` and the files (highest first), parsed, and recorded with its origin.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::file::{self, FileConfig, Located};
use super::parse::{
    ellipsis, non_empty, number, on_off, parse_context_editing, parse_provider, parse_speed,
    parse_thinking, parse_url, path, quote,
};
use super::{
    Config, ConfigError, Environment, Flags, KeyEntry, MemoryBackend, MemoryConfig, Notify, Origin,
    ProviderKind, Secret, Setting, bad_setting, dotenv,
};
use crate::chat::persona::{Persona, default_team};
use crate::memory::index::IndexOptions;
use crate::provider::anthropic;
use crate::provider::request::COMPACT_TRIGGER_MIN;
use crate::provider::{ContextEditing, Thinking};

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

/// The provider's settings, resolved together (the model's default depends on the backend).
struct ProviderPart {
    provider: Option<ProviderKind>,
    model: String,
    base_url: String,
    api_key: Option<Secret>,
    openai_key: Option<Secret>,
    aws_region: Option<String>,
    aws_profile: Option<String>,
    api_version: String,
}

/// How turns run.
struct TurnPart {
    max_tokens: u32,
    max_calls: u32,
    idle_timeout: u64,
    thinking: Thinking,
    context_editing: ContextEditing,
    demo_speed: f64,
    instructions: Option<String>,
    extract: crate::chat::extract::Extract,
    extract_model: Option<String>,
    consolidate_after: u64,
    receipts: bool,
    tell_changes: bool,
    leases: bool,
}

/// What memdeck does for memory around turns.
struct MemoryCare {
    extract: crate::chat::extract::Extract,
    extract_model: Option<String>,
    consolidate_after: u64,
    receipts: bool,
    tell_changes: bool,
    leases: bool,
}

/// How the screen looks and behaves.
struct Look {
    keys: Vec<KeyEntry>,
    theme: String,
    mouse: bool,
    notify: Notify,
}

/// The demo's files.
struct DemoPart {
    script: Option<String>,
    snapshots_dir: PathBuf,
    record: Option<PathBuf>,
    replay: Option<PathBuf>,
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
    /// A switch set only in files and the environment, on unless turned off.
    fn on_by_default(
        &mut self,
        key: &Key,
        in_file: impl Fn(&FileConfig) -> Option<&Located>,
    ) -> Result<bool, ConfigError> {
        self.value(key, None, in_file, true, on_off, |on| {
            quote(if *on { "on" } else { "off" })
        })
    }

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
            let value =
                parse(&text).map_err(|allowed| bad_setting(&origin, key.name, &text, &allowed))?;
            (value, origin, text)
        } else if let Some((located, path)) = self
            .files
            .iter()
            .find_map(|f| in_file(f).map(|v| (v, &f.path)))
        {
            let origin = Origin::File {
                path: path.clone(),
                line: located.line,
            };
            let value = parse(&located.text)
                .map_err(|allowed| bad_setting(&origin, key.name, &located.raw, &allowed))?;
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

    fn resolve(&mut self) -> Result<Config, ConfigError> {
        let p = self.provider()?;
        let t = self.turns()?;
        let personas = self.personas()?;
        let (session, sessions_dir) = self.sessions()?;
        let memory = self.memory()?;
        let d = self.demo()?;
        let prices = self.prices()?;
        let look = self.look()?;
        let (log_file, log_level) = self.log()?;
        Ok(Config {
            provider: p.provider,
            model: p.model,
            base_url: p.base_url,
            api_key: p.api_key,
            openai_key: p.openai_key,
            aws_region: p.aws_region,
            aws_profile: p.aws_profile,
            api_version: p.api_version,
            max_tokens: t.max_tokens,
            max_calls: t.max_calls,
            idle_timeout: t.idle_timeout,
            thinking: t.thinking,
            context_editing: t.context_editing,
            demo_speed: t.demo_speed,
            instructions: t.instructions,
            extract: t.extract,
            extract_model: t.extract_model,
            consolidate_after: t.consolidate_after,
            receipts: t.receipts,
            tell_changes: t.tell_changes,
            leases: t.leases,
            personas,
            memory,
            log_file,
            log_level,
            session,
            sessions_dir,
            demo: d.script,
            notes: self.flags.notes.clone(),
            snapshots_dir: d.snapshots_dir,
            record: d.record,
            replay: d.replay,
            prices,
            keys: look.keys,
            theme: look.theme,
            mouse: look.mouse,
            notify: look.notify,
            settings: std::mem::take(&mut self.settings),
            files: Vec::new(),
        })
    }

    /// Which backend, its model and address, the AWS choices, the keys (from the environment
    /// only) and the API version.
    fn provider(&mut self) -> Result<ProviderPart, ConfigError> {
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
        // One model setting; its variables and default depend on the backend.
        let (model_vars, default_model): (&'static [&'static str], &str) = match provider {
            Some(ProviderKind::Bedrock) => (&["MEMDECK_MODEL"], crate::provider::BEDROCK_MODEL),
            Some(ProviderKind::OpenAi) => (&["OPENAI_MODEL", "MEMDECK_MODEL"], ""),
            _ => (
                &["ANTHROPIC_MODEL", "MEMDECK_MODEL"],
                anthropic::DEFAULT_MODEL,
            ),
        };
        let model = self.value(
            &key("model", "--model", model_vars),
            f.model.clone(),
            |c| c.model.as_ref(),
            default_model.to_owned(),
            non_empty,
            |m| {
                if m.is_empty() {
                    "(not set: the server's first model)".to_owned()
                } else {
                    quote(m)
                }
            },
        )?;
        // Bedrock is addressed by its region; the others by a base URL.
        let url_setting: Option<(&'static [&'static str], &str)> = match provider {
            Some(ProviderKind::Bedrock) => None,
            Some(ProviderKind::OpenAi) => Some((
                &["OPENAI_BASE_URL"],
                crate::provider::openai::DEFAULT_BASE_URL,
            )),
            _ => Some((&["ANTHROPIC_BASE_URL"], anthropic::DEFAULT_BASE_URL)),
        };
        let base_url = match url_setting {
            None => String::new(),
            Some((vars, default)) => self.value(
                &key("base_url", "--base-url", vars),
                f.base_url.clone(),
                |c| c.base_url.as_ref(),
                default.to_owned(),
                parse_url,
                |u| quote(u),
            )?,
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
        let (api_key, openai_key) = self.api_keys(openai);
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
        Ok(ProviderPart {
            provider,
            model,
            base_url,
            api_key,
            openai_key,
            aws_region,
            aws_profile,
            api_version,
        })
    }

    /// The API keys, from the environment or `.env` only (never a file), shown as set or not.
    fn api_keys(&mut self, openai: bool) -> (Option<Secret>, Option<Secret>) {
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
        (api_key, openai_key)
    }

    /// How a turn runs: its limits, thinking, context editing, the demo model's speed and the
    /// extra instructions.
    fn turns(&mut self) -> Result<TurnPart, ConfigError> {
        let f = self.flags;
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
        let MemoryCare {
            extract,
            extract_model,
            consolidate_after,
            receipts,
            tell_changes,
            leases,
        } = self.memory_care()?;
        Ok(TurnPart {
            max_tokens,
            max_calls,
            idle_timeout,
            thinking,
            context_editing,
            demo_speed,
            instructions,
            extract,
            extract_model,
            consolidate_after,
            receipts,
            tell_changes,
            leases,
        })
    }

    /// What memdeck does for memory around turns: extraction after answers (and its model),
    /// and when to suggest consolidating.
    fn memory_care(&mut self) -> Result<MemoryCare, ConfigError> {
        let f = self.flags;
        let extract = self.value(
            &key("extract", "--extract", &["MEMDECK_EXTRACT"]),
            f.extract
                .as_deref()
                .map(crate::chat::extract::Extract::parse)
                .transpose()
                .map_err(|e| bad_setting(&Origin::Flag("--extract"), "extract", "", &e))?,
            |c| c.extract.as_ref(),
            crate::chat::extract::Extract::Off,
            crate::chat::extract::Extract::parse,
            |e| quote(e.name()),
        )?;
        let extract_model = self.value(
            &key("extract_model", "", &["MEMDECK_EXTRACT_MODEL"]),
            None,
            |c| c.extract_model.as_ref(),
            None,
            |t| Ok(Some(t.trim().to_owned()).filter(|t| !t.is_empty())),
            |m| match m {
                Some(m) => quote(m),
                None => "(not set: claude-haiku-4-5 on the Anthropic API and Bedrock, else the chat's model)".to_owned(),
            },
        )?;
        let consolidate_after = self.value(
            &key("consolidate_after", "", &["MEMDECK_CONSOLIDATE_AFTER"]),
            None,
            |c| c.consolidate_after.as_ref(),
            200,
            |t| number(t, 0, 1_000_000),
            u64::to_string,
        )?;
        let receipts = self.on_by_default(&key("receipts", "", &["MEMDECK_RECEIPTS"]), |c| {
            c.receipts.as_ref()
        })?;
        let tell_changes = self
            .on_by_default(&key("tell_changes", "", &["MEMDECK_TELL_CHANGES"]), |c| {
                c.tell_changes.as_ref()
            })?;
        let leases = self.on_by_default(&key("leases", "", &["MEMDECK_LEASES"]), |c| {
            c.leases.as_ref()
        })?;
        Ok(MemoryCare {
            extract,
            extract_model,
            consolidate_after,
            receipts,
            tell_changes,
            leases,
        })
    }

    /// The session to continue and where sessions are kept.
    fn sessions(&mut self) -> Result<(String, PathBuf), ConfigError> {
        let f = self.flags;
        let session = self.value(
            &key("session", "--session", &["MEMDECK_SESSION"]),
            f.session.clone(),
            |c| c.session.as_ref(),
            "default".to_owned(),
            |t| crate::chat::session::check_name(t).map(|()| t.to_owned()),
            |n| quote(n),
        )?;
        if let Err(e) = crate::chat::session::check_name(&session) {
            return Err(bad_setting(&Origin::Flag("--session"), "session", "", &e));
        }
        let sessions_dir = self.value(
            &key("sessions_dir", "--sessions-dir", &["MEMDECK_SESSIONS_DIR"]),
            f.sessions_dir.clone(),
            |c| c.sessions_dir.as_ref(),
            crate::chat::session::default_dir(),
            path,
            |p| quote(&p.display().to_string()),
        )?;
        Ok((session, sessions_dir))
    }

    /// The shared stores' servers: Redis's URL and PostgreSQL's.
    fn server_urls(&mut self) -> Result<(Option<String>, Option<String>), ConfigError> {
        let f = self.flags;
        let redis_url = self.value(
            &key("memory.redis_url", "--redis-url", &["MEMDECK_REDIS_URL"]),
            f.redis_url.clone().map(Some),
            |c| c.memory.as_ref()?.redis_url.as_ref(),
            None,
            |t| Ok(Some(t.trim().to_owned()).filter(|t| !t.is_empty())),
            |u| match u {
                Some(u) => quote(&crate::memory::redis::redact_url(u)),
                None => "(not set: the Redis store needs one)".to_owned(),
            },
        )?;
        let database_url = self.value(
            &key(
                "memory.database_url",
                "--database-url",
                &["MEMDECK_DATABASE_URL"],
            ),
            f.database_url.clone().map(Some),
            |c| c.memory.as_ref()?.database_url.as_ref(),
            None,
            |t| Ok(Some(t.trim().to_owned()).filter(|t| !t.is_empty())),
            |u| match u {
                Some(u) => quote(&crate::memory::postgres::redact_url(u)),
                None => "(not set: the PostgreSQL store needs one)".to_owned(),
            },
        )?;
        Ok((redis_url, database_url))
    }

    /// `[memory]`: the backend and its settings, the limits, the history kept.
    fn memory(&mut self) -> Result<MemoryConfig, ConfigError> {
        let f = self.flags;
        let index = self.memory_index()?;
        let (redis_url, database_url) = self.server_urls()?;
        Ok(MemoryConfig {
            index,
            backend: self.value(
                &key(
                    "memory.backend",
                    "--memory-backend",
                    &["MEMDECK_MEMORY_BACKEND"],
                ),
                f.memory_backend
                    .as_deref()
                    .map(MemoryBackend::parse)
                    .transpose()
                    .map_err(|e| {
                        bad_setting(&Origin::Flag("--memory-backend"), "memory.backend", "", &e)
                    })?,
                |c| c.memory.as_ref()?.backend.as_ref(),
                MemoryBackend::Local,
                MemoryBackend::parse,
                |b| quote(b.name()),
            )?,
            redis_url,
            database_url,
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
        })
    }

    /// `memory.index` (on or off) and its limits.
    fn memory_index(&mut self) -> Result<Option<IndexOptions>, ConfigError> {
        let on = self.value(
            &key("memory.index", "--memory-index", &["MEMDECK_MEMORY_INDEX"]),
            self.flags
                .memory_index
                .as_deref()
                .map(on_off)
                .transpose()
                .map_err(|e| {
                    bad_setting(&Origin::Flag("--memory-index"), "memory.index", "", &e)
                })?,
            |c| c.memory.as_ref()?.index.as_ref(),
            true,
            on_off,
            |on| quote(if *on { "on" } else { "off" }),
        )?;
        let limits = IndexOptions::default();
        let max_lines = self.value(
            &key("memory.index_lines", "", &["MEMDECK_MEMORY_INDEX_LINES"]),
            None,
            |c| c.memory.as_ref()?.index_lines.as_ref(),
            limits.max_lines,
            |t| number(t, 1, 10_000).map(|n| usize::try_from(n).unwrap_or(10_000)),
            usize::to_string,
        )?;
        let max_bytes = self.value(
            &key("memory.index_bytes", "", &["MEMDECK_MEMORY_INDEX_BYTES"]),
            None,
            |c| c.memory.as_ref()?.index_bytes.as_ref(),
            limits.max_bytes,
            |t| number(t, 1024, 1_048_576).map(|n| usize::try_from(n).unwrap_or(1_048_576)),
            usize::to_string,
        )?;
        Ok(on.then_some(IndexOptions {
            max_lines,
            max_bytes,
        }))
    }

    /// The demo script, the snapshots' directory, recording and replaying.
    fn demo(&mut self) -> Result<DemoPart, ConfigError> {
        let f = self.flags;
        let script = self.value(
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
        Ok(DemoPart {
            script,
            snapshots_dir,
            record,
            replay,
        })
    }

    /// `[keys]` and the theme, as written (see `tui::prefs`).
    fn look(&mut self) -> Result<Look, ConfigError> {
        let f = self.flags;
        let keys = self.keys();
        let theme = self.value(
            &key("theme", "--theme", &["MEMDECK_THEME"]),
            f.theme.clone(),
            |c| c.theme.as_ref(),
            "dark".to_owned(),
            non_empty,
            |name| quote(name),
        )?;
        let mouse =
            self.on_by_default(&key("mouse", "", &["MEMDECK_MOUSE"]), |c| c.mouse.as_ref())?;
        let notify = self.value(
            &key("notify", "", &["MEMDECK_NOTIFY"]),
            None,
            |c| c.notify.as_ref(),
            Notify::Bell,
            Notify::parse,
            |n| quote(n.name()),
        )?;
        Ok(Look {
            keys,
            theme,
            mouse,
            notify,
        })
    }

    /// `[log]`: the file and the level.
    fn log(&mut self) -> Result<(Option<PathBuf>, String), ConfigError> {
        let f = self.flags;
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
        Ok((log_file, log_level))
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
        if let ContextEditing::Compact { trigger } = preset {
            let trigger = self.value(
                &key("context_trigger", "", &["MEMDECK_CONTEXT_TRIGGER"]),
                None,
                |c| c.context_trigger.as_ref(),
                trigger,
                |t| {
                    number(t, u64::from(COMPACT_TRIGGER_MIN), 10_000_000)
                        .map(|n| u32::try_from(n).unwrap_or(COMPACT_TRIGGER_MIN))
                        .map_err(|e| format!("{e} (the API compacts from 50000 tokens up)"))
                },
                u32::to_string,
            )?;
            return Ok(ContextEditing::Compact { trigger });
        }
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
