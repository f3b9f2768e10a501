//! A whole session as one document, for the follow-up email after a demo: every tab's turns in
//! time order, and every change to memory interleaved where it happened (who changed which
//! file, with a diff). Markdown or a self-contained HTML page.

use std::fmt::Write as _;

use super::session::{Saved, SavedTab, TurnSpan};
use super::transcript::Item;
use crate::chat::cost::Pricing;
use crate::clock::format_utc;
use crate::memory::receipt::line_diff as diff;
use crate::memory::{HistoryEntry, MemPath, MemoryStore};

/// The document's format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Md,
    Html,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Self::Md => "md",
            Self::Html => "html",
        }
    }
}

/// One piece of the document.
#[derive(Clone, Debug, PartialEq)]
enum Block {
    Heading(String),
    Said {
        who: String,
        text: String,
    },
    Note(String),
    List(Vec<String>),
    Diff {
        title: String,
        lines: Vec<(char, String)>,
    },
}

/// A memory change with its diff, ready to place.
struct Change {
    at_ms: u64,
    block: Block,
}

/// The session `name` as a document. `history` is the store's whole history; versions are
/// read from `store` for the diffs.
pub fn document(
    name: &str,
    saved: &Saved,
    history: &[HistoryEntry],
    store: &dyn MemoryStore,
    pricing: &Pricing,
    format: Format,
    exported_ms: u64,
) -> String {
    let mut turns: Vec<(&SavedTab, &TurnSpan)> = saved
        .tabs
        .iter()
        .flat_map(|tab| tab.turn_log.iter().map(move |span| (tab, span)))
        .collect();
    turns.sort_by_key(|(_, span)| (span.start_ms, span.end_ms));
    let first = turns.first().map_or(0, |(_, s)| s.start_ms);
    let mut changes: Vec<Change> = crate::memory::history::operations(history)
        .filter(|op| op[0].ts_ms >= first)
        .map(|op| Change {
            at_ms: op[0].ts_ms,
            block: change_block(op, store),
        })
        .collect();
    changes.sort_by_key(|c| c.at_ms);

    let mut blocks = vec![Block::Heading(format!("memdeck session “{name}”"))];
    let people: Vec<String> = saved
        .tabs
        .iter()
        .map(|t| format!("{} ({})", t.persona.name, t.persona.role))
        .collect();
    blocks.push(Block::Note(format!(
        "Exported {} UTC · {} · {} turn(s) · {} memory change(s)",
        format_utc(exported_ms),
        people.join(", "),
        turns.len(),
        changes.len()
    )));
    blocks.push(Block::Heading("Cost".to_owned()));
    let usage: Vec<_> = saved.tabs.iter().map(SavedTab::usage).collect();
    blocks.push(Block::List(pricing.report(&usage)));
    blocks.push(Block::Note(
        "Estimated from the tokens each model call reported and the configured price table \
         (USD per million tokens)."
            .to_owned(),
    ));
    let mut pending = changes.into_iter().peekable();
    for (tab, span) in turns {
        // Changes made before this turn began (by a person, another program, an earlier turn
        // of another tab) come first.
        while let Some(change) = pending.next_if(|c| c.at_ms < span.start_ms) {
            blocks.push(change.block);
        }
        blocks.push(Block::Heading(format!(
            "{} · {} ({})",
            format_utc(span.start_ms),
            tab.persona.name,
            tab.persona.role
        )));
        turn_blocks(tab, &tab.items[span.items.clone()], &mut blocks);
        while let Some(change) = pending.next_if(|c| c.at_ms <= span.end_ms) {
            blocks.push(change.block);
        }
    }
    blocks.extend(pending.map(|c| c.block));
    match format {
        Format::Md => markdown(&blocks),
        Format::Html => html(name, &blocks),
    }
}

fn turn_blocks(tab: &SavedTab, items: &[Item], blocks: &mut Vec<Block>) {
    for item in items {
        match item {
            Item::User { text } => blocks.push(Block::Said {
                who: tab.persona.name.clone(),
                text: text.trim().to_owned(),
            }),
            Item::Text { text, .. } if !text.trim().is_empty() => blocks.push(Block::Said {
                who: "Claude".to_owned(),
                text: text.trim().to_owned(),
            }),
            Item::Tool(card) => {
                let (command, target) = card.call();
                blocks.push(Block::Note(format!(
                    "memory {command} {target} {}",
                    card.outcome()
                )));
            }
            Item::ContextEdited {
                cleared_tool_uses,
                cleared_tokens,
            } => blocks.push(Block::Note(format!(
                "✂ context edited: cleared {cleared_tool_uses} tool results, saved {cleared_tokens} tokens"
            ))),
            Item::Told { text } => blocks.push(Block::Note(format!("told Claude: {text}"))),
            Item::Team { text } => blocks.push(Block::Note(text.clone())),
            Item::Stopped { reason } => {
                if let Some(text) = crate::chat::transcript::stop_text(reason) {
                    blocks.push(Block::Note(text.to_owned()));
                }
            }
            Item::Compaction { summary, .. } => blocks.push(Block::Note(format!(
                "⇣ the API compacted the conversation into a summary of {} characters",
                summary.chars().count()
            ))),
            Item::Error {
                message, cancelled, ..
            } => blocks.push(Block::Note(if *cancelled {
                "the turn was cut off (cancelled); what arrived is above".to_owned()
            } else {
                format!("the turn failed: {message}")
            })),
            _ => {}
        }
    }
}

/// "Alice changed /memories/acme.md" and the lines that changed.
/// One operation as a block: a file's change with its diff, or a folder's with each file's.
fn change_block(op: &[HistoryEntry], store: &dyn MemoryStore) -> Block {
    let entry = &op[0];
    let what = match (entry.op.as_str(), &entry.new_path) {
        (_, Some(to)) => format!("renamed {} to {to}", entry.path),
        ("delete", _) => format!("deleted {}", entry.path),
        ("create", _) => format!("created {}", entry.path),
        ("restore", _) => format!("restored {}", entry.path),
        _ => format!("changed {}", entry.path),
    };
    let files = match op.len() {
        1 => String::new(),
        2 => " (the folder and its 1 file)".to_owned(),
        n => format!(" (the folder and its {} files)", n - 1),
    };
    let title = format!(
        "{} · {} {what}{files}",
        format_utc(entry.ts_ms),
        if entry.actor.is_empty() {
            "someone"
        } else {
            &entry.actor
        }
    );
    let lines = match op {
        [one] => change_lines(one, store),
        [_, members @ ..] => members
            .iter()
            .flat_map(|e| {
                let name = e.new_path.as_deref().unwrap_or(&e.path);
                std::iter::once((' ', format!("── {name}"))).chain(change_lines(e, store))
            })
            .collect(),
        [] => Vec::new(),
    };
    Block::Diff { title, lines }
}

/// What one entry did to its file's text.
fn change_lines(entry: &HistoryEntry, store: &dyn MemoryStore) -> Vec<(char, String)> {
    let text = |path: &str, version: &Option<crate::memory::Version>| -> Option<String> {
        let version = version.as_ref()?;
        let path = MemPath::parse(path).ok()?;
        store.version_text(&path, version).ok().flatten()
    };
    let old = text(&entry.path, &entry.old);
    let new = text(entry.new_path.as_deref().unwrap_or(&entry.path), &entry.new);
    let moved_only = entry.new_path.is_some() && entry.old == entry.new;
    if moved_only || (entry.old.is_none() && entry.new.is_none()) {
        Vec::new()
    } else if old.is_some() || new.is_some() {
        diff(old.as_deref().unwrap_or(""), new.as_deref().unwrap_or(""))
    } else {
        vec![(
            ' ',
            "(the history no longer holds these versions)".to_owned(),
        )]
    }
}

/// Names and paths (a persona's name, a memory path) as Markdown text, never as HTML: a
/// Markdown viewer renders raw `<tags>` outside code fences.
fn no_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn markdown(blocks: &[Block]) -> String {
    let mut out = String::new();
    for (i, block) in blocks.iter().enumerate() {
        match block {
            Block::Heading(text) if i == 0 => {
                let _ = writeln!(out, "# {}\n", no_html(text));
            }
            Block::Heading(text) => {
                let _ = writeln!(out, "## {}\n", no_html(text));
            }
            Block::Said { who, text } => {
                let _ = writeln!(out, "**{}:** {text}\n", no_html(who));
            }
            Block::Note(text) => {
                let _ = writeln!(out, "> {}\n", no_html(text));
            }
            Block::List(items) => {
                for item in items {
                    let _ = writeln!(out, "- {}", no_html(item));
                }
                out.push('\n');
            }
            Block::Diff { title, lines } => {
                let _ = writeln!(out, "**Memory:** {}\n", no_html(title));
                if !lines.is_empty() {
                    // A fence longer than any run of backticks in the text.
                    let longest = lines
                        .iter()
                        .map(|(_, l)| longest_run(l, '`'))
                        .max()
                        .unwrap_or(0);
                    let fence = "`".repeat(longest.max(2) + 1);
                    let _ = writeln!(out, "{fence}diff");
                    for (mark, line) in lines {
                        let _ = writeln!(out, "{mark}{line}");
                    }
                    let _ = writeln!(out, "{fence}\n");
                }
            }
        }
    }
    out
}

fn longest_run(text: &str, c: char) -> usize {
    let mut best = 0;
    let mut run = 0;
    for ch in text.chars() {
        run = if ch == c { run + 1 } else { 0 };
        best = best.max(run);
    }
    best
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn html(name: &str, blocks: &[Block]) -> String {
    let mut out = format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>memdeck session {}</title>\n\
         <style>body{{font-family:system-ui,sans-serif;max-width:50em;margin:2em auto;line-height:1.45}}\
         .note{{color:#555;border-left:3px solid #ccc;padding-left:.6em}}\
         pre{{background:#f6f6f6;padding:.6em;overflow-x:auto}}.add{{color:#060}}.del{{color:#a00}}\
         p{{white-space:pre-wrap}}</style></head><body>\n",
        escape(name)
    );
    for (i, block) in blocks.iter().enumerate() {
        match block {
            Block::Heading(text) => {
                let tag = if i == 0 { "h1" } else { "h2" };
                let _ = writeln!(out, "<{tag}>{}</{tag}>", escape(text));
            }
            Block::Said { who, text } => {
                let _ = writeln!(
                    out,
                    "<p><strong>{}:</strong> {}</p>",
                    escape(who),
                    escape(text)
                );
            }
            Block::Note(text) => {
                let _ = writeln!(out, "<p class=\"note\">{}</p>", escape(text));
            }
            Block::List(items) => {
                out.push_str("<ul>\n");
                for item in items {
                    let _ = writeln!(out, "<li>{}</li>", escape(item));
                }
                out.push_str("</ul>\n");
            }
            Block::Diff { title, lines } => {
                let _ = writeln!(out, "<p><strong>Memory:</strong> {}</p>", escape(title));
                if !lines.is_empty() {
                    out.push_str("<pre>");
                    for (mark, line) in lines {
                        let class = match mark {
                            '+' => " class=\"add\"",
                            '-' => " class=\"del\"",
                            _ => "",
                        };
                        let _ = writeln!(out, "<span{class}>{mark}{}</span>", escape(line));
                    }
                    out.push_str("</pre>\n");
                }
            }
        }
    }
    out.push_str("</body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diffs_show_what_changed_with_a_little_context() {
        let old = "a\nb\nc\nd\ne\nf\ng\n";
        let new = "a\nb\nc\nD\ne\nf\ng\nh\n";
        let lines = diff(old, new);
        assert!(lines.contains(&('-', "d".to_owned())));
        assert!(lines.contains(&('+', "D".to_owned())));
        assert!(lines.contains(&('+', "h".to_owned())));
        assert!(
            !lines.contains(&(' ', "a".to_owned())),
            "far context is left out"
        );
        assert_eq!(diff("same\n", "same\n"), Vec::new());
    }

    #[test]
    fn html_escapes_everything_it_shows() {
        let blocks = vec![Block::Said {
            who: "<b>".into(),
            text: "<script>alert('x')</script> & \"q\"".into(),
        }];
        let page = html("n<", &blocks);
        assert!(!page.contains("<script>") && !page.contains("<b>"));
        assert!(page.contains("&lt;script&gt;") && page.contains("&amp;"));
    }
}
