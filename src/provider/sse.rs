//! Server-sent events to [`StreamEvent`]s, for any backend that speaks SSE.
//!
//! Built on `eventsource-stream`: lines are split on `\r`/`\n` bytes only (U+2028 inside JSON
//! never splits a line), UTF-8 is decoded after a multi-byte character has fully arrived,
//! comments and `id`/`retry` fields are ignored. A final event that the server did not end with
//! a blank line is still delivered; if the connection was cut inside it, that is reported as an
//! interrupted stream rather than a decoding error.

use std::fmt::Display;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use eventsource_stream::{EventStreamError, Eventsource};
use futures_util::{Stream, StreamExt, stream};

use super::ProviderError;
use super::event::{Decoded, StreamEvent, decode_event};

/// A piece of the body, or the blank line that closes a last unterminated event.
enum Chunk {
    Data(Bytes),
    End,
}

impl AsRef<[u8]> for Chunk {
    fn as_ref(&self) -> &[u8] {
        match self {
            Self::Data(bytes) => bytes,
            Self::End => b"\n\n",
        }
    }
}

/// A network chunk cut after each event's closing blank line, without copying.
/// `eventsource-stream` keeps one text buffer and moves what follows each line it parses to a
/// new one, so a 16 KiB chunk holding a hundred events would be copied hundreds of times; fed
/// one event at a time, its buffer stays one event long. (Streams whose lines end in a lone
/// `\r` pass through whole: correct, just not sped up.)
fn events_in(chunk: &[u8]) -> impl Iterator<Item = Bytes> + use<> {
    let bytes = Bytes::copy_from_slice(chunk);
    let mut start = 0;
    std::iter::from_fn(move || {
        if start >= bytes.len() {
            return None;
        }
        // Cut after the blank line that ends an event (`\n\n` or `\n\r\n`), so that each piece
        // holds one whole event; whatever is left is one piece.
        let rest = &bytes[start..];
        let mut end = bytes.len();
        for i in memchr::memchr_iter(b'\n', rest) {
            match rest.get(i + 1) {
                Some(b'\n') => {
                    end = start + i + 2;
                    break;
                }
                Some(b'\r') if rest.get(i + 2) == Some(&b'\n') => {
                    end = start + i + 3;
                    break;
                }
                _ => {}
            }
        }
        let piece = bytes.slice(start..end);
        start = end;
        Some(piece)
    })
}

/// One server-sent event as it arrived.
#[derive(Debug)]
pub struct Frame {
    /// Its `event:` name; empty when it has none.
    pub event: String,
    /// Its data lines, joined.
    pub data: String,
    /// The body had already ended when this event was read: if it does not parse, it was cut
    /// short.
    pub at_end: bool,
}

/// A response body's server-sent events. Transport failures and framing damage are errors; a
/// body cut inside a line or a character reads as [`ProviderError::Interrupted`].
pub fn frames<S, B, E>(body: S) -> impl Stream<Item = Result<Frame, ProviderError>> + Send
where
    S: Stream<Item = Result<B, E>> + Send + 'static,
    B: AsRef<[u8]> + Send + 'static,
    E: Display + Send + 'static,
{
    let ended = Arc::new(AtomicBool::new(false));
    let seen_end = ended.clone();
    let pieces = body
        .flat_map(|r| match r {
            Ok(chunk) => stream::iter(
                events_in(chunk.as_ref())
                    .map(|l| Ok(Chunk::Data(l)))
                    .collect::<Vec<_>>(),
            ),
            Err(e) => stream::iter(vec![Err(e)]),
        })
        .chain(stream::once(async move {
            seen_end.store(true, Ordering::Relaxed);
            Ok(Chunk::End)
        }));
    pieces.eventsource().map(move |item| {
        let at_end = ended.load(Ordering::Relaxed);
        match item {
            Ok(event) => Ok(Frame {
                event: event.event,
                data: event.data,
                at_end,
            }),
            Err(EventStreamError::Transport(e)) => Err(ProviderError::Connection(e.to_string())),
            // Cut inside a multi-byte character or a line: the body simply ended early.
            Err(_) if at_end => Err(ProviderError::Interrupted),
            Err(e) => Err(ProviderError::Decode(e.to_string())),
        }
    })
}

/// Decode a Messages API response body into stream events. The stream ends when the body
/// ends; whether the answer was complete (a `message_stop` arrived) is for the consumer to
/// check.
pub fn decode<S, B, E>(body: S) -> impl Stream<Item = Result<StreamEvent, ProviderError>> + Send
where
    S: Stream<Item = Result<B, E>> + Send + 'static,
    B: AsRef<[u8]> + Send + 'static,
    E: Display + Send + 'static,
{
    frames(body).filter_map(|frame| {
        let out = match frame {
            Ok(frame) => match decode_event(&frame.event, frame.data.trim_end_matches('\n')) {
                Ok(Decoded::Event(e)) => Some(Ok(e)),
                Ok(Decoded::Skip) => None,
                Ok(Decoded::Error(body)) => Some(Err(ProviderError::Stream {
                    kind: body.kind,
                    message: body.message,
                })),
                Err(_) if frame.at_end => Some(Err(ProviderError::Interrupted)),
                Err(e) => Some(Err(ProviderError::Decode(format!(
                    "bad `{}` event: {e}",
                    frame.event
                )))),
            },
            Err(e) => Some(Err(e)),
        };
        std::future::ready(out)
    })
}
