//! Dialogs over the screen and the memory editor.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Widget};

use super::text::{put_line, sanitize, wrap};
use super::theme::Theme;
use crate::app::App;
use crate::app::dialog::{
    ConsolidateView, Dialog, Form, HistoryView, ModelPicker, SnapshotQuestion, SnapshotsView,
};
use crate::app::editor::{EditorState, MemoryEditor};
use crate::app::keymap::{BINDINGS, Keymap, Scope};
use crate::clock::format_utc;

/// A centred rectangle of at most `width` × `height`.
fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

fn frame(t: &Theme, title: &str, area: Rect, buf: &mut Buffer) -> Rect {
    Clear.render(area, buf);
    let title = Line::from(Span::styled(format!(" {title} "), Style::new().bold()));
    super::bordered(buf, area, t.focused_border, &title)
}

fn lines_at(lines: &[Line], area: Rect, buf: &mut Buffer) {
    for (i, line) in lines.iter().take(usize::from(area.height)).enumerate() {
        put_line(
            buf,
            area.x,
            area.y + u16::try_from(i).unwrap_or(0),
            line,
            area.width,
        );
    }
}

pub fn draw(app: &App, t: &Theme, dialog: &Dialog, screen: Rect, buf: &mut Buffer) {
    match dialog {
        Dialog::Help { scroll } => help(t, &app.keymap, *scroll, screen, buf),
        Dialog::Form(_, form) => draw_form(t, form, screen, buf),
        Dialog::ConfirmCloseTab(id) => {
            let name = app
                .tabs
                .iter()
                .find(|t| t.id == *id)
                .map_or_else(String::new, |t| t.persona.name.clone());
            confirm(
                t,
                "Close tab",
                &format!("Close {name}'s tab? Its conversation is lost (memory files stay)."),
                screen,
                buf,
            );
        }
        Dialog::ConfirmDelete(path) => confirm(
            t,
            "Delete",
            &format!(
                "Delete {}? You can undo with u for a few seconds, and restore it from the history later.",
                sanitize(path)
            ),
            screen,
            buf,
        ),
        Dialog::ConfirmQuit => confirm(
            t,
            "Quit",
            "A turn is streaming or an edit is unsaved. Quit anyway?",
            screen,
            buf,
        ),
        Dialog::History(view) => history(t, view, app.wall_ms, screen, buf),
        Dialog::Consolidate(view) => consolidate(t, view, screen, buf),
        Dialog::Snapshots(view) => snapshots(t, view, screen, buf),
        Dialog::Personas { selected } => personas(app, t, *selected, screen, buf),
        Dialog::Models(picker) => {
            let current = app.active_tab().and_then(|t| t.model.as_deref());
            models(t, picker, current, screen, buf);
        }
    }
}

fn snapshots(t: &Theme, view: &SnapshotsView, screen: Rect, buf: &mut Buffer) {
    let area = centered(screen, 70, screen.height.saturating_sub(4).min(18));
    let inner = frame(t, "Memory snapshots", area, buf);
    let mut lines = Vec::new();
    match &view.list {
        None => lines.push(Line::from(Span::styled("loading…", t.dim))),
        Some(Err(e)) => lines.push(Line::from(Span::styled(sanitize(e), t.error))),
        Some(Ok(list)) if list.is_empty() => lines.push(Line::from(Span::styled(
            "no snapshots yet: s saves the store as it is now",
            t.dim,
        ))),
        Some(Ok(list)) => {
            for (i, s) in list.iter().enumerate() {
                let text = format!(
                    "{:<30} {}  {} file(s)",
                    sanitize(&s.name),
                    format_utc(s.created_ms),
                    s.files
                );
                lines.push(list_row(t, text, i == view.selected));
            }
        }
    }
    let body = Rect::new(
        inner.x,
        inner.y,
        inner.width,
        inner.height.saturating_sub(3),
    );
    list_lines(&lines, view.selected, body, buf);
    let question = match &view.confirm {
        Some(SnapshotQuestion::Restore(name)) => Some(format!(
            "Make the memory store what {name} holds? What is there now stays in the history. y / n"
        )),
        Some(SnapshotQuestion::Reset) => Some(
            "Reset the demo: save a snapshot, clear every memory, start every conversation over? y / n"
                .to_owned(),
        ),
        Some(SnapshotQuestion::Clear) => Some(
            "Clear the memories: save a snapshot, then delete every memory file; the conversations stay? y / n"
                .to_owned(),
        ),
        None => None,
    };
    if let Some(question) = question {
        let at = Rect::new(inner.x, body.bottom(), inner.width, 2);
        let rows: Vec<Line> = wrap(&sanitize(&question), usize::from(inner.width))
            .into_iter()
            .take(2)
            .map(|l| Line::from(Span::styled(l, t.warn)))
            .collect();
        lines_at(&rows, at, buf);
    }
    bottom_hints(
        t,
        &[
            ("s", "save"),
            ("Enter", "restore"),
            ("c", "clear memories"),
            ("r", "reset the demo"),
            ("Esc", "close"),
        ],
        inner,
        buf,
    );
}

/// The other side of a save conflict: who changed the file and how (their lines against the
/// text this editor opened), so the choice is made knowing what is lost.
fn conflict_diff(
    t: &Theme,
    editor: &crate::app::editor::MemoryEditor,
    conflict: &crate::app::editor::Conflict,
    area: Rect,
    buf: &mut Buffer,
) {
    let who = editor
        .changed_by
        .as_deref()
        .map_or_else(|| "someone else".to_owned(), sanitize);
    let mut lines = Vec::new();
    match &conflict.theirs {
        None => lines.push(Line::from(Span::styled(
            format!("{who} deleted the file. Your text is kept: o saves it as a new file."),
            t.warn,
        ))),
        Some(_) => {
            lines.push(Line::from(Span::styled(
                format!("{who} changed the file while you edited it; their change:"),
                t.warn,
            )));
            let theirs = conflict.their_text().unwrap_or_default();
            let diff = similar::TextDiff::from_lines(editor.original_text(), theirs.as_str());
            for change in diff.iter_all_changes() {
                let text = change.value().trim_end_matches('\n');
                let (sign, style) = match change.tag() {
                    similar::ChangeTag::Delete => ("- ", t.error),
                    similar::ChangeTag::Insert => ("+ ", t.ok),
                    similar::ChangeTag::Equal => continue,
                };
                lines.push(Line::from(Span::styled(
                    format!("{sign}{}", sanitize(text)),
                    style,
                )));
            }
            if lines.len() == 1 {
                lines.push(Line::from(Span::styled("(the same text as yours)", t.dim)));
            }
        }
    }
    lines_at(&lines, area, buf);
}

/// Ctrl+T: the team, marked where a tab is open, then "someone new".
fn personas(app: &App, t: &Theme, selected: usize, screen: Rect, buf: &mut Buffer) {
    let rows = u16::try_from(app.team.len() + 4).unwrap_or(u16::MAX);
    let area = centered(screen, 56, rows.min(screen.height.saturating_sub(2)));
    let inner = frame(t, "New tab (Enter opens, Esc closes)", area, buf);
    let mut lines = Vec::new();
    for (i, p) in app.team.iter().enumerate() {
        let open = app
            .tabs
            .iter()
            .any(|tab| tab.persona.name.eq_ignore_ascii_case(&p.name));
        let text = format!(
            "{:<12} {}{}",
            sanitize(&p.name),
            sanitize(&p.role),
            if open {
                "  (open: Enter goes to it)"
            } else {
                ""
            }
        );
        lines.push(list_row(t, text, i == selected));
    }
    lines.push(list_row(
        t,
        "Someone new… (a name and a role)".to_owned(),
        selected == app.team.len(),
    ));
    list_lines(&lines, selected, inner, buf);
}

fn models(t: &Theme, picker: &ModelPicker, current: Option<&str>, screen: Rect, buf: &mut Buffer) {
    let area = centered(screen, 100, screen.height.saturating_sub(4).min(20));
    let inner = frame(t, "Model for this tab", area, buf);
    let mut lines = Vec::new();
    let mark = |on: bool| if on { "● " } else { "  " };
    let row = |i: usize, text: String| list_row(t, text, i == picker.selected);
    lines.push(row(
        0,
        format!("{}the configured model", mark(current.is_none())),
    ));
    match &picker.models {
        None => lines.push(Line::from(Span::styled("  loading…", t.dim))),
        Some(models) => {
            for (i, m) in models.iter().enumerate() {
                let mut text = format!(
                    "{}{:<28} {:<20}",
                    mark(current == Some(m.id.as_str())),
                    sanitize(&m.id),
                    sanitize(&m.display_name)
                );
                // What the models list says: context, output, thinking, compaction.
                let limits = m.limits.summary();
                if !limits.is_empty() {
                    text.push(' ');
                    text.push_str(&limits);
                }
                lines.push(row(i + 1, text));
            }
        }
    }
    let note_rows = u16::from(picker.note.is_some()) * 2;
    let body = Rect::new(
        inner.x,
        inner.y,
        inner.width,
        inner.height.saturating_sub(1 + note_rows),
    );
    list_lines(&lines, picker.selected, body, buf);
    if let Some(note) = &picker.note {
        let at = Rect::new(inner.x, body.y + body.height, inner.width, 2);
        let wrapped: Vec<Line> = wrap(
            &format!("{}: the built-in list", sanitize(note)),
            usize::from(inner.width),
        )
        .into_iter()
        .take(2)
        .map(|l| Line::from(Span::styled(l, t.dim)))
        .collect();
        lines_at(&wrapped, at, buf);
    }
    bottom_hints(
        t,
        &[("↑↓", "select"), ("Enter", "use it"), ("Esc", "close")],
        inner,
        buf,
    );
}

/// The consolidation dialog: the proposal as a diff, then what was applied or undone.
fn consolidate(t: &Theme, view: &ConsolidateView, screen: Rect, buf: &mut Buffer) {
    let area = centered(screen, 100, screen.height.saturating_sub(4));
    let inner = frame(t, "Consolidate memory", area, buf);
    let width = usize::from(inner.width).max(1);
    let mut lines: Vec<Line> = Vec::new();
    let say = |text: &str, style: Style, lines: &mut Vec<Line>| {
        for row in wrap(&sanitize(text), width) {
            lines.push(Line::from(Span::styled(row, style)));
        }
    };
    match (&view.plan, &view.applied, &view.undone) {
        (None, ..) => say(
            "looking for repeats, contradictions and duplicates…",
            t.dim,
            &mut lines,
        ),
        (Some(Err(e)), ..) => say(e, t.error, &mut lines),
        (Some(Ok(plan)), None, _) if plan.is_empty() => say(
            "Nothing to consolidate: no repeated lines, contradicted facts or duplicate files.",
            t.dim,
            &mut lines,
        ),
        (Some(Ok(plan)), None, _) => {
            say(
                &format!("Proposed: {}.", plan.summary()),
                t.strong,
                &mut lines,
            );
            for (mark, text) in plan.diff() {
                let (prefix, style) = match mark {
                    '#' => ("", t.path),
                    '+' => ("+ ", t.ok),
                    '-' => ("- ", t.error),
                    _ => ("  ", t.dim),
                };
                say(&format!("{prefix}{text}"), style, &mut lines);
            }
        }
        (Some(Ok(_)), Some((_, Some(why))), _) => {
            say(&format!("Not applied: {why}."), t.error, &mut lines);
            say(
                "Close it (Esc) and ask again for a proposal made from the files as they are now.",
                t.dim,
                &mut lines,
            );
        }
        (Some(Ok(_)), Some((changes, None)), undone) => {
            let done = format!(
                "Applied as one operation, as \"{}\": {} file(s) written.",
                crate::memory::consolidate::ACTOR,
                changes.len()
            );
            say(&done, t.ok, &mut lines);
            for change in changes {
                say(&format!("  {}", change.title()), t.dim, &mut lines);
            }
            if let Some(summary) = undone {
                say(&format!("↶ {summary}"), t.warn, &mut lines);
            }
        }
    }
    let body = Rect::new(
        inner.x,
        inner.y,
        inner.width,
        inner.height.saturating_sub(1),
    );
    let top = view
        .scroll
        .min(lines.len().saturating_sub(usize::from(body.height)));
    lines_at(&lines[top.min(lines.len())..], body, buf);
    let hints: &[(&str, &str)] = match (&view.plan, &view.applied, &view.undone) {
        _ if view.busy => &[("", "working…")],
        (Some(Ok(plan)), None, _) if !plan.is_empty() => &[
            ("↑↓", "scroll"),
            ("Enter", "apply"),
            ("Esc", "close, nothing written"),
        ],
        (_, Some((changes, _)), None) if !changes.is_empty() => {
            &[("u", "undo it all"), ("Esc", "close")]
        }
        _ => &[("Esc", "close")],
    };
    bottom_hints(t, hints, inner, buf);
}

/// A row of a list, highlighted when it is the selected one.
fn list_row(t: &Theme, text: String, selected: bool) -> Line<'static> {
    let style = if selected { t.selected } else { Style::new() };
    Line::from(Span::styled(text, style))
}

/// Draw a list's `lines` in `body`, scrolled so that line `selected` is in view.
fn list_lines(lines: &[Line<'_>], selected: usize, body: Rect, buf: &mut Buffer) {
    let top = selected.saturating_sub(usize::from(body.height).saturating_sub(1));
    lines_at(&lines[top.min(lines.len())..], body, buf);
}

fn confirm(t: &Theme, title: &str, text: &str, screen: Rect, buf: &mut Buffer) {
    let area = centered(screen, 56, 7);
    let inner = frame(t, title, area, buf);
    let mut lines: Vec<Line> = wrap(text, usize::from(inner.width))
        .into_iter()
        .map(Line::from)
        .collect();
    lines.push(Line::default());
    lines.push(t.key_hints(&[("y", "yes"), ("n / Esc", "no")], "   "));
    lines_at(&lines, inner, buf);
}

/// Width of one column of the help.
const HELP_COLUMN: u16 = 76;

/// The help: every key by where it applies. On a wide screen it is two columns, split at a
/// section; whatever does not fit says so on its last line and scrolls.
fn help(t: &Theme, keymap: &Keymap, scroll: usize, screen: Rect, buf: &mut Buffer) {
    let lines = help_lines(t, keymap);
    let two = screen.width >= HELP_COLUMN * 2 + 4;
    let width = if two {
        HELP_COLUMN * 2 + 3
    } else {
        HELP_COLUMN + 2
    };
    let columns: Vec<&[Line]> = if two {
        let (left, right) = lines.split_at(help_split(&lines));
        vec![left, right]
    } else {
        vec![&lines[..]]
    };
    let tallest = columns.iter().map(|c| c.len()).max().unwrap_or(0);
    let fits = u16::try_from(tallest + 2).unwrap_or(u16::MAX);
    let area = centered(screen, width, fits.min(screen.height.saturating_sub(2)));
    let inner = frame(t, "Keys (Esc closes, ↑↓ scroll)", area, buf);
    let height = usize::from(inner.height);
    // A line is kept for "more below" when the columns do not fit.
    let shown = if tallest > height {
        height.saturating_sub(1)
    } else {
        height
    };
    let top = scroll.min(tallest.saturating_sub(shown));
    for (i, column) in columns.iter().enumerate() {
        let offset = u16::try_from(i).unwrap_or(0) * (HELP_COLUMN + 1);
        let rect = Rect::new(
            inner.x + offset,
            inner.y,
            inner.width.saturating_sub(offset).min(HELP_COLUMN),
            u16::try_from(shown).unwrap_or(inner.height),
        );
        lines_at(column.get(top..).unwrap_or_default(), rect, buf);
    }
    if top + shown < tallest {
        let more = tallest - top - shown;
        let line = Line::from(Span::styled(
            format!("↓ {more} more line(s): ↓ or PageDown scrolls"),
            t.warn,
        ));
        put_line(buf, inner.x, inner.y + inner.height - 1, &line, inner.width);
    }
}

/// The help's lines: a title per scope, then its keys and what they do.
fn help_lines(t: &Theme, keymap: &Keymap) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let mut scope: Option<Scope> = None;
    for binding in BINDINGS {
        if scope != Some(binding.scope) {
            if scope.is_some() {
                lines.push(Line::default());
            }
            scope = Some(binding.scope);
            lines.push(Line::from(Span::styled(
                binding.scope.title(),
                Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            )));
        }
        let keys = keymap.keys_of(binding);
        lines.push(Line::from(vec![
            // At least one space between the keys and what they do.
            Span::styled(format!("  {keys:<29} "), t.key),
            Span::raw(binding.what),
        ]));
    }
    lines
}

/// Where the second column starts: the section title nearest the middle.
fn help_split(lines: &[Line]) -> usize {
    let middle = lines.len() / 2;
    (1..lines.len())
        .filter(|&i| lines[i - 1].spans.is_empty() && !lines[i].spans.is_empty())
        .min_by_key(|&i| i.abs_diff(middle))
        .unwrap_or(middle)
}

fn draw_form(t: &Theme, form: &Form, screen: Rect, buf: &mut Buffer) {
    let height = u16::try_from(form.fields.len() * 2 + 4).unwrap_or(12);
    let area = centered(screen, 60, height);
    let inner = frame(t, &form.title, area, buf);
    let mut y = inner.y;
    for (i, field) in form.fields.iter().enumerate() {
        let focused = i == form.focus;
        buf.set_string(
            inner.x,
            y,
            format!("{}:", field.label),
            if focused { t.key } else { t.dim },
        );
        let input_area = Rect::new(inner.x + 2, y + 1, inner.width.saturating_sub(2), 1);
        super::bars::render_text_field(&field.input, focused, input_area, buf);
        y += 2;
    }
    if let Some(error) = &form.error {
        buf.set_stringn(
            inner.x,
            y,
            sanitize(error),
            usize::from(inner.width),
            t.error,
        );
    }
    bottom_hints(
        t,
        &[("Enter", "ok"), ("Tab", "next field"), ("Esc", "cancel")],
        inner,
        buf,
    );
}

fn history(t: &Theme, view: &HistoryView, now_ms: u64, screen: Rect, buf: &mut Buffer) {
    let area = centered(screen, 80, screen.height.saturating_sub(4));
    let inner = frame(
        t,
        &format!("History of {}", sanitize(&view.path)),
        area,
        buf,
    );
    let mut lines = Vec::new();
    match &view.entries {
        None => lines.push(Line::from(Span::styled("loading…", t.dim))),
        Some(Err(e)) => lines.push(Line::from(Span::styled(sanitize(e), t.error))),
        Some(Ok(_)) => {
            let versions = view.versions();
            if versions.is_empty() {
                lines.push(Line::from(Span::styled("no recorded versions", t.dim)));
            }
            for (i, entry) in versions.iter().enumerate() {
                let version = entry
                    .new
                    .as_ref()
                    .or(entry.old.as_ref())
                    .map_or("", |v| v.short());
                let ago = now_ms.saturating_sub(entry.ts_ms) / 1000;
                let text = format!(
                    "{}  {:<10} {:<12} {version}  ({ago} s ago)",
                    format_utc(entry.ts_ms),
                    sanitize(&entry.actor),
                    entry.op,
                );
                lines.push(list_row(t, text, i == view.selected));
            }
        }
    }
    let body = Rect::new(
        inner.x,
        inner.y,
        inner.width,
        inner.height.saturating_sub(1),
    );
    list_lines(&lines, view.selected, body, buf);
    bottom_hints(
        t,
        &[
            ("↑↓", "select"),
            ("Enter", "restore this version"),
            ("Esc", "close"),
        ],
        inner,
        buf,
    );
}

/// A dialog's keys on the last row inside it.
fn bottom_hints(t: &Theme, keys: &[(&str, &str)], inner: Rect, buf: &mut Buffer) {
    let hint = t.key_hints(keys, "  ");
    put_line(
        buf,
        inner.x,
        inner.bottom().saturating_sub(1),
        &hint,
        inner.width,
    );
}

/// The editor fills the body (chat and panel).
pub fn editor(t: &Theme, editor: &MemoryEditor, area: Rect, buf: &mut Buffer) {
    let mut title = vec![Span::styled(
        format!(" Editing {} ", sanitize(&editor.path)),
        Style::new().bold(),
    )];
    if editor.base.is_none() {
        title.push(Span::styled("(new file) ", t.dim));
    }
    if editor.is_dirty() {
        title.push(Span::styled("● modified ", t.warn));
    }
    Clear.render(area, buf);
    let inner = super::bordered(buf, area, t.focused_border, &Line::from(title));
    if inner.height < 3 {
        return;
    }
    let bar_height = 2;
    let text = Rect::new(inner.x, inner.y, inner.width, inner.height - bar_height);
    if let EditorState::Conflict(conflict) = &editor.state {
        conflict_diff(t, editor, conflict, text, buf);
    } else {
        editor.area.render(text, buf);
    }
    let bar = Rect::new(inner.x, text.bottom(), inner.width, bar_height);
    let (message, keys): (Line, Line) = match &editor.state {
        EditorState::Conflict(conflict) => {
            let what = match (&conflict.theirs, &editor.message) {
                (_, Some(m)) => m.clone(),
                (Some(_), None) => {
                    "This file changed since you opened it; nothing was saved.".to_owned()
                }
                (None, None) => {
                    "This file was deleted since you opened it; nothing was saved.".to_owned()
                }
            };
            let mut keys = Vec::new();
            if editor.merged().is_some() {
                keys.push(("m", "merge both (different lines)"));
            }
            keys.extend([
                ("r", "take theirs"),
                ("o", "overwrite (theirs stays in the history)"),
                ("k", "keep editing"),
            ]);
            (
                Line::from(Span::styled(
                    sanitize(&what),
                    t.error.add_modifier(Modifier::BOLD),
                )),
                t.key_hints(&keys, "   "),
            )
        }
        EditorState::ConfirmDiscard => (
            Line::from(Span::styled("Discard the unsaved changes?", t.warn)),
            t.key_hints(&[("y", "discard"), ("n", "keep editing")], "   "),
        ),
        EditorState::Saving => (Line::from(Span::styled("saving…", t.dim)), Line::default()),
        EditorState::Editing => {
            let message = match (&editor.changed_by, &editor.message) {
                (Some(who), _) => Line::from(Span::styled(
                    format!(
                        "{} changed this file on disk; saving will ask what to keep",
                        sanitize(who)
                    ),
                    t.warn,
                )),
                (None, Some(m)) => Line::from(Span::styled(sanitize(m), t.ok)),
                (None, None) => Line::default(),
            };
            (
                message,
                t.key_hints(&[("Ctrl+S", "save"), ("Esc", "close")], "   "),
            )
        }
    };
    put_line(buf, bar.x, bar.y, &message, bar.width);
    put_line(buf, bar.x, bar.y + 1, &keys, bar.width);
}
