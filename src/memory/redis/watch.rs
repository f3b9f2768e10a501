//! The watcher: a thread that follows the history stream with a blocking `XREAD` from the
//! last entry it saw, reconnecting with backoff, and the connection status it reports.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::broadcast;

use super::CONNECT_TIMEOUT;
use super::link::{Conn, Link};
use super::stream::{change_of, stream_entries};
use crate::clock::now_ms;
use crate::memory::{Lease, LeaseEvent, MemoryChange};

/// Change the connection status, telling watchers only when it changed.
pub(in crate::memory) fn set_status(
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
    pub(super) link: Link,
    pub(super) log: String,
    /// The stream of lease grants and releases, and where they are told.
    pub(super) events: String,
    pub(super) lease_events: broadcast::Sender<LeaseEvent>,
    pub(super) cid: String,
    pub(super) host: String,
    pub(super) changes: broadcast::Sender<MemoryChange>,
    pub(super) stop: Arc<AtomicBool>,
    pub(super) status: Arc<tokio::sync::watch::Sender<Option<String>>>,
    pub(super) trouble: String,
}

impl Watcher {
    /// Follow the stream from `last` until stopped. The pause before reconnecting doubles up to
    /// 5 s and starts over only after a read succeeds: a server that takes the connection and
    /// fails the read at once (a cluster's MOVED, a loading replica, a key of the wrong type)
    /// is not asked again ten times a second, and the status says "unreachable" until reads
    /// work again, not "reachable" at every connect. A failure is logged as a warning when its
    /// text is new, and at debug level while it repeats.
    pub(super) fn run(self, mut last: String, mut last_event: String) {
        const FIRST_PAUSE: Duration = Duration::from_millis(100);
        let mut backoff = FIRST_PAUSE;
        let mut conn: Option<Conn> = None;
        let mut healthy = true;
        let mut logged = String::new();
        while !self.stop.load(Ordering::Relaxed) {
            if conn.is_none() {
                // Replies may take longer than the blocking read, so a quiet store is no error.
                match self.link.connect(CONNECT_TIMEOUT, Duration::from_secs(10)) {
                    Ok(c) => conn = Some(c),
                    Err(e) => {
                        healthy = false;
                        self.failed("cannot connect", &e, &mut logged, &mut backoff);
                        continue;
                    }
                }
            }
            let Some(c) = conn.as_mut() else { continue };
            let mut read = redis::cmd("XREAD");
            read.arg("COUNT").arg(500);
            // After a failure the first read does not block, so that the status clears as soon
            // as the stream can be read, not when the 2 s block ends.
            if healthy {
                read.arg("BLOCK").arg(2000);
            }
            let reply: redis::RedisResult<redis::Value> = read
                .arg("STREAMS")
                .arg(&self.log)
                .arg(&self.events)
                .arg(&last)
                .arg(&last_event)
                .query(c.as_mut());
            match reply {
                Ok(value) => {
                    if !healthy {
                        healthy = true;
                        set_status(&self.status, None);
                        tracing::info!("the Redis watcher reads the stream again");
                    }
                    backoff = FIRST_PAUSE;
                    logged.clear();
                    let redis::Value::Array(streams) = value else {
                        continue;
                    };
                    for stream in &streams {
                        let redis::Value::Array(pair) = stream else {
                            continue;
                        };
                        let Some(entries) = pair.get(1) else { continue };
                        if pair
                            .first()
                            .is_some_and(|name| is_named(name, &self.events))
                        {
                            for (id, fields) in stream_entries(entries) {
                                last_event = id;
                                if fields.get("cid") != Some(&self.cid)
                                    && let Some(event) = lease_event(&fields)
                                {
                                    let _ = self.lease_events.send(event);
                                }
                            }
                            continue;
                        }
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
                Err(e) => {
                    healthy = false;
                    conn = None;
                    self.failed("cannot read the stream", &e, &mut logged, &mut backoff);
                }
            }
        }
    }

    /// Say a failure (a warning when its text is new), show the trouble, wait, and lengthen
    /// the next wait.
    fn failed(
        &self,
        what: &str,
        e: &dyn std::fmt::Display,
        logged: &mut String,
        backoff: &mut Duration,
    ) {
        let text = format!("the Redis watcher {what}: {e}");
        if *logged == text {
            tracing::debug!("{text} (again)");
        } else {
            tracing::warn!("{text}");
            *logged = text;
        }
        set_status(&self.status, Some(self.trouble.clone()));
        std::thread::sleep(*backoff);
        *backoff = (*backoff * 2).min(Duration::from_secs(5));
    }
}

/// Whether a stream's name in an `XREAD` reply is `key`.
fn is_named(name: &redis::Value, key: &str) -> bool {
    match name {
        redis::Value::BulkString(b) => b == key.as_bytes(),
        redis::Value::SimpleString(s) => s == key,
        _ => false,
    }
}

/// An entry of the events stream as the event it tells.
fn lease_event(fields: &std::collections::BTreeMap<String, String>) -> Option<LeaseEvent> {
    let field = |name: &str| fields.get(name).cloned().unwrap_or_default();
    let token = field("token").parse().ok()?;
    match fields.get("kind").map(String::as_str) {
        Some("granted") => Some(LeaseEvent::Granted(Lease {
            subject: field("subject"),
            holder: field("holder"),
            host: field("host"),
            token,
            expires_ms: now_ms() + field("ttl").parse::<u64>().unwrap_or(0),
        })),
        Some("released") => Some(LeaseEvent::Released {
            subject: field("subject"),
            token,
        }),
        _ => None,
    }
}
