//! Markdown to terminal lines at a given width: headings, emphasis, lists, block quotes, links,
//! tables and code, every piece of text sanitized first.
//!
//! The result is cached per message by the chat view, so this runs once per message and width
//! (and once per frame for the message that is streaming).

use pulldown_cmark::{Alignment, CodeBlockKind, Event, HeadingLevel, Parser, Tag, TagEnd};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

use super::text::{sanitize, wrap, wrap_styled};
use super::theme::Theme;

#[derive(Clone, Debug)]
enum Container {
    Quote,
    List(Option<u64>),
    /// A list item: its marker, shown on its first line only.
    Item {
        marker: String,
        shown: bool,
    },
}

#[derive(Default)]
struct Table {
    aligns: Vec<Alignment>,
    rows: Vec<Vec<String>>,
    head_rows: usize,
}

struct Renderer {
    width: usize,
    base: Style,
    theme: Theme,
    out: Vec<Line<'static>>,
    pieces: Vec<(String, Style)>,
    styles: Vec<Style>,
    containers: Vec<Container>,
    code: Option<String>,
    link: Option<String>,
    table: Option<Table>,
    blank_before_next: bool,
    /// The code block to draw as selected (its gutter bold), by its number in the text.
    mark: Option<usize>,
    /// The code blocks drawn so far: the lines each took (its fence's label included).
    code_rows: Vec<std::ops::Range<usize>>,
    /// Where the code block being read began.
    code_start: usize,
}

/// `text` as lines of at most `width` columns, in `base` style, coloured by `theme`.
pub fn render(text: &str, width: usize, base: Style, theme: &Theme) -> Vec<Line<'static>> {
    render_marked(text, width, base, theme, None).0
}

/// [`render`], with code block number `mark` drawn as selected, and the lines each code block
/// took (for a click on one).
pub fn render_marked(
    text: &str,
    width: usize,
    base: Style,
    theme: &Theme,
    mark: Option<usize>,
) -> (Vec<Line<'static>>, Vec<std::ops::Range<usize>>) {
    let mut r = Renderer {
        width: width.max(8),
        base,
        theme: *theme,
        out: Vec::new(),
        pieces: Vec::new(),
        styles: vec![base],
        containers: Vec::new(),
        code: None,
        link: None,
        table: None,
        blank_before_next: false,
        mark,
        code_rows: Vec::new(),
        code_start: 0,
    };
    // The options copying counts code blocks with, so that both agree on their numbers.
    for event in Parser::new_ext(text, crate::chat::copy::MARKDOWN) {
        r.event(event);
    }
    r.flush();
    if let Some(code) = r.code.take() {
        // A fence still streaming.
        r.code_block(&code);
    }
    (r.out, r.code_rows)
}

impl Renderer {
    fn style(&self) -> Style {
        self.styles.last().copied().unwrap_or(self.base)
    }

    fn push_style(&mut self, f: impl FnOnce(Style) -> Style) {
        let next = f(self.style());
        self.styles.push(next);
    }

    fn text(&mut self, text: &str, style: Style) {
        if let Some(table) = &mut self.table {
            if let Some(cell) = table.rows.last_mut().and_then(|r| r.last_mut()) {
                cell.push_str(&sanitize(text));
            }
            return;
        }
        self.pieces.push((sanitize(text), style));
    }

    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(text) => match &mut self.code {
                Some(code) => code.push_str(&text),
                None => self.text(&text, self.style()),
            },
            Event::Code(text) => self.text(&text, self.theme.code),
            Event::Html(text) | Event::InlineHtml(text) => {
                for line in text.lines() {
                    self.text(line, self.style());
                }
            }
            Event::SoftBreak => self.text(" ", self.style()),
            Event::HardBreak => self.flush_lines(),
            Event::Rule => {
                self.block_start();
                let rule = "─".repeat(self.width.saturating_sub(self.prefix_width()).min(40));
                self.emit(vec![Span::styled(rule, self.theme.gutter)]);
                self.block_end();
            }
            Event::TaskListMarker(done) => {
                self.text(if done { "[x] " } else { "[ ] " }, self.style());
            }
            Event::FootnoteReference(name) => self.text(&format!("[{name}]"), self.style()),
            _ => {}
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        match tag {
            Tag::Paragraph => self.block_start(),
            Tag::Heading { level, .. } => {
                self.block_start();
                let underline = level == HeadingLevel::H1;
                let strong = self.theme.strong;
                self.push_style(|s| {
                    let s = s.patch(strong);
                    if underline {
                        s.add_modifier(Modifier::UNDERLINED)
                    } else {
                        s
                    }
                });
            }
            Tag::BlockQuote(_) => {
                self.flush();
                self.block_start();
                self.containers.push(Container::Quote);
                self.push_style(|s| s.add_modifier(Modifier::ITALIC));
            }
            Tag::CodeBlock(kind) => {
                self.flush();
                self.block_start();
                self.code_start = self.out.len();
                if let CodeBlockKind::Fenced(lang) = kind
                    && !lang.is_empty()
                {
                    let label = sanitize(&lang);
                    self.emit(vec![Span::styled(format!("╭ {label}"), self.theme.gutter)]);
                }
                self.code = Some(String::new());
            }
            Tag::List(start) => {
                self.flush();
                if !self.in_item() {
                    self.block_start();
                }
                self.containers.push(Container::List(start));
            }
            Tag::Item => {
                self.flush();
                let marker = match self.containers.iter_mut().rev().find_map(|c| match c {
                    Container::List(n) => Some(n),
                    _ => None,
                }) {
                    Some(Some(n)) => {
                        let marker = format!("{n}. ");
                        *n += 1;
                        marker
                    }
                    _ => "• ".to_owned(),
                };
                self.containers.push(Container::Item {
                    marker,
                    shown: false,
                });
            }
            Tag::Emphasis => self.push_style(|s| s.add_modifier(Modifier::ITALIC)),
            Tag::Strong => self.push_style(|s| s.add_modifier(Modifier::BOLD)),
            Tag::Strikethrough => self.push_style(|s| s.add_modifier(Modifier::CROSSED_OUT)),
            Tag::Link { dest_url, .. } => {
                self.link = Some(dest_url.to_string());
                let link = self.theme.link;
                self.push_style(|s| s.patch(link));
            }
            Tag::Table(aligns) => {
                self.flush();
                self.block_start();
                self.table = Some(Table {
                    aligns,
                    ..Table::default()
                });
            }
            Tag::TableHead | Tag::TableRow => {
                if let Some(t) = &mut self.table {
                    t.rows.push(Vec::new());
                }
            }
            Tag::TableCell => {
                if let Some(row) = self.table.as_mut().and_then(|t| t.rows.last_mut()) {
                    row.push(String::new());
                }
            }
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph => {
                self.flush();
                self.block_end();
            }
            TagEnd::Heading(_) => {
                self.flush();
                self.styles.pop();
                self.block_end();
            }
            TagEnd::BlockQuote(_) => {
                self.flush();
                self.containers.pop();
                self.styles.pop();
                self.block_end();
            }
            TagEnd::CodeBlock => {
                if let Some(code) = self.code.take() {
                    self.code_block(&code);
                }
                self.block_end();
            }
            TagEnd::List(_) => {
                self.flush();
                self.containers.pop();
                self.block_end();
            }
            TagEnd::Item => {
                self.flush();
                self.containers.pop();
            }
            TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough => {
                self.styles.pop();
            }
            TagEnd::Link => {
                self.styles.pop();
                if let Some(url) = self.link.take() {
                    let shown: String = self
                        .pieces
                        .iter()
                        .rev()
                        .take(1)
                        .map(|p| p.0.clone())
                        .collect();
                    if !url.is_empty() && shown != url && !url.starts_with('#') {
                        self.text(&format!(" ({url})"), self.theme.gutter);
                    }
                }
            }
            TagEnd::TableHead => {
                if let Some(t) = &mut self.table {
                    t.head_rows = t.rows.len();
                }
            }
            TagEnd::Table => {
                if let Some(table) = self.table.take() {
                    self.draw_table(&table);
                }
                self.block_end();
            }
            _ => {}
        }
    }

    fn in_item(&self) -> bool {
        self.containers
            .iter()
            .any(|c| matches!(c, Container::Item { .. }))
    }

    /// A blank line between blocks (not between the items of a tight list).
    fn block_start(&mut self) {
        if std::mem::take(&mut self.blank_before_next) && !self.out.is_empty() {
            self.emit(Vec::new());
        }
    }

    fn block_end(&mut self) {
        self.blank_before_next = true;
    }

    fn prefix_width(&self) -> usize {
        self.containers
            .iter()
            .map(|c| match c {
                Container::Quote => 2,
                Container::List(_) => 0,
                Container::Item { marker, .. } => marker.width(),
            })
            .sum()
    }

    /// The prefix of the next line; a list item's marker is shown once.
    fn prefix(&mut self) -> Vec<Span<'static>> {
        let mut spans = Vec::new();
        for c in &mut self.containers {
            match c {
                Container::Quote => spans.push(Span::styled("│ ", self.theme.gutter)),
                Container::List(_) => {}
                Container::Item { marker, shown } => {
                    if *shown {
                        spans.push(Span::raw(" ".repeat(marker.width())));
                    } else {
                        *shown = true;
                        spans.push(Span::styled(marker.clone(), self.theme.marker));
                    }
                }
            }
        }
        spans
    }

    fn emit(&mut self, body: Vec<Span<'static>>) {
        let mut spans = self.prefix();
        spans.extend(body);
        self.out.push(Line::from(spans));
    }

    /// Wrap and emit the inline text gathered so far.
    fn flush(&mut self) {
        if self.pieces.is_empty() {
            return;
        }
        self.flush_lines();
    }

    fn flush_lines(&mut self) {
        let pieces = std::mem::take(&mut self.pieces);
        let width = self.width.saturating_sub(self.prefix_width()).max(4);
        for row in wrap_styled(&pieces, width) {
            self.emit(row);
        }
    }

    fn code_block(&mut self, code: &str) {
        let width = self.width.saturating_sub(self.prefix_width() + 2).max(4);
        let code = code.strip_suffix('\n').unwrap_or(code);
        let gutter = if self.mark == Some(self.code_rows.len()) {
            Span::styled("┃ ", self.theme.key)
        } else {
            Span::styled("│ ", self.theme.gutter)
        };
        for line in code.split('\n') {
            for row in wrap(&sanitize(line), width) {
                self.emit(vec![gutter.clone(), Span::styled(row, self.theme.code)]);
            }
        }
        self.code_rows.push(self.code_start..self.out.len());
    }

    fn draw_table(&mut self, table: &Table) {
        let columns = table.rows.iter().map(Vec::len).max().unwrap_or(0);
        if columns == 0 {
            return;
        }
        let mut widths: Vec<usize> = (0..columns)
            .map(|c| {
                table
                    .rows
                    .iter()
                    .filter_map(|r| r.get(c))
                    .map(|cell| cell.trim().width())
                    .max()
                    .unwrap_or(0)
                    .max(1)
            })
            .collect();
        // Borders take 3 columns per cell plus one; shrink the widest columns until it fits.
        let room = self
            .width
            .saturating_sub(self.prefix_width() + 3 * columns + 1)
            .max(columns);
        while widths.iter().sum::<usize>() > room {
            let Some(widest) = widths.iter_mut().max() else {
                break;
            };
            if *widest <= 1 {
                break;
            }
            *widest -= 1;
        }
        let border = |l: &str, m: &str, r: &str| {
            let inner: Vec<String> = widths.iter().map(|w| "─".repeat(w + 2)).collect();
            format!("{l}{}{r}", inner.join(m))
        };
        self.emit(vec![Span::styled(border("┌", "┬", "┐"), self.theme.gutter)]);
        for (i, row) in table.rows.iter().enumerate() {
            let cells: Vec<Vec<String>> = (0..columns)
                .map(|c| wrap(row.get(c).map_or("", |s| s.trim()), widths[c]))
                .collect();
            let height = cells.iter().map(Vec::len).max().unwrap_or(1);
            let style = if i < table.head_rows {
                self.base.add_modifier(Modifier::BOLD)
            } else {
                self.base
            };
            for line in 0..height {
                let mut spans = vec![Span::styled("│", self.theme.gutter)];
                for (c, cell) in cells.iter().enumerate() {
                    let text = cell.get(line).map_or("", String::as_str);
                    let pad = widths[c].saturating_sub(text.width());
                    let (left, right) = match table.aligns.get(c) {
                        Some(Alignment::Right) => (pad, 0),
                        Some(Alignment::Center) => (pad / 2, pad - pad / 2),
                        _ => (0, pad),
                    };
                    spans.push(Span::styled(
                        format!(" {}{text}{} ", " ".repeat(left), " ".repeat(right)),
                        style,
                    ));
                    spans.push(Span::styled("│", self.theme.gutter));
                }
                self.emit(spans);
            }
            if i + 1 == table.head_rows {
                self.emit(vec![Span::styled(border("├", "┼", "┤"), self.theme.gutter)]);
            }
        }
        self.emit(vec![Span::styled(border("└", "┴", "┘"), self.theme.gutter)]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(text: &str, width: usize) -> Vec<String> {
        render(text, width, Style::new(), &Theme::default())
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    #[test]
    fn blocks_lists_quotes_and_code() {
        let text = "# Title\n\nSome *emphasis* and **bold**.\n\n- one\n- two that wraps around\n\n> quoted\n\n```rust\nfn x() {}\n```\n";
        assert_eq!(
            plain(text, 20),
            [
                "Title",
                "",
                "Some emphasis and",
                "bold.",
                "",
                "• one",
                "• two that wraps",
                "  around",
                "",
                "│ quoted",
                "",
                "╭ rust",
                "│ fn x() {}",
            ]
        );
    }

    #[test]
    fn tables_are_drawn_with_borders_and_fit_the_width() {
        let text = "| Name | Role |\n|---|--:|\n| Alice | Discovery |\n";
        let lines = plain(text, 40);
        assert_eq!(
            lines,
            [
                "┌───────┬───────────┐",
                "│ Name  │      Role │",
                "├───────┼───────────┤",
                "│ Alice │ Discovery │",
                "└───────┴───────────┘",
            ]
        );
        assert!(plain(text, 12).iter().all(|l| l.width() <= 12));
    }

    #[test]
    fn links_show_their_target_and_controls_are_visible() {
        assert_eq!(
            plain("[docs](https://x.io) \u{1b}[2J", 60),
            ["docs (https://x.io) ␛[2J"]
        );
    }

    #[test]
    fn an_unfinished_fence_still_shows_its_code() {
        assert_eq!(
            plain("```\nlet a = 1;\nlet b", 30),
            ["│ let a = 1;", "│ let b"]
        );
    }
}
