//! What copying a piece of the chat puts on the clipboard: a message as it was written
//! (Markdown), one of its code blocks without the fence, a tool call's input and result, and
//! the other cards as plain text.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

use super::transcript::{Item, ToolStatus};

/// The Markdown options the chat renders with, so that code blocks are counted alike.
pub const MARKDOWN: Options = Options::ENABLE_TABLES
    .union(Options::ENABLE_STRIKETHROUGH)
    .union(Options::ENABLE_TASKLISTS);

/// A fenced or indented code block of a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeBlock {
    /// The fence's language (empty when none).
    pub lang: String,
    /// The code, without the fence and without its last newline.
    pub code: String,
}

/// The code blocks of `text`, in order (one still streaming counts).
pub fn code_blocks(text: &str) -> Vec<CodeBlock> {
    let mut blocks = Vec::new();
    let mut open: Option<CodeBlock> = None;
    for event in Parser::new_ext(text, MARKDOWN) {
        match event {
            Event::Start(Tag::CodeBlock(kind)) => {
                let lang = match kind {
                    pulldown_cmark::CodeBlockKind::Fenced(lang) => lang.trim().to_owned(),
                    pulldown_cmark::CodeBlockKind::Indented => String::new(),
                };
                open = Some(CodeBlock {
                    lang,
                    code: String::new(),
                });
            }
            Event::Text(piece) => {
                if let Some(block) = &mut open {
                    block.code.push_str(&piece);
                }
            }
            Event::End(TagEnd::CodeBlock) => blocks.extend(open.take()),
            _ => {}
        }
    }
    blocks.extend(open);
    for block in &mut blocks {
        if block.code.ends_with('\n') {
            block.code.pop();
        }
    }
    blocks
}

/// What copying `item` gives, and a few words for the status bar; `None` when it holds nothing
/// to copy (a redacted thinking block, a usage line).
pub fn item_text(item: &Item) -> Option<(String, &'static str)> {
    Some(match item {
        Item::User { text } => (text.clone(), "the message"),
        Item::Text { text, .. } => (text.clone(), "the answer"),
        Item::Thinking {
            text,
            redacted: false,
            ..
        } => (text.clone(), "the thinking"),
        Item::Tool(card) => {
            let (command, target) = card.call();
            let input = serde_json::from_str::<serde_json::Value>(&card.input)
                .ok()
                .and_then(|v| serde_json::to_string_pretty(&v).ok())
                .unwrap_or_else(|| card.input.clone());
            let result = match &card.status {
                ToolStatus::Done { content, .. } => content.clone(),
                ToolStatus::Failed { error } => format!("error: {error}"),
                _ => "(it did not run)".to_owned(),
            };
            let text = format!(
                "{} {command} {target}\n\ninput:\n{input}\n\nresult:\n{result}",
                card.name
            );
            (text, "the tool call (input and result)")
        }
        Item::Compaction { summary, .. } => (summary.clone(), "the summary"),
        Item::Receipt { changes, .. } => {
            let mut text = String::new();
            for change in changes {
                text.push_str(&change.title());
                text.push('\n');
                for (mark, line) in &change.diff {
                    text.push(*mark);
                    text.push_str(line);
                    text.push('\n');
                }
            }
            (text, "the memory changes")
        }
        Item::Proposal { proposal, .. } => (proposal.file_text(), "the proposed memory"),
        Item::Error {
            message,
            request_id,
            ..
        } => {
            let text = match request_id {
                Some(id) => format!("{message}\nrequest id: {id}"),
                None => message.clone(),
            };
            (text, "the error")
        }
        _ => return None,
    })
    .filter(|(text, _)| !text.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_blocks_are_found_as_the_chat_draws_them() {
        let cases: &[(&str, &[(&str, &str)])] = &[
            ("no code here, `inline` is not a block", &[]),
            (
                "Run this:\n\n```sh\ncargo run --release\n```\n\nthen\n\n```\nplain\n\nwith a blank\n```\n",
                &[("sh", "cargo run --release"), ("", "plain\n\nwith a blank")],
            ),
            // Indented, inside a list, and a fence still streaming.
            ("    indented code\n", &[("", "indented code")]),
            (
                "- step\n\n  ```py\n  print(1)\n  ```\n",
                &[("py", "print(1)")],
            ),
            ("```rust\nfn main() {\n", &[("rust", "fn main() {")]),
            // A tilde fence and a longer backtick fence holding backticks.
            (
                "~~~\na\n~~~\n\n````md\n```\nx\n```\n````\n",
                &[("", "a"), ("md", "```\nx\n```")],
            ),
        ];
        for (text, want) in cases {
            let got: Vec<(String, String)> = code_blocks(text)
                .into_iter()
                .map(|b| (b.lang, b.code))
                .collect();
            let want: Vec<(String, String)> = want
                .iter()
                .map(|(l, c)| ((*l).to_owned(), (*c).to_owned()))
                .collect();
            assert_eq!(got, want, "{text:?}");
        }
    }

    #[test]
    fn a_tool_call_copies_its_input_and_result() {
        let card = crate::chat::transcript::ToolCard {
            id: "toolu_1".into(),
            name: "memory".into(),
            input: r#"{"command":"create","path":"/memories/a.md","file_text":"x"}"#.into(),
            status: ToolStatus::Done {
                summary: "created".into(),
                content: "File created successfully at: /memories/a.md".into(),
            },
        };
        let (text, what) = item_text(&Item::Tool(card)).unwrap();
        assert_eq!(what, "the tool call (input and result)");
        assert!(
            text.starts_with("memory create /memories/a.md\n\ninput:\n{\n"),
            "{text}"
        );
        assert!(text.contains("  \"file_text\": \"x\""), "{text}");
        assert!(
            text.ends_with("result:\nFile created successfully at: /memories/a.md"),
            "{text}"
        );
        let usage = Item::Usage {
            input: 1,
            output: 1,
            cache_read: 0,
            compaction_input: 0,
            compaction_output: 0,
        };
        assert_eq!(item_text(&usage), None);
        let redacted = Item::Thinking {
            text: String::new(),
            streaming: false,
            redacted: true,
        };
        assert_eq!(item_text(&redacted), None);
    }
}
