//! The memory panel: the tree with size, age and who changed each file (or is writing it now),
//! the open file with line numbers, and the panel's keys.

use std::collections::HashMap;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use serde_json::Value;
use unicode_width::UnicodeWidthStr;

use super::text::{highlight, put_line, put_str, sanitize, wrap};
use super::theme::Theme;
use crate::app::App;
use crate::app::HUMAN_ACTOR;
use crate::app::keymap::{Focus, Intent};
use crate::app::panel::depth;
use crate::chat::transcript::{Item, ToolStatus};
use crate::memory::format_size;

pub fn draw(app: &App, t: &Theme, area: Rect, buf: &mut Buffer) {
    let focused = app.focus == Focus::Panel;
    let title = Line::from(vec![
        Span::styled(" Memory ", Style::new().bold()),
        Span::styled(format!("· {} ", app.labels.store), t.dim),
    ]);
    let inner = super::bordered(buf, area, t.border(focused), &title);
    if inner.height < 4 || inner.width < 10 {
        return;
    }
    let panel = &app.panel;
    let footer_height = 2;
    let open_height = if panel.open.is_some() {
        (inner.height.saturating_sub(footer_height)) / 2
    } else {
        0
    };
    let tree_height = inner.height - footer_height - open_height;
    let tree = Rect::new(inner.x, inner.y, inner.width, tree_height);
    if let Some(find) = app.find.as_ref().filter(|f| f.in_panel) {
        draw_found(app, find, t, tree, buf);
    } else if panel.board_shown {
        draw_board(app, t, tree, buf);
    } else {
        draw_tree(app, t, tree, buf);
    }
    if open_height > 0 {
        let viewer = Rect::new(inner.x, tree.bottom(), inner.width, open_height);
        draw_open_file(app, t, viewer, buf);
    }
    let footer = Rect::new(
        inner.x,
        inner.bottom() - footer_height,
        inner.width,
        footer_height,
    );
    draw_footer(app, t, focused, footer, buf);
}

/// Paths a running turn is writing right now, and who.
fn writers(app: &App) -> HashMap<String, (String, String)> {
    let mut out = HashMap::new();
    for tab in &app.tabs {
        for item in tab.current_turn() {
            let Item::Tool(card) = item else { continue };
            if matches!(
                card.status,
                ToolStatus::Writing | ToolStatus::Ready | ToolStatus::Running
            ) {
                let fields = card.fields();
                let command = fields.get("command").and_then(Value::as_str).unwrap_or("");
                if command == "view" {
                    continue;
                }
                for key in ["path", "old_path", "new_path"] {
                    if let Some(path) = fields.get(key).and_then(Value::as_str) {
                        let who = (tab.persona.name.clone(), tab.persona.color.clone());
                        out.insert(path.trim_end_matches('/').to_owned(), who);
                    }
                }
            }
        }
    }
    out
}

fn age(now_ms: u64, then_ms: u64) -> String {
    let s = now_ms.saturating_sub(then_ms) / 1000;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86_400 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86_400),
    }
}

/// The style of an actor's name: its persona's colour, or plain for you and external.
fn actor_style(app: &App, t: &Theme, actor: &str) -> Style {
    app.tabs
        .iter()
        // `Alice@laptop-2`: Alice, on another machine sharing the store.
        .find(|tab| tab.persona.name == actor.split('@').next().unwrap_or(actor))
        .map_or(t.dim, |tab| Style::new().fg(t.color(&tab.persona.color)))
}

/// Instead of the tree: why there is none (an error, still loading, empty); `false` when
/// there is a tree to draw.
fn tree_message(app: &App, t: &Theme, area: Rect, buf: &mut Buffer) -> bool {
    let panel = &app.panel;
    if let Some(error) = &panel.listing_error {
        for (i, row) in wrap(&sanitize(error), usize::from(area.width))
            .into_iter()
            .enumerate()
        {
            let y = area.y + u16::try_from(i).unwrap_or(u16::MAX);
            if y < area.bottom() {
                buf.set_stringn(area.x, y, row, usize::from(area.width), t.error);
            }
        }
    } else if !panel.loaded {
        buf.set_string(area.x, area.y, "loading…", t.dim);
    } else if panel.rows.is_empty() {
        buf.set_stringn(
            area.x,
            area.y,
            "(empty: n creates a file)",
            usize::from(area.width),
            t.dim,
        );
    } else {
        return false;
    }
    true
}

fn draw_tree(app: &App, t: &Theme, area: Rect, buf: &mut Buffer) {
    let panel = &app.panel;
    let mut hits = app.hits.borrow_mut();
    hits.tree.clear();
    if tree_message(app, t, area, buf) {
        return;
    }
    let writers = writers(app);
    let visible = panel.visible();
    let selected = panel
        .selected
        .as_ref()
        .and_then(|p| visible.iter().position(|&i| &panel.rows[i].path == p));
    let height = usize::from(area.height);
    let first = selected.map_or(0, |s| s.saturating_sub(height.saturating_sub(1)));
    let width = usize::from(area.width);
    for (line, &i) in visible.iter().skip(first).take(height).enumerate() {
        let row = &panel.rows[i];
        let y = area.y + u16::try_from(line).unwrap_or(u16::MAX);
        hits.tree.push((y, i));
        let name = sanitize(row.path.rsplit('/').next().unwrap_or(&row.path));
        let indent = "  ".repeat(depth(&row.path));
        let icon = if row.is_dir {
            if panel.folded.contains(&row.path) {
                "▸ "
            } else {
                "▾ "
            }
        } else {
            "  "
        };
        let left = format!("{indent}{icon}{name}{}", if row.is_dir { "/" } else { "" });
        let mut right: Vec<Span> = Vec::new();
        let leased = app
            .leases
            .iter()
            .find(|l| l.subject == row.path && l.expires_ms > app.wall_ms);
        if let Some(lease) = leased {
            // Held: "✎ you, 40 s" (the panel's editor is "you").
            let mut badge = lease.clone();
            if badge.holder == HUMAN_ACTOR {
                "you".clone_into(&mut badge.holder);
            }
            let style = actor_style(app, t, &lease.holder).patch(Style::new().bold());
            right.push(Span::styled(
                format!("✎ {}", sanitize(&badge.badge(app.wall_ms))),
                style,
            ));
        } else if let Some((who, color)) = writers.get(&row.path) {
            right.push(Span::styled(format!("✎ {who} "), t.persona(color)));
        } else {
            if !row.is_dir {
                right.push(Span::styled(
                    format!("{:>5} ", format_size(row.size)),
                    t.dim,
                ));
            }
            if let Some(ms) = row.changed_ms {
                right.push(Span::styled(format!("{:>3} ", age(app.wall_ms, ms)), t.dim));
            }
            if let Some(actor) = &row.actor {
                let shown = if actor == HUMAN_ACTOR {
                    "you"
                } else {
                    actor.as_str()
                };
                right.push(Span::styled(shown.to_owned(), actor_style(app, t, actor)));
            }
        }
        let right_width: usize = right.iter().map(|s| s.content.width()).sum();
        let room = width.saturating_sub(right_width + 1);
        let mut base = if row.is_dir {
            Style::new().bold()
        } else {
            Style::new()
        };
        if panel.flashes.contains_key(&row.path) {
            base = base.patch(t.flash);
        }
        if Some(line + first) == selected {
            base = base.patch(t.selected);
        }
        buf.set_style(Rect::new(area.x, y, area.width, 1), base);
        put_str(buf, area.x, y, &left, area.width, base);
        if left.width() > room {
            buf.set_stringn(area.x + u16::try_from(room).unwrap_or(0), y, "…", 1, base);
        }
        let x = area.x + u16::try_from(width.saturating_sub(right_width)).unwrap_or(0);
        put_line(
            buf,
            x,
            y,
            &Line::from(right),
            u16::try_from(right_width).unwrap_or(0),
        );
    }
}

/// The panel's search results in the tree's place: a row per file whose name matched and per
/// line that did (`path:line  text`), the one shown now selected, every hit marked.
fn draw_found(app: &App, find: &crate::app::find::Find, t: &Theme, area: Rect, buf: &mut Buffer) {
    let width = usize::from(area.width);
    let say = |text: &str, style: Style, buf: &mut Buffer| {
        for (i, row) in wrap(text, width).into_iter().enumerate() {
            let y = area.y + u16::try_from(i).unwrap_or(u16::MAX);
            if y < area.bottom() {
                buf.set_stringn(area.x, y, row, width, style);
            }
        }
    };
    match &app.panel.found {
        _ if find.query.is_empty() => {
            say("Type to find memory files by name and text.", t.dim, buf);
            return;
        }
        None => {
            say("searching…", t.dim, buf);
            return;
        }
        Some((_, Err(e))) => {
            say(&format!("cannot search: {}", sanitize(e)), t.error, buf);
            return;
        }
        Some((_, Ok(_))) => {}
    }
    let hits = app.panel.found_hits();
    if hits.is_empty() {
        let query = sanitize(&find.query);
        say(&format!("No memory file holds “{query}”."), t.dim, buf);
        return;
    }
    let current = find.current % hits.len();
    let height = usize::from(area.height);
    let first = current.saturating_sub(height.saturating_sub(1));
    for (row, hit) in hits.iter().enumerate().skip(first).take(height) {
        let y = area.y + u16::try_from(row - first).unwrap_or(u16::MAX);
        let name = sanitize(hit.path.strip_prefix("/memories/").unwrap_or(&hit.path));
        let text = match &hit.line {
            None => name,
            Some((n, line)) => format!("{name}:{n}  {}", sanitize(line.trim())),
        };
        let base = if row == current {
            t.selected
        } else {
            Style::new()
        };
        buf.set_style(Rect::new(area.x, y, area.width, 1), base);
        put_str(buf, area.x, y, &text, area.width, base);
        highlight(buf, (area.x, y, area.width), &text, &find.query, None, t);
    }
}

/// An open file's rows in the viewer: its description, then its numbered lines wrapped; and
/// the first row of each line (for a search hit's line). Each row's text is its second span.
fn file_rows(
    t: &Theme,
    description: Option<&str>,
    text: &str,
    width: usize,
) -> (Vec<Line<'static>>, Vec<usize>) {
    let text_width = width.saturating_sub(5).max(1);
    let mut rows: Vec<Line> = Vec::new();
    if let Some(description) = description {
        for row in wrap(&sanitize(description), text_width) {
            rows.push(Line::from(vec![
                Span::raw("    "),
                Span::styled(row, t.dim.italic()),
            ]));
        }
    }
    let mut line_rows = Vec::new();
    for (n, line) in text.lines().enumerate() {
        line_rows.push(rows.len());
        for (k, row) in wrap(&sanitize(line), text_width).into_iter().enumerate() {
            let number = if k == 0 {
                format!("{:>3} ", n + 1)
            } else {
                "    ".to_owned()
            };
            rows.push(Line::from(vec![
                Span::styled(number, t.dim),
                Span::raw(row),
            ]));
        }
    }
    (rows, line_rows)
}

fn draw_open_file(app: &App, t: &Theme, area: Rect, buf: &mut Buffer) {
    let Some(open) = &app.panel.open else { return };
    let width = usize::from(area.width);
    // A typed memory's header: its type in the title, its description above the text.
    let header = match &open.content {
        Some(Ok(file)) => crate::memory::front::of(&file.text),
        _ => None,
    };
    let kind = header
        .as_ref()
        .and_then(|h| h.kind)
        .map(|k| format!("· {k} "))
        .unwrap_or_default();
    buf.set_stringn(area.x, area.y, "─".repeat(width), width, t.dim);
    let title = format!("─ {} ", sanitize(&open.path));
    buf.set_stringn(area.x, area.y, &title, width, Style::new().bold());
    let title_width = unicode_width::UnicodeWidthStr::width(title.as_str());
    if !kind.is_empty() && title_width < width {
        buf.set_stringn(
            area.x + u16::try_from(title_width).unwrap_or(u16::MAX),
            area.y,
            &kind,
            width - title_width,
            t.marker,
        );
    }
    let body = Rect::new(
        area.x,
        area.y + 1,
        area.width,
        area.height.saturating_sub(1),
    );
    let file = match &open.content {
        None => {
            buf.set_string(body.x, body.y, "loading…", t.dim);
            return;
        }
        Some(Err(error)) => {
            for (i, row) in wrap(&sanitize(error), width).into_iter().enumerate() {
                let y = body.y + u16::try_from(i).unwrap_or(u16::MAX);
                if y < body.bottom() {
                    buf.set_stringn(body.x, y, row, width, t.error);
                }
            }
            return;
        }
        Some(Ok(file)) => file,
    };
    let description = header.and_then(|h| h.description);
    let (rows, line_rows) = file_rows(t, description.as_deref(), &file.text, width);
    let height = usize::from(body.height);
    let max_top = rows.len().saturating_sub(height);
    // A search hit's line: a couple of rows below the top.
    let focus_row = open
        .focus_line
        .and_then(|n| line_rows.get(n.saturating_sub(1)).copied());
    let top = match focus_row {
        Some(row) => row.saturating_sub(2).min(max_top),
        None => open.scroll.min(max_top),
    };
    open.shown_top.set(top);
    let query = app
        .find
        .as_ref()
        .filter(|f| f.in_panel && !f.query.is_empty())
        .map(|f| f.query.as_str());
    for (i, line) in rows.iter().enumerate().skip(top).take(height) {
        let y = body.y + u16::try_from(i - top).unwrap_or(u16::MAX);
        put_line(buf, body.x, y, line, body.width);
        if let Some(query) = query
            && let Some(text) = line.spans.get(1)
        {
            // The text after the four columns of line numbers; the hit's own line reversed.
            let current = (focus_row == Some(i))
                .then(|| {
                    crate::app::find::columns(&text.content, query)
                        .first()
                        .map(|c| c.0)
                })
                .flatten();
            let x = body.x + 4;
            let room = body.width.saturating_sub(4);
            highlight(buf, (x, y, room), &text.content, query, current, t);
        }
    }
}

fn draw_footer(app: &App, t: &Theme, focused: bool, area: Rect, buf: &mut Buffer) {
    let width = usize::from(area.width);
    let panel = &app.panel;
    if let Some(notice) = &panel.notice {
        let style = if notice.error { t.error } else { t.ok };
        buf.set_stringn(area.x, area.y, sanitize(&notice.text), width, style);
    } else if let Some((path, _)) = &panel.undo {
        buf.set_stringn(
            area.x,
            area.y,
            format!("deleted {path} · u undoes"),
            width,
            t.warn,
        );
    }
    let hide = app.keymap.short(Intent::TogglePanel);
    let keys: &[(&str, &str)] = if focused && panel.board_shown {
        &[
            ("↑↓", "select"),
            ("Enter", "open"),
            ("n", "new task"),
            ("r", "reassign"),
            ("d", "close"),
            ("b", "tree"),
        ]
    } else if focused && panel.open.is_none() {
        // Letters type the message until a file is open (see App::on_key).
        &[
            ("↑↓", "select"),
            ("Enter", "open"),
            ("^N", "new"),
            ("Del", "delete"),
            (&hide, "hide"),
        ]
    } else if focused {
        &[
            ("e", "edit"),
            ("n", "new"),
            ("r", "rename"),
            ("d", "delete"),
            ("h", "history"),
            ("y", "copy"),
            (&hide, "hide"),
        ]
    } else {
        &[("Tab", "focus the panel"), (&hide, "hide")]
    };
    put_line(
        buf,
        area.x,
        area.y + 1,
        &t.key_hints(keys, "  "),
        area.width,
    );
}

/// The board's first line: how many tasks are done, the team run's state, and the files held
/// right now (a model between its read and its write, the editor), since the board hides the
/// tree's badges.
fn board_head(app: &App) -> String {
    let board = &app.panel.board;
    let done = board.iter().filter(|t| t.status.is_done()).count();
    let held: Vec<String> = app
        .leases
        .iter()
        .filter(|l| l.expires_ms > app.wall_ms && l.subject.starts_with("/memories/"))
        .map(|l| {
            let name = l.subject.rsplit('/').next().unwrap_or(&l.subject);
            let who = if l.holder == HUMAN_ACTOR {
                "you"
            } else {
                &l.holder
            };
            format!("✎ {who} {name}")
        })
        .collect();
    let run = app
        .team_run
        .as_ref()
        .map_or_else(String::new, |r| format!(" · {}", r.status));
    let held = if held.is_empty() {
        String::new()
    } else {
        format!(" · {}", held.join(", "))
    };
    format!("Task board · {done}/{} done{run}{held}", board.len())
}

/// The task board instead of the tree: one row per task, its status marked (○ open, ◐
/// claimed, ✓ done), who it is for and what it waits on; a waiting task is dim.
fn draw_board(app: &App, t: &Theme, area: Rect, buf: &mut Buffer) {
    use crate::memory::board::Status;
    let panel = &app.panel;
    let width = usize::from(area.width);
    let head = board_head(app);
    buf.set_stringn(area.x, area.y, sanitize(&head), width, Style::new().bold());
    if let Some(error) = &panel.board_error {
        buf.set_stringn(area.x, area.y + 1, sanitize(error), width, t.error);
        return;
    }
    if panel.board.is_empty() {
        let hint = format!(
            "(no tasks: n opens one; {} lets the team work the demo script)",
            app.keymap.label(Intent::TeamRun)
        );
        for (i, row) in wrap(&hint, width.max(1)).into_iter().enumerate() {
            let y = area.y + 1 + u16::try_from(i).unwrap_or(u16::MAX);
            if y < area.bottom() {
                buf.set_stringn(area.x, y, row, width, t.dim);
            }
        }
        return;
    }
    let rows = usize::from(area.height.saturating_sub(1));
    let first = panel.board_selected.saturating_sub(rows.saturating_sub(1));
    for (line, (i, task)) in panel
        .board
        .iter()
        .enumerate()
        .skip(first)
        .take(rows)
        .enumerate()
    {
        let y = area.y + 1 + u16::try_from(line).unwrap_or(u16::MAX);
        let waiting = task.after.iter().any(|id| {
            panel
                .board
                .iter()
                .any(|o| &o.id == id && !o.status.is_done())
        });
        let (mark, style) = match &task.status {
            Status::Done { .. } => ("✓", t.ok),
            Status::Claimed { .. } if task.status.held_at(app.wall_ms).is_some() => ("◐", t.warn),
            _ if waiting => ("…", t.dim),
            _ => ("○", Style::new()),
        };
        // The status first: titles are long and the panel narrow.
        let status = match &task.status {
            Status::Claimed {
                by,
                until: Some(until),
            } if *until > app.wall_ms => format!(
                "{by}, {}",
                crate::memory::lease::seconds(std::time::Duration::from_millis(
                    until - app.wall_ms
                ))
            ),
            Status::Claimed { by, until: None } => format!("claimed by {by}"),
            Status::Claimed { by, .. } => format!("{by}'s claim ran out"),
            Status::Done { by: Some(by) } => format!("done by {by}"),
            Status::Done { by: None } => "done".to_owned(),
            Status::Open => task
                .assignee
                .as_ref()
                .map_or_else(|| "open".to_owned(), |a| format!("for {a}")),
        };
        let mut text = format!("{mark} {status} · {}", task.title);
        if waiting && !task.status.is_done() {
            text = format!("{text} · after {}", task.after.join(", "));
        }
        let mut base = style;
        if i == panel.board_selected && app.focus == Focus::Panel {
            base = base.patch(t.selected);
        }
        buf.set_style(Rect::new(area.x, y, area.width, 1), base);
        put_str(buf, area.x, y, &sanitize(&text), area.width, base);
    }
}
