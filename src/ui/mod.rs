//! Drawing only: reads `&App`, writes to a frame. No I/O, no awaits, no state changes beyond
//! the caches and hit maps the app keeps for it.

pub mod bars;
pub mod chat;
pub mod dialog;
pub mod markdown;
pub mod panel;
pub mod text;
pub mod theme;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use unicode_width::UnicodeWidthStr;

use self::text::put_line;

use crate::app::App;
use crate::app::keymap::{Focus, Keymap};
use crate::app::layout::{MIN_HEIGHT, MIN_WIDTH};

/// What drawing needs besides the state it draws: the colours and the names of the keys.
#[derive(Clone, Copy)]
pub struct Look<'a> {
    pub theme: &'a theme::Theme,
    pub keymap: &'a Keymap,
}

/// Draw the whole screen into `buf` (sized to the screen) in `theme`'s colours.
pub fn draw(buf: &mut Buffer, app: &App, theme: &theme::Theme) {
    let look = Look {
        theme,
        keymap: &app.keymap,
    };
    let screen = buf.area;
    let Some(areas) = app.areas() else {
        too_small(screen, buf);
        return;
    };
    bars::draw_tabs(app, theme, areas.tabs, buf);
    if let Some(editor) = &app.editor {
        dialog::editor(theme, editor, areas.body, buf);
    } else {
        if areas.chat.width > 0 {
            let trigger = app.context_editing.trigger();
            let shown = app.shown_tabs(areas.chat.width);
            let columns = crate::app::layout::columns(areas.chat, shown.len());
            for (i, (&tab, &area)) in shown.iter().zip(&columns).enumerate() {
                chat::draw(
                    &app.tabs[tab],
                    i == 0 && app.focus == Focus::Chat,
                    app.now,
                    trigger,
                    look,
                    area,
                    buf,
                );
            }
        }
        if areas.panel.width > 0 {
            panel::draw(app, theme, areas.panel, buf);
        }
    }
    bars::draw_input(app, theme, areas.input, buf);
    bars::draw_status(app, theme, areas.status, buf);
    if let Some(p) = &app.dialog {
        dialog::draw(app, theme, p, screen, buf);
    }
}

/// A box with a plain border in `style` and `title` over its top edge (as a ratatui `Block`
/// with all borders draws it, without touching the cells inside); returns the inside.
pub fn bordered(buf: &mut Buffer, area: Rect, style: Style, title: &Line<'_>) -> Rect {
    let area = area.intersection(buf.area);
    if area.width < 2 || area.height < 2 {
        return Rect::new(area.x, area.y, 0, 0);
    }
    let (right, bottom) = (area.right() - 1, area.bottom() - 1);
    for x in area.x + 1..right {
        buf[(x, area.y)].set_symbol("─").set_style(style);
        buf[(x, bottom)].set_symbol("─").set_style(style);
    }
    for y in area.y + 1..bottom {
        buf[(area.x, y)].set_symbol("│").set_style(style);
        buf[(right, y)].set_symbol("│").set_style(style);
    }
    for (x, y, corner) in [
        (area.x, area.y, "┌"),
        (right, area.y, "┐"),
        (area.x, bottom, "└"),
        (right, bottom, "┘"),
    ] {
        buf[(x, y)].set_symbol(corner).set_style(style);
    }
    put_line(buf, area.x + 1, area.y, title, area.width - 2);
    Rect::new(area.x + 1, area.y + 1, area.width - 2, area.height - 2)
}

fn too_small(screen: Rect, buf: &mut Buffer) {
    let lines = [
        format!("terminal too small: {}×{}", screen.width, screen.height),
        format!("memdeck needs at least {MIN_WIDTH}×{MIN_HEIGHT}"),
    ];
    for (i, text) in lines.iter().enumerate() {
        let y = screen.y + screen.height / 2 + u16::try_from(i).unwrap_or(0);
        let width = u16::try_from(text.width())
            .unwrap_or(u16::MAX)
            .min(screen.width);
        if y < screen.bottom() {
            let x = screen.x + (screen.width - width) / 2;
            put_line(buf, x, y, &Line::from(text.as_str()), width);
        }
    }
}
