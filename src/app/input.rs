//! Keys, paste and mouse: the app's keys first, then whatever text field has focus.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};

use super::dialog::{ConsolidateView, Dialog, Field, Form, FormKind, ModelPicker, SnapshotsView};
use super::editor::EditorState;
use super::keymap::{Focus, Intent, is_redraw};
use super::tab::{Mark, Retry, Scroll};
use super::{App, Effect, MemoryJob, SnapshotJob};
use crate::chat::Persona;
use crate::chat::transcript::{Item, ProposalState, UndoState};

/// Colours for personas added in the app, in order of use.
const NEW_COLOURS: [&str; 6] = [
    "green",
    "blue",
    "red",
    "lightcyan",
    "lightmagenta",
    "lightyellow",
];

impl App {
    pub(super) fn on_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        if is_redraw(key) {
            return self.on_intent(Intent::Redraw);
        }
        if self.dialog.is_some() {
            return self.on_dialog_key(key);
        }
        if self.editor.is_some() {
            return self.on_editor_key(key);
        }
        if let Some(effects) = self.on_find_key(key) {
            return effects;
        }
        let into_panel = self.types_into_the_panel(key);
        if into_panel || self.types_a_message(key) {
            // A letter the chat or the panel has no use for (or, with no file open, any of the
            // panel's): a presenter who starts typing means the message.
            self.focus = Focus::Input;
            if let Some(tab) = self.active_tab_mut() {
                tab.input.input(key);
            }
            if into_panel {
                self.notify(
                    "typing goes to the message; open a file (Enter) to use the panel's letter keys",
                    false,
                );
            }
            return Vec::new();
        }
        match self.keymap.resolve(self.focus, key) {
            Some(intent) => self.on_intent(intent),
            None => {
                if self.focus == Focus::Input
                    && let Some(tab) = self.active_tab_mut()
                {
                    // End with an empty draft while the chat is scrolled up: follow the
                    // stream again (what the "new lines" marker says); in a draft it moves the
                    // cursor as usual.
                    let follow = key.code == KeyCode::End
                        && key.modifiers.is_empty()
                        && tab.view.scroll != Scroll::Bottom
                        && tab.input.is_empty();
                    if follow {
                        tab.view.set_scroll(Scroll::Bottom);
                    } else {
                        tab.input.input(key);
                    }
                }
                Vec::new()
            }
        }
    }

    /// Which of the side-by-side columns (`shown`, in `chat`) holds screen column `x`.
    fn column_at(chat: Rect, shown: &[usize], x: u16) -> usize {
        super::layout::columns(chat, shown.len())
            .iter()
            .position(|c| (c.x..c.right()).contains(&x))
            .unwrap_or(0)
    }

    /// Ctrl+B. Beside the chat it shows or hides the panel. On a narrow screen the panel can
    /// only cover the chat, so Ctrl+B opens it over the chat (with the keys) and closes it
    /// again; both are said, so nothing flips out of sight.
    fn toggle_panel(&mut self) {
        if self.find.as_ref().is_some_and(|f| f.in_panel) {
            self.close_find();
        }
        let key = self.keymap.short(Intent::TogglePanel);
        if super::layout::panel_beside(self.size.width) {
            self.panel_shown = !self.panel_shown;
            if !self.panel_shown && self.focus == Focus::Panel {
                self.focus = Focus::Input;
            }
            return;
        }
        if self.focus == Focus::Panel {
            self.focus = Focus::Input;
            self.notify(format!("memory panel closed ({key} opens it)"), false);
        } else {
            self.panel_shown = true;
            self.focus = Focus::Panel;
            self.notify(
                format!("narrow screen: the memory panel covers the chat ({key} or Tab goes back)"),
                false,
            );
        }
    }

    /// A printable key the focused chat or panel has no action for ("W" of "Who is …").
    fn types_a_message(&self, key: KeyEvent) -> bool {
        matches!(key.code, KeyCode::Char(_))
            && matches!(self.focus, Focus::Chat | Focus::Panel)
            && !key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
            && self.keymap.resolve(self.focus, key).is_none()
    }

    /// A printable key while the panel has focus and no file is open (other than `u` while a
    /// delete can be undone).
    fn types_into_the_panel(&self, key: KeyEvent) -> bool {
        let KeyCode::Char(c) = key.code else {
            return false;
        };
        self.focus == Focus::Panel
            && self.panel.open.is_none()
            && !self.panel.board_shown
            && c != 'b'
            && c != '/'
            && !key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
            && !(c == 'u' && self.panel.undo.is_some())
    }

    /// The presenter's keys: export, the demo script, context editing, snapshots, the model.
    fn on_presenter_intent(&mut self, intent: Intent) -> Vec<Effect> {
        match intent {
            Intent::Export => vec![Effect::Export],
            Intent::NextPrompt => self.type_next_prompt(),
            Intent::ToggleSplit => {
                self.split = !self.split;
                let shown = self
                    .areas()
                    .map_or(1, |a| self.shown_tabs(a.chat.width).len());
                let key = self.keymap.label(Intent::ToggleSplit);
                if !self.split {
                    self.notify(
                        format!("one tab at a time ({key} shows them side by side)"),
                        false,
                    );
                } else if shown < 2 {
                    self.notify(
                        format!(
                            "side by side needs a wider screen (or {} to hide the panel)",
                            self.keymap.short(Intent::TogglePanel)
                        ),
                        true,
                    );
                } else {
                    self.notify(
                        format!("side by side: {shown} tabs, the active one on the left ({key} goes back)"),
                        false,
                    );
                }
                Vec::new()
            }
            Intent::ToggleNotes => {
                self.notes_shown = !self.notes_shown;
                let key = self.keymap.label(Intent::ToggleNotes);
                if self.script.is_none() {
                    self.notify("no demo script is running (--demo NAME)", true);
                } else if self.notes_shown {
                    self.notify(
                        format!("speaker notes shown under the input ({key} hides them)"),
                        false,
                    );
                } else {
                    self.notify(format!("speaker notes hidden ({key} shows them)"), false);
                }
                Vec::new()
            }
            Intent::CycleContextEditing => {
                self.cycle_context_editing();
                Vec::new()
            }
            Intent::Snapshots => {
                if self.is_streaming() {
                    self.notify(
                        "wait for the answers to finish (or Esc) before snapshots",
                        true,
                    );
                    Vec::new()
                } else {
                    self.dialog = Some(Dialog::Snapshots(SnapshotsView::default()));
                    vec![Effect::Snapshot(SnapshotJob::List)]
                }
            }
            Intent::PickModel => {
                self.dialog = Some(Dialog::Models(ModelPicker::default()));
                vec![Effect::ListModels]
            }
            Intent::TeamRun => self.start_team_run(),
            _ => Vec::new(),
        }
    }

    pub(super) fn on_intent(&mut self, intent: Intent) -> Vec<Effect> {
        match intent {
            Intent::Quit => {
                let editing = self
                    .editor
                    .as_ref()
                    .is_some_and(super::editor::MemoryEditor::is_dirty);
                if self.is_streaming() || editing {
                    self.dialog = Some(Dialog::ConfirmQuit);
                } else {
                    return vec![Effect::Quit];
                }
            }
            Intent::Suspend => return vec![Effect::Suspend],
            Intent::Redraw => self.clear = true,
            Intent::Export
            | Intent::NextPrompt
            | Intent::ToggleNotes
            | Intent::ToggleSplit
            | Intent::CycleContextEditing
            | Intent::Snapshots
            | Intent::TeamRun
            | Intent::PickModel => return self.on_presenter_intent(intent),
            Intent::Help => self.dialog = Some(Dialog::Help { scroll: 0 }),
            Intent::Cancel => return self.cancel(),
            Intent::Send => return self.send(),
            Intent::Newline => {
                if let Some(tab) = self.active_tab_mut() {
                    tab.input.insert_newline();
                }
            }
            Intent::RecallLast => {
                if let Some(tab) = self.active_tab_mut() {
                    if tab.input.is_empty() {
                        if let Some(draft) = tab.cleared_draft.take() {
                            tab.input.insert_str(draft);
                        } else if let Some(last) = tab.last_sent.clone() {
                            tab.input.insert_str(last);
                        }
                    } else {
                        tab.input.input(KeyEvent::from(KeyCode::Up));
                    }
                }
            }
            Intent::Retry => return self.retry(),
            Intent::NextTab => self.select_tab((self.active + 1) % self.tabs.len().max(1)),
            Intent::PrevTab => {
                let n = self.tabs.len().max(1);
                self.select_tab((self.active + n - 1) % n);
            }
            Intent::SelectTab(i) => self.select_tab(i),
            Intent::NewTab => self.open_persona_picker(),
            Intent::RenameTab => {
                if let Some(tab) = self.active_tab() {
                    let form = Form::new(
                        "Rename persona",
                        vec![
                            Field::new("Name", &tab.persona.name),
                            Field::new("Role", &tab.persona.role),
                        ],
                    );
                    self.dialog = Some(Dialog::Form(FormKind::RenameTab(tab.id), form));
                }
            }
            Intent::CloseTab => return self.close_tab(false),
            Intent::FocusNext | Intent::FocusPrev => self.move_focus(intent == Intent::FocusNext),
            Intent::TogglePanel => self.toggle_panel(),
            Intent::ToggleMouse => return self.toggle_mouse(),
            Intent::Find => return self.open_find(self.focus == Focus::Panel),
            Intent::Copy => return self.copy(),
            Intent::PageUp | Intent::PageDown | Intent::Top | Intent::Bottom
                if self.focus != Focus::Panel =>
            {
                self.scroll_chat(intent);
            }
            Intent::Up | Intent::Down if self.focus == Focus::Chat => {
                self.select_item(intent == Intent::Up);
            }
            Intent::Left | Intent::Right if self.focus == Focus::Chat => {
                self.select_block(intent == Intent::Right);
            }
            Intent::Activate if self.focus == Focus::Chat => self.toggle_selected_item(),
            Intent::UndoTurn => return self.undo_turn(),
            Intent::AcceptProposal => return self.settle_proposal(true),
            Intent::DismissProposal => return self.settle_proposal(false),
            Intent::CycleExtract => self.cycle_extract(),
            Intent::Consolidate => {
                self.changes_since_consolidation = 0;
                self.dialog = Some(Dialog::Consolidate(ConsolidateView::default()));
                return vec![Effect::Memory(MemoryJob::Consolidate)];
            }
            other => return self.on_panel_intent(other),
        }
        Vec::new()
    }

    /// Tab / Shift+Tab: the input, the chat, the panel (when shown), round.
    fn move_focus(&mut self, forward: bool) {
        let mut order = vec![Focus::Input, Focus::Chat];
        if self.panel_shown {
            order.push(Focus::Panel);
        }
        let at = order.iter().position(|&f| f == self.focus).unwrap_or(0);
        let step = if forward { 1 } else { order.len() - 1 };
        self.focus = order[(at + step) % order.len()];
    }

    fn toggle_mouse(&mut self) -> Vec<Effect> {
        self.mouse = !self.mouse;
        let key = self.keymap.label(Intent::ToggleMouse);
        let text = if self.mouse {
            format!("mouse on: clicks and the wheel work in memdeck ({key} turns it off)")
        } else {
            format!("mouse off: drag to select text with the terminal ({key} turns it on)")
        };
        self.notify(text, false);
        vec![Effect::Mouse(self.mouse)]
    }

    fn send(&mut self) -> Vec<Effect> {
        let Some(tab) = self.active_tab() else {
            return Vec::new();
        };
        let text = tab.input.lines().join("\n");
        if text.trim().is_empty() {
            return Vec::new();
        }
        if tab.is_streaming() {
            let name = tab.persona.name.clone();
            self.notify(
                format!("{name}'s answer is still streaming; Esc cancels it"),
                true,
            );
            return Vec::new();
        }
        let hint = self.hint;
        if let Some(tab) = self.active_tab_mut() {
            tab.input = super::tab::new_input(hint);
        }
        self.start_turn(text, None)
    }

    fn retry(&mut self) -> Vec<Effect> {
        let Some(tab) = self.active_tab() else {
            return Vec::new();
        };
        match (&tab.retry, tab.mark, tab.is_streaming()) {
            (Some(retry), Mark::Failed, false)
            | (
                Some(
                    retry @ Retry {
                        cancelled: true, ..
                    },
                ),
                _,
                false,
            ) => {
                let (text, keep) = (retry.text.clone(), retry.keep);
                self.start_turn(text, Some(keep))
            }
            (_, _, true) => {
                let key = self.keymap.label(Intent::Retry);
                self.notify(
                    format!("the turn is still running: Esc stops it, then {key} sends it again"),
                    false,
                );
                Vec::new()
            }
            _ => {
                self.notify(
                    "nothing to retry: the last turn neither failed nor was cancelled",
                    false,
                );
                Vec::new()
            }
        }
    }

    fn cancel(&mut self) -> Vec<Effect> {
        let hint = self.hint;
        let Some(tab) = self.active_tab_mut() else {
            return Vec::new();
        };
        // A draft typed while the answer streams goes first: the answer is stopped only by a
        // second Esc, so clearing a typo never costs the audience the answer.
        if !tab.input.is_empty() {
            let draft = tab.input.lines().join("\n");
            tab.input = super::tab::new_input(hint);
            let streaming = tab.in_flight.is_some();
            if !draft.trim().is_empty() {
                tab.cleared_draft = Some(draft);
            }
            if streaming {
                self.notify(
                    "draft cleared (↑ brings it back) · Esc again stops the answer",
                    false,
                );
            }
            return Vec::new();
        }
        if let Some(req) = tab.in_flight {
            return vec![Effect::Cancel(req)];
        }
        Vec::new()
    }

    /// Close the active tab; `confirmed` skips the question for a tab with history.
    pub(super) fn close_tab(&mut self, confirmed: bool) -> Vec<Effect> {
        let Some(tab) = self.active_tab() else {
            return Vec::new();
        };
        if self.tabs.len() == 1 {
            self.notify("the last tab cannot be closed", true);
            return Vec::new();
        }
        if tab.has_history() && !confirmed {
            self.dialog = Some(Dialog::ConfirmCloseTab(tab.id));
            return Vec::new();
        }
        let tab = self.tabs.remove(self.active);
        self.count_closed(&tab);
        self.active = self.active.min(self.tabs.len() - 1);
        tab.in_flight.map(Effect::Cancel).into_iter().collect()
    }

    fn copy(&mut self) -> Vec<Effect> {
        if self.focus == Focus::Panel
            && let Some(open) = &self.panel.open
            && let Some(Ok(file)) = &open.content
        {
            let text = file.text.clone();
            self.notify(format!("copied {}", open.path), false);
            return vec![Effect::Copy(text)];
        }
        if self.focus == Focus::Chat
            && let Some(chosen) = self.chat_selection()
        {
            return match chosen {
                Ok((text, what)) => {
                    let lines = text.lines().count().max(1);
                    let s = if lines == 1 { "" } else { "s" };
                    self.notify(format!("copied {what}: {lines} line{s}"), false);
                    vec![Effect::Copy(text)]
                }
                Err(why) => {
                    self.notify(why, false);
                    Vec::new()
                }
            };
        }
        match self.active_tab().and_then(super::tab::ChatTab::last_answer) {
            Some(text) => {
                self.notify("copied the last answer", false);
                vec![Effect::Copy(text)]
            }
            None => {
                self.notify("nothing to copy yet", false);
                Vec::new()
            }
        }
    }

    fn scroll_chat(&mut self, intent: Intent) {
        let Some(tab) = self.active_tab_mut() else {
            return;
        };
        let page = tab.view.page();
        match intent {
            Intent::PageUp => tab.view.scroll_by(page),
            Intent::PageDown => tab.view.scroll_by(-page),
            Intent::Top => tab.view.set_scroll(Scroll::Top(0)),
            _ => tab.view.set_scroll(Scroll::Bottom),
        }
    }

    /// Move the chat's selection to the previous or next message or card.
    fn select_item(&mut self, up: bool) {
        let Some(tab) = self.active_tab_mut() else {
            return;
        };
        let expandable = Item::is_selectable;
        let items = &tab.transcript.items;
        let from = tab.view.selected;
        let next = if up {
            let end = from.unwrap_or(items.len());
            items[..end.min(items.len())].iter().rposition(expandable)
        } else {
            let start = from.map_or(0, |i| i + 1);
            items
                .get(start..)
                .and_then(|rest| rest.iter().position(expandable))
                .map(|p| p + start)
        };
        if next.is_some() {
            tab.view.selected = next;
            tab.view.block = None;
        }
    }

    /// Left/Right in the chat: the previous or next code block of the selected message (Left
    /// from the first goes back to the whole message).
    fn select_block(&mut self, forward: bool) {
        let Some(tab) = self.active_tab_mut() else {
            return;
        };
        let Some(text) = tab
            .view
            .selected
            .and_then(|i| match &tab.transcript.items[i] {
                Item::User { text } | Item::Text { text, .. } => Some(text),
                _ => None,
            })
        else {
            return;
        };
        let count = crate::chat::copy::code_blocks(text).len();
        tab.view.block = match (tab.view.block, forward) {
            (_, _) if count == 0 => None,
            (None, true) => Some(0),
            (Some(b), true) => Some((b + 1).min(count - 1)),
            (Some(0) | None, false) => None,
            (Some(b), false) => Some(b - 1),
        };
        if count == 0 {
            self.notify("this message has no code block", false);
        }
    }

    /// What `y` (or the copy key) copies in the chat: the selected code block, else the
    /// selected item; `None` with nothing selected.
    fn chat_selection(&self) -> Option<Result<(String, String), String>> {
        let tab = self.active_tab()?;
        let item = tab.transcript.items.get(tab.view.selected?)?;
        if let (Some(b), Item::User { text } | Item::Text { text, .. }) = (tab.view.block, item) {
            let blocks = crate::chat::copy::code_blocks(text);
            if let Some(block) = blocks.get(b) {
                let what = match block.lang.as_str() {
                    "" => format!("code block {} of {}", b + 1, blocks.len()),
                    lang => format!("code block {} of {} ({lang})", b + 1, blocks.len()),
                };
                return Some(Ok((block.code.clone(), what)));
            }
        }
        Some(
            crate::chat::copy::item_text(item)
                .map(|(text, what)| (text, what.to_owned()))
                .ok_or_else(|| "nothing to copy in the selected item".to_owned()),
        )
    }

    /// The item `u`, `a` or `x` acts on: the selected one while `open` says it can, else the
    /// newest that can (so pressing the key again goes further back).
    fn chosen(&self, open: impl Fn(&Item) -> bool) -> Option<usize> {
        let tab = self.active_tab()?;
        let items = &tab.transcript.items;
        tab.view
            .selected
            .filter(|&i| items.get(i).is_some_and(&open))
            .or_else(|| items.iter().rposition(&open))
    }

    /// Undo the memory changes of the selected receipt's turn, or of the newest one not undone.
    fn undo_turn(&mut self) -> Vec<Effect> {
        let chosen =
            self.chosen(|i| matches!(i, Item::Receipt { undo, .. } if *undo == UndoState::Open));
        let Some(i) = chosen else {
            self.notify("no memory changes left to undo in this tab", false);
            return Vec::new();
        };
        self.dirty = true;
        let Some(tab) = self.active_tab_mut() else {
            return Vec::new();
        };
        let Some(Item::Receipt { changes, .. }) = tab.transcript.items.get(i) else {
            return Vec::new();
        };
        let job = MemoryJob::UndoTurn {
            tab: tab.id,
            item: i,
            changes: changes.clone(),
        };
        tab.transcript.set_undo(i, UndoState::Undoing);
        vec![Effect::Memory(job)]
    }

    /// Keep (`a`) or dismiss (`x`) the selected proposed memory, or the newest still open.
    fn settle_proposal(&mut self, keep: bool) -> Vec<Effect> {
        let chosen = self
            .chosen(|i| matches!(i, Item::Proposal { state, .. } if *state == ProposalState::Open));
        let Some(i) = chosen else {
            self.notify("no proposed memory waiting in this tab", false);
            return Vec::new();
        };
        self.dirty = true;
        let Some(tab) = self.active_tab_mut() else {
            return Vec::new();
        };
        let Some(Item::Proposal { proposal, .. }) = tab.transcript.items.get(i) else {
            return Vec::new();
        };
        if !keep {
            tab.transcript.set_proposal(i, ProposalState::Dismissed);
            return Vec::new();
        }
        let job = MemoryJob::WriteProposal {
            tab: tab.id,
            item: i,
            proposal: proposal.clone(),
            actor: crate::chat::extract::actor(&tab.persona.name),
        };
        tab.transcript.set_proposal(i, ProposalState::Writing);
        vec![Effect::Memory(job)]
    }

    /// Alt+M: the active tab's extraction after answers, off → on → auto → off.
    fn cycle_extract(&mut self) {
        let configured = self.extract;
        let Some(tab) = self.active_tab_mut() else {
            return;
        };
        let next = tab.extract.unwrap_or(configured).next();
        tab.extract = Some(next);
        let name = tab.persona.name.clone();
        let text = match next {
            crate::chat::extract::Extract::Off => {
                format!("extraction off for {name}")
            }
            crate::chat::extract::Extract::On => format!(
                "extraction on for {name}: after each answer, memories worth keeping are \
                 proposed (a keeps, x dismisses)"
            ),
            crate::chat::extract::Extract::Auto => format!(
                "extraction auto for {name}: memories worth keeping are written after each \
                 answer, as {name} (extracted)"
            ),
        };
        self.notify(text, false);
        self.dirty = true;
    }

    fn toggle_selected_item(&mut self) {
        if let Some(tab) = self.active_tab_mut()
            && let Some(i) = tab.view.selected
            && !tab.view.expanded.remove(&i)
        {
            tab.view.expanded.insert(i);
        }
    }

    pub(super) fn on_paste(&mut self, text: &str) {
        if let Some(Dialog::Form(_, form)) = &mut self.dialog {
            if let Some(input) = form.focused() {
                // Fields are one line.
                input.insert_str(text.replace(['\r', '\n'], " "));
            }
            return;
        }
        if self.dialog.is_some() {
            return;
        }
        if let Some(editor) = &mut self.editor {
            if editor.state == EditorState::Editing {
                editor.area.insert_str(unix_newlines(text));
            }
            return;
        }
        self.focus = Focus::Input;
        if let Some(tab) = self.active_tab_mut() {
            tab.input.insert_str(unix_newlines(text));
        }
    }

    pub(super) fn on_mouse(&mut self, mouse: MouseEvent) -> Vec<Effect> {
        if self.dialog.is_some() || self.editor.is_some() {
            return Vec::new();
        }
        let Some(areas) = self.areas() else {
            return Vec::new();
        };
        let at = Position::new(mouse.column, mouse.row);
        let inside = |r: Rect| r.contains(at);
        match mouse.kind {
            MouseEventKind::ScrollUp | MouseEventKind::ScrollDown => {
                let up = mouse.kind == MouseEventKind::ScrollUp;
                if inside(areas.chat) {
                    // Side by side: the wheel scrolls the column it is over.
                    let shown = self.shown_tabs(areas.chat.width);
                    let i = Self::column_at(areas.chat, &shown, mouse.column);
                    if let Some(tab) = shown.get(i).and_then(|&t| self.tabs.get_mut(t)) {
                        tab.view.scroll_by(if up { 3 } else { -3 });
                    }
                } else if inside(areas.panel)
                    && let Some(open) = &mut self.panel.open
                {
                    open.scroll_to(|scroll| {
                        if up {
                            scroll.saturating_sub(3)
                        } else {
                            scroll + 3
                        }
                    });
                }
                self.dirty = true;
            }
            MouseEventKind::Down(MouseButton::Left) => {
                self.dirty = true;
                if inside(areas.tabs) {
                    let hit = self
                        .hits
                        .borrow()
                        .tabs
                        .iter()
                        .position(|&(from, to)| (from..to).contains(&mouse.column));
                    if let Some(i) = hit {
                        self.select_tab(i);
                    }
                } else if inside(areas.input) {
                    self.focus = Focus::Input;
                } else if inside(areas.chat) {
                    let shown = self.shown_tabs(areas.chat.width);
                    let column = Self::column_at(areas.chat, &shown, mouse.column);
                    if column > 0 {
                        // Another column: its tab becomes the active one.
                        self.select_tab(shown[column]);
                        return Vec::new();
                    }
                    self.focus = Focus::Chat;
                    self.click_chat(mouse.row.saturating_sub(areas.chat.y + 1));
                } else if inside(areas.panel) {
                    self.focus = Focus::Panel;
                    let row = self
                        .hits
                        .borrow()
                        .tree
                        .iter()
                        .find(|(y, _)| *y == mouse.row)
                        .map(|&(_, i)| i);
                    if let Some(i) = row {
                        return self.click_tree_row(i);
                    }
                }
            }
            _ => {}
        }
        Vec::new()
    }

    fn click_chat(&mut self, row: u16) {
        let Some(tab) = self.active_tab_mut() else {
            return;
        };
        // The "new lines" marker: back to the bottom, following again.
        if tab.view.marker_row.get() == Some(usize::from(row)) {
            tab.view.set_scroll(Scroll::Bottom);
            return;
        }
        let hit = tab
            .view
            .rows
            .borrow()
            .get(usize::from(row))
            .copied()
            .flatten();
        let Some((i, line)) = hit else { return };
        let Some(item) = tab.transcript.items.get(i) else {
            return;
        };
        if item.is_expandable() {
            tab.view.selected = Some(i);
            tab.view.block = None;
            self.toggle_selected_item();
        } else if item.is_selectable() {
            // A message: selected (y copies it), or the code block clicked in it.
            let block = tab
                .view
                .cache
                .borrow()
                .items
                .get(i)
                .and_then(|cached| cached.code.iter().position(|rows| rows.contains(&line)));
            tab.view.selected = Some(i);
            tab.view.block = block;
        }
    }

    /// A new persona from the form's name and role, or why not.
    pub(super) fn persona_from(
        &self,
        form: &Form,
        except: Option<usize>,
    ) -> Result<Persona, String> {
        let name = form.value(0);
        let role = form.value(1);
        if name.is_empty() {
            return Err("a persona needs a name".to_owned());
        }
        if name.chars().count() > 24 {
            return Err("names are at most 24 characters".to_owned());
        }
        if name.chars().any(char::is_control) || role.chars().any(char::is_control) {
            return Err("names cannot hold control characters".to_owned());
        }
        let taken = self
            .tabs
            .iter()
            .enumerate()
            .any(|(i, t)| Some(i) != except && t.persona.name.eq_ignore_ascii_case(&name));
        if taken {
            return Err(format!("there is already a tab for {name}"));
        }
        let color = match except.and_then(|i| self.tabs.get(i)) {
            Some(tab) => tab.persona.color.clone(),
            None => NEW_COLOURS
                .iter()
                .find(|c| !self.tabs.iter().any(|t| t.persona.color == **c))
                .unwrap_or(&"white")
                .to_string(),
        };
        let role = if role.is_empty() {
            "Team member".to_owned()
        } else {
            role
        };
        Ok(Persona { name, role, color })
    }
}

/// Pasted text with `\r\n` and lone `\r` line ends made `\n` (terminals paste CR for Enter).
fn unix_newlines(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}
