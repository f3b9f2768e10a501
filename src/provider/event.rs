//! The one event type every model backend produces: the Messages API's stream events,
//! normalised, plus the app's own events (retry waits).
//!
//! Blocks and message objects stay JSON values so that unknown block types, extra usage fields
//! and thinking signatures pass through untouched and go back to the API byte for byte.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One event of a streamed model answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StreamEvent {
    /// The message object with empty `content` and the initial usage.
    MessageStart {
        message: Value,
    },
    /// A block opens: `text`, `tool_use`, `thinking`, `redacted_thinking`, or any other type.
    ContentBlockStart {
        index: usize,
        content_block: Value,
    },
    ContentBlockDelta {
        index: usize,
        delta: Delta,
    },
    ContentBlockStop {
        index: usize,
    },
    /// Stop reason and cumulative usage; `context_management` reports applied context edits.
    MessageDelta {
        delta: Value,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        usage: Option<Value>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        context_management: Option<Value>,
    },
    MessageStop,
    /// App level: the request failed and is retried after `wait_ms` (attempt counts from 1).
    RetryWait {
        attempt: u32,
        wait_ms: u64,
        reason: String,
    },
}

impl StreamEvent {
    /// The event with every secret redacted from each string it carries (see
    /// [`super::redact`]): a server or proxy can put anything in a stream.
    #[must_use]
    pub fn redacted<S: AsRef<str>>(self, secrets: &[S]) -> Self {
        if secrets.is_empty() {
            return self;
        }
        let r = |text: String| {
            if super::holds_secret(&text, secrets) {
                super::redact(&text, secrets)
            } else {
                text
            }
        };
        let v = |value: Value| redact_value(value, secrets);
        match self {
            Self::MessageStart { message } => Self::MessageStart {
                message: v(message),
            },
            Self::ContentBlockStart {
                index,
                content_block,
            } => Self::ContentBlockStart {
                index,
                content_block: v(content_block),
            },
            Self::ContentBlockDelta { index, delta } => Self::ContentBlockDelta {
                index,
                delta: match delta {
                    Delta::TextDelta { text } => Delta::TextDelta { text: r(text) },
                    Delta::InputJsonDelta { partial_json } => Delta::InputJsonDelta {
                        partial_json: r(partial_json),
                    },
                    Delta::ThinkingDelta { thinking } => Delta::ThinkingDelta {
                        thinking: r(thinking),
                    },
                    Delta::SignatureDelta { signature } => Delta::SignatureDelta { signature },
                    Delta::CitationsDelta { citation } => Delta::CitationsDelta {
                        citation: v(citation),
                    },
                    Delta::Other(value) => Delta::Other(v(value)),
                },
            },
            Self::MessageDelta {
                delta,
                usage,
                context_management,
            } => Self::MessageDelta {
                delta: v(delta),
                usage,
                context_management,
            },
            Self::RetryWait {
                attempt,
                wait_ms,
                reason,
            } => Self::RetryWait {
                attempt,
                wait_ms,
                reason: r(reason),
            },
            other @ (Self::ContentBlockStop { .. } | Self::MessageStop) => other,
        }
    }
}

/// Every string inside a JSON value with the secrets redacted.
fn redact_value<S: AsRef<str>>(value: Value, secrets: &[S]) -> Value {
    match value {
        Value::String(text) if super::holds_secret(&text, secrets) => {
            Value::String(super::redact(&text, secrets))
        }
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|v| redact_value(v, secrets))
                .collect(),
        ),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, redact_value(v, secrets)))
                .collect(),
        ),
        other => other,
    }
}

/// The change a `content_block_delta` carries.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Delta {
    TextDelta {
        text: String,
    },
    /// A fragment of the tool input's JSON text (possibly invalid with fine-grained streaming).
    InputJsonDelta {
        partial_json: String,
    },
    ThinkingDelta {
        thinking: String,
    },
    SignatureDelta {
        signature: String,
    },
    CitationsDelta {
        citation: Value,
    },
    /// Any other delta type: its fields are set on the block as they are.
    #[serde(untagged)]
    Other(Value),
}

/// An error the API reported inside a 200 stream (`event: error`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct StreamErrorBody {
    #[serde(rename = "type")]
    pub kind: String,
    pub message: String,
}

/// What one SSE event means.
#[derive(Debug, PartialEq)]
pub enum Decoded {
    Event(StreamEvent),
    /// `event: error` in the stream.
    Error(StreamErrorBody),
    /// `ping`, an event without a name, or an event type this client does not know.
    Skip,
}

/// Interpret one SSE event by its name and `data` JSON.
pub fn decode_event(name: &str, data: &str) -> Result<Decoded, serde_json::Error> {
    match name {
        "message_start"
        | "content_block_start"
        | "content_block_delta"
        | "content_block_stop"
        | "message_delta"
        | "message_stop" => {
            let fast = if name == "content_block_delta" {
                fast_delta(data)?
            } else {
                None
            };
            match fast {
                Some(event) => Ok(Decoded::Event(event)),
                None => Ok(Decoded::Event(serde_json::from_str(data)?)),
            }
        }
        "error" => {
            #[derive(Deserialize)]
            struct Body {
                error: StreamErrorBody,
            }
            let body: Body = serde_json::from_str(data)?;
            Ok(Decoded::Error(body.error))
        }
        _ => Ok(Decoded::Skip),
    }
}

/// The common deltas without serde's buffering of tagged enums (most of a stream's events are
/// deltas). `None` for a delta type it does not know, which then takes the general path.
fn fast_delta(data: &str) -> Result<Option<StreamEvent>, serde_json::Error> {
    #[derive(Deserialize)]
    struct Raw {
        index: usize,
        delta: Fields,
    }
    #[derive(Deserialize)]
    struct Fields {
        #[serde(rename = "type")]
        kind: String,
        text: Option<String>,
        partial_json: Option<String>,
        thinking: Option<String>,
        signature: Option<String>,
    }
    let raw: Raw = serde_json::from_str(data)?;
    let Fields {
        kind,
        text,
        partial_json,
        thinking,
        signature,
    } = raw.delta;
    let delta = match (kind.as_str(), text, partial_json, thinking, signature) {
        ("text_delta", Some(text), ..) => Delta::TextDelta { text },
        ("input_json_delta", _, Some(partial_json), ..) => Delta::InputJsonDelta { partial_json },
        ("thinking_delta", _, _, Some(thinking), _) => Delta::ThinkingDelta { thinking },
        ("signature_delta", .., Some(signature)) => Delta::SignatureDelta { signature },
        _ => return Ok(None),
    };
    Ok(Some(StreamEvent::ContentBlockDelta {
        index: raw.index,
        delta,
    }))
}

/// Which streamed string a held piece belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Piece {
    Text,
    Json,
    Thinking,
}

/// Redacts secrets from a stream of events also where a server splits one over several deltas:
/// the end of a delta that could begin a secret is held back until the block's next delta shows
/// what follows, or the block ends. What is held is at most a secret's length less one byte,
/// and only while it still reads like the start of one.
pub struct SplitGuard<'a> {
    secrets: &'a [String],
    held: Vec<(usize, Piece, String)>,
}

impl<'a> SplitGuard<'a> {
    pub fn new(secrets: &'a [String]) -> Self {
        Self {
            secrets,
            held: Vec::new(),
        }
    }

    /// The events to pass on for `event`, redacted: none while all of a delta is held, the
    /// block's held text before its `content_block_stop`.
    pub fn feed(&mut self, event: StreamEvent) -> Vec<StreamEvent> {
        if self.secrets.is_empty() {
            return vec![event];
        }
        let (index, piece, text) = match event {
            StreamEvent::ContentBlockDelta { index, delta } => match delta {
                Delta::TextDelta { text } => (index, Piece::Text, text),
                Delta::InputJsonDelta { partial_json } => (index, Piece::Json, partial_json),
                Delta::ThinkingDelta { thinking } => (index, Piece::Thinking, thinking),
                delta => {
                    return vec![
                        StreamEvent::ContentBlockDelta { index, delta }.redacted(self.secrets),
                    ];
                }
            },
            StreamEvent::ContentBlockStop { index } => {
                let mut out = self.release(|i| i == index);
                out.push(StreamEvent::ContentBlockStop { index });
                return out;
            }
            // The message ends: whatever a server left unclosed is passed on first.
            event @ (StreamEvent::MessageDelta { .. } | StreamEvent::MessageStop) => {
                let mut out = self.flush();
                out.push(event.redacted(self.secrets));
                return out;
            }
            other => return vec![other.redacted(self.secrets)],
        };
        let mut joined = match self
            .held
            .iter()
            .position(|(i, p, _)| (*i, *p) == (index, piece))
        {
            Some(at) => {
                let (_, _, mut before) = self.held.swap_remove(at);
                before.push_str(&text);
                before
            }
            None => text,
        };
        if super::holds_secret(&joined, self.secrets) {
            joined = super::redact(&joined, self.secrets);
        }
        let keep = self.secret_start(&joined);
        if keep < joined.len() {
            self.held.push((index, piece, joined.split_off(keep)));
            // All of it held: nothing to pass on yet.
            if joined.is_empty() {
                return Vec::new();
            }
        }
        vec![delta(index, piece, joined)]
    }

    /// Everything still held, as deltas: at the end of a stream that stopped early, so that no
    /// text that arrived is dropped (a secret's beginning alone shows nothing secret).
    pub fn flush(&mut self) -> Vec<StreamEvent> {
        self.release(|_| true)
    }

    fn release(&mut self, which: impl Fn(usize) -> bool) -> Vec<StreamEvent> {
        let mut out = Vec::new();
        self.held.retain_mut(|(index, piece, text)| {
            if which(*index) {
                out.push(delta(*index, *piece, std::mem::take(text)));
                false
            } else {
                true
            }
        });
        out
    }

    /// Where the longest end of `text` that is the beginning of a secret starts (`text.len()`
    /// when there is none).
    fn secret_start(&self, text: &str) -> usize {
        let mut start = text.len();
        for secret in self.secrets.iter().filter(|s| s.len() >= 8) {
            let Some(&first) = secret.as_bytes().first() else {
                continue;
            };
            let from = text.len().saturating_sub(secret.len() - 1);
            for (at, byte) in text.bytes().enumerate().skip(from) {
                if at < start
                    && byte == first
                    && text.is_char_boundary(at)
                    && secret.starts_with(&text[at..])
                {
                    start = at;
                    break;
                }
            }
        }
        start
    }
}

fn delta(index: usize, piece: Piece, text: String) -> StreamEvent {
    let delta = match piece {
        Piece::Text => Delta::TextDelta { text },
        Piece::Json => Delta::InputJsonDelta { partial_json: text },
        Piece::Thinking => Delta::ThinkingDelta { thinking: text },
    };
    StreamEvent::ContentBlockDelta { index, delta }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decodes_deltas_and_keeps_unknown_ones() {
        let d = decode_event(
            "content_block_delta",
            r#"{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"a"}}"#,
        )
        .unwrap();
        assert_eq!(
            d,
            Decoded::Event(StreamEvent::ContentBlockDelta {
                index: 2,
                delta: Delta::InputJsonDelta {
                    partial_json: "{\"a".into()
                }
            })
        );
        let d = decode_event(
            "content_block_delta",
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"compaction_delta","content":"x"}}"#,
        )
        .unwrap();
        assert_eq!(
            d,
            Decoded::Event(StreamEvent::ContentBlockDelta {
                index: 0,
                delta: Delta::Other(json!({"type": "compaction_delta", "content": "x"}))
            })
        );
    }

    #[test]
    fn pings_unknown_events_and_errors() {
        assert_eq!(
            decode_event("ping", r#"{"type": "ping"}"#).unwrap(),
            Decoded::Skip
        );
        assert_eq!(
            decode_event("brand_new_event", "{}").unwrap(),
            Decoded::Skip
        );
        assert_eq!(
            decode_event("error", r#"{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}"#).unwrap(),
            Decoded::Error(StreamErrorBody {
                kind: "overloaded_error".into(),
                message: "Overloaded".into()
            })
        );
        assert!(decode_event("message_stop", "{not json").is_err());
    }

    #[test]
    fn serializes_in_the_api_shape() {
        let e = StreamEvent::ContentBlockStop { index: 1 };
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            json!({"type": "content_block_stop", "index": 1})
        );
    }

    /// The text a guard lets through for `pieces` as one text block's deltas.
    fn through(secrets: &[String], pieces: &[&str], stop: Option<bool>) -> String {
        let mut guard = SplitGuard::new(secrets);
        let mut events = Vec::new();
        for piece in pieces {
            events.extend(guard.feed(StreamEvent::ContentBlockDelta {
                index: 0,
                delta: Delta::TextDelta {
                    text: (*piece).to_owned(),
                },
            }));
        }
        match stop {
            // The block closes, or (a server that never closes it) the message ends.
            Some(true) => events.extend(guard.feed(StreamEvent::ContentBlockStop { index: 0 })),
            Some(false) => events.extend(guard.feed(StreamEvent::MessageStop)),
            None => events.extend(guard.flush()),
        }
        events
            .into_iter()
            .filter_map(|e| match e {
                StreamEvent::ContentBlockDelta {
                    delta: Delta::TextDelta { text },
                    ..
                } => Some(text),
                _ => None,
            })
            .collect()
    }

    /// A key cut anywhere, in two or three deltas, never passes; everything else passes whole,
    /// in order, whether the block ends or the stream breaks off.
    #[test]
    fn a_secret_split_over_deltas_at_any_byte_is_redacted() {
        let key = "sk-ant-api03-ssk-9xY";
        let secrets = vec![key.to_owned()];
        let text = format!("ask sk-ants: key {key} twice{key}. ends with sk-an");
        let want = text.replace(key, "<redacted>");
        for stop in [Some(true), Some(false), None] {
            assert_eq!(through(&secrets, &[&text], stop), want);
            for a in 0..=text.len() {
                assert_eq!(
                    through(&secrets, &[&text[..a], &text[a..]], stop),
                    want,
                    "cut at {a}"
                );
                for b in a..=text.len() {
                    let got = through(&secrets, &[&text[..a], &text[a..b], &text[b..]], stop);
                    assert_eq!(got, want, "cut at {a} and {b}");
                }
            }
        }
        // No secrets: events pass as they are.
        assert_eq!(
            through(&[], &["sk-an", "t-api03-ssk-9xY"], Some(true)),
            "sk-ant-api03-ssk-9xY"
        );
    }
}
