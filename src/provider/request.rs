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

/// The turn's options fitted to what a model says it can do (`limits` from the models list;
/// what it does not say is left as configured), with a line for each change.
pub fn fit(
    limits: &super::ModelLimits,
    max_tokens: u32,
    thinking: Thinking,
    editing: ContextEditing,
) -> (u32, Thinking, ContextEditing, Vec<String>) {
    let mut notes = Vec::new();
    let max_tokens = match limits.max_tokens {
        Some(most) if max_tokens > most => {
            notes.push(format!(
                "max_tokens {max_tokens} → {most} (the model's most)"
            ));
            most
        }
        _ => max_tokens,
    };
    let thinking = match (thinking, limits.thinking_budget, limits.thinking_adaptive) {
        (Thinking::Budget(_) | Thinking::Adaptive, Some(false), Some(false)) => {
            notes.push("thinking off (the model does not think)".to_owned());
            Thinking::Off
        }
        (Thinking::Budget(_), Some(false), _) => {
            notes.push("thinking adaptive (the model takes no budget)".to_owned());
            Thinking::Adaptive
        }
        (Thinking::Adaptive, _, Some(false)) => {
            let budget = (max_tokens / 2).clamp(1024, 4096);
            notes.push(format!(
                "thinking with a budget of {budget} (no adaptive thinking)"
            ));
            Thinking::Budget(budget)
        }
        (other, ..) => other,
    };
    let editing = match editing {
        ContextEditing::Compact { .. } if limits.compaction == Some(false) => {
            if limits.clearing == Some(false) {
                notes.push("context editing off (the model takes no compaction)".to_owned());
                ContextEditing::Off
            } else {
                notes.push("clearing old tool results instead of compaction".to_owned());
                ContextEditing::Production
            }
        }
        ContextEditing::Demo | ContextEditing::Production | ContextEditing::Custom { .. }
            if limits.clearing == Some(false) =>
        {
            notes.push("context editing off (the model takes no clearing)".to_owned());
            ContextEditing::Off
        }
        other => other,
    };
    (max_tokens, thinking, editing, notes)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::ModelLimits;

    #[test]
    fn options_fit_what_the_model_says() {
        let adaptive_only = ModelLimits {
            max_tokens: Some(32_000),
            thinking_budget: Some(false),
            thinking_adaptive: Some(true),
            clearing: Some(true),
            compaction: Some(false),
            ..ModelLimits::default()
        };
        let (max, thinking, editing, notes) = fit(
            &adaptive_only,
            64_000,
            Thinking::Budget(8000),
            ContextEditing::Compact { trigger: 150_000 },
        );
        assert_eq!(
            (max, thinking, editing),
            (32_000, Thinking::Adaptive, ContextEditing::Production)
        );
        assert_eq!(notes.len(), 3, "{notes:?}");
        let budget_only = ModelLimits {
            thinking_budget: Some(true),
            thinking_adaptive: Some(false),
            ..ModelLimits::default()
        };
        let (_, thinking, _, _) = fit(&budget_only, 4096, Thinking::Adaptive, ContextEditing::Off);
        assert_eq!(thinking, Thinking::Budget(2048));
        // What the list does not say stays as configured.
        let unknown = ModelLimits::default();
        assert_eq!(
            fit(&unknown, 4096, Thinking::Budget(2048), ContextEditing::Demo),
            (
                4096,
                Thinking::Budget(2048),
                ContextEditing::Demo,
                Vec::new()
            )
        );
    }
}
