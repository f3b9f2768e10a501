//! A loopback stand-in for the Messages API, for the rendering-cost bench (`bench/stream-cpu.sh`).
//!
//! Every `POST /v1/messages` is answered with one streamed text answer of `--tokens` deltas,
//! one every `--gap-ms` milliseconds, each sent as its own network write. It prints
//! `listening <port>` first, then `done <n>` after the n-th answer has been fully written, so a
//! script can tell when the streams are over. It never touches the internet.
//!
//! `cargo run --release --example mock_anthropic -- --tokens 2000 --gap-ms 2`
#![allow(clippy::unwrap_used, clippy::pedantic)]

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{MissedTickBehavior, interval};

const WORDS: &[&str] = &[
    "The",
    " customer",
    " wants",
    " a",
    " pilot",
    " in",
    " March",
    ",",
    " with",
    " three",
    " teams",
    " and",
    " a",
    " shared",
    " memory",
    " store",
    ".",
    " We",
    " agreed",
    " on",
    " **weekly**",
    " check",
    "-ins",
    " and",
    " a",
    " `budget`",
    " of",
    " 40",
    "k",
    ".",
];

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map_or(default, |v| v.parse().expect("a number"))
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let tokens = arg("--tokens", 2000) as usize;
    let gap = Duration::from_millis(arg("--gap-ms", 2));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    println!("listening {}", listener.local_addr().unwrap().port());
    std::io::stdout().flush().unwrap();
    let done = Arc::new(AtomicUsize::new(0));
    loop {
        let (socket, _) = listener.accept().await.unwrap();
        let done = done.clone();
        tokio::spawn(async move {
            if answer(socket, tokens, gap).await.is_ok() {
                let n = done.fetch_add(1, Ordering::SeqCst) + 1;
                println!("done {n}");
                std::io::stdout().flush().unwrap();
            }
        });
    }
}

/// Read one request (head and a Content-Length body), then stream the answer.
async fn answer(mut socket: TcpStream, tokens: usize, gap: Duration) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let body_start = loop {
        let n = socket.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..body_start]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map_or(0, |v| v.trim().parse().unwrap_or(0));
    while buf.len() < body_start + length {
        let n = socket.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }

    socket
        .write_all(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\
              request-id: req_bench\r\nconnection: close\r\n\r\n",
        )
        .await?;
    let start = concat!(
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_bench\",",
        "\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-bench\",\"content\":[],",
        "\"stop_reason\":null,\"usage\":{\"input_tokens\":1200,\"output_tokens\":1}}}\n\n",
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,",
        "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
    );
    socket.write_all(start.as_bytes()).await?;
    let mut ticks = interval(gap);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    for i in 0..tokens {
        ticks.tick().await;
        let mut text = WORDS[i % WORDS.len()].to_owned();
        if i % 90 == 89 {
            text.push_str("\\n\\n");
        }
        let event = format!(
            "event: content_block_delta\ndata: {{\"type\":\"content_block_delta\",\"index\":0,\
             \"delta\":{{\"type\":\"text_delta\",\"text\":\"{text}\"}}}}\n\n"
        );
        socket.write_all(event.as_bytes()).await?;
    }
    let end = format!(
        concat!(
            "event: content_block_stop\ndata: {{\"type\":\"content_block_stop\",\"index\":0}}\n\n",
            "event: message_delta\ndata: {{\"type\":\"message_delta\",\"delta\":{{\"stop_reason\":",
            "\"end_turn\",\"stop_sequence\":null}},\"usage\":{{\"output_tokens\":{}}}}}\n\n",
            "event: message_stop\ndata: {{\"type\":\"message_stop\"}}\n\n",
        ),
        tokens
    );
    socket.write_all(end.as_bytes()).await?;
    socket.shutdown().await
}
