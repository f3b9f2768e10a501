//! Build realistic Messages API streams for scripted model answers.
#![allow(dead_code, clippy::pedantic)]

use serde_json::{Value, json};

pub enum Block {
    Text(&'static str),
    /// A tool call whose input JSON text is sent in pieces of at most `piece` bytes.
    Tool {
        id: &'static str,
        name: &'static str,
        input: String,
        piece: usize,
    },
}

pub fn tool(id: &'static str, input: Value) -> Block {
    Block::Tool {
        id,
        name: "memory",
        input: input.to_string(),
        piece: 7,
    }
}

fn event(out: &mut String, name: &str, data: Value) {
    out.push_str(&format!("event: {name}\ndata: {data}\n\n"));
}

/// The whole stream of one answer.
pub fn answer(blocks: &[Block], stop_reason: &str) -> Vec<u8> {
    let mut out = String::new();
    event(
        &mut out,
        "message_start",
        json!({"type":"message_start","message":{"id":"msg_s","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":100,"output_tokens":1}}}),
    );
    for (index, block) in blocks.iter().enumerate() {
        match block {
            Block::Text(text) => {
                event(
                    &mut out,
                    "content_block_start",
                    json!({"type":"content_block_start","index":index,"content_block":{"type":"text","text":""}}),
                );
                for word in text.split_inclusive(' ') {
                    event(
                        &mut out,
                        "content_block_delta",
                        json!({"type":"content_block_delta","index":index,"delta":{"type":"text_delta","text":word}}),
                    );
                }
            }
            Block::Tool {
                id,
                name,
                input,
                piece,
            } => {
                event(
                    &mut out,
                    "content_block_start",
                    json!({"type":"content_block_start","index":index,"content_block":{"type":"tool_use","id":id,"name":name,"input":{}}}),
                );
                let mut rest = input.as_str();
                while !rest.is_empty() {
                    let mut cut = (*piece).min(rest.len());
                    while !rest.is_char_boundary(cut) {
                        cut += 1;
                    }
                    let (part, tail) = rest.split_at(cut);
                    event(
                        &mut out,
                        "content_block_delta",
                        json!({"type":"content_block_delta","index":index,"delta":{"type":"input_json_delta","partial_json":part}}),
                    );
                    rest = tail;
                }
            }
        }
        event(
            &mut out,
            "content_block_stop",
            json!({"type":"content_block_stop","index":index}),
        );
    }
    event(
        &mut out,
        "message_delta",
        json!({"type":"message_delta","delta":{"stop_reason":stop_reason,"stop_sequence":null},"usage":{"output_tokens":50}}),
    );
    event(&mut out, "message_stop", json!({"type":"message_stop"}));
    out.into_bytes()
}
