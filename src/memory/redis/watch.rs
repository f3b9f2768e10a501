//! The watcher: a thread that follows the history stream with a blocking `XREAD` from the
//! last entry it saw, reconnecting with backoff, and the connection status it reports.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use redis::Connection;
use tokio::sync::broadcast;

use super::CONNECT_TIMEOUT;
use super::stream::{change_of, stream_entries};
use crate::memory::MemoryChange;

/// Change the connection status, telling watchers only when it changed.
pub(super) fn set_status(
    status: &tokio::sync::watch::Sender<Option<String>>,
    value: Option<String>,
) {
    status.send_if_modified(|current| {
        if *current == value {
            false
        } else {
            *current = value;
            true
        }
    });
}

/// Follows the history stream for changes made by other clients.
pub(super) struct Watcher {
    pub(super) client: redis::Client,
    pub(super) log: String,
    pub(super) cid: String,
    pub(super) host: String,
    pub(super) changes: broadcast::Sender<MemoryChange>,
    pub(super) stop: Arc<AtomicBool>,
    pub(super) status: Arc<tokio::sync::watch::Sender<Option<String>>>,
    pub(super) trouble: String,
}

impl Watcher {
    pub(super) fn run(self, mut last: String) {
        let mut backoff = Duration::from_millis(100);
        let mut conn: Option<Connection> = None;
        while !self.stop.load(Ordering::Relaxed) {
            if conn.is_none() {
                match self.client.get_connection_with_timeout(CONNECT_TIMEOUT) {
                    Ok(c) => {
                        // Longer than the blocking read, so a quiet store is not an error.
                        let _ = c.set_read_timeout(Some(Duration::from_secs(10)));
                        conn = Some(c);
                        backoff = Duration::from_millis(100);
                        set_status(&self.status, None);
                    }
                    Err(e) => {
                        set_status(&self.status, Some(self.trouble.clone()));
                        tracing::warn!("the Redis watcher cannot connect: {e}");
                        std::thread::sleep(backoff);
                        backoff = (backoff * 2).min(Duration::from_secs(5));
                        continue;
                    }
                }
            }
            let Some(c) = conn.as_mut() else { continue };
            let reply: redis::RedisResult<redis::Value> = redis::cmd("XREAD")
                .arg("COUNT")
                .arg(500)
                .arg("BLOCK")
                .arg(2000)
                .arg("STREAMS")
                .arg(&self.log)
                .arg(&last)
                .query(c);
            match reply {
                Ok(redis::Value::Array(streams)) => {
                    for stream in &streams {
                        let redis::Value::Array(pair) = stream else {
                            continue;
                        };
                        let Some(entries) = pair.get(1) else { continue };
                        for (id, fields) in stream_entries(entries) {
                            last = id;
                            if fields.get("cid") == Some(&self.cid) {
                                continue;
                            }
                            if let Some(change) = change_of(&fields, &self.host) {
                                let _ = self.changes.send(change);
                            }
                        }
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!("the Redis watcher lost its connection: {e}");
                    set_status(&self.status, Some(self.trouble.clone()));
                    conn = None;
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
            }
        }
    }
}
