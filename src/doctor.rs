//! `memdeck doctor`: checks the terminal, the configuration, the memory directory and the
//! provider, and says what is wrong and how to fix it. Reads only; the one write is a probe
//! file in the memory directory, removed at once.

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use crate::app::layout::{MIN_HEIGHT, MIN_WIDTH};
use crate::config::{Config, ConfigError, Environment, MemoryBackend, ProviderKind};
use crate::memory::MemPath;
use crate::provider::ProviderError;
use crate::provider::record::{Recording, Replay};

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Ok,
    Warn,
    Fail,
}

/// One thing the doctor found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub level: Level,
    pub area: &'static str,
    pub text: String,
    /// What to do about it.
    pub fix: Option<String>,
}

fn found(level: Level, area: &'static str, text: impl Into<String>) -> Finding {
    Finding {
        level,
        area,
        text: text.into(),
        fix: None,
    }
}

impl Finding {
    fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }
}

/// What the terminal looks like from here.
#[derive(Clone, Debug)]
pub struct TerminalInfo {
    pub is_terminal: bool,
    pub size: Option<(u16, u16)>,
}

impl TerminalInfo {
    pub fn detect() -> Self {
        let is_terminal = std::io::stdout().is_terminal() && std::io::stdin().is_terminal();
        Self {
            is_terminal,
            size: crossterm::terminal::size().ok().filter(|_| is_terminal),
        }
    }
}

/// Every check, in order. `config` is what loading the configuration gave.
pub async fn examine(
    config: &Result<Config, ConfigError>,
    env: &Environment,
    terminal: &TerminalInfo,
) -> Vec<Finding> {
    let mut findings = check_terminal(env, terminal);
    match config {
        Err(e) => findings.push(
            found(Level::Fail, "configuration", e.0.clone())
                .fix("correct it; `memdeck config` shows the result once it loads"),
        ),
        Ok(config) => {
            let read: Vec<String> = config
                .files
                .iter()
                .filter(|(_, read)| *read)
                .map(|(p, _)| p.display().to_string())
                .collect();
            let text = if read.is_empty() {
                "loads (no configuration file: defaults, environment and flags)".to_owned()
            } else {
                format!("loads from {}", read.join(" and "))
            };
            findings.push(found(Level::Ok, "configuration", text));
            findings.extend(check_memory(config, env));
            match &config.replay {
                Some(path) => findings.push(check_replay(path)),
                None => {
                    if let Some(path) = &config.record {
                        findings.push(check_record(path));
                    }
                    findings.extend(check_provider(config).await);
                }
            }
        }
    }
    findings
}

/// The findings as the user reads them; the second value says whether anything failed.
pub fn report(findings: &[Finding]) -> (String, bool) {
    let mut out = String::new();
    for f in findings {
        let mark = match f.level {
            Level::Ok => "✓",
            Level::Warn => "!",
            Level::Fail => "✗",
        };
        let _ = writeln!(out, "{mark} {}: {}", f.area, f.text);
        if let Some(fix) = &f.fix {
            let _ = writeln!(out, "    fix: {fix}");
        }
    }
    let failed = findings.iter().filter(|f| f.level == Level::Fail).count();
    let warned = findings.iter().filter(|f| f.level == Level::Warn).count();
    let _ = match (failed, warned) {
        (0, 0) => writeln!(out, "all good"),
        (0, w) => writeln!(out, "usable, with {w} warning(s)"),
        (f, _) => writeln!(out, "{f} problem(s) to fix"),
    };
    (out, failed > 0)
}

fn check_terminal(env: &Environment, terminal: &TerminalInfo) -> Vec<Finding> {
    let mut out = Vec::new();
    let term = env.vars.get("TERM").map_or("", String::as_str);
    if term.is_empty() || term == "dumb" {
        out.push(
            found(Level::Fail, "terminal", format!("TERM is {term:?}"))
                .fix("run memdeck in a terminal emulator (TERM=xterm-256color or similar)"),
        );
    } else {
        let colours = env
            .vars
            .get("COLORTERM")
            .is_some_and(|c| c.contains("truecolor") || c.contains("24bit"))
            || term.contains("256color")
            || term.contains("direct");
        if colours {
            out.push(found(
                Level::Ok,
                "terminal",
                format!("TERM={term}, colours"),
            ));
        } else {
            out.push(
                found(
                    Level::Warn,
                    "terminal",
                    format!("TERM={term} may show only 8 colours"),
                )
                .fix("use a 256-colour terminal setting, e.g. TERM=xterm-256color"),
            );
        }
    }
    if !terminal.is_terminal {
        out.push(found(
            Level::Warn,
            "terminal",
            "standard input or output is not a terminal: the full-screen app needs one (scripts can use `memdeck ask` and `memdeck memory`)",
        ));
    }
    if let Some((w, h)) = terminal.size {
        if w < MIN_WIDTH || h < MIN_HEIGHT {
            out.push(
                found(
                    Level::Fail,
                    "terminal",
                    format!("{w}×{h} is smaller than {MIN_WIDTH}×{MIN_HEIGHT}"),
                )
                .fix("make the window larger (80×24 or more shows the memory panel)"),
            );
        } else if w < 80 || h < 24 {
            out.push(found(
                Level::Warn,
                "terminal",
                format!("{w}×{h}: the memory panel needs 80×24 or more"),
            ));
        } else {
            out.push(found(Level::Ok, "terminal", format!("{w}×{h}")));
        }
    }
    let locale = ["LC_ALL", "LC_CTYPE", "LANG"]
        .iter()
        .find_map(|v| env.vars.get(*v).filter(|s| !s.is_empty()))
        .map_or("", String::as_str);
    let utf8 = locale
        .to_ascii_lowercase()
        .replace('-', "")
        .contains("utf8");
    if !utf8 {
        out.push(
            found(Level::Warn, "terminal", format!("the locale ({}) is not UTF-8", if locale.is_empty() { "unset" } else { locale }))
                .fix("set LANG=C.UTF-8 (or your language's .UTF-8 locale) so borders and names draw right"),
        );
    }
    out
}

fn check_memory(config: &Config, env: &Environment) -> Vec<Finding> {
    let area = "memory";
    if config.memory.backend == MemoryBackend::Redis {
        return vec![check_redis(config)];
    }
    if config.memory.backend == MemoryBackend::Postgres {
        return vec![check_postgres(config)];
    }
    let dir = if config.memory.dir.is_absolute() {
        config.memory.dir.clone()
    } else {
        env.cwd.join(&config.memory.dir)
    };
    let shown = config.memory.dir.display().to_string();
    let meta = match std::fs::symlink_metadata(&dir) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let parent = dir
                .parent()
                .map_or_else(|| PathBuf::from("."), Path::to_owned);
            return vec![if parent.is_dir() {
                found(
                    Level::Ok,
                    area,
                    format!("{shown} does not exist yet; it is created at the first start"),
                )
            } else {
                found(
                    Level::Fail,
                    area,
                    format!("{shown} does not exist, nor does {}", parent.display()),
                )
                .fix("create the parent directory or choose another memory.dir")
            }];
        }
        Err(e) => {
            return vec![found(
                Level::Fail,
                area,
                format!("cannot look at {shown}: {e}"),
            )];
        }
    };
    if meta.file_type().is_symlink() {
        return vec![
            found(
                Level::Fail,
                area,
                format!("{shown} is a symbolic link; memdeck does not follow links"),
            )
            .fix("point memory.dir at the real directory"),
        ];
    }
    if !meta.is_dir() {
        return vec![
            found(Level::Fail, area, format!("{shown} is not a directory"))
                .fix("move the file away or choose another memory.dir"),
        ];
    }
    let mut out = Vec::new();
    let probe = dir.join(format!(".memdeck-doctor-{}", std::process::id()));
    match std::fs::write(&probe, b"probe") {
        Ok(()) => {
            let _ = std::fs::remove_file(&probe);
        }
        Err(e) => out.push(
            found(Level::Fail, area, format!("{shown} is not writable: {e}"))
                .fix("fix its permissions (the model and the panel write there)"),
        ),
    }
    let mut files = 0usize;
    let mut leftovers = Vec::new();
    walk(&dir, &dir, 0, &mut |rel, meta| match meta {
        Ok(meta) => {
            if meta.is_file() {
                files += 1;
            }
            leftovers.extend(leftover(&dir, rel, meta, config.memory.max_file_kib));
        }
        Err(e) => leftovers.push(format!(
            "{} cannot be read ({}); the model sees the folder but not what it holds",
            shown_virtual(rel),
            crate::memory::io_reason(&e)
        )),
    });
    if out.is_empty() {
        out.push(found(
            Level::Ok,
            area,
            format!("{shown}: writable, {files} file(s)"),
        ));
    }
    for text in leftovers {
        out.push(
            found(Level::Warn, area, text)
                .fix("move it out of the memory directory, or replace it with a plain UTF-8 file"),
        );
    }
    out
}

/// The memory path of the entry at `rel`, its name escaped where it is not plain text.
fn shown_virtual(rel: &Path) -> String {
    use std::os::unix::ffi::OsStrExt as _;
    let shown = crate::memory::path::display_disk_name(rel.as_os_str().as_bytes());
    format!("/memories/{shown}")
}

/// What is wrong with the entry at `rel` (below `dir`), if anything.
fn leftover(dir: &Path, rel: &Path, meta: &std::fs::Metadata, max_kib: u64) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let virt = shown_virtual(rel);
    let kind = meta.file_type();
    let problem = if rel.to_str().is_none() {
        "has a name that is not UTF-8; the model cannot reach it".to_owned()
    } else if kind.is_symlink() {
        "is a symbolic link (never followed; the model cannot see it)".to_owned()
    } else if kind.is_dir() {
        return None;
    } else if !kind.is_file() {
        "is not a regular file (a FIFO, socket or device; refused)".to_owned()
    } else if MemPath::parse(&format!("/memories/{}", rel.display())).is_err() {
        "has a name memory paths may not use; the model cannot reach it".to_owned()
    } else if meta.len() > max_kib * 1024 {
        format!(
            "is {} KiB, over the {max_kib} KiB limit (listed, but view refuses it)",
            meta.len() / 1024
        )
    } else if meta.nlink() > 1 {
        "has other hard links (refused: writes would change the other names too)".to_owned()
    } else if std::fs::read(dir.join(rel)).is_ok_and(|b| std::str::from_utf8(&b).is_err()) {
        "is not UTF-8 text (listed, but view refuses it)".to_owned()
    } else {
        return None;
    };
    Some(format!("{virt} {problem}"))
}

/// Every entry below `root` (its path relative to `root`, raw bytes kept), hidden ones
/// (memdeck's own) skipped, links not followed; a folder that cannot be read is visited with the
/// error.
fn walk(
    root: &Path,
    dir: &Path,
    depth: usize,
    visit: &mut dyn FnMut(&Path, std::io::Result<&std::fs::Metadata>),
) {
    let relative = |path: &Path| path.strip_prefix(root).unwrap_or(path).to_owned();
    let listed = std::fs::read_dir(dir).and_then(Iterator::collect::<std::io::Result<Vec<_>>>);
    let mut entries = match listed {
        Ok(entries) => entries,
        Err(e) => {
            if depth > 0 {
                visit(&relative(dir), Err(e));
            }
            return;
        }
    };
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        if entry.file_name().as_encoded_bytes().starts_with(b".") {
            continue;
        }
        let path = entry.path();
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        visit(&relative(&path), Ok(&meta));
        if meta.is_dir() && depth < 16 {
            walk(root, &path, depth + 1, visit);
        }
    }
}

/// The shared Redis store: reachable, and what the namespace holds.
fn check_redis(config: &Config) -> Finding {
    use crate::memory::MemoryStore as _;
    let area = "memory";
    match config.redis_store() {
        Ok(store) => match store.history(None) {
            Ok(history) => found(
                Level::Ok,
                area,
                format!(
                    "{}: reachable, {} history entries",
                    store.describe(),
                    history.len()
                ),
            ),
            Err(e) => found(Level::Fail, area, e.to_string()).fix(config.store_hint()),
        },
        Err(e) => found(Level::Fail, area, e.to_string()).fix(config.store_hint()),
    }
}

/// The shared PostgreSQL store: reachable, its schema created or migrated, and what the
/// namespace holds.
fn check_postgres(config: &Config) -> Finding {
    use crate::memory::MemoryStore as _;
    let area = "memory";
    match config.postgres_store() {
        Ok(store) => match store.history(None) {
            Ok(history) => found(
                Level::Ok,
                area,
                format!(
                    "{}: reachable, schema version {}, {} history entries",
                    store.describe(),
                    crate::memory::postgres::SCHEMA_VERSION,
                    history.len()
                ),
            ),
            Err(e) => found(Level::Fail, area, e.to_string()).fix(config.store_hint()),
        },
        Err(e) => found(Level::Fail, area, e.to_string()).fix(config.store_hint()),
    }
}

/// A recording to replay: readable, and what it holds.
fn check_replay(path: &Path) -> Finding {
    let area = "replay";
    match Replay::open(path) {
        Err(e) => found(Level::Fail, area, e.to_string())
            .fix("check the path given to --replay (or replay in the configuration)"),
        Ok(replay) => {
            let tabs: Vec<String> = replay
                .prompts()
                .iter()
                .map(|(tab, prompts)| format!("{tab} {}", prompts.len()))
                .collect();
            let text = format!(
                "{}: {} model calls recorded from {} on {} (turns per tab: {}); the provider is \
                 not used",
                path.display(),
                replay.recording().calls.len(),
                replay.recording().backend,
                replay.recording().created,
                if tabs.is_empty() {
                    "none".to_owned()
                } else {
                    tabs.join(", ")
                }
            );
            if replay.recording().torn_tail {
                found(
                    Level::Warn,
                    area,
                    format!("{text}; the last call was cut short"),
                )
                .fix("the cut call is left out; record that turn again if it matters")
            } else {
                found(Level::Ok, area, text)
            }
        }
    }
}

/// A recording to write: a new file in a writable directory, or a recording to append to.
fn check_record(path: &Path) -> Finding {
    let area = "record";
    if std::fs::metadata(path).is_ok_and(|m| m.len() > 0) {
        return match Recording::load(path) {
            Ok(r) => found(
                Level::Ok,
                area,
                format!(
                    "{}: new calls are appended ({} there)",
                    path.display(),
                    r.calls.len()
                ),
            ),
            Err(e) => found(Level::Fail, area, e.to_string())
                .fix("give --record a new file name; memdeck only appends to its own recordings"),
        };
    }
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if dir.is_dir() {
        found(
            Level::Ok,
            area,
            format!("{}: a new recording", path.display()),
        )
    } else {
        found(
            Level::Fail,
            area,
            format!(
                "{}: the directory {} does not exist",
                path.display(),
                dir.display()
            ),
        )
        .fix("create the directory, or record somewhere else")
    }
}

async fn check_provider(config: &Config) -> Vec<Finding> {
    let area = "provider";
    match config.provider_kind() {
        ProviderKind::Demo => {
            let why = if config.provider.is_none() {
                " (no ANTHROPIC_API_KEY is set)"
            } else {
                ""
            };
            vec![found(
                Level::Ok,
                area,
                format!("the offline demo model{why}: nothing to reach"),
            )]
        }
        ProviderKind::OpenAi => check_openai(config).await,
        ProviderKind::Bedrock => check_bedrock(config).await,
        ProviderKind::Anthropic => {
            let anthropic = match config.anthropic() {
                Ok(a) => a,
                Err(e) => {
                    return vec![
                        found(Level::Fail, area, e.to_string())
                            .fix("set ANTHROPIC_API_KEY in the environment or in .env"),
                    ];
                }
            };
            match anthropic.list_models().await {
                Ok(models) => {
                    let mut out = vec![found(
                        Level::Ok,
                        area,
                        format!("{}: the key is accepted ({} models offered)", config.base_url, models.len()),
                    )];
                    let known = models.iter().any(|m| m.id == config.model || m.id.starts_with(&format!("{}-", config.model)));
                    if !known && !models.is_empty() {
                        let some: Vec<&str> = models.iter().take(5).map(|m| m.id.as_str()).collect();
                        out.push(
                            found(Level::Warn, area, format!("model {:?} is not in the list the API offers", config.model))
                                .fix(format!("check the name (offered: {}, …)", some.join(", "))),
                        );
                    } else if known {
                        out.push(found(Level::Ok, area, format!("model {} is offered", config.model)));
                    }
                    out
                }
                Err(e @ ProviderError::Connection(_)) => vec![found(Level::Fail, area, format!("cannot reach {}: {e}", config.base_url))
                    .fix("check the network, a proxy, or ANTHROPIC_BASE_URL; the demo model works offline (--provider demo)")],
                Err(e) => vec![found(Level::Fail, area, e.to_string())],
            }
        }
    }
}

/// An OpenAI-compatible server: reachable, and offering the model.
async fn check_openai(config: &Config) -> Vec<Finding> {
    let area = "provider";
    let server = match config.openai() {
        Ok(server) => server,
        Err(e) => {
            return vec![found(Level::Fail, area, e.to_string()).fix("check --base-url")];
        }
    };
    match server.list_models().await {
        Ok(models) => {
            let ids: Vec<&str> = models.iter().map(|m| m.id.as_str()).collect();
            let mut out = vec![found(
                Level::Ok,
                area,
                format!("{}: answers ({} models offered)", config.base_url, ids.len()),
            )];
            if config.model.is_empty() {
                match ids.first() {
                    Some(first) => out.push(found(
                        Level::Ok,
                        area,
                        format!("no model configured: {first} (the server's first) answers"),
                    )),
                    None => out.push(
                        found(Level::Fail, area, "the server offers no model")
                            .fix("load or pull one (e.g. `ollama pull qwen3`), or pass --model"),
                    ),
                }
            } else if ids.contains(&config.model.as_str()) {
                out.push(found(Level::Ok, area, format!("model {} is offered", config.model)));
            } else {
                let some: Vec<&str> = ids.iter().take(8).copied().collect();
                out.push(
                    found(
                        Level::Warn,
                        area,
                        format!("model {:?} is not in the server's list", config.model),
                    )
                    .fix(format!("check the name (offered: {})", some.join(", "))),
                );
            }
            out
        }
        Err(e @ ProviderError::Connection(_)) => vec![
            found(Level::Fail, area, format!("cannot reach {}: {e}", config.base_url)).fix(
                "start the server (e.g. `ollama serve`), or point --base-url (OPENAI_BASE_URL) at it",
            ),
        ],
        Err(e) => vec![found(Level::Fail, area, e.to_string())],
    }
}

/// Bedrock: credentials and region found, accepted (a signed model list), the model offered.
#[cfg(feature = "bedrock")]
async fn check_bedrock(config: &Config) -> Vec<Finding> {
    let area = "provider";
    let bedrock = match config.bedrock_backend() {
        Ok(b) => b,
        Err(e) => return vec![found(Level::Fail, area, e.to_string())],
    };
    let region = match bedrock.region().await {
        Ok(region) => region,
        Err(e) => {
            return vec![
                found(Level::Fail, area, e.to_string())
                    .fix("e.g. `export AWS_REGION=us-east-1`, or --aws-region"),
            ];
        }
    };
    match bedrock.list_models().await {
        Ok(models) => {
            let mut out = vec![found(
                Level::Ok,
                area,
                format!(
                    "Bedrock in {region}: the credentials are accepted ({} Anthropic models and \
                     inference profiles)",
                    models.len()
                ),
            )];
            if models.iter().any(|m| m.id == config.model) {
                out.push(found(
                    Level::Ok,
                    area,
                    format!("model {} is offered", config.model),
                ));
            } else {
                let some: Vec<&str> = models.iter().take(6).map(|m| m.id.as_str()).collect();
                out.push(
                    found(
                        Level::Warn,
                        area,
                        format!("model {:?} is not in the list for {region}", config.model),
                    )
                    .fix(format!(
                        "check the id and the region, and enable the model in the Bedrock console \
                         (offered: {})",
                        some.join(", ")
                    )),
                );
            }
            out
        }
        Err(e @ ProviderError::Connection(_)) => vec![
            found(
                Level::Fail,
                area,
                format!("cannot reach Bedrock in {region}: {e}"),
            )
            .fix("check the network, a proxy, or AWS_ENDPOINT_URL_BEDROCK"),
        ],
        Err(e @ ProviderError::Setup(_)) => vec![
            found(Level::Fail, area, e.to_string())
                .fix("see `aws configure list`; with SSO, run `aws sso login`"),
        ],
        Err(e) => vec![found(Level::Fail, area, e.to_string())],
    }
}

#[cfg(not(feature = "bedrock"))]
#[allow(clippy::unused_async)]
async fn check_bedrock(config: &Config) -> Vec<Finding> {
    let error = config
        .bedrock()
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    vec![found(Level::Fail, "provider", error)]
}
