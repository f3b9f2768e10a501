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
}
