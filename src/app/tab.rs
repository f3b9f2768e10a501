//! A persona's tab: its conversation, its transcript as shown, its draft, its scroll position.
//!
//! The wrapped lines of each transcript item are cached here (filled by the drawing code, which
//! knows the width): an item is wrapped again only when it changed or the width did, so a
//! streaming answer costs one item per frame however long the history is.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeSet, HashSet};
use std::time::Instant;

use ratatui::text::Line;
use ratatui_textarea::TextArea;

use super::action::{RequestId, TabId};
use crate::chat::transcript::{Item, Transcript};
use crate::chat::{Conversation, Persona};
use crate::memory::{ChangeKind, MemoryChange};

/// Where the chat view is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scroll {
    /// Pinned to the bottom: the view follows the stream.
    Bottom,
    /// This many lines above the bottom; stays on the same text while more arrives below.
    Top(usize),
}

/// One item's wrapped lines, and what they were made from.
#[derive(Debug, Default)]
pub struct CachedItem {
    pub key: (u64, bool, u64),
    /// For an answer still streaming: the lines of its finished blocks (everything before the
    /// last blank line outside a code fence), kept while more text arrives after them.
    pub head: Vec<Line<'static>>,
    /// The bytes of the answer `head` was made from.
    pub head_len: usize,
    pub lines: Vec<Line<'static>>,
    /// The lines (counted from the item's first) each code block of a finished message took.
    pub code: Vec<std::ops::Range<usize>>,
}

impl CachedItem {
    pub fn len(&self) -> usize {
        self.head.len() + self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// All lines, the finished head first.
    pub fn iter(&self) -> impl Iterator<Item = &Line<'static>> {
        self.head.iter().chain(&self.lines)
    }
}

/// Wrapped lines of every item at one width.
#[derive(Debug, Default)]
pub struct LineCache {
    pub width: u16,
    pub items: Vec<CachedItem>,
}

/// What the view needs between frames.
#[derive(Debug)]
pub struct ChatView {
    pub scroll: Scroll,
    /// The item selected in the chat (a message or a card): Enter expands a card, `y` copies.
    pub selected: Option<usize>,
    /// The code block of the selected message that Left/Right chose (`y` copies just it).
    pub block: Option<usize>,
    /// The search open on this chat: its query (highlighted) and the hit shown now.
    pub find: Option<(String, Option<super::find::ChatHit>)>,
    /// The last search's hits: for which query and which drawn lines (see `hits`).
    pub found: RefCell<Option<(String, u64, Vec<super::find::ChatHit>)>>,
    pub expanded: HashSet<usize>,
    pub cache: RefCell<LineCache>,
    /// Lines in the whole transcript and rows of the pane at the last frame, for paging.
    pub total_lines: Cell<usize>,
    pub height: Cell<usize>,
    /// Which item (and which of its lines) each row of the pane showed at the last frame, for
    /// mouse clicks.
    pub rows: RefCell<Vec<Option<(usize, usize)>>>,
    /// The transcript's lines when the view left the bottom: what arrived since is "new" (the
    /// marker counts it); `None` while the view follows the stream.
    pub left_at: Cell<Option<usize>>,
    /// The pane's row (from its top) that showed the "new lines" marker at the last frame, for
    /// a click on it.
    pub marker_row: Cell<Option<usize>>,
}

impl Default for ChatView {
    fn default() -> Self {
        Self {
            scroll: Scroll::Bottom,
            selected: None,
            block: None,
            find: None,
            found: RefCell::default(),
            expanded: HashSet::new(),
            cache: RefCell::default(),
            total_lines: Cell::new(0),
            height: Cell::new(0),
            rows: RefCell::default(),
            left_at: Cell::new(None),
            marker_row: Cell::new(None),
        }
    }
}

impl ChatView {
    /// Move the view `lines` up (negative: down); reaching the bottom pins it again.
    pub fn scroll_by(&mut self, lines: isize) {
        let max_top = self
            .total_lines
            .get()
            .saturating_sub(self.height.get().max(1));
        let top = self.top().saturating_add_signed(-lines).min(max_top);
        self.set_scroll(if top >= max_top {
            Scroll::Bottom
        } else {
            Scroll::Top(top)
        });
    }

    /// The first line shown at the last frame.
    pub fn top(&self) -> usize {
        let max_top = self
            .total_lines
            .get()
            .saturating_sub(self.height.get().max(1));
        match self.scroll {
            Scroll::Bottom => max_top,
            Scroll::Top(top) => top.min(max_top),
        }
    }

    /// Put the view at `scroll`: leaving the bottom remembers how many lines there were (what
    /// arrives after is new), coming back forgets it.
    pub fn set_scroll(&mut self, scroll: Scroll) {
        match scroll {
            Scroll::Bottom => self.left_at.set(None),
            Scroll::Top(_) if self.scroll == Scroll::Bottom => {
                self.left_at.set(Some(self.total_lines.get()));
            }
            Scroll::Top(_) => {}
        }
        self.scroll = scroll;
    }

    /// Lines that arrived below since the view left the bottom.
    pub fn new_lines(&self) -> usize {
        match (self.scroll, self.left_at.get()) {
            (Scroll::Top(_), Some(then)) => self.total_lines.get().saturating_sub(then),
            _ => 0,
        }
    }

    pub fn page(&self) -> isize {
        isize::try_from(self.height.get().saturating_sub(2).max(1)).unwrap_or(1)
    }
}

/// Why a tab wants attention in the tab bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mark {
    None,
    /// New output arrived while the tab was hidden.
    Unseen,
    /// The last turn failed.
    Failed,
    /// The last turn was stopped before it ended.
    Cancelled,
}

/// What a tab's badge in the tab bar says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Badge {
    /// Nothing to say.
    Quiet,
    /// The model is answering.
    Streaming,
    /// A memory tool call is waiting to run or running.
    Tool,
    /// The turn ended while the tab was not shown; not looked at yet.
    Unseen,
    Failed,
    Cancelled,
}

impl Badge {
    /// The badge in words (for the status bar and the README's legend).
    pub fn words(self) -> &'static str {
        match self {
            Self::Quiet => "idle",
            Self::Streaming => "answering",
            Self::Tool => "waiting on a memory tool call",
            Self::Unseen => "finished, not seen yet",
            Self::Failed => "the last turn failed",
            Self::Cancelled => "the last turn was cancelled",
        }
    }
}

/// A failed turn that Ctrl+R can send again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Retry {
    pub text: String,
    /// The conversation's length before the failed turn, to drop what it left.
    pub keep: usize,
    /// The turn was cancelled (Esc) rather than failed: Ctrl+R sends it again too.
    pub cancelled: bool,
}

/// A persona's tab.
#[derive(Debug)]
pub struct ChatTab {
    pub id: TabId,
    pub persona: Persona,
    pub transcript: Transcript,
    /// The model's view of the chat; moved into the turn's task while it runs.
    pub conversation: Conversation,
    pub in_flight: Option<RequestId>,
    pub started: Option<Instant>,
    /// Index of the first transcript item of the running turn.
    pub turn_start: usize,
    pub input: TextArea<'static>,
    /// The last message sent, for Up in an empty input.
    pub last_sent: Option<String>,
    /// The draft Esc last cleared (↑ in an empty input brings it back).
    pub cleared_draft: Option<String>,
    pub retry: Option<Retry>,
    pub mark: Mark,
    pub view: ChatView,
    /// The model chosen for this tab in the picker; `None`: the configured one.
    pub model: Option<String>,
    /// Memory paths this tab's model read or wrote: changes others make to them are told.
    pub seen: BTreeSet<String>,
    /// What others changed among `seen` since the tab's last message, one line per path (the
    /// newest change of a path replaces the older line).
    pub news: Vec<(String, String)>,
    /// This tab's extraction when switched here (`None`: the configured one).
    pub extract: Option<crate::chat::extract::Extract>,
    /// The running (or last) turn was sent with extraction on: the runner looks after it.
    pub turn_extracts: bool,
    /// What the models list says the tab's picked model can do.
    pub limits: crate::provider::ModelLimits,
    /// The tab's model changed while a turn ran: its thinking blocks go before the next one.
    pub drop_thinking: bool,
}

impl ChatTab {
    pub fn new(id: TabId, persona: Persona, hint: ratatui::style::Style) -> Self {
        Self {
            id,
            persona,
            transcript: Transcript::default(),
            conversation: Conversation::default(),
            in_flight: None,
            started: None,
            turn_start: 0,
            input: new_input(hint),
            last_sent: None,
            cleared_draft: None,
            retry: None,
            mark: Mark::None,
            view: ChatView::default(),
            model: None,
            seen: BTreeSet::new(),
            news: Vec::new(),
            extract: None,
            turn_extracts: false,
            limits: crate::provider::ModelLimits::default(),
            drop_thinking: false,
        }
    }

    /// Remember the paths a tool call of this tab's model works on.
    pub fn note_tool(&mut self, input: &serde_json::Value) {
        for key in ["path", "old_path", "new_path"] {
            if let Some(path) = input[key].as_str().filter(|p| *p != "/memories") {
                self.seen.insert(path.to_owned());
            }
        }
    }

    /// Someone else's change to a path this tab's model read (or to the folder holding it):
    /// kept to tell the model with the next message.
    pub fn note_change(&mut self, change: &MemoryChange) {
        if change.actor == self.persona.name {
            return;
        }
        let under = |folder: &str| {
            self.seen.iter().any(|p| {
                p == folder
                    || p.strip_prefix(folder)
                        .is_some_and(|rest| rest.starts_with('/'))
            })
        };
        let (path, did) = match &change.kind {
            ChangeKind::Renamed { from } if under(from) => {
                (from.clone(), format!("renamed {from} to {}", change.path))
            }
            ChangeKind::Renamed { .. } => return,
            _ if !under(&change.path) => return,
            ChangeKind::Created => (change.path.clone(), format!("created {}", change.path)),
            ChangeKind::Modified => (change.path.clone(), format!("edited {}", change.path)),
            ChangeKind::Deleted => (change.path.clone(), format!("deleted {}", change.path)),
        };
        let who = match change.actor.as_str() {
            "you" => "a person, in the memory panel,".to_owned(),
            "external" => "another program".to_owned(),
            actor => crate::memory::front::clip(actor, 60),
        };
        self.news.retain(|(p, _)| *p != path);
        self.news.push((path, format!("{who} {did}")));
    }

    /// The note for the model about what others changed, clearing it.
    pub fn take_news(&mut self) -> Option<String> {
        if self.news.is_empty() {
            return None;
        }
        let lines: Vec<String> = std::mem::take(&mut self.news)
            .into_iter()
            .map(|(_, line)| line)
            .collect();
        Some(format!(
            "(memdeck: since your last answer, memory files this conversation read were changed \
             by others: {}. What you read earlier may be out of date; view them again before \
             relying on them.)",
            lines.join("; ")
        ))
    }

    pub fn is_streaming(&self) -> bool {
        self.in_flight.is_some()
    }

    /// The tab's state for its badge: while a turn runs, whether a tool call of it is waiting
    /// to run or running; after, the mark.
    pub fn badge(&self) -> Badge {
        use crate::chat::transcript::ToolStatus;
        if self.is_streaming() {
            let waiting = self
                .transcript
                .items
                .get(self.turn_start..)
                .is_some_and(|items| {
                    items.iter().rev().find_map(|item| match item {
                        Item::Tool(card) => Some(matches!(
                            card.status,
                            ToolStatus::Ready | ToolStatus::Running
                        )),
                        Item::Text { .. } | Item::Thinking { .. } => Some(false),
                        _ => None,
                    }) == Some(true)
                });
            return if waiting {
                Badge::Tool
            } else {
                Badge::Streaming
            };
        }
        match self.mark {
            Mark::None => Badge::Quiet,
            Mark::Unseen => Badge::Unseen,
            Mark::Failed => Badge::Failed,
            Mark::Cancelled => Badge::Cancelled,
        }
    }

    /// Whether closing the tab would lose a conversation.
    pub fn has_history(&self) -> bool {
        !self.transcript.items.is_empty() || self.is_streaming()
    }

    /// The text of the last answer, for copying.
    pub fn last_answer(&self) -> Option<String> {
        let items = &self.transcript.items;
        let last_user = items
            .iter()
            .rposition(|i| matches!(i, Item::User { .. }))
            .unwrap_or(0);
        let text: Vec<&str> = items[last_user..]
            .iter()
            .filter_map(|i| match i {
                Item::Text { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect();
        (!text.is_empty()).then(|| text.join("\n\n"))
    }

    /// The items of the running turn.
    pub fn current_turn(&self) -> &[Item] {
        if self.is_streaming() {
            self.transcript
                .items
                .get(self.turn_start..)
                .unwrap_or_default()
        } else {
            &[]
        }
    }
}

/// The message input, its placeholder in `hint`'s style.
pub fn new_input(hint: ratatui::style::Style) -> TextArea<'static> {
    let mut input = TextArea::default();
    input.set_placeholder_text("Type a message · Enter sends · Alt+Enter new line");
    input.set_placeholder_style(hint);
    input.set_cursor_line_style(ratatui::style::Style::default());
    input.set_wrap_mode(ratatui_textarea::WrapMode::WordOrGlyph);
    input
}
