//! Model backends. Every backend turns a [`Request`] into the same stream of [`StreamEvent`]s.

pub mod anthropic;
#[cfg(feature = "bedrock")]
pub mod bedrock;
pub mod demo;
pub mod event;
pub mod eventstream;
pub mod http;
pub mod openai;
pub mod partial_json;
pub mod record;
pub mod request;
pub mod retry;
pub mod sse;

use std::pin::Pin;
use std::time::Duration;

use futures_util::Stream;
use tokio_util::sync::CancellationToken;

pub use event::{Delta, StreamEvent};
pub use request::{ContextEditing, Request, Thinking};

/// The Bedrock model when none is configured: Claude Sonnet 4.5 through the global inference
/// profile.
pub const BEDROCK_MODEL: &str = "global.anthropic.claude-sonnet-4-5-20250929-v1:0";

/// A model a backend offers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModelInfo {
    pub id: String,
    pub display_name: String,
    /// What the models list says the model can do (`None` where it does not say).
    pub limits: ModelLimits,
}

/// A model's limits and capabilities from `GET /v1/models` (`max_input_tokens`, `max_tokens`,
/// `capabilities`); each `None` when the list does not say.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ModelLimits {
    pub max_input_tokens: Option<u64>,
    pub max_tokens: Option<u32>,
    /// `thinking.types.enabled` / `.adaptive`.
    pub thinking_budget: Option<bool>,
    pub thinking_adaptive: Option<bool>,
    /// `context_management.clear_tool_uses_20250919` / `.clear_thinking_20251015` /
    /// `.compact_20260112`.
    pub clearing: Option<bool>,
    pub clear_thinking: Option<bool>,
    pub compaction: Option<bool>,
}

impl ModelLimits {
    /// Read from one entry of the models list.
    pub fn from_list(entry: &serde_json::Value) -> Self {
        let supported = |v: &serde_json::Value| v["supported"].as_bool();
        let caps = &entry["capabilities"];
        let edits = &caps["context_management"];
        // An edit the list leaves out (null) is one the model does not take, when the list
        // says context management at all.
        let edit = |name: &str| supported(&edits[name]).or_else(|| supported(edits).map(|_| false));
        Self {
            max_input_tokens: entry["max_input_tokens"].as_u64().filter(|n| *n > 0),
            max_tokens: entry["max_tokens"]
                .as_u64()
                .filter(|n| *n > 0)
                .and_then(|n| u32::try_from(n).ok()),
            thinking_budget: supported(&caps["thinking"]["types"]["enabled"]),
            thinking_adaptive: supported(&caps["thinking"]["types"]["adaptive"]),
            clearing: edit("clear_tool_uses_20250919"),
            clear_thinking: edit("clear_thinking_20251015"),
            compaction: edit("compact_20260112"),
        }
    }

    /// A few words for the picker: context, output, thinking, compaction.
    pub fn summary(&self) -> String {
        let size = |n: u64| {
            if n >= 1_000_000 && n.is_multiple_of(1_000_000) {
                format!("{}M", n / 1_000_000)
            } else if n >= 1000 {
                format!("{}k", n / 1000)
            } else {
                n.to_string()
            }
        };
        let mut parts = Vec::new();
        if let Some(n) = self.max_input_tokens {
            parts.push(format!("{} in", size(n)));
        }
        if let Some(n) = self.max_tokens {
            parts.push(format!("{} out", size(u64::from(n))));
        }
        match (self.thinking_budget, self.thinking_adaptive) {
            (Some(true), Some(true)) => parts.push("thinking".to_owned()),
            (_, Some(true)) => parts.push("adaptive thinking only".to_owned()),
            (Some(true), _) => parts.push("budget thinking".to_owned()),
            _ => {}
        }
        if self.compaction == Some(true) {
            parts.push("compaction".to_owned());
        }
        parts.join(" · ")
    }
}

/// Models shown when the backend cannot list its own (the demo model, no network): the
/// Claude models known at the time of this release.
pub const KNOWN_MODELS: &[(&str, &str)] = &[
    ("claude-opus-5-5", "Claude Opus 5.5"),
    ("claude-sonnet-5-5", "Claude Sonnet 5.5"),
    ("claude-haiku-5-5", "Claude Haiku 5.5"),
    ("claude-opus-5", "Claude Opus 5"),
    ("claude-sonnet-5", "Claude Sonnet 5"),
    ("claude-opus-4-6", "Claude Opus 4.6"),
    ("claude-sonnet-4-6", "Claude Sonnet 4.6"),
    ("claude-opus-4-5", "Claude Opus 4.5"),
    ("claude-sonnet-4-5", "Claude Sonnet 4.5"),
    ("claude-haiku-4-5", "Claude Haiku 4.5"),
];

/// [`KNOWN_MODELS`] as a list.
pub fn known_models() -> Vec<ModelInfo> {
    KNOWN_MODELS
        .iter()
        .map(|(id, name)| ModelInfo {
            id: (*id).to_owned(),
            display_name: (*name).to_owned(),
            limits: ModelLimits::default(),
        })
        .collect()
}

/// The models a backend offers, when they are known.
pub type ModelList<'a> =
    Pin<Box<dyn std::future::Future<Output = Result<Vec<ModelInfo>, ProviderError>> + Send + 'a>>;

/// The events of one model call. It ends after `message_stop`, or with one error.
pub type EventStream = Pin<Box<dyn Stream<Item = Result<StreamEvent, ProviderError>> + Send>>;

/// `text` with every occurrence of a secret (eight characters or more) replaced by
/// `<redacted>`: for what a server or a recording might echo back.
pub fn redact<S: AsRef<str>>(text: &str, secrets: &[S]) -> String {
    let mut text = text.to_owned();
    for secret in secrets.iter().map(AsRef::as_ref).filter(|s| s.len() >= 8) {
        if text.contains(secret) {
            text = text.replace(secret, "<redacted>");
        }
    }
    text
}

/// Whether [`redact`] would change `text`: checked first where most strings hold nothing (each
/// streamed event), so that they pass without a copy.
pub fn holds_secret<S: AsRef<str>>(text: &str, secrets: &[S]) -> bool {
    secrets
        .iter()
        .map(AsRef::as_ref)
        .any(|s| s.len() >= 8 && text.contains(s))
}

impl ProviderError {
    /// The error with every secret redacted from each of its strings (see [`redact`]).
    #[must_use]
    pub fn redacted<S: AsRef<str>>(self, secrets: &[S]) -> Self {
        let r = |text: String| redact(&text, secrets);
        match self {
            Self::Http {
                status,
                kind,
                message,
                request_id,
            } => Self::Http {
                status,
                kind: kind.map(r),
                message: r(message),
                request_id: request_id.map(r),
            },
            Self::Stream { kind, message } => Self::Stream {
                kind: r(kind),
                message: r(message),
            },
            Self::Decode(text) => Self::Decode(r(text)),
            Self::Connection(text) => Self::Connection(r(text)),
            Self::Setup(text) => Self::Setup(r(text)),
            Self::Replay(text) => Self::Replay(r(text)),
            other @ (Self::Interrupted | Self::Stalled(_) | Self::Cancelled) => other,
        }
    }
}

/// The events a backend's task sends, as an [`EventStream`] that ends when the task is done.
pub(crate) fn from_channel(
    rx: tokio::sync::mpsc::Receiver<Result<StreamEvent, ProviderError>>,
) -> EventStream {
    Box::pin(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    }))
}

/// Hand `item` to a backend task's channel at `due` (at once when that has passed, so what is
/// overdue goes together, as a network's buffered bytes arrive), unless `cancel` comes first,
/// which ends the stream with `Cancelled`. False when the stream is over (cancelled, or nobody
/// reads it any more).
pub(crate) async fn send_when_due(
    tx: &tokio::sync::mpsc::Sender<Result<StreamEvent, ProviderError>>,
    due: tokio::time::Instant,
    cancel: &CancellationToken,
    item: Result<StreamEvent, ProviderError>,
) -> bool {
    let cancelled = if due <= tokio::time::Instant::now() {
        cancel.is_cancelled()
    } else {
        tokio::select! {
            () = cancel.cancelled() => true,
            () = tokio::time::sleep_until(due) => false,
        }
    };
    if cancelled {
        let _ = tx.send(Err(ProviderError::Cancelled)).await;
        return false;
    }
    tx.send(item).await.is_ok()
}

/// A model backend.
pub trait Provider: Send + Sync {
    /// How the backend is shown to the user, e.g. `Anthropic claude-sonnet-4-5`.
    fn label(&self) -> String;

    /// Start one call. Cancelling `cancel` ends the stream at once with
    /// [`ProviderError::Cancelled`] and closes the connection.
    fn stream(&self, request: &Request, cancel: CancellationToken) -> EventStream;

    /// The models to pick from (for the model picker).
    fn models(&self) -> ModelList<'_>;

    /// Whether the backend compacts a long conversation itself (`compact_20260112`); when it
    /// does not, the compact preset summarises on the client (see `chat::agent`).
    fn compacts(&self) -> bool {
        false
    }
}

/// Why a model request failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
pub enum ProviderError {
    /// The API answered with an error status; `message` says what to do about it.
    #[error("{message}")]
    Http {
        status: u16,
        /// The API's error type, e.g. `overloaded_error`.
        kind: Option<String>,
        message: String,
        request_id: Option<String>,
    },
    /// An `event: error` arrived inside the stream.
    #[error("the API reported {kind} during the answer: {message}")]
    Stream { kind: String, message: String },
    #[error("the answer could not be decoded: {0}")]
    Decode(String),
    #[error("the connection failed: {0}")]
    Connection(String),
    #[error("the connection closed before the answer was complete")]
    Interrupted,
    #[error("no data arrived for {} s; the connection looks stalled", .0.as_secs_f32())]
    Stalled(Duration),
    #[error("cancelled")]
    Cancelled,
    /// The backend cannot be used as configured (no key, bad URL).
    #[error("{0}")]
    Setup(String),
    /// A replayed session has no recorded answer for this call (a prompt that differs from
    /// the recording's, or more turns than were recorded); the message says which.
    #[error("{0}")]
    Replay(String),
}
