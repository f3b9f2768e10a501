//! The chat pane: each transcript item as lines (cached per item and width), and the visible
//! window of them drawn straight into the buffer.

use std::fmt::Write as _;
use std::ops::Range;
use std::time::Instant;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use serde_json::Value;

use super::Look;
use super::markdown;
use super::text::{highlight, put_line, sanitize, wrap};
use super::theme::{self, Theme};
use crate::app::keymap::Intent;
use crate::app::tab::{CachedItem, ChatTab, Scroll};
use crate::chat::Persona;
use crate::chat::extract::Proposal;
use crate::chat::transcript::{ExtractState, Item, ProposalState, ToolCard, ToolStatus, UndoState};
use crate::memory::receipt::Change;

/// Lines of a tool's text shown while it is being written (the newest ones).
const LIVE_LINES: usize = 8;

/// Draw the active tab's chat into `area`.
/// `trigger`: context editing's clearing threshold, for the tab's gauge (`None` when off).
pub fn draw(
    tab: &ChatTab,
    focused: bool,
    now: Instant,
    trigger: Option<u32>,
    look: Look<'_>,
    area: Rect,
    buf: &mut Buffer,
) {
    let t = look.theme;
    let persona = &tab.persona;
    let mut title = vec![
        Span::styled(format!(" {} ", persona.name), t.persona(&persona.color)),
        Span::styled(format!("· {} ", persona.role), t.dim),
    ];
    if let (Some(started), true) = (tab.started, tab.is_streaming()) {
        let ms = now.saturating_duration_since(started).as_millis();
        title.push(Span::styled(
            format!("{} streaming ", theme::spinner(ms)),
            t.warn,
        ));
    }
    if tab.view.scroll != Scroll::Bottom {
        title.push(Span::styled("· scrolled (End follows) ", t.dim));
    }
    if let Some(trigger) = trigger.filter(|t| *t > 0) {
        title.extend(gauge(t, tab.transcript.last_prompt, u64::from(trigger)));
    }
    let inner = super::bordered(buf, area, t.border(focused), &Line::from(title));
    if inner.width == 0 || inner.height == 0 {
        return;
    }
    if tab.transcript.items.is_empty() {
        let hint = format!(
            "Talk to Claude as {}. Everything goes through the shared memory in the panel →",
            persona.name
        );
        for (i, row) in wrap(&hint, usize::from(inner.width))
            .into_iter()
            .enumerate()
        {
            let y = inner.y + u16::try_from(i).unwrap_or(u16::MAX);
            if y < inner.bottom() {
                buf.set_stringn(inner.x, y, row, usize::from(inner.width), t.dim);
            }
        }
        return;
    }
    let mut cache = tab.view.cache.borrow_mut();
    refresh(t, &mut cache, tab, (focused, now), look, inner.width);
    let total: usize = cache.items.iter().map(CachedItem::len).sum();
    let height = usize::from(inner.height);
    tab.view.total_lines.set(total);
    tab.view.height.set(height);
    let top = tab.view.top();
    // Walk to the first visible line, then draw rows until the pane is full.
    let mut rows = tab.view.rows.borrow_mut();
    rows.clear();
    let mut skipped = 0;
    let mut y = inner.y;
    let find = tab
        .view
        .find
        .as_ref()
        .filter(|(query, _)| !query.is_empty());
    'rows: for (i, item) in cache.items.iter().enumerate() {
        let n = item.len();
        let first_line = skipped;
        if skipped + n <= top {
            skipped += n;
            continue;
        }
        let from = top.saturating_sub(skipped);
        skipped += n;
        for (k, line) in item.iter().enumerate().skip(from) {
            if y >= inner.bottom() {
                break 'rows;
            }
            put_line(buf, inner.x, y, line, inner.width);
            if let Some((query, hit)) = find {
                let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
                let current = hit.filter(|h| h.line == first_line + k).map(|h| h.start);
                highlight(buf, (inner.x, y, inner.width), &text, query, current, t);
            }
            rows.push(Some((i, k)));
            y += 1;
        }
    }
    new_lines_marker(buf, t, tab, inner);
}

/// Scrolled up while more arrived: "↓ N new lines · End follows" on the pane's last row, at its
/// right (a click on it follows again); remembered for the click.
fn new_lines_marker(buf: &mut Buffer, t: &Theme, tab: &ChatTab, inner: Rect) {
    let new = tab.view.new_lines();
    if new == 0 || inner.height < 2 {
        tab.view.marker_row.set(None);
        return;
    }
    let label = format!(
        " ↓ {new} new line{} · End follows ",
        if new == 1 { "" } else { "s" }
    );
    let width = u16::try_from(label.chars().count())
        .unwrap_or(u16::MAX)
        .min(inner.width);
    let x = inner.right().saturating_sub(width);
    let y = inner.bottom() - 1;
    buf.set_stringn(
        x,
        y,
        &label,
        usize::from(width),
        t.warn.add_modifier(Modifier::REVERSED),
    );
    tab.view.marker_row.set(Some(usize::from(inner.height - 1)));
}

/// Bring the cached lines up to date: only items whose revision, expansion or selection changed
/// (or all of them, when the width changed).
fn refresh(
    t: &Theme,
    cache: &mut crate::app::tab::LineCache,
    tab: &ChatTab,
    (focused, now): (bool, Instant),
    look: Look<'_>,
    width: u16,
) {
    if cache.width != width {
        cache.items.clear();
        cache.width = width;
    }
    let items = &tab.transcript.items;
    cache.items.truncate(items.len());
    let selected = if focused { tab.view.selected } else { None };
    for (i, item) in items.iter().enumerate() {
        let volatile = match item {
            Item::Retry { wait_ms, since, .. } if tab.is_streaming() => {
                remaining_secs(*since, *wait_ms, now) + 1
            }
            _ => 0,
        };
        let expanded = tab.view.expanded.contains(&i);
        // Selected, and which code block of it (the low bits hold a retry's countdown).
        let block = tab.view.block.filter(|_| selected == Some(i));
        let flags = u64::from(selected == Some(i)) << 1 | block.map_or(0, |b| b as u64 + 1) << 2;
        let key = (
            tab.transcript.item_revision(i),
            expanded,
            volatile | flags << 40,
        );
        if cache.items.get(i).is_some_and(|c| c.key == key) {
            continue;
        }
        let previous = i.checked_sub(1).map(|p| &items[p]);
        let mut entry = match (item, cache.items.get_mut(i)) {
            (
                Item::Text {
                    text,
                    streaming: true,
                },
                old,
            ) => {
                let old = old.map(std::mem::take).unwrap_or_default();
                streaming_answer(t, text, previous, &tab.persona, usize::from(width), old)
            }
            _ => {
                let shown = Shown {
                    expanded,
                    code_mark: tab.view.block.filter(|_| selected == Some(i)),
                };
                let (lines, code) = item_lines(
                    item,
                    previous,
                    &tab.persona,
                    shown,
                    usize::from(width),
                    (now, look),
                );
                CachedItem {
                    lines,
                    code,
                    ..CachedItem::default()
                }
            }
        };
        entry.key = key;
        if selected == Some(i) {
            let first = if entry.head.is_empty() {
                entry.lines.first_mut()
            } else {
                entry.head.first_mut()
            };
            if let Some(first) = first {
                // In the indent's place when there is one, so that nothing moves.
                if let Some(rest) = first
                    .spans
                    .first()
                    .and_then(|s| s.content.strip_prefix("  "))
                {
                    let rest = Span::styled(rest.to_owned(), first.spans[0].style);
                    first.spans[0] = rest;
                    first.spans.insert(0, Span::styled("▶ ", t.key));
                } else {
                    first.spans.insert(0, Span::styled("▶ ", t.key));
                }
            }
        }
        if i < cache.items.len() {
            cache.items[i] = entry;
        } else {
            cache.items.push(entry);
        }
    }
}

/// Where the finished part of a streaming answer ends: after its last blank line outside a
/// code fence. Blocks before it no longer change as text arrives.
fn stable_split(text: &str) -> usize {
    let mut in_fence = false;
    let mut split = 0;
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            in_fence = !in_fence;
        }
        pos += line.len();
        if !in_fence && line.ends_with('\n') && line.trim().is_empty() {
            split = pos;
        }
    }
    split
}

/// An answer that is still streaming: its finished blocks are rendered once and kept; only the
/// block being written is rendered again.
fn streaming_answer(
    t: &Theme,
    text: &str,
    previous: Option<&Item>,
    persona: &Persona,
    width: usize,
    old: CachedItem,
) -> CachedItem {
    let split = stable_split(text);
    let head = if old.head_len == split && !old.head.is_empty() {
        old.head
    } else if split > old.head_len && old.head_len > 0 && !old.head.is_empty() {
        // Only the blocks finished since the last frame are rendered and appended.
        let mut head = old.head;
        let chunk = markdown::render(
            &text[old.head_len..split],
            width.saturating_sub(2),
            Style::new(),
            t,
        );
        head.extend(indent(chunk));
        head.push(Line::default());
        head
    } else {
        let mut head = Vec::new();
        answer_header(t, previous, persona, &mut head);
        let body = markdown::render(&text[..split], width.saturating_sub(2), Style::new(), t);
        answer_body(t, body, false, &mut head);
        // A finished answer ends with a blank line: it separates head and tail.
        if split == 0 {
            head.pop();
        }
        head
    };
    let mut lines = Vec::new();
    let body = markdown::render(&text[split..], width.saturating_sub(2), Style::new(), t);
    let mut body: Vec<Line<'static>> = indent(body).collect();
    match body.last_mut() {
        Some(last) => last.spans.push(Span::styled("▌", t.dim)),
        None => body.push(Line::from(vec![Span::raw("  "), Span::styled("▌", t.dim)])),
    }
    if split == 0 && head.is_empty() {
        answer_header(t, previous, persona, &mut lines);
    }
    lines.extend(body);
    CachedItem {
        key: old.key,
        head_len: split,
        head,
        lines,
        code: Vec::new(),
    }
}

/// How close the last prompt came to context editing's trigger: a ten-cell bar that ends at
/// the trigger, so the audience sees clearing coming.
fn gauge(t: &Theme, prompt: u64, trigger: u64) -> Vec<Span<'static>> {
    const CELLS: u64 = 10;
    let filled = (prompt * CELLS / trigger).min(CELLS);
    let style = if prompt >= trigger {
        t.error
    } else if prompt * 10 >= trigger * 8 {
        t.warn
    } else {
        t.ok
    };
    let bar: String = (0..CELLS)
        .map(|i| if i < filled { '█' } else { '░' })
        .collect();
    let short = |n: u64| {
        if n >= 1000 {
            format!("{}.{}k", n / 1000, n % 1000 / 100)
        } else {
            n.to_string()
        }
    };
    vec![
        Span::styled("· ✂ ", t.dim),
        Span::styled(bar, style),
        Span::styled(format!(" {}/{} ", short(prompt), short(trigger)), t.dim),
    ]
}

fn remaining_secs(since: Instant, wait_ms: u64, now: Instant) -> u64 {
    let elapsed =
        u64::try_from(now.saturating_duration_since(since).as_millis()).unwrap_or(u64::MAX);
    wait_ms.saturating_sub(elapsed).div_ceil(1000)
}

/// One item as lines at `width`.
/// How an item is shown: expanded or not, and which of its code blocks is selected.
#[derive(Clone, Copy, Debug, Default)]
pub struct Shown {
    pub expanded: bool,
    pub code_mark: Option<usize>,
}

/// An item's lines, and the lines each of its code blocks took (a message's).
pub fn item_lines(
    item: &Item,
    previous: Option<&Item>,
    persona: &Persona,
    shown: Shown,
    width: usize,
    (now, look): (Instant, Look<'_>),
) -> (Vec<Line<'static>>, Vec<Range<usize>>) {
    let t = look.theme;
    let expanded = shown.expanded;
    let mut lines = Vec::new();
    let mut code = Vec::new();
    match item {
        Item::User { text } => {
            lines.push(Line::from(vec![
                Span::styled(format!("● {}", persona.name), t.persona(&persona.color)),
                Span::styled(format!(" ({})", persona.role), t.dim),
            ]));
            let (body, rows) = message_body(t, text, width, shown.code_mark, lines.len());
            code = rows;
            lines.extend(indent(body));
            lines.push(Line::default());
        }
        Item::Text { text, streaming } => {
            answer_header(t, previous, persona, &mut lines);
            let (body, rows) = message_body(t, text, width, shown.code_mark, lines.len());
            code = rows;
            answer_body(t, body, *streaming, &mut lines);
        }
        Item::Thinking {
            text,
            streaming,
            redacted,
        } => thinking_lines(t, text, *streaming, *redacted, expanded, width, &mut lines),
        Item::Tool(card) => tool_lines(t, card, expanded, width, &mut lines),
        Item::Usage { .. } => lines.extend([usage_item_line(t, item), Line::default()]),
        Item::Compaction {
            summary, streaming, ..
        } => {
            compaction_lines(t, summary, *streaming, expanded, width, &mut lines);
        }
        Item::Stopped { reason } => stopped_lines(t, reason, width, &mut lines),
        Item::Told { text } => told_lines(t, text, width, &mut lines),
        Item::Team { text } => dim_lines(t, text, width, &mut lines),
        Item::Extraction { state } => extraction_lines(t, state, width, &mut lines),
        Item::Proposal { proposal, state } => {
            proposal_lines(t, proposal, state, width, &mut lines);
        }
        Item::Receipt { changes, undo } => {
            receipt_lines(t, (changes, undo), expanded, width, &mut lines);
        }
        Item::ContextEdited {
            cleared_tool_uses,
            cleared_tokens,
        } => {
            let plural = if *cleared_tool_uses == 1 { "" } else { "s" };
            lines.push(Line::from(Span::styled(
                format!(
                    "  ✂ context edited: cleared {cleared_tool_uses} tool result{plural}, saved {} tokens",
                    theme::thousands(*cleared_tokens)
                ),
                t.warn,
            )));
        }
        Item::MemoryIndex {
            listed,
            total,
            bytes,
        } => lines.push(index_line(t, *listed, *total, *bytes)),
        Item::Retry {
            attempt,
            wait_ms,
            since,
            reason,
        } => {
            let left = remaining_secs(*since, *wait_ms, now);
            let when = if left == 0 {
                "now".to_owned()
            } else {
                format!("in {left} s")
            };
            let text = sanitize(&format!("⟳ retry {attempt} {when}: {reason}"));
            for row in wrap(&text, width.saturating_sub(2)) {
                lines.push(Line::from(Span::styled(format!("  {row}"), t.warn)));
            }
        }
        Item::Error {
            message,
            cancelled: true,
            ..
        } => {
            lines.push(Line::from(Span::styled(
                format!("  ⊘ {} (what arrived is kept)", sanitize(message)),
                t.dim,
            )));
            lines.push(Line::default());
        }
        Item::Error {
            message,
            request_id,
            ..
        } => {
            let retry = look.keymap.label(Intent::Retry);
            error_card(t, message, request_id.as_deref(), &retry, width, &mut lines);
        }
    }
    (lines, code)
}

/// A message's text as Markdown, code block `mark` drawn as selected, with the lines each code
/// block takes once the body is placed `below` lines of header.
fn message_body(
    t: &Theme,
    text: &str,
    width: usize,
    mark: Option<usize>,
    below: usize,
) -> (Vec<Line<'static>>, Vec<Range<usize>>) {
    let (body, rows) =
        markdown::render_marked(text, width.saturating_sub(2), Style::new(), t, mark);
    let rows = rows
        .into_iter()
        .map(|r| r.start + below..r.end + below)
        .collect();
    (body, rows)
}

/// An answer's rendered text under its header: the cursor while it streams, a blank line
/// after.
fn answer_body(
    t: &Theme,
    mut body: Vec<Line<'static>>,
    streaming: bool,
    lines: &mut Vec<Line<'static>>,
) {
    if streaming {
        match body.last_mut() {
            Some(last) => last.spans.push(Span::styled("▌", t.dim)),
            None => body.push(Line::from(Span::styled("▌", t.dim))),
        }
    }
    lines.extend(indent(body));
    if !streaming {
        lines.push(Line::default());
    }
}

/// "◆ Claude to Alice" above the first text of an answer.
fn answer_header(
    t: &Theme,
    previous: Option<&Item>,
    persona: &Persona,
    lines: &mut Vec<Line<'static>>,
) {
    let first_of_answer = !matches!(
        previous,
        Some(
            Item::Text { .. }
                | Item::Tool(_)
                | Item::Thinking { .. }
                | Item::Usage { .. }
                | Item::Compaction { .. }
                | Item::Stopped { .. }
                | Item::Receipt { .. }
                | Item::ContextEdited { .. }
                | Item::Retry { .. }
        )
    );
    if first_of_answer {
        lines.push(Line::from(vec![
            Span::styled("◆ Claude", Style::new().bold()),
            Span::styled(
                format!(" to {}", persona.name),
                Style::new().fg(t.color(&persona.color)),
            ),
        ]));
    }
}

/// The line saying the turn's requests carry the memory index.
fn index_line(t: &Theme, listed: usize, total: usize, bytes: usize) -> Line<'static> {
    let files = if total == 0 {
        "the store is empty".to_owned()
    } else if listed == total {
        format!("{total} file{}", if total == 1 { "" } else { "s" })
    } else {
        format!("{listed} of {total} files")
    };
    Line::from(Span::styled(
        format!(
            "  ≡ memory index in the prompt: {files} · {} bytes",
            theme::thousands(bytes as u64)
        ),
        t.dim,
    ))
}

/// A call's usage line, with what a compaction in it cost.
fn usage_item_line(t: &Theme, item: &Item) -> Line<'static> {
    let Item::Usage {
        input,
        output,
        cache_read,
        compaction_input,
        compaction_output,
    } = item
    else {
        return Line::default();
    };
    let mut line = usage_line(t, *input, *output, *cache_read);
    if compaction_input + compaction_output > 0 {
        line.push_span(compaction_cost(t, *compaction_input, *compaction_output));
    }
    line
}

/// What a compaction cost, after a call's usage.
fn compaction_cost(t: &Theme, input: u64, output: u64) -> Span<'static> {
    Span::styled(
        format!(
            " · compaction {} in · {} out",
            theme::thousands(input),
            theme::thousands(output)
        ),
        t.warn,
    )
}

/// A turn's memory receipt: what it changed, how to undo it, and the diffs when expanded.
fn receipt_lines(
    t: &Theme,
    (changes, undo): (&[Change], &UndoState),
    expanded: bool,
    width: usize,
    lines: &mut Vec<Line<'static>>,
) {
    let titles: Vec<String> = changes.iter().map(Change::title).collect();
    let head = format!("✎ memory this turn: {}", titles.join(" · "));
    let style = if matches!(undo, UndoState::Done { .. }) {
        t.dim.crossed_out()
    } else {
        t.path
    };
    for row in wrap(&sanitize(&head), width.saturating_sub(2).max(1)) {
        lines.push(Line::from(Span::styled(format!("  {row}"), style)));
    }
    let note = match undo {
        UndoState::Open if expanded => "u undoes the whole turn · Enter hides the diffs".to_owned(),
        UndoState::Open => "u undoes the whole turn · Enter shows the diffs".to_owned(),
        UndoState::Undoing => "undoing…".to_owned(),
        UndoState::Done { summary } => format!("↶ {summary}"),
    };
    for row in wrap(&sanitize(&note), width.saturating_sub(4).max(1)) {
        lines.push(Line::from(Span::styled(format!("    {row}"), t.dim)));
    }
    if expanded {
        for change in changes {
            lines.push(Line::from(Span::styled(
                format!("    {}", sanitize(&change.title())),
                Style::new().bold(),
            )));
            for (mark, text) in &change.diff {
                let style = match mark {
                    '+' => t.ok,
                    '-' => t.error,
                    _ => t.dim,
                };
                for row in wrap(&sanitize(text), width.saturating_sub(8).max(1)) {
                    lines.push(Line::from(Span::styled(format!("    {mark} {row}"), style)));
                }
            }
        }
    }
    lines.push(Line::default());
}

/// What the model was told with the message: others' changes to memory it read.
fn told_lines(t: &Theme, text: &str, width: usize, lines: &mut Vec<Line<'static>>) {
    let text = text
        .trim_start_matches("(memdeck: ")
        .trim_end_matches(')')
        .to_owned();
    dim_lines(t, &format!("↺ told Claude: {text}"), width, lines);
}

/// A note of memdeck's in the chat, dim, wrapped under the message margin.
fn dim_lines(t: &Theme, text: &str, width: usize, lines: &mut Vec<Line<'static>>) {
    for row in wrap(&sanitize(text), width.saturating_sub(2).max(1)) {
        lines.push(Line::from(Span::styled(format!("  {row}"), t.dim)));
    }
}

/// Where extraction stands after a turn.
fn extraction_lines(t: &Theme, state: &ExtractState, width: usize, lines: &mut Vec<Line<'static>>) {
    let (text, style) = match state {
        ExtractState::Looking => ("⌕ looking for memories worth keeping…".to_owned(), t.dim),
        ExtractState::Nothing => (
            "⌕ nothing new worth keeping from this turn".to_owned(),
            t.dim,
        ),
        ExtractState::Found { count } => (
            format!(
                "⌕ {count} memor{} worth keeping: in the chat (Tab), a keeps one, x dismisses it",
                if *count == 1 { "y" } else { "ies" }
            ),
            t.path,
        ),
        ExtractState::Failed { error } => (format!("⌕ extraction failed: {error}"), t.warn),
    };
    for row in wrap(&sanitize(&text), width.saturating_sub(2).max(1)) {
        lines.push(Line::from(Span::styled(format!("  {row}"), style)));
    }
}

/// A proposed memory: what file, its type and description, its lines, and where it stands.
fn proposal_lines(
    t: &Theme,
    proposal: &Proposal,
    state: &ProposalState,
    width: usize,
    lines: &mut Vec<Line<'static>>,
) {
    let (mark, style) = match state {
        ProposalState::Open => ("☐", t.path),
        ProposalState::Writing => ("…", t.dim),
        ProposalState::Written { .. } => ("✓", t.ok),
        ProposalState::Dismissed => ("✗", t.dim),
        ProposalState::Failed { .. } => ("✗", t.error),
    };
    let inner = width.saturating_sub(6).max(1);
    let head = wrap(&sanitize(&proposal.title()), inner);
    for (i, row) in head.into_iter().enumerate() {
        let lead = if i == 0 {
            format!("  ┌ {mark} ")
        } else {
            "  │   ".to_owned()
        };
        lines.push(Line::from(vec![
            Span::styled(lead, t.dim),
            Span::styled(row, style),
        ]));
    }
    if !matches!(state, ProposalState::Dismissed) {
        for line in proposal.body.lines() {
            for row in wrap(&sanitize(line), inner) {
                lines.push(Line::from(vec![
                    Span::styled("  │   ", t.dim),
                    Span::styled(row, t.dim),
                ]));
            }
        }
    }
    let foot = match state {
        ProposalState::Open => "a keeps it · x dismisses it".to_owned(),
        ProposalState::Writing => "writing…".to_owned(),
        ProposalState::Written { what } => format!("kept: {what}"),
        ProposalState::Dismissed => "dismissed".to_owned(),
        ProposalState::Failed { error } => format!("not kept: {error}"),
    };
    for row in wrap(&sanitize(&foot), inner) {
        lines.push(Line::from(Span::styled(format!("  └ {row}"), t.dim)));
    }
    lines.push(Line::default());
}

/// A stop reason said plainly.
fn stopped_lines(t: &Theme, reason: &str, width: usize, lines: &mut Vec<Line<'static>>) {
    let text = crate::chat::transcript::stop_text(reason).unwrap_or("The answer stopped.");
    for row in wrap(&format!("⚠ {text}"), width.saturating_sub(2).max(1)) {
        lines.push(Line::from(Span::styled(format!("  {row}"), t.warn)));
    }
    lines.push(Line::default());
}

/// Lines of the summary shown while the card is folded.
const COMPACTION_PREVIEW: usize = 4;

/// The compaction card: what happened, then the summary (its first lines; all when expanded).
fn compaction_lines(
    t: &Theme,
    summary: &str,
    streaming: bool,
    expanded: bool,
    width: usize,
    lines: &mut Vec<Line<'static>>,
) {
    if streaming && summary.is_empty() {
        lines.push(Line::from(Span::styled(
            "  ⇣ compacting: the API is summarising the conversation so far…",
            t.warn,
        )));
        return;
    }
    let header = format!(
        "⇣ compacted: the conversation so far is now this summary ({} characters); later requests start from it",
        theme::thousands(summary.chars().count() as u64)
    );
    for row in wrap(&header, width.saturating_sub(2).max(1)) {
        lines.push(Line::from(Span::styled(format!("  {row}"), t.warn)));
    }
    let rows: Vec<String> = summary
        .lines()
        .flat_map(|line| wrap(&sanitize(line), width.saturating_sub(4).max(1)))
        .collect();
    let shown = if expanded {
        rows.len()
    } else {
        rows.len().min(COMPACTION_PREVIEW)
    };
    for row in rows.iter().take(shown) {
        lines.push(Line::from(vec![
            Span::styled("  │ ", t.dim),
            Span::styled(row.clone(), t.dim),
        ]));
    }
    if shown < rows.len() {
        lines.push(Line::from(Span::styled(
            format!("  │ … {} more lines (Enter shows them)", rows.len() - shown),
            t.dim,
        )));
    }
    lines.push(Line::default());
}

fn usage_line(t: &Theme, input: u64, output: u64, cache_read: u64) -> Line<'static> {
    let mut text = format!(
        "  ↳ {} in · {} out",
        theme::thousands(input),
        theme::thousands(output)
    );
    if cache_read > 0 {
        let _ = write!(text, " · {} cache read", theme::thousands(cache_read));
    }
    Line::from(Span::styled(text, t.dim))
}

fn thinking_lines(
    t: &Theme,
    text: &str,
    streaming: bool,
    redacted: bool,
    expanded: bool,
    width: usize,
    lines: &mut Vec<Line<'static>>,
) {
    let label = match (redacted, streaming) {
        (true, _) => "thinking (redacted by the API)".to_owned(),
        (false, true) => "thinking…".to_owned(),
        (false, false) => format!("thought · {} words", text.split_whitespace().count()),
    };
    let arrow = if expanded { "▾" } else { "▸" };
    let style = t.dim.add_modifier(Modifier::ITALIC);
    lines.push(Line::from(Span::styled(
        format!("  {arrow} {label}"),
        style,
    )));
    if expanded {
        for line in text.lines() {
            for row in wrap(&sanitize(line), width.saturating_sub(4)) {
                lines.push(Line::from(vec![
                    Span::raw("    "),
                    Span::styled(row, style),
                ]));
            }
        }
    }
}

fn indent(lines: Vec<Line<'static>>) -> impl Iterator<Item = Line<'static>> {
    lines.into_iter().map(|mut l| {
        l.spans.insert(0, Span::raw("  "));
        l
    })
}

fn error_card(
    t: &Theme,
    message: &str,
    request_id: Option<&str>,
    retry: &str,
    width: usize,
    lines: &mut Vec<Line<'static>>,
) {
    let inner = width.saturating_sub(4).max(8);
    let bar = Span::styled("  ┃ ", t.error);
    lines.push(Line::from(vec![
        bar.clone(),
        Span::styled("✗ the turn failed", t.error.add_modifier(Modifier::BOLD)),
    ]));
    for line in message.lines() {
        for row in wrap(&sanitize(line), inner) {
            lines.push(Line::from(vec![bar.clone(), Span::styled(row, t.error)]));
        }
    }
    if let Some(id) = request_id {
        lines.push(Line::from(vec![
            bar.clone(),
            Span::styled(format!("request id {}", sanitize(id)), t.dim),
        ]));
    }
    lines.push(Line::from(vec![
        bar,
        Span::styled(retry.to_owned(), t.key),
        Span::styled(" retry", t.dim),
    ]));
    lines.push(Line::default());
}

/// The field that holds the text a command writes.
fn written_text(command: &str) -> Option<&'static str> {
    match command {
        "create" => Some("file_text"),
        "str_replace" => Some("new_str"),
        "insert" => Some("insert_text"),
        _ => None,
    }
}

fn tool_lines(
    t: &Theme,
    card: &ToolCard,
    expanded: bool,
    width: usize,
    lines: &mut Vec<Line<'static>>,
) {
    let fields = card.fields();
    let text_of = |k: &str| fields.get(k).and_then(Value::as_str).map(sanitize);
    let command = text_of("command").unwrap_or_default();
    let path = text_of("path")
        .or_else(|| {
            text_of("old_path")
                .map(|old| format!("{old} → {}", text_of("new_path").unwrap_or_default()))
        })
        .unwrap_or_default();
    let (glyph, glyph_style) = match &card.status {
        ToolStatus::Writing => ("✎", t.warn),
        ToolStatus::Ready | ToolStatus::Running => ("⟳", t.warn),
        ToolStatus::Done { .. } => ("✓", t.ok),
        ToolStatus::Failed { .. } => ("✗", t.error),
        ToolStatus::Dropped => ("–", t.dim),
    };
    let name = if card.name == "memory" {
        "memory".to_owned()
    } else {
        sanitize(&card.name)
    };
    lines.push(Line::from(vec![
        Span::styled("  ┌ ", t.dim),
        Span::styled(format!("{glyph} "), glyph_style),
        Span::styled(format!("{name} "), t.dim),
        Span::styled(command.clone(), Style::new().bold()),
        Span::raw(" "),
        Span::styled(path, t.path),
    ]));
    let bar = || Span::styled("  │ ", t.dim);
    let inner = width.saturating_sub(4).max(8);
    let writing = matches!(card.status, ToolStatus::Writing);
    if expanded {
        let pretty = serde_json::from_str::<Value>(&card.input)
            .ok()
            .and_then(|v| serde_json::to_string_pretty(&v).ok())
            .unwrap_or_else(|| card.input.clone());
        for line in pretty.lines() {
            for row in wrap(&sanitize(line), inner) {
                lines.push(Line::from(vec![bar(), Span::styled(row, t.dim)]));
            }
        }
        let (result, style) = match &card.status {
            ToolStatus::Done { content, .. } => (content.as_str(), Style::new()),
            ToolStatus::Failed { error } => (error.as_str(), t.error),
            _ => ("", t.dim),
        };
        if !result.is_empty() {
            lines.push(Line::from(vec![bar(), Span::styled("result:", t.dim)]));
            for line in result.lines() {
                for row in wrap(&sanitize(line), inner) {
                    lines.push(Line::from(vec![bar(), Span::styled(row, style)]));
                }
            }
        }
    } else if let Some(key) = written_text(&command).filter(|_| writing) {
        // The text being written, growing as it streams, newest lines shown.
        let text = fields.get(key).and_then(Value::as_str).unwrap_or_default();
        let mut rows: Vec<String> = text
            .split('\n')
            .flat_map(|l| wrap(&sanitize(l), inner.saturating_sub(1)))
            .collect();
        if rows.len() > LIVE_LINES {
            let hidden = rows.len() - LIVE_LINES;
            rows.drain(..hidden);
            lines.push(Line::from(vec![
                bar(),
                Span::styled(format!("… {hidden} lines above"), t.dim),
            ]));
        }
        let last = rows.len().saturating_sub(1);
        for (i, row) in rows.into_iter().enumerate() {
            let mut spans = vec![bar(), Span::raw(row)];
            if i == last {
                spans.push(Span::styled("▌", t.warn));
            }
            lines.push(Line::from(spans));
        }
    }
    match &card.status {
        ToolStatus::Done { summary, .. } if !expanded => {
            for row in wrap(&sanitize(summary), inner).into_iter().take(1) {
                lines.push(Line::from(vec![bar(), Span::styled(row, t.ok)]));
            }
        }
        ToolStatus::Failed { error } if !expanded => {
            for line in error.lines().take(4) {
                for row in wrap(&sanitize(line), inner) {
                    lines.push(Line::from(vec![bar(), Span::styled(row, t.error)]));
                }
            }
        }
        ToolStatus::Dropped => {
            lines.push(Line::from(vec![
                bar(),
                Span::styled("not run: the answer stopped first", t.dim),
            ]));
        }
        _ => {}
    }
    lines.push(Line::from(Span::styled("  └", t.dim)));
}
