//! Screen geometry as a pure function of the terminal size: drawing and mouse handling use the
//! same rectangles, so a click always lands on what was drawn there.

use ratatui::layout::Rect;

/// Smallest terminal the app draws in; below it, a "too small" message.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;
/// From this width on the memory panel sits beside the chat; narrower, it covers the chat
/// while it has focus.
pub const SIDE_BY_SIDE_WIDTH: u16 = 100;

/// Where everything goes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Areas {
    pub tabs: Rect,
    pub chat: Rect,
    pub input: Rect,
    /// Zero-sized when the panel is hidden.
    pub panel: Rect,
    pub status: Rect,
    /// Chat and panel together: where the memory editor goes.
    pub body: Rect,
}

/// The areas for a terminal of `size`. `input_lines` is the draft's line count (the input
/// grows up to 6 lines); `panel` whether the panel is shown, `panel_focused` whether it has
/// the keyboard (on a narrow screen it then takes the whole body).
pub fn areas(size: Rect, input_lines: usize, panel: bool, panel_focused: bool) -> Option<Areas> {
    if size.width < MIN_WIDTH || size.height < MIN_HEIGHT {
        return None;
    }
    let input_height = u16::try_from(input_lines.clamp(1, 6)).unwrap_or(6) + 2;
    let tabs = Rect::new(size.x, size.y, size.width, 1);
    let status = Rect::new(size.x, size.bottom() - 1, size.width, 1);
    let body = Rect::new(
        size.x,
        size.y + 1,
        size.width,
        size.height.saturating_sub(2 + input_height),
    );
    let input = Rect::new(size.x, body.bottom(), size.width, input_height);
    let (chat, panel) = if !panel {
        (body, Rect::new(body.right(), body.y, 0, body.height))
    } else if panel_beside(size.width) {
        let panel_width = (size.width * 2 / 5).clamp(40, 72);
        let chat = Rect {
            width: body.width - panel_width,
            ..body
        };
        (
            chat,
            Rect::new(chat.right(), body.y, panel_width, body.height),
        )
    } else if panel_focused {
        (Rect::new(body.x, body.y, 0, body.height), body)
    } else {
        (body, Rect::new(body.right(), body.y, 0, body.height))
    };
    Some(Areas {
        tabs,
        chat,
        input,
        panel,
        status,
        body,
    })
}

/// Whether the memory panel fits beside the chat at this terminal width (narrower, it can only
/// cover the chat).
pub fn panel_beside(width: u16) -> bool {
    width >= SIDE_BY_SIDE_WIDTH
}

/// The chat area cut into `n` side-by-side columns, left to right; the last takes what the
/// division leaves over.
pub fn columns(chat: Rect, n: usize) -> Vec<Rect> {
    let n = u16::try_from(n.max(1)).unwrap_or(1);
    let width = chat.width / n;
    (0..n)
        .map(|i| {
            let x = chat.x + width * i;
            let w = if i + 1 == n { chat.right() - x } else { width };
            Rect::new(x, chat.y, w, chat.height)
        })
        .collect()
}

/// Columns of the chat's text inside its frame.
pub fn chat_text_width(chat: Rect) -> u16 {
    chat.width.saturating_sub(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn side_by_side_columns_cover_the_chat_without_gaps() {
        let chat = Rect::new(3, 2, 100, 20);
        let cols = columns(chat, 3);
        assert_eq!(
            cols.iter().map(|c| c.width).collect::<Vec<_>>(),
            [33, 33, 34]
        );
        assert_eq!((cols[0].x, cols[2].right()), (3, 103));
        assert_eq!(columns(chat, 1), [chat]);
    }

    #[test]
    fn the_panel_sits_beside_the_chat_when_wide() {
        let a = areas(Rect::new(0, 0, 160, 48), 1, true, false).unwrap();
        assert_eq!(a.chat.width + a.panel.width, 160);
        assert_eq!(a.panel.width, 64);
        assert_eq!(a.input.height, 3);
        assert_eq!(a.body.height, 48 - 2 - 3);
    }

    #[test]
    fn the_panel_collapses_when_narrow() {
        let a = areas(Rect::new(0, 0, 80, 24), 1, true, false).unwrap();
        assert_eq!((a.chat.width, a.panel.width), (80, 0));
        let a = areas(Rect::new(0, 0, 80, 24), 1, true, true).unwrap();
        assert_eq!((a.chat.width, a.panel.width), (0, 80));
    }

    #[test]
    fn too_small_is_none() {
        assert!(areas(Rect::new(0, 0, 59, 24), 1, true, false).is_none());
        assert!(areas(Rect::new(0, 0, 80, 15), 1, true, false).is_none());
        assert!(areas(Rect::new(0, 0, 60, 16), 9, true, false).is_some());
    }
}
