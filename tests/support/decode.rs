//! A wire format's body decoder run over given chunks, and what its events accumulate to.
#![allow(dead_code, clippy::unwrap_used, clippy::pedantic)]

use bytes::Bytes;
use futures_util::{StreamExt, stream};
use memdeck::chat::Accumulator;
use memdeck::provider::http::{Body, Events};
use memdeck::provider::{ProviderError, StreamEvent};
use serde_json::Value;

/// Bytes as a response body, in these chunks.
pub fn body(chunks: Vec<Vec<u8>>) -> Body {
    Box::pin(stream::iter(
        chunks.into_iter().map(|c| Ok::<_, String>(Bytes::from(c))),
    ))
}

/// The events up to the first error, that error, and the message they accumulate to.
pub fn run(events: Events) -> (Vec<StreamEvent>, Option<ProviderError>, Value) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let items: Vec<_> = rt.block_on(events.collect());
    let mut acc = Accumulator::new();
    let mut out = Vec::new();
    let mut error = None;
    for item in items {
        match item {
            Ok(e) => {
                acc.apply(&e).unwrap();
                out.push(e);
            }
            Err(e) => {
                error = Some(e);
                break;
            }
        }
    }
    (out, error, acc.message().unwrap_or(Value::Null))
}
