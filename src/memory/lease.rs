//! Leases: a writer's claim on a memory file (or any other subject: a session, a task) for a
//! while, so that the others wait or work elsewhere.
//!
//! A lease names its holder (a persona, `you` for the panel), the machine, when it runs out, and
//! a fencing token that grows with every grant in the store. While a lease is live, a write to
//! its path is refused unless it carries the lease's token ([`super::WriteCtx::fenced`]); once
//! it has lapsed, a write carrying an older token than the path's newest grant is refused too,
//! so a holder that stalled past its lease cannot overwrite what the next holder wrote. The
//! stores check both inside the write, atomically with it (the local store under its lock, the
//! Redis store in the write's script), and expire leases by themselves: a crashed holder frees
//! its files when its time runs out.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{MemoryStore, StoreError};

/// How long a lease lasts unless renewed, by default.
pub const DEFAULT_TTL: Duration = Duration::from_secs(60);
/// The longest lease a store grants.
pub const MAX_TTL: Duration = Duration::from_secs(24 * 3600);
/// How long the local store remembers a subject's newest token after granting it: longer than
/// any lease lasts, so a holder stalled past its lease still meets it.
pub const FENCE_KEEP: Duration = Duration::from_secs(2 * 24 * 3600);

/// A live lease.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    /// What is leased: a memory path (`/memories/...`) or another name (`session:...`).
    pub subject: String,
    /// Who holds it: a persona, or `you` for the panel.
    pub holder: String,
    /// The machine it was granted to.
    pub host: String,
    /// The fencing token: larger than every token granted before it in this store.
    pub token: u64,
    /// When it runs out, in milliseconds since the Unix epoch (the store's clock).
    pub expires_ms: u64,
}

impl Lease {
    /// Time left at `now_ms`.
    pub fn left(&self, now_ms: u64) -> Duration {
        Duration::from_millis(self.expires_ms.saturating_sub(now_ms))
    }

    /// "you, 40 s" (whole seconds, rounded up, at least 1).
    pub fn badge(&self, now_ms: u64) -> String {
        format!("{}, {}", self.holder, seconds(self.left(now_ms)))
    }
}

/// A holder as the model is told of it: the panel's editor holds files as `you`, which would
/// read as the model itself.
pub fn who(holder: &str) -> &str {
    if holder == super::board::PERSON {
        "a person in the memory panel"
    } else {
        holder
    }
}

/// "40 s", "3 min", "2 h": how long, for people.
pub fn seconds(left: Duration) -> String {
    let s = left.as_millis().div_ceil(1000).max(1);
    match s {
        0..=119 => format!("{s} s"),
        120..=7199 => format!("{} min", s / 60),
        _ => format!("{} h", s / 3600),
    }
}

/// What became of a lease, broadcast to every subscriber of the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LeaseEvent {
    Granted(Lease),
    /// Given back by its holder (a lapse is not announced: waiters know when it runs out).
    Released {
        subject: String,
        token: u64,
    },
}

/// The answer to a request for a lease.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Grant {
    Granted(Lease),
    /// Someone else holds it.
    Held(Lease),
}

/// The leases one writer holds for a read-modify-write (a tab's turn): taken on a file when the
/// model reads it whole, carried by its next write to that file, given back when that write is
/// done or the turn ends. Another writer's change to the file in between is refused, naming the
/// holder.
#[derive(Debug, Default)]
pub struct Holds {
    held: BTreeMap<String, Lease>,
}

/// How long a model's read-modify-write may hold a file: its write usually follows the read
/// within seconds; a read that leads to no write frees the file by itself soon after.
pub const EDIT_TTL: Duration = Duration::from_secs(20);

impl Holds {
    /// The lease held on `path`, for the write's fence.
    pub fn on(&self, path: &str) -> Option<&Lease> {
        self.held.get(path)
    }

    /// The model read `path` (a file): hold it until the write. Says who holds it when someone
    /// else does.
    pub fn read(&mut self, store: &dyn MemoryStore, path: &str, holder: &str) -> Option<Lease> {
        // The board's tasks change by claims, which are atomic by themselves: reading the
        // board holds nothing.
        if self.held.contains_key(path) || super::board::is_task(path) {
            return None;
        }
        match store.acquire(path, holder, EDIT_TTL) {
            Ok(Grant::Granted(lease)) => {
                self.held.insert(path.to_owned(), lease);
                None
            }
            Ok(Grant::Held(other)) => Some(other),
            Err(e) => {
                tracing::warn!(error = %e, "cannot lease {path}");
                None
            }
        }
    }

    /// The write to `path` is done: give the file back.
    pub fn wrote(&mut self, store: &dyn MemoryStore, path: &str) {
        if let Some(lease) = self.held.remove(path) {
            let _ = store.release(&lease);
        }
    }

    /// The turn is over: give everything back.
    pub fn release_all(&mut self, store: &dyn MemoryStore) {
        for (_, lease) in std::mem::take(&mut self.held) {
            let _ = store.release(&lease);
        }
    }
}

/// The ttl a store grants: at least one millisecond, at most [`MAX_TTL`].
pub fn clamp_ttl(ttl: Duration) -> u64 {
    u64::try_from(ttl.min(MAX_TTL).as_millis())
        .unwrap_or(u64::MAX)
        .max(1)
}

/// The local store's leases as kept on disk (`leases.json` in the history directory), changed
/// only under the store's lock. The Redis store keeps the same facts in keys of its own.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct Table {
    /// The last token granted.
    pub(crate) tokens: u64,
    /// Each subject's newest token and when it was granted: a write carrying an older token is
    /// stale. Kept [`FENCE_KEEP`] after the grant (the table is read by every write, so it must
    /// not grow with every file ever read).
    pub(crate) fences: BTreeMap<String, (u64, u64)>,
    /// The leases granted and not released (some may have run out).
    pub(crate) leases: BTreeMap<String, Lease>,
}

impl Table {
    /// Drop the leases that ran out by `now_ms`, and the fences of grants long past.
    pub(crate) fn expire(&mut self, now_ms: u64) {
        self.leases.retain(|_, lease| lease.expires_ms > now_ms);
        let keep = u64::try_from(FENCE_KEEP.as_millis()).unwrap_or(u64::MAX);
        let leases = &self.leases;
        self.fences.retain(|subject, (_, at)| {
            leases.contains_key(subject) || at.saturating_add(keep) > now_ms
        });
    }

    pub(crate) fn acquire(
        &mut self,
        subject: &str,
        holder: &str,
        host: &str,
        ttl_ms: u64,
        now_ms: u64,
    ) -> Grant {
        self.expire(now_ms);
        if let Some(held) = self.leases.get(subject) {
            return Grant::Held(held.clone());
        }
        self.tokens += 1;
        let lease = Lease {
            subject: subject.to_owned(),
            holder: holder.to_owned(),
            host: host.to_owned(),
            token: self.tokens,
            expires_ms: now_ms.saturating_add(ttl_ms),
        };
        self.fences
            .insert(subject.to_owned(), (self.tokens, now_ms));
        self.leases.insert(subject.to_owned(), lease.clone());
        Grant::Granted(lease)
    }

    /// Extend a lease still held with its token; `None` when it is gone.
    pub(crate) fn renew(&mut self, lease: &Lease, ttl_ms: u64, now_ms: u64) -> Option<Lease> {
        self.expire(now_ms);
        let held = self.leases.get_mut(&lease.subject)?;
        if held.token != lease.token {
            return None;
        }
        held.expires_ms = now_ms.saturating_add(ttl_ms);
        Some(held.clone())
    }

    /// Give a lease back: only its own token releases it (compare-and-delete).
    pub(crate) fn release(&mut self, lease: &Lease, now_ms: u64) -> bool {
        self.expire(now_ms);
        if self
            .leases
            .get(&lease.subject)
            .is_some_and(|held| held.token == lease.token)
        {
            self.leases.remove(&lease.subject);
            return true;
        }
        false
    }

    /// Whether a write to `path` (a file, or a folder and everything below it when `tree`)
    /// carrying `fence` may go ahead.
    pub(crate) fn check(
        &self,
        path: &str,
        tree: bool,
        fence: Option<&Lease>,
        now_ms: u64,
    ) -> Result<(), StoreError> {
        // A lease's token speaks for its own subject only.
        let fence = fence
            .filter(|lease| lease.subject == path)
            .map(|lease| lease.token);
        let below = format!("{path}/");
        for lease in self.leases.values() {
            if lease.expires_ms <= now_ms {
                continue;
            }
            let here = lease.subject == path;
            if (here || (tree && lease.subject.starts_with(&below)))
                && !(here && fence == Some(lease.token))
            {
                return Err(leased(lease, now_ms));
            }
        }
        match (fence, self.fences.get(path)) {
            (Some(token), Some(&(newest, _))) if newest > token => Err(StoreError::Fenced {
                path: path.to_owned(),
                token,
                newest,
            }),
            _ => Ok(()),
        }
    }
}

/// The refusal of a write to a file someone else holds.
pub(crate) fn leased(lease: &Lease, now_ms: u64) -> StoreError {
    StoreError::Leased {
        path: lease.subject.clone(),
        holder: lease.holder.clone(),
        host: lease.host.clone(),
        left: seconds(lease.left(now_ms)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_grants_once_fences_and_expires() {
        let mut t = Table::default();
        let Grant::Granted(a) = t.acquire("/memories/a.md", "Alice", "h", 1000, 0) else {
            panic!("first grant");
        };
        assert!(matches!(
            t.acquire("/memories/a.md", "John", "h", 1000, 10),
            Grant::Held(ref l) if l.holder == "Alice"
        ));
        assert!(t.check("/memories/a.md", false, Some(&a), 20).is_ok());
        assert!(matches!(
            t.check("/memories/b.md", false, Some(&a), 20),
            Ok(())
        ));
        assert!(matches!(
            t.check("/memories/a.md", false, None, 20),
            Err(StoreError::Leased { .. })
        ));
        assert!(matches!(
            t.check("/memories", true, None, 20),
            Err(StoreError::Leased { .. })
        ));
        // Alice stalls past her lease; John takes it; her late write is stale.
        let Grant::Granted(j) = t.acquire("/memories/a.md", "John", "h", 1000, 1500) else {
            panic!("after expiry");
        };
        assert!(j.token > a.token);
        assert!(!t.release(&a, 1500), "an old token releases nothing");
        assert!(matches!(
            t.check("/memories/a.md", false, Some(&a), 1600),
            Err(StoreError::Leased { .. })
        ));
        assert!(t.release(&j, 1600));
        assert!(matches!(
            t.check("/memories/a.md", false, Some(&a), 1600),
            Err(StoreError::Fenced { .. })
        ));
        assert!(t.check("/memories/a.md", false, None, 1600).is_ok());
        assert!(t.check("/memories/a.md", false, Some(&j), 1600).is_ok());
        // Two days on, the fence is forgotten (the table does not grow with every read file).
        let later = 1600 + u64::try_from(FENCE_KEEP.as_millis()).unwrap();
        t.expire(later);
        assert!(t.fences.is_empty());
        assert!(t.check("/memories/a.md", false, Some(&a), later).is_ok());
    }

    #[test]
    fn a_refusal_names_the_holder_as_the_model_should_read_it() {
        let mut lease = Lease {
            subject: "/memories/a.md".into(),
            holder: "you".into(),
            host: "laptop".into(),
            token: 3,
            expires_ms: 15_000,
        };
        let text = leased(&lease, 0).to_string();
        assert!(text.starts_with("/memories/a.md is being edited by a person in the memory panel on laptop (lease, 15 s left)"), "{text}");
        lease.holder = "John".into();
        assert!(
            leased(&lease, 0)
                .to_string()
                .contains("edited by John on laptop")
        );
    }

    #[test]
    fn time_left_reads_as_people_say_it() {
        assert_eq!(seconds(Duration::from_millis(1)), "1 s");
        assert_eq!(seconds(Duration::from_secs(40)), "40 s");
        assert_eq!(seconds(Duration::from_secs(600)), "10 min");
        assert_eq!(seconds(Duration::from_secs(7300)), "2 h");
    }
}
