//! Configuration files: TOML, every key known (an unknown one is an error listing the known
//! ones), every value remembered with its line for the error messages.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::{Spanned, Value};

use super::{ConfigError, quote};

/// A value as written in a file: as text for the parsers, as written for messages, and where.
#[derive(Clone, Debug)]
pub struct Located {
    pub text: String,
    pub raw: String,
    pub line: usize,
}

#[derive(Clone, Debug)]
pub struct PersonaEntry {
    pub name: String,
    pub role: String,
    pub color: Option<String>,
    pub line: usize,
}

#[derive(Clone, Debug, Default)]
pub struct MemorySection {
    pub backend: Option<Located>,
    pub redis_url: Option<Located>,
    pub database_url: Option<Located>,
    pub namespace: Option<Located>,
    pub dir: Option<Located>,
    pub history_dir: Option<Located>,
    pub max_file_kib: Option<Located>,
    pub history_keep: Option<Located>,
    pub index: Option<Located>,
    pub index_lines: Option<Located>,
    pub index_bytes: Option<Located>,
}

#[derive(Clone, Debug, Default)]
pub struct LogSection {
    pub file: Option<Located>,
    pub level: Option<Located>,
}

/// A `[prices.PREFIX]` table: the prefix, its line, its keys and values.
pub type PriceSection = (String, usize, Vec<(String, toml::Value)>);

/// One configuration file, read.
#[derive(Clone, Debug, Default)]
pub struct FileConfig {
    pub path: PathBuf,
    pub provider: Option<Located>,
    pub model: Option<Located>,
    pub base_url: Option<Located>,
    pub api_version: Option<Located>,
    pub max_tokens: Option<Located>,
    pub max_calls: Option<Located>,
    pub idle_timeout: Option<Located>,
    pub thinking: Option<Located>,
    pub context_editing: Option<Located>,
    pub context_trigger: Option<Located>,
    pub context_keep: Option<Located>,
    pub context_clear_at_least: Option<Located>,
    pub demo_speed: Option<Located>,
    pub instructions: Option<Located>,
    pub extract: Option<Located>,
    pub extract_model: Option<Located>,
    pub consolidate_after: Option<Located>,
    pub receipts: Option<Located>,
    pub tell_changes: Option<Located>,
    pub leases: Option<Located>,
    pub session: Option<Located>,
    pub sessions_dir: Option<Located>,
    pub demo: Option<Located>,
    pub snapshots_dir: Option<Located>,
    pub record: Option<Located>,
    pub replay: Option<Located>,
    pub theme: Option<Located>,
    pub notify: Option<Located>,
    pub mouse: Option<Located>,
    pub aws_region: Option<Located>,
    pub aws_profile: Option<Located>,
    /// `[prices.PREFIX]` tables: `input`, `output`, `cache_read` in USD per million tokens.
    pub prices: Vec<PriceSection>,
    /// `[keys]`: remappable actions by name, with their keys.
    pub keys: Vec<(String, Located)>,
    pub personas: Vec<PersonaEntry>,
    pub memory: Option<MemorySection>,
    pub log: Option<LogSection>,
}

type Raw = Option<Spanned<Value>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    provider: Raw,
    model: Raw,
    base_url: Raw,
    api_key: Raw,
    api_version: Raw,
    max_tokens: Raw,
    max_calls: Raw,
    idle_timeout: Raw,
    thinking: Raw,
    context_editing: Raw,
    context_trigger: Raw,
    context_keep: Raw,
    context_clear_at_least: Raw,
    demo_speed: Raw,
    instructions: Raw,
    extract: Raw,
    extract_model: Raw,
    consolidate_after: Raw,
    receipts: Raw,
    tell_changes: Raw,
    leases: Raw,
    session: Raw,
    sessions_dir: Raw,
    demo: Raw,
    snapshots_dir: Raw,
    record: Raw,
    replay: Raw,
    theme: Raw,
    notify: Raw,
    mouse: Raw,
    aws_region: Raw,
    aws_profile: Raw,
    #[serde(default)]
    prices: std::collections::BTreeMap<String, Spanned<toml::Table>>,
    #[serde(default)]
    keys: std::collections::BTreeMap<String, Raw>,
    #[serde(default)]
    persona: Vec<Spanned<RawPersona>>,
    memory: Option<RawMemory>,
    log: Option<RawLog>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPersona {
    name: String,
    #[serde(default)]
    role: String,
    color: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMemory {
    backend: Raw,
    redis_url: Raw,
    database_url: Raw,
    namespace: Raw,
    dir: Raw,
    history_dir: Raw,
    max_file_kib: Raw,
    history_keep: Raw,
    index: Raw,
    index_lines: Raw,
    index_bytes: Raw,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLog {
    file: Raw,
    level: Raw,
}

/// A TOML syntax error: where, what, and the line as written, except what may be a secret
/// (the value of a key whose name says so, a credential's shape, a URL with a password).
fn syntax_error(path: &Path, text: &str, e: &toml::de::Error) -> ConfigError {
    let Some(span) = e.span() else {
        return ConfigError(format!("{}: {}", path.display(), e.message().trim_end()));
    };
    let line = line_of(text, span.start);
    let written = text.lines().nth(line - 1).unwrap_or_default();
    ConfigError(format!(
        "{}, line {line}: {}\n  {line} | {}",
        path.display(),
        e.message().trim_end(),
        shown_line(written)
    ))
}

/// A configuration line fit to echo: a sensitive value or anything shaped like a secret hidden,
/// control characters shown as `?`.
fn shown_line(line: &str) -> String {
    let sensitive = |key: &str| {
        let key = key.to_ascii_lowercase();
        [
            "key",
            "token",
            "secret",
            "pass",
            "url",
            "auth",
            "credential",
        ]
        .iter()
        .any(|word| key.contains(word))
    };
    let shown = match line.split_once('=') {
        Some((key, _)) if sensitive(key) => format!("{key}= <not shown>"),
        _ if crate::memory::secrets::find(line).is_some()
            || (line.contains("://") && line.contains('@')) =>
        {
            "<not shown: it may hold a secret>".to_owned()
        }
        _ => line.to_owned(),
    };
    shown
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// The line (from 1) of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// A single value with its line; a table or array where one value belongs is an error.
fn locate(path: &Path, text: &str, name: &str, value: Raw) -> Result<Option<Located>, ConfigError> {
    let Some(value) = value else { return Ok(None) };
    let at = line_of(text, value.span().start);
    let (text, raw) = match value.into_inner() {
        Value::String(s) => (s.clone(), quote(&s)),
        Value::Integer(i) => (i.to_string(), i.to_string()),
        Value::Float(f) => (f.to_string(), f.to_string()),
        Value::Boolean(b) => (b.to_string(), b.to_string()),
        other => {
            return Err(ConfigError(format!(
                "{}, line {at}: {name} must be a single value, not {}",
                path.display(),
                other.type_str()
            )));
        }
    };
    Ok(Some(Located {
        text,
        raw,
        line: at,
    }))
}

/// `[keys]`: action names with their keys, as written (the names and keys are checked by the
/// keymap's builder, which knows the actions: `tui::prefs`).
fn keys_section(
    path: &Path,
    text: &str,
    keys: std::collections::BTreeMap<String, Raw>,
) -> Result<Vec<(String, Located)>, ConfigError> {
    let mut out = Vec::new();
    for (name, value) in keys {
        let setting = format!("keys.{name}");
        let Some(located) = locate(path, text, &setting, value)? else {
            continue;
        };
        out.push((name, located));
    }
    Ok(out)
}

/// Read the file at `path`; `None` when there is none.
pub fn read(path: &Path) -> Result<Option<FileConfig>, ConfigError> {
    let Some(bytes) = read_plain_file(path)? else {
        return Ok(None);
    };
    let text = String::from_utf8(bytes)
        .map_err(|_| ConfigError(format!("{}: not UTF-8 text", path.display())))?;
    parse(path, &text).map(Some)
}

/// The bytes of a configuration file; `None` when there is none. Anything but a regular file
/// (a FIFO, a device, a directory) is refused without being opened for long: a FIFO would
/// otherwise block every command until something wrote to it.
pub fn read_plain_file(path: &Path) -> Result<Option<Vec<u8>>, ConfigError> {
    use std::io::Read as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let cannot = |e: std::io::Error| ConfigError(format!("cannot read {}: {e}", path.display()));
    let not_plain = || {
        ConfigError(format!(
            "{} is not a regular file (a FIFO, a device or a directory); memdeck reads its \
             settings only from plain files",
            path.display()
        ))
    };
    match std::fs::metadata(path) {
        Ok(meta) if !meta.is_file() => return Err(not_plain()),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(cannot(e)),
    }
    // Non-blocking, in case it was swapped for a FIFO since: the open then returns at once.
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NONBLOCK.bits().cast_signed())
        .open(path)
        .map_err(cannot)?;
    if !file.metadata().map_err(cannot)?.is_file() {
        return Err(not_plain());
    }
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).map_err(cannot)?;
    Ok(Some(bytes))
}

/// Parse the text of the file at `path`.
pub fn parse(path: &Path, text: &str) -> Result<FileConfig, ConfigError> {
    let raw: RawFile = toml::from_str(text).map_err(|e| syntax_error(path, text, &e))?;
    let line = |offset: usize| line_of(text, offset);
    let located = |name: &str, value: Raw| locate(path, text, name, value);
    if let Some(key) = raw.api_key {
        return Err(ConfigError(format!(
            "{}, line {}: api_key does not belong in a configuration file (files get shared \
             and committed); set ANTHROPIC_API_KEY in the environment or in .env",
            path.display(),
            line(key.span().start)
        )));
    }
    let memory = match raw.memory {
        Some(m) => Some(MemorySection {
            backend: located("memory.backend", m.backend)?,
            redis_url: located("memory.redis_url", m.redis_url)?,
            database_url: located("memory.database_url", m.database_url)?,
            namespace: located("memory.namespace", m.namespace)?,
            dir: located("memory.dir", m.dir)?,
            history_dir: located("memory.history_dir", m.history_dir)?,
            max_file_kib: located("memory.max_file_kib", m.max_file_kib)?,
            history_keep: located("memory.history_keep", m.history_keep)?,
            index: located("memory.index", m.index)?,
            index_lines: located("memory.index_lines", m.index_lines)?,
            index_bytes: located("memory.index_bytes", m.index_bytes)?,
        }),
        None => None,
    };
    let log = match raw.log {
        Some(l) => Some(LogSection {
            file: located("log.file", l.file)?,
            level: located("log.level", l.level)?,
        }),
        None => None,
    };
    let keys = keys_section(path, text, raw.keys)?;
    Ok(FileConfig {
        path: path.to_owned(),
        keys,
        provider: located("provider", raw.provider)?,
        model: located("model", raw.model)?,
        base_url: located("base_url", raw.base_url)?,
        api_version: located("api_version", raw.api_version)?,
        max_tokens: located("max_tokens", raw.max_tokens)?,
        max_calls: located("max_calls", raw.max_calls)?,
        idle_timeout: located("idle_timeout", raw.idle_timeout)?,
        thinking: located("thinking", raw.thinking)?,
        context_editing: located("context_editing", raw.context_editing)?,
        context_trigger: located("context_trigger", raw.context_trigger)?,
        context_keep: located("context_keep", raw.context_keep)?,
        context_clear_at_least: located("context_clear_at_least", raw.context_clear_at_least)?,
        demo_speed: located("demo_speed", raw.demo_speed)?,
        extract: located("extract", raw.extract)?,
        extract_model: located("extract_model", raw.extract_model)?,
        consolidate_after: located("consolidate_after", raw.consolidate_after)?,
        receipts: located("receipts", raw.receipts)?,
        tell_changes: located("tell_changes", raw.tell_changes)?,
        leases: located("leases", raw.leases)?,
        instructions: located("instructions", raw.instructions)?,
        session: located("session", raw.session)?,
        sessions_dir: located("sessions_dir", raw.sessions_dir)?,
        demo: located("demo", raw.demo)?,
        snapshots_dir: located("snapshots_dir", raw.snapshots_dir)?,
        record: located("record", raw.record)?,
        replay: located("replay", raw.replay)?,
        theme: located("theme", raw.theme)?,
        notify: located("notify", raw.notify)?,
        mouse: located("mouse", raw.mouse)?,
        aws_region: located("aws_region", raw.aws_region)?,
        aws_profile: located("aws_profile", raw.aws_profile)?,
        prices: raw
            .prices
            .into_iter()
            .map(|(prefix, table)| {
                let at = line(table.span().start);
                (prefix, at, table.into_inner().into_iter().collect())
            })
            .collect(),
        personas: raw
            .persona
            .into_iter()
            .map(|p| {
                let at = line(p.span().start);
                let p = p.into_inner();
                PersonaEntry {
                    name: p.name,
                    role: p.role,
                    color: p.color,
                    line: at,
                }
            })
            .collect(),
        memory,
        log,
    })
}
