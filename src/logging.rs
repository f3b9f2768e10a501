//! Logs go to a file, never to the screen (stdout is the screen).
//!
//! The file is `--log-file` (or `MEMDECK_LOG_FILE`), by default `memdeck.log` in the user's
//! state directory; the level is `MEMDECK_LOG` (`info` unless set; any `tracing` filter such as
//! `memdeck=debug` works). Nothing secret is logged: the API key never leaves the provider's
//! request headers, and prompts and answers are not logged at all.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tracing_subscriber::EnvFilter;

/// The default log file: `$XDG_STATE_HOME/memdeck/memdeck.log`, else
/// `~/.local/state/memdeck/memdeck.log`, else `memdeck.log` in the temp directory.
pub fn default_path() -> PathBuf {
    let state = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")));
    match state {
        Some(dir) => dir.join("memdeck").join("memdeck.log"),
        None => std::env::temp_dir().join("memdeck.log"),
    }
}

/// memdeck's state directory (the log's): sessions and snapshots live below it.
pub fn state_dir() -> PathBuf {
    default_path()
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// Targets whose debug and trace logs hold secrets (request signatures, credentials).
const SECRET_LOGGING_TARGETS: &[&str] = &[
    "aws_sigv4",
    "aws_credential_types",
    "aws_config",
    "aws_smithy_runtime",
    "aws_smithy_runtime_api",
];

/// Start logging to `path` at the level in `filter` (`MEMDECK_LOG` syntax).
pub fn init(path: &Path, filter: &str) -> Result<(), String> {
    let mut filter = EnvFilter::try_new(filter)
        .map_err(|e| format!("MEMDECK_LOG={filter:?} is not a log filter: {e}"))?;
    // Libraries that log credentials at their most verbose levels (the AWS signer writes the
    // canonical request, session token included) are held at info, whatever was asked.
    for cap in SECRET_LOGGING_TARGETS {
        if let Ok(directive) = format!("{cap}=info").parse() {
            filter = filter.add_directive(directive);
        }
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create the log directory {}: {e}", dir.display()))?;
    }
    let file: File = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| format!("cannot open the log file {}: {e}", path.display()))?;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(Mutex::new(file))
        .with_ansi(false)
        .try_init()
        .map_err(|e| format!("logging is already set up: {e}"))
}
