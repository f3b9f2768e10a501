//! The watcher: a thread on a connection of its own that `LISTEN`s on the channel every write
//! notifies at commit, and reads the history entries after the last one it saw: when told, and
//! every two seconds besides (which also finds a dead connection). After a lost connection it
//! reconnects with backoff and reads what it missed the same way.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use postgres::fallible_iterator::FallibleIterator;
use tokio::sync::broadcast;

use super::store::{HISTORY_COLUMNS, change_of_row};
use super::{CHANNEL, tls};
use crate::clock::now_ms;
use crate::memory::{Lease, LeaseEvent, MemoryChange};

pub(super) use crate::memory::redis::watch::set_status;

/// How long the watcher waits for a notification before reading the history anyway.
const POLL: Duration = Duration::from_secs(2);

pub(super) struct Watcher {
    /// Told once the watcher first listens.
    pub(super) ready: Option<std::sync::mpsc::SyncSender<()>>,
    pub(super) config: postgres::Config,
    pub(super) ns: String,
    pub(super) cid: String,
    pub(super) host: String,
    pub(super) changes: broadcast::Sender<MemoryChange>,
    pub(super) lease_events: broadcast::Sender<LeaseEvent>,
    pub(super) stop: Arc<AtomicBool>,
    pub(super) status: Arc<tokio::sync::watch::Sender<Option<String>>>,
    pub(super) trouble: String,
}

impl Watcher {
    /// Follow the history from entry `last` until stopped.
    pub(super) fn run(mut self, mut last: i64) {
        const FIRST_PAUSE: Duration = Duration::from_millis(100);
        let mut backoff = FIRST_PAUSE;
        let mut logged = String::new();
        self.config.keepalives_idle(Duration::from_secs(10));
        self.config.application_name("memdeck-watch");
        while !self.stop.load(Ordering::Relaxed) {
            let outcome = self
                .config
                .connect(tls())
                .map_err(|e| e.to_string())
                .and_then(|mut client| {
                    client
                        .batch_execute(&format!("LISTEN {CHANNEL}"))
                        .map_err(|e| e.to_string())?;
                    self.follow(&mut client, &mut last, &mut backoff, &mut logged)
                });
            if let Err(e) = outcome {
                let text = format!("the PostgreSQL watcher lost the database: {e}");
                if logged == text {
                    tracing::debug!("{text} (again)");
                } else {
                    tracing::warn!("{text}");
                    logged = text;
                }
                set_status(&self.status, Some(self.trouble.clone()));
                std::thread::sleep(backoff);
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        }
    }

    /// Read what was missed, then wait for notifications, until the connection fails (the
    /// error) or the store is dropped.
    fn follow(
        &mut self,
        client: &mut postgres::Client,
        last: &mut i64,
        backoff: &mut Duration,
        logged: &mut String,
    ) -> Result<(), String> {
        let page = client
            .prepare(&format!(
                "SELECT {HISTORY_COLUMNS} FROM memdeck_history WHERE ns = $1 AND seq > $2 ORDER \
                 BY seq LIMIT 500"
            ))
            .map_err(|e| e.to_string())?;
        self.catch_up(client, &page, last)?;
        if let Some(ready) = self.ready.take() {
            let _ = ready.send(());
        }
        set_status(&self.status, None);
        *backoff = Duration::from_millis(100);
        logged.clear();
        while !self.stop.load(Ordering::Relaxed) {
            let first = client
                .notifications()
                .timeout_iter(POLL)
                .next()
                .map_err(|e| e.to_string())?;
            // Quiet for a while: read the history anyway (it also finds a dead connection).
            let mut due = first.is_none();
            // Every notification waiting: lease events told at once, changes read after.
            let mut waiting: Vec<postgres::Notification> = first.into_iter().collect();
            {
                let mut more = client.notifications();
                let mut pending = more.iter();
                while let Ok(Some(n)) = pending.next() {
                    waiting.push(n);
                }
            }
            for note in &waiting {
                due |= self.tell(note.payload());
            }
            if due {
                self.catch_up(client, &page, last)?;
            }
        }
        Ok(())
    }

    /// Tell a lease event from another client to waiters; whether the notification says this
    /// namespace's history grew (other teams' namespaces notify on the same channel).
    fn tell(&self, payload: &str) -> bool {
        let Ok(value) = serde_json::from_str::<serde_json::Value>(payload) else {
            return false;
        };
        let field = |k: &str| value.get(k).and_then(|v| v.as_str()).unwrap_or_default();
        if field("ns") != self.ns {
            return false;
        }
        if field("k") == "c" {
            return true;
        }
        if field("cid") == self.cid {
            return false;
        }
        let token = value.get("token").and_then(serde_json::Value::as_u64);
        let event = match (field("k"), token) {
            ("g", Some(token)) => LeaseEvent::Granted(Lease {
                subject: field("subject").to_owned(),
                holder: field("holder").to_owned(),
                host: field("host").to_owned(),
                token,
                expires_ms: now_ms()
                    + value
                        .get("ttl")
                        .and_then(serde_json::Value::as_u64)
                        .unwrap_or(0),
            }),
            ("r", Some(token)) => LeaseEvent::Released {
                subject: field("subject").to_owned(),
                token,
            },
            _ => return false,
        };
        let _ = self.lease_events.send(event);
        false
    }

    /// Send the changes recorded after entry `last`, in pages (`page`: the prepared query).
    fn catch_up(
        &self,
        client: &mut postgres::Client,
        page: &postgres::Statement,
        last: &mut i64,
    ) -> Result<(), String> {
        loop {
            let rows = client
                .query(page, &[&self.ns, &*last])
                .map_err(|e| e.to_string())?;
            for row in &rows {
                *last = row.get(0);
                if let Some(change) = change_of_row(row, &self.cid, &self.host) {
                    let _ = self.changes.send(change);
                }
            }
            if rows.len() < 500 {
                return Ok(());
            }
        }
    }
}
