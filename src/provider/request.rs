//! What a tab asks a model: backend-neutral, turned into each backend's wire format.

use serde_json::{Value, json};

/// One model call: the conversation so far and the options that shape the answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    /// Who asks: the tab's persona. Backends do not send it; recordings key calls by it.
    pub persona: String,
    /// A model other than the backend's configured one (a tab's choice in the picker).
    pub model: Option<String>,
    pub system: String,
    /// The memory index (a table of contents of the shared store), sent after the system prompt
    /// as its own block; built once per turn, so every call of a turn sends the same prefix.
    pub memory_index: Option<String>,
    /// Whether the memory tool is offered (not to a call that only answers in text, such as
    /// extraction).
    pub tools: bool,
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

/// Server-side context editing: a preset, or a preset's thresholds changed in the
/// configuration.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ContextEditing {
    #[default]
    Off,
    /// Low thresholds, so that clearing shows within a five-minute demo.
    Demo,
    /// Clear old tool results once the prompt passes 30,000 tokens.
    Production,
    /// Thresholds of one's own.
    Custom {
        trigger: u32,
        keep: u32,
        clear_at_least: u32,
    },
    /// Server-side compaction (`compact_20260112`, beta): once a prompt passes `trigger` input
    /// tokens the API summarises the conversation so far into a `compaction` block.
    Compact { trigger: u32 },
}

/// The compaction trigger when none is set (the API's default), and the least it accepts.
pub const COMPACT_TRIGGER: u32 = 150_000;
pub const COMPACT_TRIGGER_MIN: u32 = 50_000;

impl ContextEditing {
    /// The clearing trigger (input tokens), tool uses kept, and least tokens worth clearing;
    /// `None` when off.
    pub fn thresholds(self) -> Option<(u32, u32, u32)> {
        match self {
            Self::Off | Self::Compact { .. } => None,
            Self::Demo => Some((3_000, 2, 500)),
            Self::Production => Some((30_000, 3, 5_000)),
            Self::Custom {
                trigger,
                keep,
                clear_at_least,
            } => Some((trigger, keep, clear_at_least)),
        }
    }

    /// The prompt size (input tokens) at which the server starts editing: clearing or
    /// compacting.
    pub fn trigger(self) -> Option<u32> {
        match self {
            Self::Compact { trigger } => Some(trigger),
            other => other.thresholds().map(|(trigger, _, _)| trigger),
        }
    }

    /// The beta header the edits need.
    pub fn beta(self) -> Option<&'static str> {
        match self {
            Self::Off => None,
            Self::Compact { .. } => Some("compact-2026-01-12"),
            _ => Some("context-management-2025-06-27"),
        }
    }

    /// The `context_management` request field; `clear_thinking` first when thinking is on, as
    /// the API requires.
    pub fn config(self, thinking: Thinking) -> Option<Value> {
        if let Self::Compact { trigger } = self {
            return Some(json!({"edits": [{
                "type": "compact_20260112",
                "trigger": {"type": "input_tokens", "value": trigger},
            }]}));
        }
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

impl std::fmt::Display for ContextEditing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Off => f.write_str("off"),
            Self::Demo => f.write_str("demo"),
            Self::Production => f.write_str("production"),
            Self::Compact { trigger } if *trigger == COMPACT_TRIGGER => f.write_str("compact"),
            Self::Compact { trigger } => write!(f, "compact (trigger {trigger})"),
            Self::Custom {
                trigger,
                keep,
                clear_at_least,
            } => write!(
                f,
                "custom (trigger {trigger}, keep {keep}, clear at least {clear_at_least})"
            ),
        }
    }
}

impl std::fmt::Display for Thinking {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Off => f.write_str("off"),
            Self::Adaptive => f.write_str("adaptive"),
            Self::Budget(tokens) => write!(f, "{tokens}"),
        }
    }
}
