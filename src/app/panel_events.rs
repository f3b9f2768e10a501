//! The memory panel and editor: store events in, panel intents, the editor's keys.

use crossterm::event::{KeyCode, KeyEvent};

use super::action::{MemoryEvent, SaveError, TreeRow};
use super::dialog::{Dialog, Field, Form, FormKind, HistoryView};
use super::editor::{Conflict, EditorState, MemoryEditor};
use super::keymap::{Focus, Intent};
use super::panel::{OpenFile, UNDO_WINDOW};
use super::{App, Effect, MemoryJob};
use crate::chat::transcript::{ProposalState, UndoState};
use crate::memory::{ChangeKind, FileText, MemoryChange};

impl App {
    pub(super) fn on_memory(&mut self, event: MemoryEvent) -> Vec<Effect> {
        self.dirty = true;
        match event {
            MemoryEvent::Listed(result) => {
                self.panel.listing = false;
                match result {
                    Ok(rows) => self.panel.set_rows(rows),
                    Err(e) => self.panel.listing_error = Some(e),
                }
                if std::mem::take(&mut self.panel.relist) {
                    return self.list_memory();
                }
                return self.refresh_memory();
            }
            MemoryEvent::Refreshed { paths, at_ms } => return self.on_refreshed(paths, at_ms),
            MemoryEvent::Changed(change) => return self.on_change(&change),
            MemoryEvent::Lagged => return self.list_memory(),
            MemoryEvent::Found { query, result } => return self.on_found(query, result),
            MemoryEvent::Status(trouble) => {
                let back = trouble.is_none() && self.store_trouble.is_some();
                self.store_trouble = trouble;
                if back {
                    // What changed meanwhile arrives from the history; the tree is listed and
                    // the open file read anew in case the server lost data or the history
                    // was pruned past what this client saw.
                    self.notify("the shared memory store is reachable again", false);
                    let mut effects = self.list_memory();
                    if let Some(open) = &self.panel.open {
                        effects.push(Effect::Memory(MemoryJob::Open(open.path.clone())));
                    }
                    return effects;
                }
            }
            MemoryEvent::Opened { path, result } => {
                if self.panel.open.as_ref().is_none_or(|o| o.path != path) {
                    return Vec::new();
                }
                let edit = self
                    .panel
                    .edit_when_loaded
                    .take_if(|p| *p == path)
                    .is_some();
                let mut effects = Vec::new();
                match (&result, edit && self.editor.is_none()) {
                    (Ok(file), true) => {
                        effects = self.start_editing(path.clone(), file);
                        self.panel.notice = None;
                    }
                    (Err(e), true) => self.panel.say(format!("cannot edit: {e}"), true),
                    _ => {}
                }
                if let Some(open) = &mut self.panel.open {
                    open.content = Some(result);
                }
                return effects;
            }
            MemoryEvent::Saved { path, result } => {
                let Some(editor) = self.editor.as_mut().filter(|e| e.path == path) else {
                    return Vec::new();
                };
                match result {
                    Ok(version) => editor.saved(version),
                    Err(SaveError::Conflict(theirs)) => {
                        editor.state = EditorState::Conflict(Conflict { theirs });
                        editor.message = None;
                    }
                    Err(SaveError::Failed(e)) => {
                        editor.state = EditorState::Editing;
                        editor.message = Some(e);
                    }
                }
            }
            MemoryEvent::Done { what, result } => match result {
                Ok(()) => self.panel.say(what, false),
                Err(e) => {
                    self.panel.undo = None;
                    self.panel.say(e, true);
                }
            },
            MemoryEvent::History { path, result } => {
                if let Some(Dialog::History(view)) = &mut self.dialog
                    && view.path == path
                {
                    view.entries = Some(result);
                }
            }
            event @ (MemoryEvent::ProposalWritten { .. } | MemoryEvent::TurnUndone { .. }) => {
                self.on_chat_memory(event);
            }
            event @ (MemoryEvent::ConsolidationProposed(_)
            | MemoryEvent::Consolidated { .. }
            | MemoryEvent::ConsolidationUndone(_)) => self.on_consolidation(event),
            event @ (MemoryEvent::Board(_)
            | MemoryEvent::Leases(_)
            | MemoryEvent::LeaseChanged(_)
            | MemoryEvent::Leased { .. }
            | MemoryEvent::Renewed { .. }) => return self.on_coordination(event),
        }
        Vec::new()
    }

    /// Consolidation's steps came back: into the dialog when it is still open, and said.
    fn on_consolidation(&mut self, event: MemoryEvent) {
        self.dirty = true;
        let view = match &mut self.dialog {
            Some(Dialog::Consolidate(view)) => Some(view),
            _ => None,
        };
        match event {
            MemoryEvent::ConsolidationProposed(plan) => {
                if let Some(view) = view {
                    view.plan = Some(plan);
                }
            }
            MemoryEvent::Consolidated { changes, stopped } => {
                let text = match &stopped {
                    None => format!("consolidated: {} file(s) written · u undoes", changes.len()),
                    Some(why) => format!("consolidation not applied: {why}"),
                };
                if let Some(view) = view {
                    view.busy = false;
                    view.applied = Some((changes, stopped.clone()));
                    view.scroll = 0;
                }
                self.notify(text, stopped.is_some());
            }
            MemoryEvent::ConsolidationUndone(summary) => {
                if let Some(view) = view {
                    view.busy = false;
                    view.undone = Some(summary.clone());
                }
                self.notify(summary, false);
            }
            _ => {}
        }
    }

    /// Memory work asked from the chat finished: a proposed memory written, a turn undone.
    fn on_chat_memory(&mut self, event: MemoryEvent) {
        match event {
            MemoryEvent::ProposalWritten { tab, item, result } => {
                let state = match result {
                    Ok(what) => {
                        self.notify(format!("memory kept: {what}"), false);
                        ProposalState::Written { what }
                    }
                    Err(error) => {
                        self.notify(format!("not kept: {error}"), true);
                        ProposalState::Failed { error }
                    }
                };
                if let Some(tab) = self.tabs.iter_mut().find(|t| t.id == tab) {
                    tab.transcript.set_proposal(item, state);
                }
                self.dirty = true;
            }
            MemoryEvent::TurnUndone {
                tab,
                item,
                summary,
                complete,
            } => {
                self.notify(summary.clone(), !complete);
                if let Some(tab) = self.tabs.iter_mut().find(|t| t.id == tab) {
                    tab.transcript.set_undo(item, UndoState::Done { summary });
                }
                self.dirty = true;
            }
            _ => {}
        }
    }

    /// Another tab, the panel, a program or another machine changed the store: flash it, let
    /// the selection, the open file and the editor follow, and look at the path again; tabs
    /// whose model read the path keep it to tell; past `consolidate_after` changes, suggest
    /// consolidating.
    fn on_change(&mut self, change: &MemoryChange) -> Vec<Effect> {
        if self.tell_changes {
            for tab in &mut self.tabs {
                tab.note_change(change);
            }
        }
        self.changes_since_consolidation += 1;
        if self.consolidate_after > 0 && self.changes_since_consolidation == self.consolidate_after
        {
            let key = self.keymap.label(Intent::Consolidate);
            self.notify(
                format!(
                    "{} changes to memory since it was last tidied: {key} proposes a \
                     consolidation (duplicates merged, contradicted facts dropped)",
                    self.consolidate_after
                ),
                false,
            );
        }
        self.panel.flashes.insert(change.path.clone(), self.now);
        let open_moved = match &change.kind {
            ChangeKind::Renamed { from } => {
                self.panel.stale.insert(from.clone(), change.actor.clone());
                self.follow_rename(from, &change.path)
            }
            _ => false,
        };
        self.panel
            .stale
            .insert(change.path.clone(), change.actor.clone());
        let mut effects = self.refresh_memory();
        // The board is read again (and wakes whoever of a team run can go on).
        if change.path.starts_with(crate::memory::board::DIR) {
            effects.push(Effect::Memory(MemoryJob::Board));
        }
        if let Some(open) = &self.panel.open
            && (open_moved || open.path == change.path)
        {
            effects.push(Effect::Memory(MemoryJob::Open(open.path.clone())));
        }
        if let Some(editor) = &mut self.editor
            && editor.path == change.path
            && change.version != editor.base
        {
            editor.changed_by = Some(change.actor.clone());
        }
        effects
    }

    /// Changed paths read again: their rows put in place, then what waited asked for.
    fn on_refreshed(
        &mut self,
        paths: Vec<(String, Result<Vec<TreeRow>, String>)>,
        at_ms: u64,
    ) -> Vec<Effect> {
        let mut actors = self.panel.refreshing.take().unwrap_or_default();
        // A path that cannot be read now (the store unreachable) is read again with the whole
        // tree when the store is back.
        let changed = paths
            .into_iter()
            .filter_map(|(path, result)| {
                let actor = actors.remove(&path).unwrap_or_default();
                Some((path, result.ok()?, actor))
            })
            .collect();
        self.panel.patch(changed, at_ms);
        if std::mem::take(&mut self.panel.relist) {
            return self.list_memory();
        }
        self.refresh_memory()
    }

    /// What was at or under `from` is now under `to`, whoever moved it: the selection, the
    /// open file, the editor and folded folders follow. Returns whether the open file moved.
    fn follow_rename(&mut self, from: &str, to: &str) -> bool {
        let moved = |path: &str| -> Option<String> {
            let rest = path.strip_prefix(from)?;
            (rest.is_empty() || rest.starts_with('/')).then(|| format!("{to}{rest}"))
        };
        if let Some(path) = self.panel.selected.as_deref().and_then(moved) {
            self.panel.selected = Some(path);
        }
        if let Some(editor) = &mut self.editor
            && let Some(path) = moved(&editor.path)
        {
            editor.path = path;
        }
        self.panel.folded = std::mem::take(&mut self.panel.folded)
            .into_iter()
            .map(|dir| moved(&dir).unwrap_or(dir))
            .collect();
        match &mut self.panel.open {
            Some(open) => match moved(&open.path) {
                Some(path) => {
                    open.path = path;
                    true
                }
                None => false,
            },
            None => false,
        }
    }

    /// Look again at the paths changed since the tree was read, unless a listing or refresh
    /// is under way (its arrival asks again): a change costs its own size, not the store's.
    fn refresh_memory(&mut self) -> Vec<Effect> {
        if self.panel.listing || self.panel.refreshing.is_some() || self.panel.stale.is_empty() {
            return Vec::new();
        }
        let stale = std::mem::take(&mut self.panel.stale);
        let mut paths: Vec<String> = stale.keys().cloned().collect();
        paths.sort();
        self.panel.refreshing = Some(stale);
        vec![Effect::Memory(MemoryJob::Refresh(paths))]
    }

    /// Ask for a listing, or for one more after the one under way.
    fn list_memory(&mut self) -> Vec<Effect> {
        if self.panel.listing || self.panel.refreshing.is_some() {
            self.panel.relist = true;
            Vec::new()
        } else {
            self.panel.listing = true;
            // The listing reads the store after every change received so far.
            self.panel.stale.clear();
            vec![Effect::Memory(MemoryJob::List)]
        }
    }

    pub(super) fn on_panel_intent(&mut self, intent: Intent) -> Vec<Effect> {
        if self.focus != Focus::Panel {
            return Vec::new();
        }
        if let Some(effects) = self.on_board_intent(intent) {
            return effects;
        }
        let selected = self.panel.selected_row().cloned();
        match intent {
            Intent::Up => self.panel.move_selection(-1),
            Intent::Down => self.panel.move_selection(1),
            Intent::PageUp | Intent::PageDown | Intent::Top | Intent::Bottom => {
                if let Some(open) = &mut self.panel.open {
                    open.scroll_to(|scroll| match intent {
                        Intent::PageUp => scroll.saturating_sub(10),
                        Intent::PageDown => scroll + 10,
                        Intent::Top => 0,
                        _ => usize::MAX / 2,
                    });
                }
            }
            Intent::Left | Intent::Right => {
                if let Some(row) = selected.filter(|r| r.is_dir) {
                    if intent == Intent::Left {
                        self.panel.folded.insert(row.path);
                    } else {
                        self.panel.folded.remove(&row.path);
                    }
                }
            }
            Intent::Activate => {
                if let Some(i) = selected.and_then(|r| self.panel.rows.iter().position(|x| x == &r))
                {
                    return self.click_tree_row(i);
                }
            }
            Intent::Edit => return self.edit_selected(selected),
            Intent::ToggleBoard => {
                self.panel.board_shown = !self.panel.board_shown;
                if self.panel.board_shown {
                    return vec![Effect::Memory(MemoryJob::Board)];
                }
            }
            Intent::NewFile => {
                let dir = match &selected {
                    Some(r) if r.is_dir => format!("{}/", r.path),
                    Some(r) => r
                        .path
                        .rsplit_once('/')
                        .map_or_else(|| "/memories/".to_owned(), |(dir, _)| format!("{dir}/")),
                    None => "/memories/".to_owned(),
                };
                let form = Form::new(
                    "New memory file",
                    vec![
                        Field::new("Path", &dir),
                        Field::new("Expires (2h, 2026-12-31, session; empty: never)", ""),
                    ],
                );
                self.dialog = Some(Dialog::Form(FormKind::NewFile, form));
            }
            Intent::RenameFile => {
                if let Some(row) = selected {
                    let form = Form::new("Rename", vec![Field::new("New path", &row.path)]);
                    self.dialog = Some(Dialog::Form(FormKind::RenameFile { from: row.path }, form));
                }
            }
            Intent::DeleteFile => {
                if let Some(row) = selected {
                    self.dialog = Some(Dialog::ConfirmDelete(row.path));
                }
            }
            Intent::UndoDelete => match self.panel.undo.take() {
                Some((path, _)) => {
                    return vec![Effect::Memory(MemoryJob::Restore {
                        path,
                        version: None,
                    })];
                }
                None => self.panel.say("nothing to undo", false),
            },
            Intent::History => {
                if let Some(row) = selected {
                    self.dialog = Some(Dialog::History(HistoryView {
                        path: row.path.clone(),
                        entries: None,
                        selected: 0,
                    }));
                    return vec![Effect::Memory(MemoryJob::History(row.path))];
                }
            }
            _ => {}
        }
        Vec::new()
    }

    /// Select a tree row: a folder folds or unfolds, a file opens.
    pub(super) fn click_tree_row(&mut self, i: usize) -> Vec<Effect> {
        let Some(row) = self.panel.rows.get(i).cloned() else {
            return Vec::new();
        };
        self.panel.selected = Some(row.path.clone());
        if row.is_dir {
            if !self.panel.folded.remove(&row.path) {
                self.panel.folded.insert(row.path);
            }
            return Vec::new();
        }
        self.open_in_panel(row.path)
    }

    /// Show `path` in the panel (loading) and ask the store for it.
    pub(super) fn open_in_panel(&mut self, path: String) -> Vec<Effect> {
        self.panel.open = Some(OpenFile::loading(path.clone()));
        vec![Effect::Memory(MemoryJob::Open(path))]
    }

    /// Open the editor on `path`, holding `file`.
    /// While it is open, the editor holds the file: others' writes wait (see
    /// `memory::lease`).
    fn start_editing(&mut self, path: String, file: &FileText) -> Vec<Effect> {
        self.editor = Some(MemoryEditor::open(path.clone(), Some(file), self.hint));
        self.focus = Focus::Editor;
        vec![Effect::Memory(MemoryJob::Lease(path))]
    }

    /// `e`: edit the selected file; one not loaded yet is opened and edited when it arrives.
    fn edit_selected(&mut self, selected: Option<super::TreeRow>) -> Vec<Effect> {
        match selected {
            Some(row) if !row.is_dir => {
                let file = self
                    .panel
                    .open
                    .as_ref()
                    .filter(|o| o.path == row.path)
                    .and_then(|o| o.content.as_ref());
                match file {
                    Some(Ok(file)) => {
                        let file = file.clone();
                        return self.start_editing(row.path, &file);
                    }
                    Some(Err(e)) => self.panel.say(format!("cannot edit: {e}"), true),
                    None => {
                        // Not open yet (or still loading): open it, and edit it when it
                        // arrives.
                        self.panel.say("opening the file to edit it…", false);
                        self.panel.edit_when_loaded = Some(row.path.clone());
                        let loading = self.panel.open.as_ref().is_some_and(|o| o.path == row.path);
                        if !loading {
                            return self.open_in_panel(row.path);
                        }
                    }
                }
            }
            _ => self.panel.say("select a file to edit", false),
        }
        Vec::new()
    }

    /// Delete after the confirmation; `u` can bring it back for a few seconds.
    pub(super) fn delete_confirmed(&mut self, path: String) -> Vec<Effect> {
        self.panel.undo = Some((path.clone(), self.now + UNDO_WINDOW));
        if self.panel.open.as_ref().is_some_and(|o| o.path == path) {
            self.panel.open = None;
        }
        vec![Effect::Memory(MemoryJob::Delete(path))]
    }

    pub(super) fn on_editor_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let intent = self.keymap.resolve(Focus::Editor, key);
        let Some(editor) = self.editor.as_mut() else {
            return Vec::new();
        };
        match &editor.state {
            EditorState::Saving => Vec::new(),
            EditorState::Conflict(_) => match key.code {
                KeyCode::Char('r') => {
                    editor.reload_theirs();
                    Vec::new()
                }
                KeyCode::Char('m') => {
                    if !editor.take_merge() {
                        editor.message = Some(
                            "the two changes touch the same lines: choose r, o or k".to_owned(),
                        );
                    }
                    Vec::new()
                }
                KeyCode::Char('o') => {
                    let expect = editor.overwrite_expect();
                    editor.state = EditorState::Saving;
                    expect
                        .map(|expect| {
                            Effect::Memory(MemoryJob::Save {
                                path: editor.path.clone(),
                                text: editor.text(),
                                expect,
                                lease: editor.lease.clone(),
                            })
                        })
                        .into_iter()
                        .collect()
                }
                KeyCode::Char('k') | KeyCode::Esc => {
                    editor.state = EditorState::Editing;
                    Vec::new()
                }
                _ => Vec::new(),
            },
            EditorState::ConfirmDiscard => match key.code {
                KeyCode::Char('y') => self.close_editor(),
                KeyCode::Char('n') | KeyCode::Esc => {
                    editor.state = EditorState::Editing;
                    Vec::new()
                }
                _ => Vec::new(),
            },
            EditorState::Editing => match intent {
                Some(Intent::Save) => {
                    let text = editor.text();
                    // A header the person broke is said, and the text stays to be fixed.
                    if let Err(problem) = crate::memory::front::check(&editor.path, &text) {
                        editor.message = Some(problem);
                        return Vec::new();
                    }
                    editor.state = EditorState::Saving;
                    editor.message = None;
                    vec![Effect::Memory(MemoryJob::Save {
                        path: editor.path.clone(),
                        text: editor.text(),
                        expect: editor.expect(),
                        lease: editor.lease.clone(),
                    })]
                }
                Some(Intent::Cancel) => {
                    if editor.is_dirty() {
                        editor.state = EditorState::ConfirmDiscard;
                        Vec::new()
                    } else {
                        self.close_editor()
                    }
                }
                Some(intent) => self.on_intent(intent),
                None => {
                    editor.area.input(key);
                    Vec::new()
                }
            },
        }
    }

    /// Close the editor; the file it held is given back.
    fn close_editor(&mut self) -> Vec<Effect> {
        let Some(editor) = self.editor.take() else {
            return Vec::new();
        };
        self.focus = Focus::Panel;
        self.panel.selected = Some(editor.path);
        editor
            .lease
            .map(|lease| Effect::Memory(MemoryJob::Release(lease)))
            .into_iter()
            .collect()
    }
}
