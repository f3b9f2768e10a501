//! Model backends. Every backend turns a request into the same stream of [`StreamEvent`]s.

pub mod event;
pub mod partial_json;
pub mod sse;

use std::time::Duration;

pub use event::{Delta, StreamEvent};

/// Why a model request failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// The API answered with an error status.
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
    #[error("no data arrived for {} s; the connection looks stalled", .0.as_secs())]
    Stalled(Duration),
    #[error("cancelled")]
    Cancelled,
}
