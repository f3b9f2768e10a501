//! The values' syntax: numbers, paths, URLs, the provider, thinking, context editing, speed;
//! and how `memdeck config` quotes a value.

use std::fmt::Write as _;
use std::path::PathBuf;

use super::ProviderKind;
use crate::provider::{ContextEditing, Thinking};

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

pub(super) fn ellipsis(text: &str, max: usize) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        one_line
    } else {
        let cut: String = one_line.chars().take(max - 1).collect();
        format!("{cut}…")
    }
}

pub(super) fn non_empty(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.is_empty() {
        Err("expected a non-empty name".to_owned())
    } else {
        Ok(text.to_owned())
    }
}

pub(super) fn path(text: &str) -> Result<PathBuf, String> {
    if text.trim().is_empty() {
        Err("expected a path".to_owned())
    } else {
        Ok(PathBuf::from(text))
    }
}

pub(super) fn parse_url(text: &str) -> Result<String, String> {
    let text = text.trim().trim_end_matches('/');
    if (text.starts_with("http://") || text.starts_with("https://")) && text.len() > 8 {
        Ok(text.to_owned())
    } else {
        Err("expected an http:// or https:// URL".to_owned())
    }
}

pub(super) fn number(text: &str, min: u64, max: u64) -> Result<u64, String> {
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

pub(super) fn parse_provider(text: &str) -> Result<ProviderKind, String> {
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
        "compact" => Ok(ContextEditing::Compact {
            trigger: crate::provider::request::COMPACT_TRIGGER,
        }),
        _ => Err("expected off, demo, production or compact (change a preset's thresholds with context_trigger, context_keep and context_clear_at_least)".to_owned()),
    }
}

/// A switch: `on` or `off` (`true`/`false` too, as TOML writes booleans).
pub(super) fn on_off(text: &str) -> Result<bool, String> {
    match text.trim() {
        "on" | "true" => Ok(true),
        "off" | "false" => Ok(false),
        _ => Err("expected on or off".to_owned()),
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
