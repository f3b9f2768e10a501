//! Keys while a dialog is open: forms, confirmations, the history list, the help overlay.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::dialog::{
    ConsolidateView, Dialog, Field, Form, FormKind, ModelPicker, SnapshotQuestion, SnapshotsView,
};
use super::editor::MemoryEditor;
use super::keymap::Focus;
use super::{App, Effect, MemoryJob, SnapshotJob};
use crate::memory::MemPath;

impl App {
    /// Keys in the model picker: Enter gives the active tab the selected model (row 0: the
    /// configured one).
    fn on_model_key(&mut self, mut picker: ModelPicker, code: KeyCode) {
        match code {
            KeyCode::Esc | KeyCode::Char('q') => {}
            KeyCode::Up => {
                picker.selected = picker.selected.saturating_sub(1);
                self.dialog = Some(Dialog::Models(picker));
            }
            KeyCode::Down => {
                picker.selected = (picker.selected + 1).min(picker.rows() - 1);
                self.dialog = Some(Dialog::Models(picker));
            }
            KeyCode::Enter if picker.models.is_some() => {
                let chosen = picker
                    .selected
                    .checked_sub(1)
                    .and_then(|i| picker.models.as_ref()?.get(i))
                    .cloned();
                let (max_tokens, thinking) = self.turn_defaults;
                let editing = self.context_editing;
                let Some(tab) = self.active_tab_mut() else {
                    return;
                };
                let id = chosen.as_ref().map(|m| m.id.clone());
                if id != tab.model {
                    // Thinking signatures hold for the model that wrote them only.
                    if tab.is_streaming() {
                        tab.drop_thinking = true;
                    } else {
                        tab.conversation.drop_thinking();
                    }
                }
                tab.limits = chosen.map(|m| m.limits).unwrap_or_default();
                tab.model = id;
                let model = tab.model.clone();
                let limits = self
                    .active_tab()
                    .map(|t| self.limits_of(t))
                    .unwrap_or_default();
                let (.., notes) =
                    crate::provider::request::fit(&limits, max_tokens, thinking, editing);
                if !notes.is_empty() {
                    let model = model
                        .or_else(|| self.configured_model.clone())
                        .unwrap_or_else(|| "the configured model".to_owned());
                    self.notify(format!("for {model}: {}", notes.join(" · ")), false);
                }
            }
            _ => self.dialog = Some(Dialog::Models(picker)),
        }
    }

    /// Ctrl+T: the picker, on the first team member without a tab (else "someone new").
    pub(super) fn open_persona_picker(&mut self) {
        let selected = self
            .team
            .iter()
            .position(|p| !self.has_tab_for(&p.name))
            .unwrap_or(self.team.len());
        self.dialog = Some(Dialog::Personas { selected });
    }

    /// The tab that talks with `name`, if one does.
    pub(super) fn tab_for(&self, name: &str) -> Option<usize> {
        self.tabs
            .iter()
            .position(|t| t.persona.name.eq_ignore_ascii_case(name))
    }

    /// Whether a tab talks with `name` already.
    pub(super) fn has_tab_for(&self, name: &str) -> bool {
        self.tab_for(name).is_some()
    }

    /// Keys in the persona picker: Enter opens a tab for the team member (or goes to theirs),
    /// or asks for someone new on the last row.
    fn on_personas_key(&mut self, selected: usize, code: KeyCode) {
        let rows = self.team.len() + 1;
        match code {
            KeyCode::Esc => {}
            KeyCode::Up => {
                self.dialog = Some(Dialog::Personas {
                    selected: selected.saturating_sub(1),
                });
            }
            KeyCode::Down => {
                self.dialog = Some(Dialog::Personas {
                    selected: (selected + 1).min(rows - 1),
                });
            }
            KeyCode::Enter => match self.team.get(selected).cloned() {
                Some(persona) => {
                    if let Some(i) = self.tab_for(&persona.name) {
                        self.select_tab(i);
                        self.notify(format!("{}'s tab is open: here it is", persona.name), false);
                    } else {
                        let i = self.add_tab(persona);
                        self.select_tab(i);
                    }
                    self.focus = Focus::Input;
                }
                None => {
                    let form = Form::new(
                        "New persona",
                        vec![Field::new("Name", ""), Field::new("Role", "")],
                    );
                    self.dialog = Some(Dialog::Form(FormKind::NewTab, form));
                }
            },
            _ => self.dialog = Some(Dialog::Personas { selected }),
        }
    }

    /// Keys in the snapshots dialog: s saves, Enter restores the selected one, r resets the
    /// demo; both of those ask first (y / n).
    fn on_snapshots_key(&mut self, mut view: SnapshotsView, code: KeyCode) -> Vec<Effect> {
        if let Some(question) = view.confirm.take() {
            return match code {
                KeyCode::Char('y' | 'Y') => match question {
                    SnapshotQuestion::Restore(name) => {
                        vec![Effect::Snapshot(SnapshotJob::Restore(name))]
                    }
                    SnapshotQuestion::Reset => vec![Effect::Snapshot(SnapshotJob::ResetDemo)],
                    SnapshotQuestion::Clear => vec![Effect::Snapshot(SnapshotJob::ClearMemories)],
                },
                _ => {
                    self.dialog = Some(Dialog::Snapshots(view));
                    Vec::new()
                }
            };
        }
        let count = view
            .list
            .as_ref()
            .and_then(|l| l.as_ref().ok())
            .map_or(0, Vec::len);
        match code {
            KeyCode::Esc | KeyCode::Char('q') => return Vec::new(),
            KeyCode::Up => view.selected = view.selected.saturating_sub(1),
            KeyCode::Down => view.selected = (view.selected + 1).min(count.saturating_sub(1)),
            KeyCode::Char('s') => {
                // The time of day: hhmmss.
                let stamp = crate::clock::compact_utc(self.wall_ms).split_off(8);
                let form = Form::new(
                    "Save the memory store as a snapshot",
                    vec![Field::suggested("Name", &format!("snapshot-{stamp}"))],
                );
                self.dialog = Some(Dialog::Form(FormKind::SaveSnapshot, form));
                return Vec::new();
            }
            KeyCode::Enter => {
                let chosen = view
                    .list
                    .as_ref()
                    .and_then(|l| l.as_ref().ok())
                    .and_then(|l| l.get(view.selected))
                    .map(|s| s.name.clone());
                if let Some(name) = chosen {
                    view.confirm = Some(SnapshotQuestion::Restore(name));
                }
            }
            KeyCode::Char('r') => view.confirm = Some(SnapshotQuestion::Reset),
            KeyCode::Char('c') => view.confirm = Some(SnapshotQuestion::Clear),
            _ => {}
        }
        self.dialog = Some(Dialog::Snapshots(view));
        Vec::new()
    }

    pub(super) fn on_dialog_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let Some(dialog) = self.dialog.take() else {
            return Vec::new();
        };
        let yes = matches!(key.code, KeyCode::Char('y' | 'Y') | KeyCode::Enter);
        // Any other letter answers no too: a question that opened under a presenter's typing
        // ("do you …" in the panel) must not be answered by the "y" of the next word.
        let no = matches!(key.code, KeyCode::Char(_) | KeyCode::Esc) && !yes;
        match dialog {
            Dialog::Help { scroll } => {
                let scroll = match key.code {
                    KeyCode::Up => scroll.saturating_sub(1),
                    KeyCode::Down => scroll + 1,
                    KeyCode::PageUp => scroll.saturating_sub(10),
                    KeyCode::PageDown => scroll + 10,
                    _ => return Vec::new(),
                };
                self.dialog = Some(Dialog::Help { scroll });
            }
            Dialog::ConfirmCloseTab(id) if yes => {
                if let Some(i) = self.tabs.iter().position(|t| t.id == id) {
                    self.active = i;
                    return self.close_tab(true);
                }
            }
            Dialog::ConfirmDelete(path) if yes => return self.delete_confirmed(path),
            Dialog::ConfirmQuit if yes => {
                let mut effects: Vec<Effect> = self
                    .tabs
                    .iter()
                    .filter_map(|t| t.in_flight)
                    .map(Effect::Cancel)
                    .collect();
                effects.push(Effect::Quit);
                return effects;
            }
            Dialog::ConfirmDelete(path) if no => self.notify(format!("kept {path}"), false),
            Dialog::ConfirmCloseTab(_) | Dialog::ConfirmQuit if no => {}
            p @ (Dialog::ConfirmCloseTab(_) | Dialog::ConfirmDelete(_) | Dialog::ConfirmQuit) => {
                self.dialog = Some(p);
            }
            Dialog::Models(picker) => self.on_model_key(picker, key.code),
            Dialog::Personas { selected } => self.on_personas_key(selected, key.code),
            Dialog::Snapshots(view) => return self.on_snapshots_key(view, key.code),
            Dialog::Consolidate(view) => return self.on_consolidate_key(view, key.code),
            Dialog::History(mut view) => match key.code {
                KeyCode::Esc | KeyCode::Char('q') => {}
                KeyCode::Up => {
                    view.selected = view.selected.saturating_sub(1);
                    self.dialog = Some(Dialog::History(view));
                }
                KeyCode::Down => {
                    view.selected =
                        (view.selected + 1).min(view.versions().len().saturating_sub(1));
                    self.dialog = Some(Dialog::History(view));
                }
                KeyCode::Enter | KeyCode::Char('r') => match view.selected_version() {
                    Some(version) => {
                        return vec![Effect::Memory(MemoryJob::Restore {
                            path: view.path,
                            version: Some(version),
                        })];
                    }
                    None => self.dialog = Some(Dialog::History(view)),
                },
                _ => self.dialog = Some(Dialog::History(view)),
            },
            Dialog::Form(kind, mut form) => {
                match key.code {
                    KeyCode::Esc => return Vec::new(),
                    KeyCode::Tab | KeyCode::Down => {
                        form.focus = (form.focus + 1) % form.fields.len();
                    }
                    KeyCode::BackTab | KeyCode::Up => {
                        form.focus = (form.focus + form.fields.len() - 1) % form.fields.len();
                    }
                    KeyCode::Enter if form.focus + 1 < form.fields.len() => form.focus += 1,
                    KeyCode::Enter => return self.submit(kind, form),
                    _ if key.modifiers.contains(KeyModifiers::CONTROL)
                        && matches!(key.code, KeyCode::Char('m' | 'j')) => {}
                    _ => {
                        if let Some(input) = form.focused() {
                            input.input(key);
                        }
                        form.error = None;
                    }
                }
                self.dialog = Some(Dialog::Form(kind, form));
            }
        }
        Vec::new()
    }

    fn submit(&mut self, kind: FormKind, mut form: Form) -> Vec<Effect> {
        let result = match &kind {
            FormKind::SaveSnapshot => {
                let name = form.value(0);
                crate::memory::snapshot::check_name(&name)
                    .map(|()| vec![Effect::Snapshot(SnapshotJob::Save(name))])
            }
            FormKind::NewTab => self.persona_from(&form, None).map(|persona| {
                let i = self.add_tab(persona);
                self.select_tab(i);
                self.focus = Focus::Input;
                Vec::new()
            }),
            FormKind::RenameTab(id) => {
                let i = self.tabs.iter().position(|t| t.id == *id);
                match i {
                    Some(i) => self.persona_from(&form, Some(i)).map(|persona| {
                        self.tabs[i].persona = persona;
                        Vec::new()
                    }),
                    None => Ok(Vec::new()),
                }
            }
            FormKind::NewFile => self.new_file(&form.value(0), &form.value(1)),
            FormKind::NewTask => {
                let title = form.value(0).trim().to_owned();
                let assignee = Some(form.value(1).trim().to_owned()).filter(|a| !a.is_empty());
                let after: Vec<String> = form
                    .value(2)
                    .split(',')
                    .map(|a| a.trim().trim_end_matches(".md").to_owned())
                    .filter(|a| !a.is_empty())
                    .collect();
                if title.is_empty() {
                    Err("give the task a title".to_owned())
                } else {
                    Ok(vec![Effect::Memory(MemoryJob::AddTask {
                        title,
                        assignee,
                        after,
                    })])
                }
            }
            FormKind::Reassign { task } => {
                let to = form.value(0).trim().to_owned();
                if to.is_empty() {
                    Err("say who the task is for".to_owned())
                } else {
                    Ok(vec![Effect::Memory(MemoryJob::Reassign {
                        task: task.clone(),
                        to,
                    })])
                }
            }
            FormKind::RenameFile { from } => MemPath::parse(&form.value(0))
                .map_err(|e| e.to_string())
                .and_then(|to| {
                    let to = to.to_string();
                    if &to == from {
                        Err("that is its name already".to_owned())
                    } else {
                        Ok(vec![Effect::Memory(MemoryJob::Rename {
                            from: from.clone(),
                            to,
                        })])
                    }
                }),
        };
        match result {
            Ok(effects) => effects,
            Err(error) => {
                form.error = Some(error);
                self.dialog = Some(Dialog::Form(kind, form));
                Vec::new()
            }
        }
    }

    /// Open the editor on a file that does not exist yet; saving creates it. `expires`, when
    /// given (a time to live such as `2h`, a date, or `session`), starts the file with the
    /// front matter that makes it expire.
    fn new_file(&mut self, raw: &str, expires: &str) -> Result<Vec<Effect>, String> {
        let path = MemPath::parse(raw).map_err(|e| e.to_string())?;
        if path.is_root() {
            return Err("give the file a name under /memories/".to_owned());
        }
        let path = path.to_string();
        if self.panel.rows.iter().any(|r| r.path == path) {
            return Err(format!("{path} already exists"));
        }
        let header = expiry_header(expires, self.wall_ms, self.session_id.as_deref())?;
        let mut editor = MemoryEditor::open(path, None, self.hint);
        if let Some(header) = header {
            editor.prefill(&header);
        }
        self.editor = Some(editor);
        self.focus = Focus::Editor;
        Ok(Vec::new())
    }
}

impl App {
    /// Keys of the consolidation dialog: scroll the diff, Enter applies the proposal, u undoes
    /// what was applied, Esc closes.
    fn on_consolidate_key(&mut self, mut view: ConsolidateView, code: KeyCode) -> Vec<Effect> {
        let mut effects = Vec::new();
        match code {
            KeyCode::Esc | KeyCode::Char('q') => return effects,
            KeyCode::Up => view.scroll = view.scroll.saturating_sub(1),
            KeyCode::Down => view.scroll += 1,
            KeyCode::PageUp => view.scroll = view.scroll.saturating_sub(10),
            KeyCode::PageDown => view.scroll += 10,
            KeyCode::Enter if !view.busy && view.applied.is_none() => {
                if let Some(Ok(plan)) = &view.plan
                    && !plan.is_empty()
                {
                    view.busy = true;
                    effects.push(Effect::Memory(MemoryJob::ApplyConsolidation(plan.clone())));
                }
            }
            KeyCode::Char('u') if !view.busy && view.undone.is_none() => {
                if let Some((changes, _)) = &view.applied
                    && !changes.is_empty()
                {
                    view.busy = true;
                    effects.push(Effect::Memory(MemoryJob::UndoConsolidation(
                        changes.clone(),
                    )));
                }
            }
            _ => {}
        }
        self.dialog = Some(Dialog::Consolidate(view));
        effects
    }
}

/// The front matter a new file starts with for `expires` as typed: a time to live (`2h`,
/// `30m`, `1d`), a date or time (`2026-12-31`), or `session`; nothing when left empty.
fn expiry_header(
    expires: &str,
    now_ms: u64,
    session: Option<&str>,
) -> Result<Option<String>, String> {
    use crate::memory::expiry;
    let expires = expires.trim();
    if expires.is_empty() {
        return Ok(None);
    }
    let value = if expires.eq_ignore_ascii_case("session") {
        match session {
            Some(id) => format!("session {id}"),
            None => "session".to_owned(),
        }
    } else if let Some(ttl) = expiry::parse_ttl(expires) {
        let at = now_ms.saturating_add(u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX / 2));
        crate::clock::format_utc(at)
    } else if crate::clock::parse_utc(expires).is_some() {
        expires.to_owned()
    } else {
        return Err(format!(
            "{expires:?} is not an expiry: write a time to live (2h, 30m, 1d), a date \
             (2026-12-31) or session"
        ));
    };
    Ok(Some(format!("---\n{}: {value}\n---\n", expiry::KEY)))
}
