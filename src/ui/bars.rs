//! The tab bar, the message input and the status bar.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;
use unicode_width::UnicodeWidthStr;

use super::text::{put_line, sanitize};
use super::theme::{self, Theme};
use crate::app::App;
use crate::app::keymap::{Focus, Intent};
use crate::app::tab::Badge;
use crate::chat::cost::dollars;

pub fn draw_tabs(app: &App, t: &Theme, area: Rect, buf: &mut Buffer) {
    let mut hits = app.hits.borrow_mut();
    hits.tabs.clear();
    let mut x = area.x;
    for (i, tab) in app.tabs.iter().enumerate() {
        let active = i == app.active;
        let mark = match tab.badge() {
            Badge::Streaming => {
                let ms = tab
                    .started
                    .map_or(0, |s| app.now.saturating_duration_since(s).as_millis());
                Span::styled(format!(" {}", theme::spinner(ms)), t.warn)
            }
            Badge::Tool => Span::styled(" ⇄", t.key),
            Badge::Unseen => Span::styled(" •", t.ok),
            Badge::Failed => Span::styled(" ✗", t.error),
            Badge::Cancelled => Span::styled(" ⊘", t.dim),
            Badge::Quiet => Span::raw(""),
        };
        let mut name = t.persona(&tab.persona.color);
        if active {
            name = name.add_modifier(Modifier::REVERSED);
        }
        let spans = vec![
            Span::styled(format!(" {} ", i + 1), if active { t.key } else { t.dim }),
            Span::styled(format!(" {} ", sanitize(&tab.persona.name)), name),
            mark,
            Span::raw(" "),
        ];
        let line = Line::from(spans);
        let width = u16::try_from(line.width()).unwrap_or(u16::MAX);
        if x + width > area.right() {
            buf.set_string(area.right().saturating_sub(1), area.y, "…", t.dim);
            break;
        }
        put_line(buf, x, area.y, &line, width);
        hits.tabs.push((x, x + width));
        x += width;
        buf.set_string(x, area.y, "│", t.dim);
        x += 1;
    }
    let hint = format!(" {} new tab ", app.keymap.short(Intent::NewTab));
    let hint_x = area
        .right()
        .saturating_sub(u16::try_from(hint.width()).unwrap_or(0));
    if hint_x > x {
        buf.set_string(hint_x, area.y, &hint, t.dim);
    }
}

pub fn draw_input(app: &App, t: &Theme, area: Rect, buf: &mut Buffer) {
    if let Some(find) = &app.find {
        draw_find(app, find, t, area, buf);
        return;
    }
    let Some(tab) = app.active_tab() else { return };
    let focused = app.focus == Focus::Input && app.editor.is_none() && app.dialog.is_none();
    let title = Line::from(vec![
        Span::styled(
            format!(" {} ", tab.persona.name),
            t.persona(&tab.persona.color),
        ),
        Span::styled("› ", t.dim),
    ]);
    let inner = super::bordered(buf, area, t.border(focused), &title);
    render_text_field(&tab.input, focused, inner, buf);
    // The demo script's strip: on the input's bottom border.
    if let Some(strip) = app.script_strip()
        && area.height >= 2
        && area.width > 6
    {
        // Clipped to the border's length by `put_line`.
        let line = Line::from(Span::styled(format!(" ▶ {} ", sanitize(&strip)), t.warn));
        put_line(buf, area.x + 2, area.bottom() - 1, &line, area.width - 4);
    }
}

/// The open search in the message box's place: where it looks, the query and a cursor, how
/// many hits and which is shown, the keys.
fn draw_find(app: &App, find: &crate::app::find::Find, t: &Theme, area: Rect, buf: &mut Buffer) {
    let place = if find.in_panel {
        "Find in memory (names and text)".to_owned()
    } else {
        let name = app.active_tab().map_or("", |t| t.persona.name.as_str());
        format!("Find in {}'s chat", sanitize(name))
    };
    let title = Line::from(vec![
        Span::styled(format!(" {place} "), t.key),
        Span::styled("› ", t.dim),
    ]);
    let inner = super::bordered(buf, area, t.border(true), &title);
    if inner.height == 0 {
        return;
    }
    let count = match app.find_position() {
        _ if find.query.is_empty() => String::new(),
        _ if find.in_panel && app.panel.found.is_none() => "  searching…".to_owned(),
        Some((_, 0)) | None => "  no match".to_owned(),
        Some((at, n)) => format!("  {at}/{n}"),
    };
    let mut spans = vec![
        Span::raw(sanitize(&find.query)),
        Span::styled("▏", t.key),
        Span::styled(count, t.warn),
    ];
    if let Some((_, Err(e))) = app.panel.found.as_ref().filter(|_| find.in_panel) {
        spans.push(Span::styled(format!("  {}", sanitize(e)), t.error));
    }
    spans.push(Span::raw("   "));
    spans.extend(
        t.key_hints(
            &[
                ("Enter ↓", "next"),
                ("⇧Enter ↑", "previous"),
                ("Esc", "close"),
            ],
            " ",
        )
        .spans,
    );
    put_line(buf, inner.x, inner.y, &Line::from(spans), inner.width);
}

/// The usage part of the status bar: the tab's and the session's tokens and cost, where the
/// panel is on a narrow screen, and what context editing saved.
fn usage_spans(app: &App, t: &Theme) -> Vec<Span<'static>> {
    let mut left = Vec::new();
    let free = app.pricing.free;
    let money = |amount: Option<f64>| {
        amount
            .filter(|a| *a > 0.0 && !free)
            .map_or(String::new(), |a| format!("≈{} ", dollars(a)))
    };
    let costs = app.session_cost();
    if let Some(tab) = app.active_tab() {
        left.push(Span::styled(
            format!(
                "│ {} ↑{} ↓{} {}",
                tab.persona.name,
                theme::thousands(tab.transcript.total_input),
                theme::thousands(tab.transcript.total_output),
                money(costs.and_then(|_| app.tab_cost(tab)))
            ),
            Style::new(),
        ));
    }
    // On a narrow screen the panel is out of sight unless it has focus: say how to see it.
    let narrow = !crate::app::layout::panel_beside(app.size.width);
    if narrow && app.focus != Focus::Panel && app.editor.is_none() {
        let key = app.keymap.short(Intent::TogglePanel);
        left.push(Span::styled(format!("│ {key} memory "), t.key));
    }
    let (total_in, total_out) = app.session_tokens();
    left.push(Span::styled(
        format!(
            "│ session ↑{} ↓{} {}",
            theme::thousands(total_in),
            theme::thousands(total_out),
            if free {
                "free ".to_owned()
            } else {
                money(costs.map(|(total, _)| total))
            }
        ),
        t.dim,
    ));
    let preset = match app.context_editing {
        crate::provider::ContextEditing::Off => String::new(),
        crate::provider::ContextEditing::Custom { .. } => "custom · ".to_owned(),
        crate::provider::ContextEditing::Compact { .. } => {
            // Compaction saves nothing to count; it costs a summary's tokens (in the totals).
            let (count, tokens) = app.compactions();
            left.push(Span::styled(
                format!(
                    "│ ⇣ compact · {count} compaction{} · {} tokens",
                    if count == 1 { "" } else { "s" },
                    theme::thousands(tokens)
                ),
                t.dim,
            ));
            return left;
        }
        other => format!("{other} · "),
    };
    left.push(Span::styled(
        format!(
            "│ ✂ {preset}saved {} {}",
            theme::thousands(app.saved_by_context_editing()),
            money(costs.map(|(_, saved)| saved))
        ),
        t.dim,
    ));
    left
}

pub fn draw_status(app: &App, t: &Theme, area: Rect, buf: &mut Buffer) {
    let width = usize::from(area.width);
    buf.set_style(area, t.bar);
    let label = match app.active_tab().and_then(|t| t.model.as_deref()) {
        Some(model) => format!(" {} · {} ", app.labels.provider, sanitize(model)),
        None => format!(" {} ", app.labels.provider),
    };
    let mut left = vec![Span::styled(label, Style::new().bold())];
    if !app.mouse {
        let key = app.keymap.label(Intent::ToggleMouse);
        left.push(Span::styled(format!("│ mouse off ({key}) "), t.warn));
    }
    if let Some(trouble) = &app.store_trouble {
        left.push(Span::styled(format!("│ ⚠ {} ", sanitize(trouble)), t.error));
    }
    if let Some(team) = &app.team_run {
        left.push(Span::styled(
            format!("│ ⚑ {} ", sanitize(&team.status)),
            t.warn,
        ));
    }
    left.extend(usage_spans(app, t));
    // The help key always fits: on a narrow screen the saved tokens go first, then the
    // session's totals (the tab's own stay).
    let help_key = app.keymap.label(Intent::Help);
    let help = t.key_hints(&[(&help_key, "help")], " ");
    while left.len() > 2 && left.iter().map(Span::width).sum::<usize>() + help.width() >= width {
        left.pop();
    }
    let left = Line::from(left);
    put_line(buf, area.x, area.y, &left, area.width);
    let right: Line = if let Some(notice) = &app.notice {
        Line::from(Span::styled(
            format!(" {} ", sanitize(&notice.text)),
            if notice.error { t.error } else { t.ok },
        ))
    } else {
        keys_line(app, t)
    };
    // Narrow: only the help key.
    let right = if left.width() + right.width() < width || app.notice.is_some() {
        right
    } else {
        help
    };
    let right_width = right.width();
    if app.notice.is_some() && left.width() + right_width >= width {
        // A notice too long to sit beside the rest takes the whole line for its few seconds,
        // cut at the end: what it says first matters most.
        buf.set_style(area, t.bar);
        let blank = " ".repeat(width);
        buf.set_stringn(area.x, area.y, &blank, width, Style::new());
        let text: String = right.spans.iter().map(|s| s.content.as_ref()).collect();
        let style = right.spans.first().map_or(Style::new(), |s| s.style);
        let rows = super::text::wrap(&text, width.saturating_sub(1));
        let mut shown = rows.first().cloned().unwrap_or_default();
        if rows.len() > 1 {
            shown.push('…');
        }
        buf.set_stringn(area.x, area.y, shown, width, style);
    } else if left.width() + right_width < width {
        let x = area.x + u16::try_from(width - right_width).unwrap_or(0);
        put_line(
            buf,
            x,
            area.y,
            &right,
            u16::try_from(right_width).unwrap_or(0),
        );
    }
}

/// The few keys that matter now.
fn keys_line(app: &App, t: &Theme) -> Line<'static> {
    let streaming = app
        .active_tab()
        .is_some_and(crate::app::tab::ChatTab::is_streaming);
    let has_draft = app.active_tab().is_some_and(|t| !t.input.is_empty());
    let help_key = app.keymap.label(Intent::Help);
    let keys: Vec<(&str, &str)> = if app.editor.is_some() {
        vec![("^S", "save"), ("Esc", "close")]
    } else if app.find.is_some() {
        vec![
            ("Enter", "next"),
            ("Esc", "close search"),
            (&help_key, "help"),
        ]
    } else {
        let mut keys = match app.focus {
            Focus::Input if streaming && has_draft => vec![("Esc", "clear draft")],
            Focus::Input if streaming => vec![("Esc", "stop")],
            Focus::Input => vec![("Enter", "send")],
            Focus::Chat => vec![("↑↓", "select"), ("Enter", "expand"), ("y", "copy")],
            Focus::Panel | Focus::Editor => vec![("↑↓", "select"), ("Enter", "open")],
        };
        keys.extend([("Tab", "focus"), ("Alt+1…9", "tabs"), (&help_key, "help")]);
        keys
    };
    t.key_hints(&keys, " ")
}

/// A textarea with its cursor shown only when it has focus. The textarea's own cursor style is
/// the visible one, so the focused case (every frame while typing or streaming) draws it
/// without a copy.
pub fn render_text_field(
    field: &ratatui_textarea::TextArea<'static>,
    focused: bool,
    area: Rect,
    buf: &mut Buffer,
) {
    if focused {
        field.render(area, buf);
    } else {
        let mut hidden = field.clone();
        hidden.set_cursor_style(Style::new());
        hidden.render(area, buf);
    }
}
