//! A loopback HTTP server that plays scripted replies, for provider tests: never the internet.
#![allow(dead_code, clippy::unwrap_used, clippy::pedantic)]

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One scripted response.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// Body pieces, each sent after its delay, as chunks of a chunked body.
    pub chunks: Vec<(Duration, Vec<u8>)>,
    /// Whether to end the body properly; otherwise the connection is just closed.
    pub finish: bool,
}

impl Reply {
    pub fn sse(body: &[u8], pieces: usize, delay: Duration) -> Self {
        let size = body.len().div_ceil(pieces.max(1)).max(1);
        Self {
            status: 200,
            headers: vec![("content-type".into(), "text/event-stream".into())],
            chunks: body.chunks(size).map(|c| (delay, c.to_vec())).collect(),
            finish: true,
        }
    }

    pub fn status(status: u16, headers: &[(&str, &str)], body: &str) -> Self {
        Self {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect(),
            chunks: vec![(Duration::ZERO, body.as_bytes().to_vec())],
            finish: true,
        }
    }
}

/// A request the server received.
#[derive(Clone, Debug)]
pub struct Received {
    pub head: String,
    pub body: String,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().skip(1).find_map(|line| {
            let (k, v) = line.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_owned())
        })
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

#[derive(Default)]
struct State {
    replies: VecDeque<Reply>,
    received: Vec<Received>,
    /// Replies whose writing failed because the client had gone.
    client_closed: usize,
}

pub struct Mock {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
}

impl Mock {
    pub async fn start(replies: Vec<Reply>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State {
            replies: replies.into(),
            ..State::default()
        }));
        let shared = state.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(serve(socket, shared.clone()));
            }
        });
        Self { addr, state }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }

    pub fn client_closed(&self) -> usize {
        self.state.lock().unwrap().client_closed
    }
}

async fn serve(mut socket: TcpStream, state: Arc<Mutex<State>>) {
    let mut buf = Vec::new();
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if !read_more(&mut socket, &mut buf).await {
            return;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let length: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap_or(0))
        })
        .unwrap_or(0);
    while buf.len() < head_end + length {
        if !read_more(&mut socket, &mut buf).await {
            return;
        }
    }
    let body = String::from_utf8_lossy(&buf[head_end..head_end + length]).into_owned();
    let reply = {
        let mut s = state.lock().unwrap();
        s.received.push(Received { head, body });
        s.replies
            .pop_front()
            .unwrap_or_else(|| Reply::status(500, &[], "no scripted reply left"))
    };
    let mut out = format!("HTTP/1.1 {} Scripted\r\n", reply.status);
    for (k, v) in &reply.headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("transfer-encoding: chunked\r\nconnection: close\r\n\r\n");
    let mut ok = socket.write_all(out.as_bytes()).await.is_ok();
    for (delay, data) in &reply.chunks {
        if !ok {
            break;
        }
        tokio::time::sleep(*delay).await;
        let mut frame = format!("{:x}\r\n", data.len()).into_bytes();
        frame.extend_from_slice(data);
        frame.extend_from_slice(b"\r\n");
        ok = socket.write_all(&frame).await.is_ok() && socket.flush().await.is_ok();
    }
    if ok && reply.finish {
        ok = socket.write_all(b"0\r\n\r\n").await.is_ok();
    }
    if !ok {
        state.lock().unwrap().client_closed += 1;
    }
    let _ = socket.shutdown().await;
}

/// Read what the client sent next; `false` when it closed or failed.
async fn read_more(socket: &mut TcpStream, buf: &mut Vec<u8>) -> bool {
    let mut chunk = [0u8; 4096];
    match socket.read(&mut chunk).await {
        Ok(0) | Err(_) => false,
        Ok(n) => {
            buf.extend_from_slice(&chunk[..n]);
            true
        }
    }
}
