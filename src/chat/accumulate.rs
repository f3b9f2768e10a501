//! Building the assistant message from stream events, as the official SDKs do.
//!
//! Blocks are kept as the API sent them (unknown types included); text and thinking grow by
//! appending, signatures are set, citations pushed, tool input JSON is collected as text and
//! parsed when its block stops. `message_delta` overwrites the stop reason and the usage fields
//! it carries (usage is cumulative, never added up) and keeps the others.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::provider::{Delta, StreamEvent};

/// Why the events do not make a message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AccumulateError {
    #[error("unexpected event order: {0} before message_start")]
    BeforeStart(&'static str),
    #[error("event for content block {0}, which was never started")]
    UnknownBlock(usize),
}

/// The message being streamed.
#[derive(Debug, Default)]
pub struct Accumulator {
    message: Option<Map<String, Value>>,
    /// Tool input JSON text collected so far, by block index.
    input_json: HashMap<usize, String>,
    /// Blocks whose collected input was not valid JSON, with that text.
    invalid_input: HashMap<usize, String>,
    /// Blocks that have stopped.
    stopped: Vec<usize>,
    complete: bool,
}

impl Accumulator {
    pub fn new() -> Self {
        Self::default()
    }

    /// Apply one event. App-level events (retry waits) change nothing.
    pub fn apply(&mut self, event: &StreamEvent) -> Result<(), AccumulateError> {
        if let StreamEvent::MessageStart { message } = event {
            let mut message = message.as_object().cloned().unwrap_or_default();
            message.insert("content".to_owned(), Value::Array(Vec::new()));
            self.message = Some(message);
            return Ok(());
        }
        if let StreamEvent::RetryWait { .. } = event {
            return Ok(());
        }
        let Some(message) = self.message.as_mut() else {
            return Err(AccumulateError::BeforeStart(event_name(event)));
        };
        match event {
            StreamEvent::ContentBlockStart {
                index,
                content_block,
            } => {
                let content = content_mut(message);
                if *index < content.len() {
                    content[*index] = content_block.clone();
                } else {
                    // Indices are positions in the final content; fill any gap so they stay so.
                    content.resize(*index, Value::Null);
                    content.push(content_block.clone());
                }
            }
            StreamEvent::ContentBlockDelta { index, delta } => {
                let block = block_mut(message, *index)?;
                apply_delta(block, delta, self.input_json.entry(*index).or_default());
            }
            StreamEvent::ContentBlockStop { index } => {
                let block = block_mut(message, *index)?;
                if let Some(text) = self.input_json.get(index).filter(|t| !t.trim().is_empty()) {
                    match serde_json::from_str::<Value>(text) {
                        Ok(input @ Value::Object(_)) => {
                            block.insert("input".to_owned(), input);
                        }
                        _ => {
                            self.invalid_input.insert(*index, text.clone());
                        }
                    }
                }
                self.stopped.push(*index);
            }
            StreamEvent::MessageDelta {
                delta,
                usage,
                context_management,
            } => {
                if let Some(fields) = delta.as_object() {
                    for (key, value) in fields {
                        message.insert(key.clone(), value.clone());
                    }
                }
                if let Some(Value::Object(update)) = usage {
                    let usage = message
                        .entry("usage")
                        .or_insert_with(|| Value::Object(Map::new()));
                    if let Value::Object(current) = usage {
                        for (key, value) in update {
                            if !value.is_null() {
                                current.insert(key.clone(), value.clone());
                            }
                        }
                    }
                }
                if let Some(cm) = context_management {
                    message.insert("context_management".to_owned(), cm.clone());
                }
            }
            StreamEvent::MessageStop => self.complete = true,
            StreamEvent::MessageStart { .. } | StreamEvent::RetryWait { .. } => {}
        }
        Ok(())
    }

    /// Whether `message_stop` arrived.
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// The message so far, in the API's shape.
    pub fn message(&self) -> Option<Value> {
        self.message.clone().map(Value::Object)
    }

    /// The collected input text of a tool block that was not valid JSON when it stopped.
    pub fn invalid_input(&self, index: usize) -> Option<&str> {
        self.invalid_input.get(&index).map(String::as_str)
    }

    /// Whether block `index` has stopped (a block cut off mid-stream has not).
    pub fn block_stopped(&self, index: usize) -> bool {
        self.stopped.contains(&index)
    }

    /// Tool input text collected so far for block `index` (for live previews).
    pub fn input_so_far(&self, index: usize) -> &str {
        self.input_json.get(&index).map_or("", String::as_str)
    }
}

fn event_name(event: &StreamEvent) -> &'static str {
    match event {
        StreamEvent::MessageStart { .. } => "message_start",
        StreamEvent::ContentBlockStart { .. } => "content_block_start",
        StreamEvent::ContentBlockDelta { .. } => "content_block_delta",
        StreamEvent::ContentBlockStop { .. } => "content_block_stop",
        StreamEvent::MessageDelta { .. } => "message_delta",
        StreamEvent::MessageStop => "message_stop",
        StreamEvent::RetryWait { .. } => "retry_wait",
    }
}

fn content_mut(message: &mut Map<String, Value>) -> &mut Vec<Value> {
    let content = message
        .entry("content")
        .or_insert_with(|| Value::Array(Vec::new()));
    if !content.is_array() {
        *content = Value::Array(Vec::new());
    }
    match content {
        Value::Array(items) => items,
        _ => unreachable!("content was just made an array"),
    }
}

fn block_mut(
    message: &mut Map<String, Value>,
    index: usize,
) -> Result<&mut Map<String, Value>, AccumulateError> {
    content_mut(message)
        .get_mut(index)
        .and_then(Value::as_object_mut)
        .ok_or(AccumulateError::UnknownBlock(index))
}

fn append(block: &mut Map<String, Value>, field: &str, text: &str) {
    match block.get_mut(field) {
        Some(Value::String(s)) => s.push_str(text),
        _ => {
            block.insert(field.to_owned(), Value::String(text.to_owned()));
        }
    }
}

fn apply_delta(block: &mut Map<String, Value>, delta: &Delta, input_json: &mut String) {
    match delta {
        Delta::TextDelta { text } => append(block, "text", text),
        Delta::InputJsonDelta { partial_json } => input_json.push_str(partial_json),
        Delta::ThinkingDelta { thinking } => append(block, "thinking", thinking),
        Delta::SignatureDelta { signature } => {
            block.insert("signature".to_owned(), Value::String(signature.clone()));
        }
        Delta::CitationsDelta { citation } => {
            let citations = block
                .entry("citations")
                .or_insert_with(|| Value::Array(Vec::new()));
            if !citations.is_array() {
                *citations = Value::Array(Vec::new());
            }
            if let Value::Array(list) = citations {
                list.push(citation.clone());
            }
        }
        Delta::Other(value) => {
            if let Some(fields) = value.as_object() {
                for (key, v) in fields.iter().filter(|(k, _)| k.as_str() != "type") {
                    block.insert(key.clone(), v.clone());
                }
            }
        }
    }
}
