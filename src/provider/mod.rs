//! Model backends. Every backend turns a [`Request`] into the same stream of [`StreamEvent`]s.

pub mod anthropic;
pub mod demo;
pub mod event;
pub mod partial_json;
pub mod request;
pub mod retry;
pub mod sse;

use std::pin::Pin;
use std::time::Duration;

use futures_util::Stream;
use tokio_util::sync::CancellationToken;

pub use event::{Delta, StreamEvent};
pub use request::{ContextEditing, Request, Thinking};

/// The events of one model call. It ends after `message_stop`, or with one error.
pub type EventStream = Pin<Box<dyn Stream<Item = Result<StreamEvent, ProviderError>> + Send>>;

/// The events a backend's task sends, as an [`EventStream`] that ends when the task is done.
pub(crate) fn from_channel(
    rx: tokio::sync::mpsc::Receiver<Result<StreamEvent, ProviderError>>,
) -> EventStream {
    Box::pin(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    }))
}

/// A model backend.
pub trait Provider: Send + Sync {
    /// How the backend is shown to the user, e.g. `Anthropic claude-sonnet-4-5`.
    fn label(&self) -> String;

    /// Start one call. Cancelling `cancel` ends the stream at once with
    /// [`ProviderError::Cancelled`] and closes the connection.
    fn stream(&self, request: &Request, cancel: CancellationToken) -> EventStream;
}

/// Why a model request failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
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
}
