//! The demo model as the client-side compaction call: a deterministic summary of the
//! conversation (what the person said, in their first sentences, and which memory files were
//! read or written), so the compact preset works offline too.

use serde_json::Value;

use super::words;

/// The summary of the conversation in `messages` (the last message asks for it).
pub fn answer(system: &str, messages: &[Value]) -> String {
    let person = system
        .split(" between ")
        .nth(1)
        .and_then(|rest| rest.split(" and Claude").next())
        .unwrap_or("the person");
    let mut said = Vec::new();
    let mut files: Vec<String> = Vec::new();
    for message in messages {
        match &message["content"] {
            Value::String(text) if message["role"] == "user" && !text.starts_with("(memdeck:") => {
                if let Some(first) = words::sentences(text).into_iter().next() {
                    said.push(format!("- {first}"));
                }
            }
            Value::Array(blocks) => {
                for block in blocks {
                    let input = &block["input"];
                    let path = input["path"].as_str().or(input["old_path"].as_str());
                    if block["type"] == "tool_use"
                        && let Some(path) = path.filter(|p| *p != "/memories")
                        && !files.iter().any(|f| f == path)
                    {
                        files.push(path.to_owned());
                    }
                }
            }
            _ => {}
        }
    }
    let mut out = format!("<summary>\n{person} and Claude talked about:\n");
    out.push_str(&said.join("\n"));
    if !files.is_empty() {
        out.push_str("\nMemory files read or written: ");
        out.push_str(&files.join(", "));
        out.push_str(" (read them again for the details).");
    }
    out.push_str("\n</summary>");
    out
}
