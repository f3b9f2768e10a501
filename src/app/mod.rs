//! The TUI application as state: tabs, focus, the memory panel, dialogs.
//!
//! [`App::update`] takes one [`Action`] (a key, a stream event, a memory result, a tick),
//! changes the state and returns the [`Effect`]s to carry out. It never blocks, never awaits
//! and does no I/O, so every rule of the screen is tested without a terminal. The loop in
//! `tui::run` feeds it and draws; `tui::effects` carries them out.

pub mod action;
pub mod dialog;
mod dialog_keys;
pub mod editor;
pub mod find;
mod input;
pub mod keymap;
pub mod layout;
pub mod panel;
mod panel_events;
pub mod tab;
mod team;

use std::cell::RefCell;
use std::time::Instant;

use crossterm::event::{Event, KeyEventKind};
use ratatui::layout::Rect;

pub use action::{
    Action, Effect, MemoryEvent, MemoryJob, Report, RequestId, SaveError, SnapshotJob, TabId,
    TreeRow,
};
use dialog::Dialog;
use editor::MemoryEditor;
pub use keymap::Focus;
use panel::Panel;
use tab::{ChatTab, Mark};

use crate::chat::extract::Extract;
use crate::chat::session::{self, Record};
use crate::chat::transcript::{Item, ProposalState};
use crate::chat::{Persona, TurnError, script, transcript};
use crate::provider::{ContextEditing, ProviderError};

/// Who the panel's changes are recorded as (the person the memory layer knows: the board lets
/// them close any task, leases name them to the model as a person in the panel).
pub const HUMAN_ACTOR: &str = crate::memory::board::PERSON;

/// A short message in the status bar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub text: String,
    pub error: bool,
    pub at: Instant,
}

/// Where things were drawn at the last frame, for the mouse.
#[derive(Debug, Default)]
pub struct Hits {
    /// Column ranges of the tab titles.
    pub tabs: Vec<(u16, u16)>,
    /// The panel's tree rows: screen row and row index in `Panel::rows`.
    pub tree: Vec<(u16, usize)>,
}

/// What the status bar names.
#[derive(Clone, Debug, Default)]
pub struct Labels {
    /// The provider and model, e.g. `demo model (offline)`.
    pub provider: String,
    /// The store, e.g. `local directory ./memories`.
    pub store: String,
}

/// All UI state.
#[derive(Debug)]
pub struct App {
    pub tabs: Vec<ChatTab>,
    pub active: usize,
    next_tab: u64,
    next_req: u64,
    pub focus: Focus,
    pub panel_shown: bool,
    pub panel: Panel,
    pub editor: Option<MemoryEditor>,
    pub dialog: Option<Dialog>,
    pub labels: Labels,
    pub notice: Option<Notice>,
    /// Tokens of tabs that were closed, so the session total does not shrink.
    closed_tokens: (u64, u64),
    /// Side by side (F4): the active tab and the ones after it, each in a column.
    pub split: bool,
    /// The configured team, offered by Ctrl+T (whatever tabs are open now).
    pub team: Vec<Persona>,
    /// Whether the demo script's speaker notes show under the input (off: the audience sees
    /// the screen; `--notes` sends them elsewhere).
    pub notes_shown: bool,
    /// What the closed tabs cost (`None` once a closed tab had no price).
    closed_cost: Option<f64>,
    /// The terminal's size at the last resize.
    pub size: Rect,
    /// The loop's clock, set before each update.
    pub now: Instant,
    /// Wall-clock time then, in ms since the epoch (for "changed 3m ago").
    pub wall_ms: u64,
    /// Something changed since the last frame.
    pub dirty: bool,
    /// The whole screen must be drawn again (after a suspend).
    pub clear: bool,
    quit: bool,
    pub hits: RefCell<Hits>,
    /// Whether changes are recorded to the session journal, and what was recorded last
    /// (the tabs with their personas; the tab in front and whether the panel shows).
    recording: bool,
    recorded: Option<RecordedLayout>,
    /// The configured model and the price table, for the cost shown in the status bar.
    pub pricing: crate::chat::cost::Pricing,
    /// The keys of the actions presenters move (`[keys]` in the configuration).
    pub keymap: keymap::Keymap,
    /// The style of the hints the text fields show (placeholders, line numbers): the theme's
    /// `dim`, set by whoever draws ([`App::set_hint_style`]); the rest of the colours belong to
    /// the draw code.
    pub hint: ratatui::style::Style,
    /// What is wrong with the memory store's server, while something is.
    pub store_trouble: Option<String>,
    /// Context editing for the turns sent from now on (F7 switches it); `configured` is the
    /// configuration's choice, which the cycle includes when it is custom.
    pub context_editing: ContextEditing,
    pub configured_context_editing: ContextEditing,
    /// Extraction after answers for tabs that did not switch their own (Alt+M).
    pub extract: Extract,
    /// Changes to the store after which consolidating is suggested (0: never), and how many
    /// came since it was last suggested or opened.
    pub consolidate_after: u64,
    pub changes_since_consolidation: u64,
    /// What the models list says each model can do (from the list asked for at start and by
    /// the picker), and the configured model's id: a tab without a model of its own is fitted
    /// to the configured one.
    pub model_limits: std::collections::HashMap<String, crate::provider::ModelLimits>,
    pub configured_model: Option<String>,
    /// Ask for the models list at start (the Anthropic API), for the configured model's limits.
    pub list_models_at_start: bool,
    /// Others' changes to files a tab's model read are told with its next message.
    pub tell_changes: bool,
    /// Whether the app takes the mouse (off: the terminal's own selection works).
    pub mouse: bool,
    /// The search open in the chat or the panel (Ctrl+F, `/`).
    pub find: Option<find::Find>,
    /// The configured `max_tokens` and thinking, fitted to each tab's model at send.
    pub turn_defaults: (u32, crate::provider::Thinking),
    /// The demo script, and how many of each persona's prompts were typed (by lowercase name).
    pub script: Option<script::Script>,
    pub script_typed: std::collections::HashMap<String, usize>,
    /// The live leases (badges in the tree), as last listed.
    pub leases: Vec<crate::memory::Lease>,
    /// A hands-free team run under way (Alt+R).
    pub team_run: Option<team::TeamRunState>,
    /// This app's session: notes that expire with it are stamped with it.
    pub session_id: Option<String>,
    /// The second the lease badges and claims were last drawn at (they count down).
    countdown_second: u64,
}

/// The narrowest chat column of the side-by-side view.
pub const SPLIT_COLUMN: u16 = 44;

type RecordedLayout = (Vec<(u64, Persona)>, (u64, bool));

/// The notification for a turn that ended in a tab not shown: finished or failed (a
/// cancelled turn was stopped by someone who knows).
fn background_alert(persona: &str, result: &Result<(), TurnError>) -> Option<Effect> {
    let body = match result {
        Ok(()) => format!("{persona} finished"),
        Err(TurnError::Provider(ProviderError::Cancelled)) => return None,
        Err(e) => {
            let error = e.to_string();
            format!(
                "{persona} failed: {}",
                error.lines().next().unwrap_or_default()
            )
        }
    };
    Some(Effect::Notify {
        title: "memdeck".to_owned(),
        body,
    })
}

impl App {
    pub fn new(team: Vec<Persona>, labels: Labels, size: Rect) -> Self {
        let mut app = Self {
            tabs: Vec::new(),
            active: 0,
            next_tab: 1,
            next_req: 1,
            focus: Focus::Input,
            panel_shown: true,
            panel: Panel::default(),
            editor: None,
            dialog: None,
            labels,
            notice: None,
            closed_tokens: (0, 0),
            closed_cost: Some(0.0),
            notes_shown: false,
            team: team.clone(),
            split: false,
            size,
            now: Instant::now(),
            wall_ms: 0,
            dirty: true,
            clear: false,
            quit: false,
            hits: RefCell::default(),
            recording: false,
            recorded: None,
            script: None,
            script_typed: std::collections::HashMap::new(),
            leases: Vec::new(),
            team_run: None,
            session_id: None,
            countdown_second: 0,
            context_editing: ContextEditing::Off,
            configured_context_editing: ContextEditing::Off,
            extract: Extract::Off,
            turn_defaults: (4096, crate::provider::Thinking::Off),
            consolidate_after: 0,
            mouse: true,
            find: None,
            changes_since_consolidation: 0,
            model_limits: std::collections::HashMap::new(),
            configured_model: None,
            list_models_at_start: false,
            tell_changes: true,
            keymap: keymap::Keymap::default(),
            hint: ratatui::style::Style::new().fg(ratatui::style::Color::DarkGray),
            store_trouble: None,
            pricing: crate::chat::cost::Pricing {
                table: crate::chat::cost::PriceTable::default(),
                model: crate::provider::anthropic::DEFAULT_MODEL.to_owned(),
                free: false,
            },
        };
        for persona in team {
            app.add_tab(persona);
        }
        app
    }

    /// The effects to run at start: list the store.
    pub fn start(&mut self) -> Vec<Effect> {
        self.panel.listing = true;
        let mut effects = vec![
            Effect::Memory(MemoryJob::List),
            Effect::Memory(MemoryJob::Leases),
            Effect::Memory(MemoryJob::Board),
        ];
        if self.list_models_at_start {
            effects.push(Effect::ListModels);
        }
        effects
    }

    /// What the models list says `tab`'s model can do: its picked model's, else the
    /// configured model's when the list named it.
    pub fn limits_of(&self, tab: &ChatTab) -> crate::provider::ModelLimits {
        match &tab.model {
            Some(_) => tab.limits,
            None => self
                .configured_model
                .as_ref()
                .and_then(|id| self.model_limits.get(id))
                .copied()
                .unwrap_or_default(),
        }
    }

    pub fn should_quit(&self) -> bool {
        self.quit
    }

    pub fn active_tab(&self) -> Option<&ChatTab> {
        self.tabs.get(self.active)
    }

    fn active_tab_mut(&mut self) -> Option<&mut ChatTab> {
        self.tabs.get_mut(self.active)
    }

    fn tab_index(&self, id: TabId) -> Option<usize> {
        self.tabs.iter().position(|t| t.id == id)
    }

    pub fn is_streaming(&self) -> bool {
        self.tabs.iter().any(ChatTab::is_streaming)
    }

    /// Whether the screen changes with time alone (spinners, countdowns, flashes).
    pub fn needs_ticks(&self) -> bool {
        self.is_streaming() || self.panel.is_animating() || self.notice.is_some()
    }

    /// The tabs shown in the chat area, left to right: the active one, then (side by side)
    /// the next ones, as many as fit at `width` columns (each needs 44).
    pub fn shown_tabs(&self, width: u16) -> Vec<usize> {
        let n = self.tabs.len();
        if n == 0 {
            return Vec::new();
        }
        let columns = if self.split {
            usize::from(width / SPLIT_COLUMN).clamp(1, 3).min(n)
        } else {
            1
        };
        (0..columns).map(|i| (self.active + i) % n).collect()
    }

    /// Count a tab that is being closed in the session's tokens and cost.
    pub(super) fn count_closed(&mut self, tab: &ChatTab) {
        self.closed_tokens.0 += tab.transcript.total_input;
        self.closed_tokens.1 += tab.transcript.total_output;
        let cost = self.tab_cost(tab);
        self.closed_cost = self.closed_cost.zip(cost).map(|(a, b)| a + b);
    }

    /// Tokens in and out over the whole session.
    pub fn session_tokens(&self) -> (u64, u64) {
        self.tabs.iter().fold(self.closed_tokens, |(i, o), t| {
            (i + t.transcript.total_input, o + t.transcript.total_output)
        })
    }

    /// What a tab's conversation cost so far, at its model's price (`None`: no price known;
    /// nothing when the demo model answered).
    pub fn tab_cost(&self, tab: &ChatTab) -> Option<f64> {
        if self.pricing.free {
            return Some(0.0);
        }
        let model = tab.model.as_deref().unwrap_or(&self.pricing.model);
        let price = self.pricing.table.price(model)?;
        Some(price.of(crate::chat::cost::Tokens {
            input: tab.transcript.total_input,
            output: tab.transcript.total_output,
            cache_read: tab.transcript.total_cache_read,
        }))
    }

    /// The open tabs' cost, and what context editing saved, when every tab's price is known.
    pub fn session_cost(&self) -> Option<(f64, f64)> {
        let mut total = self.closed_cost?;
        let mut saved = 0.0;
        for tab in &self.tabs {
            let model = tab.model.as_deref().unwrap_or(&self.pricing.model);
            let price = self.pricing.table.price(model)?;
            total += self.tab_cost(tab)?;
            saved += price.of_input(tab.transcript.saved_by_context_editing);
        }
        Some((total, saved))
    }

    /// Server-side compactions in the open tabs, and the tokens they cost.
    pub fn compactions(&self) -> (u64, u64) {
        self.tabs.iter().fold((0, 0), |(n, tokens), t| {
            (
                n + t.transcript.compactions,
                tokens + t.transcript.compaction_tokens,
            )
        })
    }

    pub fn saved_by_context_editing(&self) -> u64 {
        self.tabs
            .iter()
            .map(|t| t.transcript.saved_by_context_editing)
            .sum()
    }

    /// Give the text fields' hints `style` from now on (the fields that exist take it too).
    pub fn set_hint_style(&mut self, style: ratatui::style::Style) {
        self.hint = style;
        for tab in &mut self.tabs {
            tab.input.set_placeholder_style(style);
        }
    }

    /// The screen's areas for the current size and state.
    pub fn areas(&self) -> Option<layout::Areas> {
        // Rows the draft takes once wrapped inside the input's frame (a long scripted prompt
        // shows whole, up to the input's largest height).
        let inner = usize::from(self.size.width.saturating_sub(2)).max(1);
        let input_lines = self.active_tab().map_or(1, |t| {
            t.input
                .lines()
                .iter()
                .map(|l| {
                    unicode_width::UnicodeWidthStr::width(l.as_str())
                        .div_ceil(inner)
                        .max(1)
                })
                .sum()
        });
        layout::areas(
            self.size,
            input_lines,
            self.panel_shown,
            self.focus == Focus::Panel,
        )
    }

    fn add_tab(&mut self, persona: Persona) -> usize {
        let id = TabId(self.next_tab);
        self.next_tab += 1;
        self.tabs.push(ChatTab::new(id, persona, self.hint));
        self.tabs.len() - 1
    }

    fn select_tab(&mut self, index: usize) {
        if index != self.active && self.find.as_ref().is_some_and(|f| !f.in_panel) {
            // The search was this tab's chat's.
            self.close_find();
        }
        if index < self.tabs.len() {
            self.active = index;
            if let Some(tab) = self.active_tab_mut()
                && tab.mark == Mark::Unseen
            {
                tab.mark = Mark::None;
            }
        }
    }

    /// Show a short message in the status bar.
    pub fn notify(&mut self, text: impl Into<String>, error: bool) {
        self.notice = Some(Notice {
            text: text.into(),
            error,
            at: self.now,
        });
    }

    /// Apply one action; returns the side effects to carry out.
    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        let mut effects = self.apply(action);
        if self.recording {
            self.record_layout(&mut effects);
        }
        effects
    }

    /// Record the session as it happens from now on (see [`session`]).
    pub fn record_session(&mut self) {
        self.recording = true;
        self.recorded = None;
    }

    /// Records for what changed in the tabs and the layout since the last ones.
    fn record_layout(&mut self, effects: &mut Vec<Effect>) {
        // The usual case, on every streamed delta: nothing changed, and nothing is copied.
        let now_layout = (
            self.tabs.get(self.active).map_or(0, |t| t.id.0),
            self.panel_shown,
        );
        if let Some((tabs, layout)) = &self.recorded
            && *layout == now_layout
            && tabs.len() == self.tabs.len()
            && tabs
                .iter()
                .zip(&self.tabs)
                .all(|((id, persona), t)| *id == t.id.0 && *persona == t.persona)
        {
            return;
        }
        let tabs: Vec<(u64, Persona)> = self
            .tabs
            .iter()
            .map(|t| (t.id.0, t.persona.clone()))
            .collect();
        let layout = (
            self.tabs.get(self.active).map_or(0, |t| t.id.0),
            self.panel_shown,
        );
        let (before, before_layout) = self
            .recorded
            .take()
            .unwrap_or_else(|| (Vec::new(), (u64::MAX, !layout.1)));
        for (id, persona) in &tabs {
            if !before.iter().any(|(b, p)| b == id && p == persona) {
                effects.push(Effect::Record(Record::Tab {
                    tab: *id,
                    persona: persona.clone(),
                }));
            }
        }
        for (id, _) in &before {
            if !tabs.iter().any(|(t, _)| t == id) {
                effects.push(Effect::Record(Record::Close { tab: *id }));
            }
        }
        if layout != before_layout {
            effects.push(Effect::Record(Record::Layout {
                active: layout.0,
                panel: layout.1,
            }));
        }
        self.recorded = Some((tabs, layout));
    }

    /// Results the app only reports (and a reset, which also starts the chats over).
    fn on_report(&mut self, report: Report) {
        match report {
            Report::Snapshots(result) => {
                if let Some(Dialog::Snapshots(view)) = &mut self.dialog {
                    view.list = Some(result);
                    self.dirty = true;
                }
            }
            Report::SnapshotDone(result) => {
                match result {
                    Ok(text) => self.notify(text, false),
                    Err(e) => self.notify(format!("snapshot: {e}"), true),
                }
                self.dirty = true;
            }
            Report::ResetDone(result) => {
                match result {
                    Ok(name) => {
                        self.start_over();
                        self.notify(
                            format!("demo reset: memories saved as {name}, then cleared"),
                            false,
                        );
                    }
                    Err(e) => {
                        self.notify(format!("reset failed: {e} (the snapshot came first)"), true);
                    }
                }
                self.dirty = true;
            }
            Report::Exported(result) => {
                match result {
                    Ok(path) => self.notify(format!("exported to {}", path.display()), false),
                    Err(e) => self.notify(format!("export failed: {e}"), true),
                }
                self.dirty = true;
            }
            Report::SessionFailed(error) => {
                self.notify(format!("the session is not being saved: {error}"), true);
                self.dirty = true;
            }
        }
    }

    /// Every tab begins again with its persona and nothing said (a demo reset). The session
    /// records the old tabs as closed and new ones opened, so the journal keeps the old
    /// conversations. (The snapshots dialog does not open while turns run.)
    fn start_over(&mut self) {
        let personas: Vec<Persona> = self.tabs.iter().map(|t| t.persona.clone()).collect();
        let active = self.active;
        self.tabs.clear();
        for persona in personas {
            self.add_tab(persona);
        }
        self.active = active.min(self.tabs.len().saturating_sub(1));
        self.script_typed.clear();
    }

    /// A turn of `tab` ended well: when the tab extracts, say it looks for memories.
    fn extraction_started(&mut self, tab: TabId) {
        if let Some(t) = self.tabs.iter_mut().find(|t| t.id == tab)
            && t.turn_extracts
        {
            t.transcript.extraction_started();
            self.dirty = true;
        }
    }

    /// What extraction found for `tab`: cards to accept, or written at once when `auto`.
    fn on_extracted(
        &mut self,
        tab: TabId,
        result: Result<crate::chat::extract::Extracted, String>,
    ) -> Vec<Effect> {
        let configured = self.extract;
        let Some(t) = self.tabs.iter_mut().find(|t| t.id == tab) else {
            return Vec::new();
        };
        self.dirty = true;
        let cards = t.transcript.extracted(result);
        if t.extract.unwrap_or(configured) != Extract::Auto {
            return Vec::new();
        }
        let actor = crate::chat::extract::actor(&t.persona.name);
        let mut effects = Vec::new();
        for i in cards {
            if let Some(Item::Proposal { proposal, .. }) = t.transcript.items.get(i) {
                effects.push(Effect::Memory(MemoryJob::WriteProposal {
                    tab,
                    item: i,
                    proposal: proposal.clone(),
                    actor: actor.clone(),
                }));
                t.transcript.set_proposal(i, ProposalState::Writing);
            }
        }
        effects
    }

    /// Start with the configuration's context editing.
    pub fn set_context_editing(&mut self, configured: ContextEditing) {
        self.context_editing = configured;
        self.configured_context_editing = configured;
    }

    /// F7: off → demo → production (→ the configured custom thresholds) → off.
    pub fn cycle_context_editing(&mut self) {
        let custom = matches!(
            self.configured_context_editing,
            ContextEditing::Custom { .. }
        )
        .then_some(self.configured_context_editing);
        let order: Vec<ContextEditing> = [
            Some(ContextEditing::Off),
            Some(ContextEditing::Demo),
            Some(ContextEditing::Production),
            Some(match self.configured_context_editing {
                compact @ ContextEditing::Compact { .. } => compact,
                _ => ContextEditing::Compact {
                    trigger: crate::provider::request::COMPACT_TRIGGER,
                },
            }),
            custom,
        ]
        .into_iter()
        .flatten()
        .collect();
        let at = order
            .iter()
            .position(|c| *c == self.context_editing)
            .unwrap_or(0);
        self.context_editing = order[(at + 1) % order.len()];
        let text = match self.context_editing.thresholds() {
            None => match self.context_editing {
                ContextEditing::Compact { trigger } => format!(
                    "compaction on: once a prompt passes {trigger} tokens the API summarises the \
                     conversation so far (memory is saved first)"
                ),
                _ => "context editing off".to_owned(),
            },
            Some((trigger, keep, _)) => format!(
                "context editing {}: old tool results are cleared once a prompt passes {trigger} tokens (the last {keep} kept)",
                self.context_editing
            ),
        };
        self.notify(text, false);
        self.dirty = true;
    }

    /// Type the active tab's next scripted prompt into its input (replacing the draft); the
    /// presenter presses Enter. The step's note goes to the presenter's notes file (if any).
    pub fn type_next_prompt(&mut self) -> Vec<Effect> {
        let Some(script) = &self.script else {
            self.notify(
                "no demo script: start with --demo FILE, or --demo team, code-review or incident",
                true,
            );
            return Vec::new();
        };
        let Some(tab) = self.tabs.get(self.active) else {
            return Vec::new();
        };
        let persona = tab.persona.name.clone();
        let key = persona.to_lowercase();
        let typed = self.script_typed.get(&key).copied().unwrap_or(0);
        let total = script.steps_of(&persona).count();
        let Some(step) = script.steps_of(&persona).nth(typed) else {
            self.notify(
                format!("{persona} has no more scripted prompts ({total} typed)"),
                false,
            );
            return Vec::new();
        };
        let note = step.note.as_ref().map(|note| {
            Effect::SpeakerNote(format!(
                "{} · {persona} {}/{total}: {note}",
                script.title,
                typed + 1
            ))
        });
        let mut input = tab::new_input(self.hint);
        input.insert_str(&step.prompt);
        if let Some(tab) = self.active_tab_mut() {
            tab.input = input;
        }
        self.script_typed.insert(key, typed + 1);
        self.focus = Focus::Input;
        self.dirty = true;
        note.into_iter().collect()
    }

    /// What the strip under the input says about the script for the active tab.
    pub fn script_strip(&self) -> Option<String> {
        let script = self.script.as_ref()?;
        let persona = &self.active_tab()?.persona.name;
        let total = script.steps_of(persona).count();
        let typed = self
            .script_typed
            .get(&persona.to_lowercase())
            .copied()
            .unwrap_or(0);
        Some(
            match typed
                .checked_sub(1)
                .and_then(|i| script.steps_of(persona).nth(i))
            {
                Some(step) if self.notes_shown => format!(
                    "{typed}/{total} · {}",
                    step.note.as_deref().unwrap_or("(no note)")
                ),
                Some(_) => format!(
                    "{typed}/{total} · notes hidden ({})",
                    self.keymap.label(keymap::Intent::ToggleNotes)
                ),
                None if total == 0 => format!("{}: nothing scripted for {persona}", script.title),
                None => format!(
                    "{}: {} types {persona}'s first prompt (of {total})",
                    script.title,
                    self.keymap.label(keymap::Intent::NextPrompt)
                ),
            },
        )
    }

    /// Bring back a saved session: its tabs (with their conversations and what the chat pane
    /// showed), the tab in front and the panel. An empty session changes nothing.
    pub fn restore(&mut self, saved: session::Saved) {
        if saved.tabs.is_empty() {
            return;
        }
        self.tabs.clear();
        for t in saved.tabs {
            let mut tab = ChatTab::new(TabId(t.id), t.persona, self.hint);
            tab.conversation = crate::chat::Conversation {
                messages: t.messages,
                ..Default::default()
            };
            // A saved conversation may come back under another key (another account): its
            // thinking signatures would be refused.
            tab.conversation.drop_thinking();
            tab.transcript = transcript::Transcript::restored(t.items, t.input, t.output, t.saved);
            tab.model = t.model;
            self.next_tab = self.next_tab.max(t.id + 1);
            self.tabs.push(tab);
        }
        self.active = saved
            .active
            .and_then(|id| self.tabs.iter().position(|t| t.id.0 == id))
            .unwrap_or(0);
        if let Some(panel) = saved.panel {
            self.panel_shown = panel;
        }
        // What was restored is already in the journal.
        let tabs = self
            .tabs
            .iter()
            .map(|t| (t.id.0, t.persona.clone()))
            .collect();
        let layout = (self.tabs[self.active].id.0, self.panel_shown);
        self.recorded = Some((tabs, layout));
        self.dirty = true;
    }

    fn apply(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Term(event) => self.on_term(event),
            Action::Agent { tab, req, event } => {
                let now = self.now;
                let active = self.active;
                if let Some(i) = self.tab_index(tab)
                    && self.tabs[i].in_flight == Some(req)
                {
                    let t = &mut self.tabs[i];
                    if let crate::chat::AgentEvent::ToolStarted { input, .. } = &event {
                        t.note_tool(input);
                    }
                    t.transcript.on_event(&event, now);
                    if i != active && t.mark == Mark::None {
                        t.mark = Mark::Unseen;
                    }
                    self.dirty = true;
                }
                Vec::new()
            }
            Action::TurnEnded {
                tab,
                req,
                conversation,
                result,
            } => {
                let looks = result.is_ok()
                    && self
                        .tab_index(tab)
                        .is_some_and(|i| self.tabs[i].in_flight == Some(req));
                let ours = self
                    .tab_index(tab)
                    .filter(|&i| self.tabs[i].in_flight == Some(req));
                let alert = ours
                    .filter(|&i| i != self.active)
                    .and_then(|i| background_alert(&self.tabs[i].persona.name, &result));
                let record = self.on_turn_ended(tab, req, conversation, &result);
                if looks {
                    self.extraction_started(tab);
                }
                let mut effects = match record {
                    Some(record) if self.recording => vec![Effect::Record(record)],
                    _ => Vec::new(),
                };
                effects.extend(alert);
                if let Some(i) = ours {
                    let cancelled =
                        matches!(result, Err(TurnError::Provider(ProviderError::Cancelled)));
                    effects.extend(self.team_turn_ended(i, req, result.is_ok(), cancelled));
                }
                effects
            }
            Action::Memory(event) => self.on_memory(event),
            Action::Extracted { tab, result } => self.on_extracted(tab, result),
            Action::Tick => {
                self.on_tick();
                self.coordination_tick()
            }
            Action::Terminate => {
                self.quit = true;
                self.tabs
                    .iter()
                    .filter_map(|t| t.in_flight)
                    .map(Effect::Cancel)
                    .collect()
            }
            Action::Resumed => {
                self.clear = true;
                self.dirty = true;
                Vec::new()
            }
            Action::Report(report) => {
                self.on_report(report);
                Vec::new()
            }
            Action::Models { models, note } => {
                for m in &models {
                    self.model_limits.insert(m.id.clone(), m.limits);
                }
                if let Some(Dialog::Models(picker)) = &mut self.dialog {
                    let current = self.tabs.get(self.active).and_then(|t| t.model.clone());
                    picker.selected = current
                        .and_then(|id| models.iter().position(|m| m.id == id))
                        .map_or(0, |i| i + 1);
                    picker.models = Some(models);
                    picker.note = note;
                    self.dirty = true;
                }
                Vec::new()
            }
        }
    }

    fn on_term(&mut self, event: Event) -> Vec<Effect> {
        match event {
            Event::Key(key) if key.kind != KeyEventKind::Release => {
                self.dirty = true;
                self.on_key(key)
            }
            Event::Paste(text) => {
                self.dirty = true;
                self.on_paste(&text);
                Vec::new()
            }
            Event::Mouse(mouse) => self.on_mouse(mouse),
            Event::Resize(width, height) => {
                self.size = Rect::new(0, 0, width, height);
                self.dirty = true;
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    fn on_turn_ended(
        &mut self,
        tab: TabId,
        req: RequestId,
        conversation: crate::chat::Conversation,
        result: &Result<(), TurnError>,
    ) -> Option<Record> {
        let active = self.active;
        let (now, wall_ms) = (self.now, self.wall_ms);
        let i = self.tab_index(tab)?;
        let t = &mut self.tabs[i];
        if t.in_flight != Some(req) {
            return None;
        }
        t.in_flight = None;
        let took = t.started.take().map_or(0, |s| {
            u64::try_from(now.saturating_duration_since(s).as_millis()).unwrap_or(0)
        });
        t.conversation = conversation;
        t.transcript.on_turn_end(result.as_ref().copied());
        let from = t.retry.as_ref().map_or(0, |r| r.keep);
        let times = session::TurnTimes {
            start_ms: wall_ms.saturating_sub(took),
            at_ms: wall_ms,
        };
        // The turn's items begin with its user message, just before `turn_start`.
        let record = Record::turn(
            tab.0,
            times,
            &t.conversation.messages,
            from,
            &t.transcript,
            t.turn_start.saturating_sub(1),
            t.model.clone(),
        );
        let cancelled = matches!(result, Err(TurnError::Provider(ProviderError::Cancelled)));
        if result.is_err() && !cancelled {
            t.mark = Mark::Failed;
        } else if cancelled {
            // Ctrl+R sends a cancelled turn again, as it does a failed one.
            if let Some(retry) = &mut t.retry {
                retry.cancelled = true;
            }
            t.mark = Mark::Cancelled;
        } else {
            t.retry = None;
            if i != active && t.mark == Mark::None {
                t.mark = Mark::Unseen;
            } else if matches!(t.mark, Mark::Failed | Mark::Cancelled) {
                t.mark = Mark::None;
            }
        }
        self.dirty = true;
        Some(record)
    }

    fn on_tick(&mut self) {
        if self.is_streaming() {
            self.dirty = true;
        }
        if self.panel.expire(self.now) {
            self.dirty = true;
        }
        if self.panel.is_animating() {
            self.dirty = true;
        }
        if let Some(notice) = &self.notice
            && self.now.saturating_duration_since(notice.at) > std::time::Duration::from_secs(4)
        {
            self.notice = None;
            self.dirty = true;
        }
    }

    /// Send the active tab's draft (or `text`) as a new turn.
    fn start_turn(&mut self, text: String, keep: Option<usize>) -> Vec<Effect> {
        self.start_turn_in(self.active, text, keep)
    }

    /// Send `text` as a new turn of tab `i`.
    fn start_turn_in(&mut self, i: usize, text: String, keep: Option<usize>) -> Vec<Effect> {
        let req = RequestId(self.next_req);
        self.next_req += 1;
        let now = self.now;
        let configured = self.extract;
        let (max_tokens, thinking) = self.turn_defaults;
        let editing = self.context_editing;
        let limits = self
            .tabs
            .get(i)
            .map(|t| self.limits_of(t))
            .unwrap_or_default();
        let Some(tab) = self.tabs.get_mut(i) else {
            return Vec::new();
        };
        if std::mem::take(&mut tab.drop_thinking) {
            tab.conversation.drop_thinking();
        }
        let (max_tokens, thinking, context_editing, _) =
            crate::provider::request::fit(&limits, max_tokens, thinking, editing);
        if let Some(keep) = keep {
            tab.conversation.messages.truncate(keep);
        }
        tab.retry = Some(tab::Retry {
            text: text.clone(),
            keep: tab.conversation.messages.len(),
            cancelled: false,
        });
        tab.transcript.push_user(&text);
        let note = tab.take_news();
        if let Some(note) = &note {
            tab.transcript.push_told(note);
        }
        tab.turn_start = tab.transcript.items.len();
        tab.in_flight = Some(req);
        tab.started = Some(now);
        tab.mark = Mark::None;
        tab.last_sent = Some(text.clone());
        let extract = tab.extract.unwrap_or(configured);
        tab.turn_extracts = extract != Extract::Off;
        tab.cleared_draft = None;
        tab.view.set_scroll(tab::Scroll::Bottom);
        // Up in the chat starts again from the newest item.
        tab.view.selected = None;
        tab.view.block = None;
        vec![Effect::StartTurn {
            tab: tab.id,
            req,
            persona: tab.persona.clone(),
            conversation: std::mem::take(&mut tab.conversation),
            text,
            model: tab.model.clone(),
            context_editing,
            max_tokens,
            thinking,
            note,
            extract,
        }]
    }
}
