//! Small dialogs over the screen: forms (new tab, rename, new file), confirmations, history.

use ratatui_textarea::TextArea;

use super::action::TabId;
use crate::memory::HistoryEntry;
use crate::provider::ModelInfo;

/// A one-line text field with a label.
#[derive(Debug)]
pub struct Field {
    pub label: &'static str,
    pub input: TextArea<'static>,
}

impl Field {
    pub fn new(label: &'static str, value: &str) -> Self {
        let mut input = TextArea::new(vec![value.to_owned()]);
        input.move_cursor(ratatui_textarea::CursorMove::End);
        input.set_cursor_line_style(ratatui::style::Style::default());
        Self { label, input }
    }

    /// A field whose value is a suggestion: it is selected, so what is typed replaces it
    /// (End or an arrow keeps it and edits it).
    pub fn suggested(label: &'static str, value: &str) -> Self {
        let mut field = Self::new(label, value);
        field.input.select_all();
        field
    }

    pub fn value(&self) -> String {
        self.input.lines().concat().trim().to_owned()
    }
}

/// A few fields, one focused, and an error from the last submit.
#[derive(Debug)]
pub struct Form {
    pub title: String,
    pub fields: Vec<Field>,
    pub focus: usize,
    pub error: Option<String>,
}

impl Form {
    pub fn new(title: impl Into<String>, fields: Vec<Field>) -> Self {
        Self {
            title: title.into(),
            fields,
            focus: 0,
            error: None,
        }
    }

    pub fn value(&self, i: usize) -> String {
        self.fields.get(i).map(Field::value).unwrap_or_default()
    }

    pub fn focused(&mut self) -> Option<&mut TextArea<'static>> {
        self.fields.get_mut(self.focus).map(|f| &mut f.input)
    }
}

/// What a form is for.
#[derive(Debug)]
pub enum FormKind {
    NewTab,
    RenameTab(TabId),
    NewFile,
    RenameFile {
        from: String,
    },
    SaveSnapshot,
    /// A task on the board: title, for whom, after which tasks.
    NewTask,
    /// Give the task (its name on the board) to someone.
    Reassign {
        task: String,
    },
}

/// A snapshot as the dialog lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotInfo {
    pub name: String,
    pub created_ms: u64,
    pub files: usize,
}

/// The snapshots dialog (F6): the list, and a question when one is pending.
#[derive(Debug, Default)]
pub struct SnapshotsView {
    /// `None` while loading.
    pub list: Option<Result<Vec<SnapshotInfo>, String>>,
    pub selected: usize,
    pub confirm: Option<SnapshotQuestion>,
}

/// What the snapshots dialog asks before doing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SnapshotQuestion {
    Restore(String),
    Reset,
    /// Clear the memories only (the conversations stay).
    Clear,
}

/// The versions of a file.
#[derive(Debug)]
pub struct HistoryView {
    pub path: String,
    /// `None` while loading.
    pub entries: Option<Result<Vec<HistoryEntry>, String>>,
    pub selected: usize,
}

impl HistoryView {
    /// Entries that hold a version of the path to bring back, newest first.
    pub fn versions(&self) -> Vec<&HistoryEntry> {
        match &self.entries {
            Some(Ok(entries)) => entries
                .iter()
                .rev()
                .filter(|e| e.new.is_some() || e.old.is_some())
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The version restoring the selected entry brings back: what it wrote, or for a delete,
    /// what it removed.
    pub fn selected_version(&self) -> Option<String> {
        let entry = *self.versions().get(self.selected)?;
        let version = if entry.new_path.as_deref() == Some(self.path.as_str()) {
            entry.new.as_ref()
        } else {
            entry.new.as_ref().or(entry.old.as_ref())
        }?;
        Some(version.as_str().to_owned())
    }
}

/// The dialog on top, if any.
#[derive(Debug)]
pub enum Dialog {
    Help {
        scroll: usize,
    },
    Form(FormKind, Form),
    ConfirmCloseTab(TabId),
    ConfirmDelete(String),
    ConfirmQuit,
    History(HistoryView),
    /// Consolidation: the proposal as a diff to approve, then what was done (and its undo).
    Consolidate(ConsolidateView),
    Models(ModelPicker),
    Snapshots(SnapshotsView),
    /// Ctrl+T: the team's personas to open a tab for, then "someone new".
    Personas {
        selected: usize,
    },
}

/// The consolidation dialog.
#[derive(Debug, Default)]
pub struct ConsolidateView {
    /// `None` while the proposal is made.
    pub plan: Option<Result<crate::memory::consolidate::Plan, String>>,
    /// After Enter: what was written (for undo) and, when it stopped, why; `None` before.
    pub applied: Option<(Vec<crate::memory::receipt::Change>, Option<String>)>,
    /// After u: what undo did.
    pub undone: Option<String>,
    /// Working on it (applying or undoing).
    pub busy: bool,
    pub scroll: usize,
}

/// The model picker: row 0 is "the configured model", then the backend's list.
#[derive(Debug, Default)]
pub struct ModelPicker {
    /// `None` while the list loads.
    pub models: Option<Vec<ModelInfo>>,
    /// Why the list is the built-in one, when it is.
    pub note: Option<String>,
    pub selected: usize,
}

impl ModelPicker {
    /// How many rows there are to select (the configured model, then each listed one).
    pub fn rows(&self) -> usize {
        1 + self.models.as_ref().map_or(0, Vec::len)
    }
}
