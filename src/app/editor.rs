//! The memory editor: a file's text in a textarea, the version it was opened at, and the
//! conflict flow when someone else changed the file meanwhile.

use ratatui_textarea::{TextArea, WrapMode};

use crate::memory::{Expect, FileText, Version};

/// The file changed on disk since the editor opened it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conflict {
    /// What is there now (`None`: the file was deleted).
    pub theirs: Option<FileText>,
}

impl Conflict {
    /// Their text with line ends as `\n`, as the editor holds text (`None`: deleted).
    pub fn their_text(&self) -> Option<String> {
        self.theirs.as_ref().map(|f| f.text.replace("\r\n", "\n"))
    }
}

/// What the editor is waiting for or asking.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EditorState {
    Editing,
    Saving,
    /// A save was refused: reload theirs (r), overwrite (o), keep editing (k / Esc).
    Conflict(Conflict),
    /// Esc with unsaved changes: discard (y) or keep editing (n / Esc).
    ConfirmDiscard,
}

/// The panel's editor.
#[derive(Debug)]
pub struct MemoryEditor {
    pub path: String,
    pub area: TextArea<'static>,
    /// The version the text was loaded from; `None` for a file that does not exist yet.
    pub base: Option<Version>,
    /// The text as loaded, to tell whether there are unsaved changes.
    original: String,
    /// The file used CRLF line ends; they are restored on save.
    crlf: bool,
    pub state: EditorState,
    /// Who changed the file on disk while it was open (shown as a warning).
    pub changed_by: Option<String>,
    pub message: Option<String>,
    /// The editor's hold on the file (others' writes wait while it lasts), and when it was
    /// last renewed (ms since the epoch).
    pub lease: Option<crate::memory::Lease>,
    pub lease_renewed_ms: u64,
    /// The style of the line numbers (the theme's dim).
    line_numbers: ratatui::style::Style,
}

impl MemoryEditor {
    /// Edit `path`, holding `file` (or nothing yet for a new file); line numbers in the
    /// `line_numbers` style.
    pub fn open(
        path: String,
        file: Option<&FileText>,
        line_numbers: ratatui::style::Style,
    ) -> Self {
        let text = file.map(|f| f.text.as_str()).unwrap_or_default();
        let mut editor = Self {
            path,
            area: TextArea::default(),
            base: file.map(|f| f.version.clone()),
            original: String::new(),
            crlf: false,
            state: EditorState::Editing,
            changed_by: None,
            message: None,
            lease: None,
            lease_renewed_ms: 0,
            line_numbers,
        };
        editor.load(text);
        editor
    }

    fn load(&mut self, text: &str) {
        self.crlf = text.contains("\r\n");
        let normalized = if self.crlf {
            text.replace("\r\n", "\n")
        } else {
            text.to_owned()
        };
        self.area = self.text_area(&normalized);
        self.original = normalized;
    }

    /// Start a new file with `text` in it (its header, say), the cursor at its end; it counts
    /// as a change to save.
    pub fn prefill(&mut self, text: &str) {
        self.area = self.text_area(text);
        self.area.move_cursor(ratatui_textarea::CursorMove::Bottom);
        self.area.move_cursor(ratatui_textarea::CursorMove::End);
    }

    /// A text area holding `text` (line ends as `\n`), set up as the editor shows it.
    fn text_area(&self, text: &str) -> TextArea<'static> {
        let mut area = TextArea::new(text.split('\n').map(str::to_owned).collect());
        area.set_wrap_mode(WrapMode::WordOrGlyph);
        area.set_line_number_style(self.line_numbers);
        area.set_cursor_line_style(ratatui::style::Style::default());
        area
    }

    /// The text as it would be saved.
    pub fn text(&self) -> String {
        let text = self.area.lines().join("\n");
        if self.crlf {
            text.replace('\n', "\r\n")
        } else {
            text
        }
    }

    /// The text the editor opened (line ends as `\n`), the base of a merge.
    pub fn original_text(&self) -> &str {
        &self.original
    }

    pub fn is_dirty(&self) -> bool {
        self.area.lines().join("\n") != self.original
    }

    /// The precondition of a normal save.
    pub fn expect(&self) -> Expect {
        match &self.base {
            Some(version) => Expect::Version(version.clone()),
            None => Expect::Absent,
        }
    }

    /// Saved as `version`: the text on screen is now the file's.
    pub fn saved(&mut self, version: Version) {
        self.original = self.area.lines().join("\n");
        self.base = Some(version);
        self.state = EditorState::Editing;
        self.changed_by = None;
        self.message = Some("saved".to_owned());
    }

    /// Take their version: the text becomes theirs, my changes are dropped.
    pub fn reload_theirs(&mut self) {
        let EditorState::Conflict(conflict) = &self.state else {
            return;
        };
        let theirs = conflict.theirs.clone();
        match theirs {
            Some(file) => {
                self.load(&file.text);
                self.base = Some(file.version);
                self.message = Some("reloaded their version".to_owned());
            }
            None => {
                // Deleted: keep my text as a new file.
                self.base = None;
                self.message = Some("the file was deleted; saving creates it again".to_owned());
            }
        }
        self.state = EditorState::Editing;
        self.changed_by = None;
    }

    /// Their change and mine, both made to the text I opened, merged line by line when they
    /// touch different lines; `None` when they overlap (or the file was deleted).
    pub fn merged(&self) -> Option<String> {
        let EditorState::Conflict(conflict) = &self.state else {
            return None;
        };
        merge3(
            &self.original,
            &self.area.lines().join("\n"),
            &conflict.their_text()?,
        )
    }

    /// Take the merge: the text is both changes, based on their version (saving overwrites
    /// only that version).
    pub fn take_merge(&mut self) -> bool {
        let (Some(text), EditorState::Conflict(conflict)) = (self.merged(), &self.state) else {
            return false;
        };
        let (Some(theirs), Some(their_text)) = (conflict.theirs.clone(), conflict.their_text())
        else {
            return false;
        };
        self.area = self.text_area(&text);
        self.original = their_text;
        self.base = Some(theirs.version);
        self.state = EditorState::Editing;
        self.changed_by = None;
        self.message = Some("merged their change with yours; Ctrl+S saves".to_owned());
        true
    }

    /// The precondition that overwrites their version (and nothing newer).
    pub fn overwrite_expect(&self) -> Option<Expect> {
        let EditorState::Conflict(conflict) = &self.state else {
            return None;
        };
        Some(match &conflict.theirs {
            Some(file) => Expect::Version(file.version.clone()),
            None => Expect::Absent,
        })
    }
}

/// One side's changes to the base: (the base lines it replaces, the lines it puts there).
fn changes(base: &str, side: &str) -> Vec<(std::ops::Range<usize>, Vec<String>)> {
    let diff = similar::TextDiff::from_lines(base, side);
    let new_lines: Vec<&str> = diff.new_slices().to_vec();
    diff.ops()
        .iter()
        .filter(|op| !matches!(op, similar::DiffOp::Equal { .. }))
        .map(|op| {
            let lines = new_lines[op.new_range()]
                .iter()
                .map(|l| (*l).to_owned())
                .collect();
            (op.old_range(), lines)
        })
        .collect()
}

/// Merge two edits of `base`: both sets of changed lines when no line is changed by both (and
/// no two insertions meet at one place); `None` otherwise.
pub fn merge3(base: &str, mine: &str, theirs: &str) -> Option<String> {
    // Compare line by line with each line's end, so the last line merges like the others.
    let with_end = |t: &str| format!("{t}\n");
    let (base, mine, theirs) = (with_end(base), with_end(mine), with_end(theirs));
    let mut all = changes(&base, &mine);
    let their_changes = changes(&base, &theirs);
    for (range, _) in &their_changes {
        let clash = all.iter().any(|(r, _)| {
            r.start < range.end && range.start < r.end
                || (r.start == range.start && (r.is_empty() || range.is_empty()))
        });
        if clash {
            return None;
        }
    }
    all.extend(their_changes);
    all.sort_by_key(|(r, _)| (r.start, r.end));
    let base_lines: Vec<&str> = base.split_inclusive('\n').collect();
    let mut out = String::new();
    let mut at = 0;
    for (range, lines) in all {
        for line in &base_lines[at..range.start] {
            out.push_str(line);
        }
        for line in lines {
            out.push_str(&line);
        }
        at = range.end;
    }
    for line in &base_lines[at..] {
        out.push_str(line);
    }
    out.pop();
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> FileText {
        FileText {
            text: text.to_owned(),
            version: Version::of(text.as_bytes()),
        }
    }

    #[test]
    fn edits_to_different_lines_merge_and_overlapping_ones_do_not() {
        let base = "# ACME\n\n- 40 TB\n- March\n";
        let mine = "# ACME\n\n- 45 TB\n- March\n";
        let theirs = "# ACME\n\n- 40 TB\n- March\n- CTO: Dana\n";
        assert_eq!(
            merge3(base, mine, theirs).as_deref(),
            Some("# ACME\n\n- 45 TB\n- March\n- CTO: Dana\n")
        );
        assert_eq!(merge3(base, mine, "# ACME\n\n- 50 TB\n- March\n"), None);
        assert_eq!(merge3(base, base, base).as_deref(), Some(base));
        // Both added a line at the end: where they go is a choice, so no merge.
        assert_eq!(merge3("a\n", "a\nb\n", "a\nc\n"), None);
    }

    #[test]
    fn text_round_trips_with_trailing_newline_and_crlf() {
        for text in ["a\nb\n", "no newline", "", "x\r\ny\r\n"] {
            let editor = MemoryEditor::open(
                "/memories/a.md".into(),
                Some(&file(text)),
                ratatui::style::Style::default(),
            );
            assert_eq!(editor.text(), text);
            assert!(!editor.is_dirty());
        }
    }

    #[test]
    fn a_conflict_offers_their_version_or_an_overwrite_of_it() {
        let mut editor = MemoryEditor::open(
            "/memories/a.md".into(),
            Some(&file("mine\n")),
            ratatui::style::Style::default(),
        );
        editor.area.insert_str("edit ");
        assert!(editor.is_dirty());
        let theirs = file("theirs\n");
        editor.state = EditorState::Conflict(Conflict {
            theirs: Some(theirs.clone()),
        });
        assert_eq!(
            editor.overwrite_expect(),
            Some(Expect::Version(theirs.version.clone()))
        );
        editor.reload_theirs();
        assert_eq!(editor.text(), "theirs\n");
        assert_eq!(editor.base, Some(theirs.version));
        assert!(!editor.is_dirty());
    }
}
