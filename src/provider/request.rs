//! What a tab asks a model: backend-neutral, turned into each backend's wire format.

use serde_json::{Value, json};

/// One model call: the conversation so far and the options that shape the answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    pub system: String,
    /// Messages in the Messages API's shape (`role` and `content` blocks).
    pub messages: Vec<Value>,
    pub max_tokens: u32,
    pub thinking: Thinking,
    pub context_editing: ContextEditing,
}

/// Extended thinking.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Thinking {
    #[default]
    Off,
    /// Thinking with a token budget (`{"type":"enabled","budget_tokens":N}`).
    Budget(u32),
    /// The model decides (`{"type":"adaptive"}`), for models that require it.
    Adaptive,
}

impl Thinking {
    pub fn config(self) -> Option<Value> {
        match self {
            Self::Off => None,
            Self::Budget(tokens) => Some(json!({"type": "enabled", "budget_tokens": tokens})),
            Self::Adaptive => Some(json!({"type": "adaptive"})),
        }
    }
}

/// Server-side context editing presets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ContextEditing {
    #[default]
    Off,
    /// Low thresholds, so that clearing shows within a five-minute demo.
    Demo,
    /// Clear old tool results once the prompt passes 30,000 tokens.
    Production,
}

impl ContextEditing {
    /// The preset's clearing trigger (input tokens), tool uses kept, and least tokens worth
    /// clearing; `None` when off.
    pub fn thresholds(self) -> Option<(u32, u32, u32)> {
        match self {
            Self::Off => None,
            Self::Demo => Some((3_000, 2, 500)),
            Self::Production => Some((30_000, 3, 5_000)),
        }
    }

    /// The `context_management` request field; `clear_thinking` first when thinking is on, as
    /// the API requires.
    pub fn config(self, thinking: Thinking) -> Option<Value> {
        let (trigger, keep, clear_at_least) = self.thresholds()?;
        let mut edits = Vec::new();
        if thinking != Thinking::Off {
            edits.push(json!({"type": "clear_thinking_20251015", "keep": {"type": "thinking_turns", "value": 1}}));
        }
        edits.push(json!({
            "type": "clear_tool_uses_20250919",
            "trigger": {"type": "input_tokens", "value": trigger},
            "keep": {"type": "tool_uses", "value": keep},
            "clear_at_least": {"type": "input_tokens", "value": clear_at_least},
            "clear_tool_inputs": false
        }));
        Some(json!({"edits": edits}))
    }
}
