//! The built-in offline demo model: a deterministic stand-in for Claude.
//!
//! It reads the conversation it is sent and follows the memory protocol: it first views
//! `/memories`, then understands the message as a team member would (`words`: who speaks for
//! which company, the customer or topic it is about, its facts as clean lines) and plans the
//! turn (`plan`): facts go to the customer's file (created, or edited in place), questions are
//! answered by reading the files that matter and quoting them as lists, an architecture or a
//! proposal is composed from the stored facts and saved as its own file (`compose`), attached
//! code is reviewed as code (`code`), and "forget" deletes. Its answers stream as the same events as the API's (word-sized text deltas,
//! tool input in small JSON fragments, usage numbers, context-editing reports), paced at a
//! chosen speed. It is labelled "demo model (offline)" wherever a provider is shown.

mod board;
mod build;
mod code;
mod compose;
mod extract;
pub mod facts;
mod plan;
mod review;
mod summary;
pub mod words;

use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{Delta, EventStream, Provider, Request, StreamEvent};

pub use plan::{Intent, Plan, PlannedBlock, intent, plan};

pub const LABEL: &str = "demo model (offline)";

/// The demo model.
#[derive(Clone, Debug)]
pub struct Demo {
    /// Output tokens per second; 0 streams as fast as possible (tests).
    pub tokens_per_second: f64,
}

impl Default for Demo {
    fn default() -> Self {
        Self {
            tokens_per_second: 60.0,
        }
    }
}

impl Provider for Demo {
    fn label(&self) -> String {
        LABEL.to_owned()
    }

    /// The demo answers the same whatever the model: the picker shows the known Claude
    /// models, so a rehearsal looks like the real thing.
    fn models(&self) -> super::ModelList<'_> {
        Box::pin(async { Ok(super::known_models()) })
    }

    fn stream(&self, request: &Request, cancel: CancellationToken) -> EventStream {
        let system = &request.system;
        let text = |answer: String| Plan {
            blocks: vec![PlannedBlock::Text(answer)],
        };
        let planned = if system.starts_with(crate::chat::extract::PROMPT_START) {
            text(extract::answer(system, &request.messages))
        } else if system.starts_with(crate::chat::agent::SUMMARY_PROMPT_START) {
            text(summary::answer(system, &request.messages))
        } else {
            plan(request)
        };
        let events = render(&planned, request);
        let per_token = if self.tokens_per_second > 0.0 {
            Duration::from_secs_f64(1.0 / self.tokens_per_second)
        } else {
            Duration::ZERO
        };
        let (tx, rx) = mpsc::channel(64);
        tokio::spawn(async move {
            // Each event is due at a fixed time from the start, so the pace holds even when the
            // task runs late (the app's event loop rests between frames): what is overdue is
            // sent without waiting, as a network's buffered bytes would arrive together.
            let mut due = tokio::time::Instant::now();
            for (event, tokens) in events {
                // Unpaced, everything is due at once: the channel's capacity hands the events
                // over in batches, as a network's buffered bytes arrive.
                due += per_token * tokens;
                if !super::send_when_due(&tx, due, &cancel, Ok(event)).await {
                    return;
                }
            }
        });
        super::from_channel(rx)
    }
}

/// Rough token count of text, as the API would bill it.
fn tokens(text: &str) -> u32 {
    u32::try_from(text.len().div_ceil(4)).unwrap_or(u32::MAX)
}

/// The plan as API events, each with the output tokens it stands for (for pacing).
pub fn render(plan: &Plan, request: &Request) -> Vec<(StreamEvent, u32)> {
    let input_tokens = tokens(&request.system)
        + request.memory_index.as_deref().map_or(0, tokens)
        + tokens(&Value::from(request.messages.clone()).to_string());
    let id_base = request.messages.len();
    let mut events = vec![(
        StreamEvent::MessageStart {
            message: json!({"id": format!("msg_demo_{id_base}"), "type": "message", "role": "assistant",
                "model": "demo", "content": [], "stop_reason": null, "stop_sequence": null,
                "usage": {"input_tokens": input_tokens, "output_tokens": 1}}),
        },
        0,
    )];
    let mut output = 1;
    let mut has_tool = false;
    for (index, block) in plan.blocks.iter().enumerate() {
        match block {
            PlannedBlock::Text(text) => {
                events.push((
                    StreamEvent::ContentBlockStart {
                        index,
                        content_block: json!({"type": "text", "text": ""}),
                    },
                    0,
                ));
                for word in text.split_inclusive(' ') {
                    output += 1;
                    events.push((
                        StreamEvent::ContentBlockDelta {
                            index,
                            delta: Delta::TextDelta {
                                text: word.to_owned(),
                            },
                        },
                        1,
                    ));
                }
            }
            PlannedBlock::Tool(input) => {
                has_tool = true;
                let id = format!("toolu_demo_{id_base}_{index}");
                events.push((StreamEvent::ContentBlockStart { index, content_block: json!({"type": "tool_use", "id": id, "name": "memory", "input": {}}) }, 0));
                let text = input.to_string();
                let mut rest = text.as_str();
                while !rest.is_empty() {
                    let mut cut = 12.min(rest.len());
                    while !rest.is_char_boundary(cut) {
                        cut += 1;
                    }
                    let (piece, tail) = rest.split_at(cut);
                    output += tokens(piece);
                    events.push((
                        StreamEvent::ContentBlockDelta {
                            index,
                            delta: Delta::InputJsonDelta {
                                partial_json: piece.to_owned(),
                            },
                        },
                        tokens(piece),
                    ));
                    rest = tail;
                }
            }
        }
        events.push((StreamEvent::ContentBlockStop { index }, 0));
    }
    let stop_reason = if has_tool { "tool_use" } else { "end_turn" };
    events.push((
        StreamEvent::MessageDelta {
            delta: json!({"stop_reason": stop_reason, "stop_sequence": null}),
            usage: Some(json!({"output_tokens": output})),
            context_management: applied_edits(request, input_tokens),
        },
        0,
    ));
    events.push((StreamEvent::MessageStop, 0));
    events
}

/// What the API would report when the configured clearing trigger is crossed (simulated:
/// the demo model reads the whole conversation either way).
fn applied_edits(request: &Request, input_tokens: u32) -> Option<Value> {
    let (trigger, keep, _) = request.context_editing.thresholds()?;
    let tool_uses = request
        .messages
        .iter()
        .filter_map(|m| m["content"].as_array())
        .flatten()
        .filter(|b| b["type"] == "tool_use")
        .count();
    let cleared = tool_uses.saturating_sub(usize::try_from(keep).unwrap_or(usize::MAX));
    (input_tokens > trigger && cleared > 0).then(|| {
        json!({"applied_edits": [{"type": "clear_tool_uses_20250919", "cleared_tool_uses": cleared,
            "cleared_input_tokens": input_tokens / 3}]})
    })
}
