//! What a tab's chat pane shows, built from the turn's events.
//!
//! A [`Transcript`] is plain state: the agent's events go in, a list of [`Item`]s comes out. A
//! tool card appears when its `tool_use` block starts and fills from the partial JSON as it
//! streams; it shows ✓ or ✗ when the tool has run. Usage and context-edit lines follow each
//! model call. Drawing reads this; nothing here touches a terminal.

use std::collections::HashMap;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::chat::extract::{Extracted, Proposal};
use crate::chat::{AgentEvent, TurnError};
use crate::memory::receipt::Change;
use crate::provider::partial_json::preview;
use crate::provider::{Delta, ProviderError, StreamEvent};

/// One thing in the chat pane. Saved with the session (a retry countdown is not: it only
/// means something while it counts).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "item", rename_all = "snake_case")]
pub enum Item {
    User {
        text: String,
    },
    Text {
        text: String,
        streaming: bool,
    },
    Thinking {
        text: String,
        streaming: bool,
        redacted: bool,
    },
    Tool(ToolCard),
    /// After each model call.
    Usage {
        input: u64,
        output: u64,
        cache_read: u64,
        /// What a server-side compaction in this call cost (`usage.iterations`), which the
        /// top-level counts leave out.
        #[serde(default, skip_serializing_if = "is_zero")]
        compaction_input: u64,
        #[serde(default, skip_serializing_if = "is_zero")]
        compaction_output: u64,
    },
    /// What the turn changed in memory, under its answer; `u` undoes it.
    Receipt {
        changes: Vec<Change>,
        undo: UndoState,
    },
    /// Extraction after the turn: looking, what it found, or why it failed.
    Extraction {
        state: ExtractState,
    },
    /// A memory extraction proposes; `a` accepts it, `x` dismisses it.
    Proposal {
        proposal: Proposal,
        state: ProposalState,
    },
    /// What the model was told before the person's message (others' changes to memory this
    /// conversation read).
    Told {
        text: String,
    },
    /// A line of a team run about this tab: waiting for a task or a file, woken.
    Team {
        text: String,
    },
    /// A model call ended for a reason the person should know about (a refusal, the context
    /// window or the token limit reached), said plainly.
    Stopped {
        reason: String,
    },
    /// The conversation so far was summarised (by the API, or by memdeck where the backend
    /// does not compact): what came before is replaced by this summary in every later request.
    Compaction {
        summary: String,
        streaming: bool,
        /// What memdeck's own summary call cost (a server-side compaction's cost is on its
        /// call's usage line instead).
        #[serde(default, skip_serializing_if = "is_zero")]
        tokens: u64,
    },
    ContextEdited {
        cleared_tool_uses: u64,
        cleared_tokens: u64,
    },
    /// The turn's requests carry the memory index: files listed, files in the store, bytes.
    MemoryIndex {
        listed: usize,
        total: usize,
        bytes: usize,
    },
    /// A failed request is retried after `wait_ms` from `since`.
    #[serde(skip)]
    Retry {
        attempt: u32,
        wait_ms: u64,
        since: Instant,
        reason: String,
    },
    /// The turn failed or was cancelled; what arrived before is kept above.
    Error {
        message: String,
        cancelled: bool,
        /// The API's request id, for a support ticket.
        request_id: Option<String>,
    },
}

/// The item a content block starts, for the blocks the chat shows.
fn block_item(content_block: &Value) -> Option<Item> {
    Some(match content_block["type"].as_str() {
        Some("text") => Item::Text {
            text: content_block["text"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            streaming: true,
        },
        Some("thinking") => Item::Thinking {
            text: String::new(),
            streaming: true,
            redacted: false,
        },
        Some("redacted_thinking") => Item::Thinking {
            text: String::new(),
            streaming: false,
            redacted: true,
        },
        Some("compaction") => Item::Compaction {
            tokens: 0,
            summary: content_block["content"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            streaming: true,
        },
        Some("tool_use") => Item::Tool(ToolCard {
            id: content_block["id"].as_str().unwrap_or_default().to_owned(),
            name: content_block["name"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            input: String::new(),
            status: ToolStatus::Writing,
        }),
        // Server-side blocks and types we do not know are not shown.
        _ => return None,
    })
}

/// What a stop reason means for the person, for the reasons that need saying (`end_turn`,
/// `tool_use`, `pause_turn` and the like need not).
pub fn stop_text(reason: &str) -> Option<&'static str> {
    Some(match reason {
        "refusal" => {
            "Claude declined to go on with this request (stop reason: refusal). Rephrase it, or \
             start a new conversation in another tab."
        }
        "model_context_window_exceeded" => {
            "The conversation no longer fits the model's context window, so the answer stopped \
             (stop reason: model_context_window_exceeded). Turn on compaction or context editing \
             (F7), or go on in a new tab: memory is shared."
        }
        "max_tokens" => {
            "The answer reached the max_tokens limit and was cut off (stop reason: max_tokens). \
             Ask Claude to continue, or raise max_tokens."
        }
        _ => return None,
    })
}

/// Where a turn's extraction stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ExtractState {
    Looking,
    Found { count: usize },
    Nothing,
    Failed { error: String },
}

/// Where a proposed memory stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ProposalState {
    Open,
    Writing,
    Written { what: String },
    Dismissed,
    Failed { error: String },
}

/// Where undoing a receipt's turn stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum UndoState {
    /// Not undone.
    Open,
    /// Being undone now.
    Undoing,
    /// Undone: what happened, in a line.
    Done { summary: String },
}

#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Item {
    /// Whether the chat can select the item (Up/Down, a click) and Enter expands it (or `u`,
    /// `a`, `x` act on it).
    pub fn is_expandable(&self) -> bool {
        matches!(
            self,
            Self::Tool(_)
                | Self::Thinking { .. }
                | Self::Compaction { .. }
                | Self::Receipt { .. }
                | Self::Proposal { .. }
                | Self::Error { .. }
        )
    }

    /// Whether the chat can select the item to copy it: the cards above and the messages.
    pub fn is_selectable(&self) -> bool {
        self.is_expandable() || matches!(self, Self::User { .. } | Self::Text { .. })
    }
}

/// A memory tool call, from the first fragment of its input to its result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ToolCard {
    pub id: String,
    pub name: String,
    /// The input JSON text so far.
    pub input: String,
    pub status: ToolStatus,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ToolStatus {
    /// The model is still writing the input.
    Writing,
    /// The input is complete; the tool has not run yet.
    Ready,
    Running,
    Done {
        summary: String,
        /// The whole result the model received.
        content: String,
    },
    Failed {
        error: String,
    },
    /// The answer stopped before this call could run; it never ran.
    Dropped,
}

impl ToolCard {
    /// The fields known so far (command, path, and the text being written).
    pub fn fields(&self) -> Map<String, Value> {
        preview(&self.input)
    }

    /// The call for a document: its command, and the path it works on (`old → new` for a
    /// rename).
    pub fn call(&self) -> (String, String) {
        let fields = self.fields();
        let field = |k: &str| fields.get(k).and_then(Value::as_str).unwrap_or_default();
        let target = match (field("path"), field("old_path")) {
            ("", old) if !old.is_empty() => format!("{old} → {}", field("new_path")),
            (path, _) => path.to_owned(),
        };
        (field("command").to_owned(), target)
    }

    /// How the call ended, in a few words: `✓ summary`, `✗` and the error's first line, or that
    /// it never ran.
    pub fn outcome(&self) -> String {
        match &self.status {
            ToolStatus::Done { summary, .. } => format!("✓ {summary}"),
            ToolStatus::Failed { error } => {
                format!("✗ {}", error.lines().next().unwrap_or_default())
            }
            _ => "– did not run".to_owned(),
        }
    }
}

/// A tab's transcript.
#[derive(Debug, Default)]
pub struct Transcript {
    pub items: Vec<Item>,
    /// Grows with every change, so that a view can tell what to re-wrap.
    pub revision: u64,
    /// The revision at which each item last changed (parallel to `items`): a view re-wraps an
    /// item only when this moves.
    revs: Vec<u64>,
    /// Items of the current model call, by content block index.
    blocks: HashMap<usize, usize>,
    /// Usage of the current model call, shown when it ends.
    usage: Option<Value>,
    /// Why the current model call stopped, when the API said.
    stop_reason: Option<String>,
    /// Memory changes of the running turn, for its receipt.
    turn_changes: Vec<Change>,
    context_management: Option<Value>,
    /// Tokens over the whole conversation, for the status bar.
    pub total_input: u64,
    pub total_output: u64,
    pub saved_by_context_editing: u64,
    /// Tokens read from the prompt cache over the whole conversation (priced apart).
    pub total_cache_read: u64,
    /// Server-side compactions so far and their tokens (in and out; also in the totals).
    pub compactions: u64,
    pub compaction_tokens: u64,
    /// The prompt size of the last model call (input, cache reads and writes): what context
    /// editing's trigger is compared with.
    pub last_prompt: u64,
}

impl Transcript {
    /// A transcript brought back from a saved session.
    pub fn restored(mut items: Vec<Item>, input: u64, output: u64, saved: u64) -> Self {
        // What was under way when the session was saved did not finish: say so, and let it be
        // done again (an undo, a memory to keep).
        for item in &mut items {
            match item {
                Item::Receipt { undo, .. } if *undo == UndoState::Undoing => {
                    *undo = UndoState::Open;
                }
                Item::Proposal { state, .. } if *state == ProposalState::Writing => {
                    *state = ProposalState::Open;
                }
                Item::Extraction { state } if *state == ExtractState::Looking => {
                    *state = ExtractState::Failed {
                        error: "the app was closed before it finished".to_owned(),
                    };
                }
                _ => {}
            }
        }
        let revs = vec![1; items.len()];
        let last_prompt = items
            .iter()
            .rev()
            .find_map(|item| match item {
                Item::Usage {
                    input, cache_read, ..
                } => Some(input + cache_read),
                _ => None,
            })
            .unwrap_or(0);
        let total_cache_read = cache_read(&items);
        // One card per compaction; its cost on its call's usage line, or on the card.
        let (mut compactions, mut compaction_tokens) = (0, 0);
        for item in &items {
            match item {
                Item::Usage {
                    compaction_input,
                    compaction_output,
                    ..
                } => compaction_tokens += compaction_input + compaction_output,
                Item::Compaction { tokens, .. } => {
                    compactions += 1;
                    compaction_tokens += tokens;
                }
                _ => {}
            }
        }
        Self {
            last_prompt,
            total_cache_read,
            compactions,
            compaction_tokens,
            items,
            revision: 1,
            revs,
            total_input: input,
            total_output: output,
            saved_by_context_editing: saved,
            ..Self::default()
        }
    }

    pub fn push_user(&mut self, text: &str) {
        self.revision += 1;
        self.push(Item::User {
            text: text.to_owned(),
        });
    }

    /// What the model is told with the message just pushed.
    pub fn push_told(&mut self, text: &str) {
        self.revision += 1;
        self.push(Item::Told {
            text: text.to_owned(),
        });
    }

    /// A team run's line about this tab (it waits, it was woken).
    pub fn push_team(&mut self, text: &str) {
        self.revision += 1;
        self.push(Item::Team {
            text: text.to_owned(),
        });
    }

    /// The revision at which item `i` last changed.
    pub fn item_revision(&self, i: usize) -> u64 {
        self.revs.get(i).copied().unwrap_or(0)
    }

    /// The last item, when the turn ended with an error card.
    pub fn last_error(&self) -> Option<&Item> {
        self.items
            .last()
            .filter(|item| matches!(item, Item::Error { .. }))
    }

    fn push(&mut self, item: Item) {
        self.items.push(item);
        self.revs.push(self.revision);
    }

    fn touch(&mut self, i: usize) -> Option<&mut Item> {
        let revision = self.revision;
        let rev = self.revs.get_mut(i)?;
        *rev = revision;
        self.items.get_mut(i)
    }

    /// Apply one event of the running turn.
    pub fn on_event(&mut self, event: &AgentEvent, now: Instant) {
        self.revision += 1;
        match event {
            AgentEvent::Stream(e) => self.on_stream(e, now),
            AgentEvent::ToolStarted { id, .. } => self.set_status(id, ToolStatus::Running),
            AgentEvent::MemoryIndex {
                listed,
                total,
                bytes,
            } => self.push(Item::MemoryIndex {
                listed: *listed,
                total: *total,
                bytes: *bytes,
            }),
            AgentEvent::MemoryChanged(change) => self.turn_changes.push(change.clone()),
            AgentEvent::Compacted { summary, usage } => {
                let n = |k: &str| usage[k].as_u64().unwrap_or(0);
                self.total_input += n("input_tokens");
                self.total_output += n("output_tokens");
                let tokens = n("input_tokens") + n("output_tokens");
                self.compaction_tokens += tokens;
                self.compactions += 1;
                self.push(Item::Compaction {
                    summary: summary.clone(),
                    streaming: false,
                    tokens,
                });
            }
            AgentEvent::ToolFinished { id, result } => {
                let first = result.content.lines().next().unwrap_or_default().to_owned();
                let status = if result.is_error {
                    ToolStatus::Failed {
                        error: result.content.clone(),
                    }
                } else {
                    ToolStatus::Done {
                        summary: first,
                        content: result.content.clone(),
                    }
                };
                self.set_status(id, status);
            }
        }
    }

    /// The turn ended; on failure an error card, and nothing is left looking busy.
    pub fn on_turn_end(&mut self, result: Result<(), &TurnError>) {
        self.revision += 1;
        let revision = self.revision;
        for (item, rev) in self.items.iter_mut().zip(&mut self.revs) {
            match item {
                Item::Text { streaming, .. }
                | Item::Thinking { streaming, .. }
                | Item::Compaction { streaming, .. }
                    if *streaming =>
                {
                    *streaming = false;
                    *rev = revision;
                }
                Item::Tool(card)
                    if matches!(card.status, ToolStatus::Writing | ToolStatus::Ready) =>
                {
                    card.status = ToolStatus::Dropped;
                    *rev = revision;
                }
                _ => {}
            }
        }
        if !self.turn_changes.is_empty() {
            let changes = std::mem::take(&mut self.turn_changes);
            self.push(Item::Receipt {
                changes,
                undo: UndoState::Open,
            });
        }
        if let Err(error) = result {
            // The error card says why; the retry line before it would say it again.
            if matches!(self.items.last(), Some(Item::Retry { .. })) {
                self.items.pop();
                self.revs.pop();
            }
            let request_id = match error {
                TurnError::Provider(ProviderError::Http { request_id, .. }) => request_id.clone(),
                _ => None,
            };
            self.push(Item::Error {
                message: error.to_string(),
                cancelled: matches!(error, TurnError::Provider(ProviderError::Cancelled)),
                request_id,
            });
        }
    }

    fn on_stream(&mut self, event: &StreamEvent, now: Instant) {
        match event {
            StreamEvent::MessageStart { message } => {
                self.blocks.clear();
                self.usage = Some(message["usage"].clone());
                self.context_management = None;
                self.stop_reason = None;
            }
            StreamEvent::ContentBlockStart {
                index,
                content_block,
            } => {
                let Some(item) = block_item(content_block) else {
                    return;
                };
                if matches!(item, Item::Compaction { .. }) {
                    self.compactions += 1;
                }
                self.blocks.insert(*index, self.items.len());
                self.push(item);
            }
            StreamEvent::ContentBlockDelta { index, delta } => {
                let Some(item) = self.blocks.get(index).copied().and_then(|i| self.touch(i)) else {
                    return;
                };
                match (item, delta) {
                    (Item::Text { text, .. }, Delta::TextDelta { text: more }) => {
                        text.push_str(more);
                    }
                    (Item::Thinking { text, .. }, Delta::ThinkingDelta { thinking }) => {
                        text.push_str(thinking);
                    }
                    (Item::Tool(card), Delta::InputJsonDelta { partial_json }) => {
                        card.input.push_str(partial_json);
                    }
                    // The summary arrives whole, in one delta.
                    (Item::Compaction { summary, .. }, Delta::Other(fields))
                        if fields["type"] == "compaction_delta" =>
                    {
                        if let Some(content) = fields["content"].as_str() {
                            content.clone_into(summary);
                        }
                    }
                    _ => {}
                }
            }
            StreamEvent::ContentBlockStop { index } => {
                match self.blocks.get(index).copied().and_then(|i| self.touch(i)) {
                    Some(
                        Item::Text { streaming, .. }
                        | Item::Thinking { streaming, .. }
                        | Item::Compaction { streaming, .. },
                    ) => {
                        *streaming = false;
                    }
                    Some(Item::Tool(card)) => card.status = ToolStatus::Ready,
                    _ => {}
                }
            }
            StreamEvent::MessageDelta {
                delta,
                usage,
                context_management,
            } => {
                if let Some(reason) = delta["stop_reason"].as_str() {
                    self.stop_reason = Some(reason.to_owned());
                }
                if let (Some(Value::Object(update)), Some(Value::Object(current))) =
                    (usage, self.usage.as_mut())
                {
                    for (k, v) in update {
                        current.insert(k.clone(), v.clone());
                    }
                }
                if context_management.is_some() {
                    self.context_management.clone_from(context_management);
                }
            }
            StreamEvent::MessageStop => self.end_of_call(),
            StreamEvent::RetryWait {
                attempt,
                wait_ms,
                reason,
            } => self.on_retry(Item::Retry {
                attempt: *attempt,
                wait_ms: *wait_ms,
                since: now,
                reason: reason.clone(),
            }),
        }
    }

    /// One line for a run of retries: the next attempt replaces the last one's line, so a
    /// failing network is said once, not once per attempt.
    fn on_retry(&mut self, retry: Item) {
        let last = self.items.len().checked_sub(1);
        match last.filter(|&i| matches!(self.items[i], Item::Retry { .. })) {
            Some(i) => {
                if let Some(item) = self.touch(i) {
                    *item = retry;
                }
            }
            None => self.push(retry),
        }
    }

    fn end_of_call(&mut self) {
        if let Some(reason) = self.stop_reason.take().filter(|r| stop_text(r).is_some()) {
            self.push(Item::Stopped { reason });
        }
        if let Some(usage) = self.usage.take() {
            let n = |k: &str| usage[k].as_u64().unwrap_or(0);
            // A compaction's own sampling is reported only in `iterations`.
            let compacted = |k: &str| {
                usage["iterations"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|i| i["type"] == "compaction")
                    .map(|i| i[k].as_u64().unwrap_or(0))
                    .sum::<u64>()
            };
            let (compaction_input, compaction_output) =
                (compacted("input_tokens"), compacted("output_tokens"));
            self.compaction_tokens += compaction_input + compaction_output;
            self.total_input += n("input_tokens") + compaction_input;
            self.total_output += n("output_tokens") + compaction_output;
            self.total_cache_read += n("cache_read_input_tokens");
            self.last_prompt =
                n("input_tokens") + n("cache_read_input_tokens") + n("cache_creation_input_tokens");
            self.push(Item::Usage {
                input: n("input_tokens"),
                output: n("output_tokens"),
                cache_read: n("cache_read_input_tokens"),
                compaction_input,
                compaction_output,
            });
        }
        if let Some(cm) = self.context_management.take() {
            let edits = cm["applied_edits"].as_array().cloned().unwrap_or_default();
            let sum = |k: &str| {
                edits
                    .iter()
                    .map(|e| e[k].as_u64().unwrap_or(0))
                    .sum::<u64>()
            };
            let cleared_tokens = sum("cleared_input_tokens");
            if !edits.is_empty() {
                self.saved_by_context_editing += cleared_tokens;
                self.push(Item::ContextEdited {
                    cleared_tool_uses: sum("cleared_tool_uses"),
                    cleared_tokens,
                });
            }
        }
    }

    /// Extraction started for the turn that just ended.
    pub fn extraction_started(&mut self) {
        self.revision += 1;
        self.push(Item::Extraction {
            state: ExtractState::Looking,
        });
    }

    /// What extraction found (its call's tokens count in the totals): the last "looking" line
    /// says it, and a card per proposal follows. Returns the cards' indexes.
    pub fn extracted(&mut self, result: Result<Extracted, String>) -> Vec<usize> {
        self.revision += 1;
        let state = match &result {
            Ok(found) if found.proposals.is_empty() => ExtractState::Nothing,
            Ok(found) => ExtractState::Found {
                count: found.proposals.len(),
            },
            Err(error) => ExtractState::Failed {
                error: error.clone(),
            },
        };
        let looking = self.items.iter().rposition(|i| {
            matches!(
                i,
                Item::Extraction {
                    state: ExtractState::Looking
                }
            )
        });
        match looking.and_then(|i| self.touch(i)) {
            Some(Item::Extraction { state: s }) => *s = state,
            _ => self.push(Item::Extraction { state }),
        }
        let Ok(found) = result else {
            return Vec::new();
        };
        self.total_input += found.input_tokens;
        self.total_output += found.output_tokens;
        found
            .proposals
            .into_iter()
            .map(|proposal| {
                self.push(Item::Proposal {
                    proposal,
                    state: ProposalState::Open,
                });
                self.items.len() - 1
            })
            .collect()
    }

    /// Set how the proposal at `i` stands.
    pub fn set_proposal(&mut self, i: usize, new: ProposalState) {
        self.revision += 1;
        if let Some(Item::Proposal { state, .. }) = self.touch(i) {
            *state = new;
        }
    }

    /// Set how undoing the receipt at `i` stands.
    pub fn set_undo(&mut self, i: usize, state: UndoState) {
        self.revision += 1;
        if let Some(Item::Receipt { undo, .. }) = self.touch(i) {
            *undo = state;
        }
    }

    fn set_status(&mut self, id: &str, status: ToolStatus) {
        let found = self
            .items
            .iter()
            .rposition(|item| matches!(item, Item::Tool(card) if card.id == id));
        if let Some(Item::Tool(card)) = found.and_then(|i| self.touch(i)) {
            card.status = status;
        }
    }
}

/// Input tokens read from the prompt cache over `items` (each call's usage line).
pub fn cache_read(items: &[Item]) -> u64 {
    items
        .iter()
        .map(|item| match item {
            Item::Usage { cache_read, .. } => *cache_read,
            _ => 0,
        })
        .sum()
}

#[cfg(test)]
mod restore {
    use super::*;

    #[test]
    fn compactions_of_both_kinds_count_again_from_a_saved_session() {
        let t = Transcript::restored(
            vec![
                Item::Compaction {
                    summary: "server".into(),
                    streaming: false,
                    tokens: 0,
                },
                Item::Usage {
                    input: 10,
                    output: 2,
                    cache_read: 0,
                    compaction_input: 100,
                    compaction_output: 20,
                },
                Item::Compaction {
                    summary: "memdeck's".into(),
                    streaming: false,
                    tokens: 7,
                },
            ],
            0,
            0,
            0,
        );
        assert_eq!((t.compactions, t.compaction_tokens), (2, 127));
    }

    #[test]
    fn work_under_way_when_saved_comes_back_undone() {
        let proposal = Proposal {
            path: "/memories/people/alice.md".into(),
            name: "Alice".into(),
            kind: crate::memory::front::MemoryType::User,
            description: "Who Alice is".into(),
            body: "- Leads discovery".into(),
            adds_to: false,
        };
        let t = Transcript::restored(
            vec![
                Item::Receipt {
                    changes: Vec::new(),
                    undo: UndoState::Undoing,
                },
                Item::Extraction {
                    state: ExtractState::Looking,
                },
                Item::Proposal {
                    proposal,
                    state: ProposalState::Writing,
                },
            ],
            0,
            0,
            0,
        );
        assert!(matches!(
            t.items[0],
            Item::Receipt {
                undo: UndoState::Open,
                ..
            }
        ));
        assert!(matches!(
            t.items[1],
            Item::Extraction {
                state: ExtractState::Failed { .. }
            }
        ));
        assert!(matches!(
            t.items[2],
            Item::Proposal {
                state: ProposalState::Open,
                ..
            }
        ));
    }
}
