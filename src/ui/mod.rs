//! Drawing only: reads `&App`, writes to a frame. No I/O, no awaits, no state changes beyond
//! the caches and hit maps the app keeps for it.

pub mod bars;
pub mod chat;
pub mod markdown;
pub mod panel;
pub mod popup;
pub mod text;
pub mod theme;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use unicode_width::UnicodeWidthStr;

use crate::app::App;
use crate::app::keymap::Focus;
use crate::app::layout::{MIN_HEIGHT, MIN_WIDTH};

/// Draw the whole screen.
pub fn draw(frame: &mut Frame, app: &App) {
    let screen = frame.area();
    let buf = frame.buffer_mut();
    let Some(areas) = app.areas() else {
        too_small(screen, buf);
        return;
    };
    bars::draw_tabs(app, areas.tabs, buf);
    if let Some(editor) = &app.editor {
        popup::editor(editor, areas.body, buf);
    } else {
        if areas.chat.width > 0
            && let Some(tab) = app.active_tab()
        {
            chat::draw(tab, app.focus == Focus::Chat, app.now, areas.chat, buf);
        }
        if areas.panel.width > 0 {
            panel::draw(app, areas.panel, buf);
        }
    }
    bars::draw_input(app, areas.input, buf);
    bars::draw_status(app, areas.status, buf);
    if let Some(p) = &app.popup {
        popup::draw(app, p, screen, buf);
    }
}

fn too_small(screen: Rect, buf: &mut ratatui::buffer::Buffer) {
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
            buf.set_line(x, y, &Line::from(text.as_str()), width);
        }
    }
}
