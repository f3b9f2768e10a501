//! The memory store on Redis, shared by a team on several machines.
//!
//! One namespace is fifteen keys under one hash tag (`mem:{NAME}:…`, one cluster slot): the files'
//! texts and metadata, the directories, the history's counter, the history itself (a stream,
//! bounded like the local history), every version's text by hash, and what keeps each command's
//! cost to its own size: an index of each directory's children, each path's history count and
//! the versions' reference counts; and the leases (a prefix for the `SET NX PX` lease keys, the
//! newest token per subject, the leased subjects, an events stream). Every command is one Lua
//! script that declares all its keys, so each is atomic on the server; saves carry their
//! precondition (absent, or the version read), which is also how the panel's compare-and-set
//! works, and read-modify-writes retry on conflict. A retry after a lost reply accepts its own
//! landed write (the stored hash already equals the one asked for) instead of reporting a
//! conflict.
//!
//! Changes reach every client through the history stream: a thread reads it with a blocking
//! `XREAD` from the last entry it saw, so changes made while it was disconnected arrive when it
//! reconnects (with backoff), and this process's own changes are sent to subscribers as they
//! commit. Remote changes name their machine: `Alice@laptop-2`.
//!
//! Here: the store, its connection and its errors; `scripts.rs` the keys and the Lua scripts,
//! `store.rs` the [`super::MemoryStore`] commands, `pages.rs` directories read in bounded pages,
//! `stream.rs` the stream's entries read back, `watch.rs` the watcher thread.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use redis::{ConnectionLike, Script};
use tokio::sync::broadcast;

use super::{Expect, MemPath, MemoryChange, StoreError, Version, WriteCtx};
use crate::clock::now_ms;

mod link;
pub(super) mod pages;
mod scripts;
mod store;
pub(super) mod stream;
pub(super) mod watch;

use link::{Conn, Link, split_urls};
use scripts::{Keys, LAYOUT, Scripts};
use stream::stream_entries;
use watch::{Watcher, set_status};

/// How a command waits for Redis before calling it unreachable.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(3);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a write on a Sentinel link waits for a replica to confirm it.
const CONFIRM_MS: u64 = 1000;
/// Conflicting writers: how many times a read-modify-write is tried (with a growing, jittered
/// pause between tries, a few seconds in all at worst).
const MODIFY_ATTEMPTS: u32 = 60;
/// Directories have no size of their own; they list as a disk's would.
const DIR_SIZE: u64 = 4096;

/// How to reach the shared store.
#[derive(Clone, Debug)]
pub struct RedisOptions {
    /// `redis://[user:password@]host[:port][/db]`, `rediss://…` (TLS, verified against the
    /// system's certificate authorities, or `SSL_CERT_FILE`), `redis+unix:///path`; for a
    /// cluster, any node's URL, or several separated by commas (the rest are discovered).
    pub url: String,
    /// The team's namespace: letters, digits, `.`, `_`, `-`.
    pub namespace: String,
    pub max_file_bytes: u64,
    /// History entries kept, as the local store keeps them ([`super::Retention`], with its per-path
    /// minimum).
    pub history_keep: u64,
    /// This machine's name, recorded with every change.
    pub host: String,
}

/// The Redis store.
pub struct RedisStore {
    link: Link,
    shown_url: String,
    options: RedisOptions,
    keys: Keys,
    scripts: Scripts,
    /// The connection commands use; replaced when it breaks.
    conn: Mutex<Option<Conn>>,
    /// Whether writes wait for a replica's confirmation (`WAIT 1`): on a Sentinel link whose
    /// primary had replicas when the connection was made. Without it, writes answered just
    /// before a planned switch were lost (the promoted replica had not received them). A write
    /// no replica confirms in time fails on that connection; a save is then sent once more on a
    /// new connection (the sentinels asked again), where it lands or is found already there.
    confirm: AtomicBool,
    /// This process's id on the history entries, so its watcher skips what it already sent.
    cid: String,
    changes: broadcast::Sender<MemoryChange>,
    lease_events: broadcast::Sender<crate::memory::LeaseEvent>,
    stop: Arc<AtomicBool>,
    /// What is wrong with the connection, for the status bar.
    status: Arc<tokio::sync::watch::Sender<Option<String>>>,
    /// The history as last read, so that the next read asks only for what came after it.
    history: Mutex<stream::HistoryCache>,
}

/// What a script answered: its first element says how it went.
type Reply = Vec<String>;

impl RedisStore {
    /// Connect and check the namespace. Fails when Redis cannot be reached.
    pub fn open(options: RedisOptions) -> Result<Self, StoreError> {
        check_namespace(&options.namespace)?;
        if options.url.starts_with("rediss://") {
            // More than one TLS crypto provider is built in (the HTTP clients bring theirs):
            // name one for the Redis connection. Installing it twice is harmless.
            let _ = rustls::crypto::ring::default_provider().install_default();
        }
        let urls = split_urls(&options.url);
        for url in &urls {
            if link::is_sentinel_url(url) {
                link::parse_sentinel_url(url).map_err(|e| {
                    StoreError::Rejected(format!("{} is not a Sentinel URL: {e}", redact_url(url)))
                })?;
                continue;
            }
            redis::Client::open(url.as_str()).map_err(|e| {
                StoreError::Rejected(format!(
                    "{} is not a Redis URL ({e}); use redis://host:6379, rediss://host:6380 \
                     (TLS), redis+unix:///path/to/redis.sock, a cluster's nodes separated by \
                     commas, or redis+sentinel://host:26379/service",
                    redact_url(url)
                ))
            })?;
        }
        let shown_url = redact_url(&options.url);
        let keys = Keys::new(&options.namespace);
        let (link, first) = Link::open(&urls, CONNECT_TIMEOUT, RESPONSE_TIMEOUT, keys.log())
            .map_err(|e| {
                if is_connection_error(&e) {
                    StoreError::io(
                        format!("the shared memory store (Redis at {shown_url}) is unreachable"),
                        std::io::Error::other(e.to_string()),
                    )
                } else {
                    refusal(&e, &shown_url, &options.namespace)
                }
            })?;
        let (changes, _) = broadcast::channel(4096);
        let store = Self {
            shown_url,
            keys,
            scripts: Scripts::load(),
            conn: Mutex::new(first),
            confirm: AtomicBool::new(false),
            cid: format!("{}-{}-{}", options.host, std::process::id(), now_ms()),
            changes,
            lease_events: broadcast::channel(1024).0,
            stop: Arc::new(AtomicBool::new(false)),
            status: Arc::new(tokio::sync::watch::channel(None).0),
            history: Mutex::new(stream::HistoryCache::default()),
            link,
            options,
        };
        // Reach it now, reading keys of the namespace: a wrong URL, password or ACL is
        // reported before anything else happens.
        store.check_layout()?;
        Ok(store)
    }

    /// Lay the namespace out as the scripts expect: a new namespace (or one an older memdeck
    /// wrote) is given its index and counts; so is one whose index does not count every file
    /// and directory (keys written by hand). A namespace a newer memdeck laid out is refused.
    fn check_layout(&self) -> Result<(), StoreError> {
        let reply = self.invoke(&self.scripts.survey, None, &[])?;
        let at = |i: usize| reply.get(i).map_or("", String::as_str);
        let (layout, indexed, expected) = (at(0), at(1), at(2));
        match layout {
            LAYOUT if indexed == expected => Ok(()),
            LAYOUT => {
                tracing::warn!(
                    "the index of namespace {} counts {indexed} entries for {expected} files \
                     and folders; rebuilding it",
                    self.options.namespace
                );
                self.upgrade(None)
            }
            other => self.upgrade(Some(other)),
        }
    }

    /// Give the namespace this memdeck's layout (`found`: the one it has), or say why not.
    fn upgrade(&self, found: Option<&str>) -> Result<(), StoreError> {
        if let Some(other) = found.filter(|l| !l.is_empty() && *l != LAYOUT) {
            return Err(StoreError::Rejected(format!(
                "namespace {} of {} was laid out by another version of memdeck (layout {}, \
                 this one uses {LAYOUT}); run the same memdeck version on every machine that \
                 shares it",
                self.options.namespace,
                self.shown_url,
                crate::memory::path::display_disk_name(other.as_bytes())
            )));
        }
        let reply = self.invoke(&self.scripts.upgrade, None, &[LAYOUT])?;
        if reply.first().map(String::as_str) == Some("ok") {
            Ok(())
        } else {
            Err(StoreError::Rejected(format!(
                "the Redis store answered {reply:?} to the layout upgrade"
            )))
        }
    }

    /// Start delivering other clients' changes to subscribers (the app calls this; one-shot
    /// commands need not).
    pub fn watch(&self) -> Result<(), StoreError> {
        let start = self.last_id(self.keys.log())?;
        let events_start = self.last_id(self.keys.events())?;
        let watcher = Watcher {
            link: self.link.clone(),
            log: self.keys.log().to_owned(),
            events: self.keys.events().to_owned(),
            lease_events: self.lease_events.clone(),
            cid: self.cid.clone(),
            host: self.options.host.clone(),
            changes: self.changes.clone(),
            stop: self.stop.clone(),
            status: self.status.clone(),
            trouble: self.trouble(),
        };
        std::thread::Builder::new()
            .name("memdeck-redis-watch".to_owned())
            .spawn(move || watcher.run(start, events_start))
            .map_err(|e| StoreError::io("cannot start the Redis watcher", e))?;
        Ok(())
    }

    /// The newest entry's id in the stream `log` ("0-0" when there is none).
    fn last_id(&self, log: &str) -> Result<String, StoreError> {
        let reply: redis::Value = self.with_conn(|c| {
            redis::cmd("XREVRANGE")
                .arg(log)
                .arg("+")
                .arg("-")
                .arg("COUNT")
                .arg(1)
                .query(c)
        })?;
        Ok(stream_entries(&reply)
            .into_iter()
            .next()
            .map_or_else(|| "0-0".to_owned(), |(id, _)| id))
    }

    /// The status bar's words while the server cannot be reached.
    fn trouble(&self) -> String {
        format!(
            "shared memory unreachable (Redis at {}): retrying",
            self.shown_url
        )
    }

    fn unreachable(&self, e: &redis::RedisError) -> StoreError {
        set_status(&self.status, Some(self.trouble()));
        StoreError::io(
            format!(
                "the shared memory store (Redis at {}) is unreachable",
                self.shown_url
            ),
            std::io::Error::other(e.to_string()),
        )
    }

    /// What the server refused, said so that a person knows what to change.
    fn refused(&self, e: &redis::RedisError) -> StoreError {
        refusal(e, &self.shown_url, &self.options.namespace)
    }

    /// Run `f` on the command connection, connecting first when needed; a broken connection is
    /// dropped (the next command reconnects, and on a Sentinel link asks the sentinels again).
    fn with_conn<T>(
        &self,
        f: impl FnOnce(&mut dyn ConnectionLike) -> redis::RedisResult<T>,
    ) -> Result<T, StoreError> {
        let mut slot = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.is_none() {
            let mut conn = self
                .link
                .connect(CONNECT_TIMEOUT, RESPONSE_TIMEOUT)
                .map_err(|e| {
                    if e.kind() == redis::ErrorKind::AuthenticationFailed {
                        self.refused(&e)
                    } else {
                        self.unreachable(&e)
                    }
                })?;
            let confirm = self.link.is_sentinel() && has_replicas(conn.as_mut());
            self.confirm.store(confirm, Ordering::Relaxed);
            *slot = Some(conn);
        }
        let Some(conn) = slot.as_mut() else {
            return Err(StoreError::Rejected("no Redis connection".to_owned()));
        };
        match f(conn.as_mut()) {
            Ok(v) => {
                set_status(&self.status, None);
                Ok(v)
            }
            Err(e) => {
                if is_connection_error(&e) {
                    *slot = None;
                    Err(self.unreachable(&e))
                } else {
                    Err(self.refused(&e))
                }
            }
        }
    }

    /// Run a script with the common arguments, then its own. A script that found the namespace
    /// without a layout (emptied, or lost by the server) lays it out and runs again.
    fn run(
        &self,
        script: &Script,
        ctx: Option<WriteCtx<'_>>,
        args: &[&str],
    ) -> Result<Reply, StoreError> {
        let mut reply = self.invoke(script, ctx, args)?;
        if reply.first().map(String::as_str) == Some("layout") {
            self.upgrade(reply.get(1).map(String::as_str))?;
            reply = self.invoke(script, ctx, args)?;
        }
        lease_refusal(&reply).map_or(Ok(reply), Err)
    }

    fn invoke(
        &self,
        script: &Script,
        ctx: Option<WriteCtx<'_>>,
        args: &[&str],
    ) -> Result<Reply, StoreError> {
        let (actor, op) = ctx.map_or(("", ""), |c| (c.actor, c.op));
        let fence = ctx
            .and_then(|c| c.fence)
            .map(|lease| format!("{}\t{}", lease.token, lease.subject))
            .unwrap_or_default();
        let ts = now_ms().to_string();
        let keep = self.options.history_keep.to_string();
        self.with_conn(|c| {
            let mut invocation = script.prepare_invoke();
            for key in &self.keys.all {
                invocation.key(key);
            }
            invocation
                .arg(&ts)
                .arg(actor)
                .arg(&self.options.host)
                .arg(&self.cid)
                .arg(op)
                .arg(&keep)
                .arg(&fence);
            for arg in args {
                invocation.arg(*arg);
            }
            let reply = invocation.invoke::<Reply>(c)?;
            if ctx.is_some() && self.confirm.load(Ordering::Relaxed) {
                let confirmed: i64 = redis::cmd("WAIT").arg(1).arg(CONFIRM_MS).query(c)?;
                if confirmed < 1 {
                    // Dropping the connection makes the next command ask the sentinels again.
                    return Err(redis::RedisError::from(std::io::Error::other(format!(
                        "no replica confirmed the write within {CONFIRM_MS} ms (a failover may \
                         be under way); it may be lost, so look at the file before writing it \
                         again"
                    ))));
                }
            }
            Ok(reply)
        })
    }

    /// A read-only script, tried again once on a fresh connection when the first broke (a
    /// server restart or a killed client connection costs no error).
    fn read_only(&self, script: &Script, args: &[&str]) -> Result<Reply, StoreError> {
        match self.run(script, None, args) {
            Err(StoreError::Io { .. }) => self.run(script, None, args),
            other => other,
        }
    }

    fn emit(&self, change: MemoryChange) {
        let _ = self.changes.send(change);
    }

    /// Refuse new `paths` that an existing name equals but for letter case (see
    /// [`super::case_twin`]); `moving` is a rename's source. Checked before the write's script,
    /// not inside it: Lua knows letter case only for ASCII.
    fn refuse_case_twins(
        &self,
        paths: &[&MemPath],
        moving: Option<&MemPath>,
    ) -> Result<(), StoreError> {
        // Every directory on the way from the root to each new name.
        let mut dirs = BTreeSet::new();
        for path in paths {
            let mut dir = path.to_string();
            while let Some((up, _)) = dir.rsplit_once('/') {
                if up.len() < "/memories".len() {
                    break;
                }
                dirs.insert(up.to_owned());
                dir = up.to_owned();
            }
        }
        let dirs: Vec<String> = dirs.into_iter().collect();
        let pages = self.children(&dirs)?;
        let children: BTreeMap<String, Vec<String>> = dirs
            .into_iter()
            .zip(pages.children)
            .map(|(dir, found)| {
                let names = found.map(|c| c.into_iter().map(|c| c.name).collect());
                (dir, names.unwrap_or_default())
            })
            .collect();
        for path in paths {
            super::case_twin(path, moving, |dir| {
                Ok(children.get(&dir.to_string()).cloned().unwrap_or_default())
            })?;
        }
        Ok(())
    }

    /// A save, retried once when the reply was lost (the retry accepts its own landed write).
    fn save_script(
        &self,
        path: &MemPath,
        text: &str,
        expect: &Expect,
        ctx: WriteCtx<'_>,
    ) -> Result<(Reply, Version), StoreError> {
        let new = Version::of(text.as_bytes());
        let (kind, want) = match expect {
            Expect::Any => ("any", String::new()),
            Expect::Absent => ("absent", String::new()),
            Expect::Version(v) => ("version", v.as_str().to_owned()),
        };
        let key = path.to_string();
        let size = text.len().to_string();
        let attempt = |retry: &str| {
            self.run(
                &self.scripts.save,
                Some(ctx),
                &[&key, text, kind, &want, new.as_str(), &size, retry],
            )
        };
        let reply = match attempt("0") {
            Err(StoreError::Io { .. }) => attempt("1")?,
            other => other?,
        };
        Ok((reply, new))
    }
}

impl Drop for RedisStore {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// A reply's error, in the store's terms.
fn refused(reply: &Reply, path: &MemPath) -> StoreError {
    let parent = |p: &str| MemPath::parse(p).unwrap_or_else(|_| path.clone());
    match reply.first().map(String::as_str) {
        Some("none") => StoreError::NotFound(path.clone()),
        Some("isdir" | "dir") => StoreError::IsDir(path.clone()),
        Some("notdir") => StoreError::NotDir(path.clone()),
        Some("exists") => StoreError::Exists(path.clone()),
        Some("parentfile") => StoreError::ParentIsFile {
            path: path.clone(),
            file: parent(reply.get(1).map_or("", String::as_str)),
        },
        Some("conflict") => StoreError::Conflict {
            path: path.clone(),
            current: reply
                .get(1)
                .filter(|s| !s.is_empty())
                .map(|s| Version::from_hex(s.clone())),
        },
        other => StoreError::Rejected(format!("the Redis store answered {other:?}")),
    }
}

/// A pause before trying a contended write again: up to 2^attempt ms (at most 100), at random so
/// that writers that collided do not collide again.
pub(crate) fn contention_pause(attempt: u32) -> Duration {
    let ceiling = 1u64 << attempt.min(7);
    let noise = u64::from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos()),
    );
    let spread = noise.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
    Duration::from_millis((spread % ceiling).min(100) + 1)
}

/// What the server refused, said so that a person knows what to change.
fn refusal(e: &redis::RedisError, shown_url: &str, ns: &str) -> StoreError {
    let message = if e.kind() == redis::ErrorKind::AuthenticationFailed {
        format!("Redis at {shown_url} refused the user name or password in --redis-url (redis_url)")
    } else if e.kind() == redis::ErrorKind::InvalidClientConfig {
        format!("Redis at {shown_url}: {e}")
    } else {
        match e.code() {
            Some("NOPERM") => format!(
                "the Redis user may not use namespace {ns}: its ACL must allow the keys \
                 mem:{{{ns}}}:* and the commands memdeck runs ({})",
                e.detail().unwrap_or("no permission")
            ),
            Some("OOM") => "the shared memory store is full: Redis reached its maxmemory \
                            limit, so nothing was written (free memory on the server or \
                            raise maxmemory; keep maxmemory-policy noeviction)"
                .to_owned(),
            Some("READONLY") => format!(
                "Redis at {shown_url} is a read-only replica; point --redis-url at the primary"
            ),
            _ => format!("Redis refused the command: {e}"),
        }
    };
    StoreError::Rejected(message)
}

/// Whether the server this connection reached has a replica attached now.
fn has_replicas(conn: &mut dyn ConnectionLike) -> bool {
    redis::cmd("INFO")
        .arg("replication")
        .query::<String>(conn)
        .is_ok_and(|info| {
            info.lines()
                .filter_map(|l| l.trim().strip_prefix("connected_slaves:"))
                .any(|n| n.parse::<u64>().is_ok_and(|n| n > 0))
        })
}

fn is_connection_error(e: &redis::RedisError) -> bool {
    use redis::ServerErrorKind as K;
    // A cluster in the middle of a failover (or a server still loading its data) answers
    // with one of these until it settles: the store is unreachable for now, not refusing.
    let settling = matches!(
        e.kind(),
        redis::ErrorKind::Server(
            K::ClusterDown | K::TryAgain | K::MasterDown | K::BusyLoading | K::Moved | K::Ask
        )
    );
    settling
        || e.is_io_error()
        || e.is_connection_dropped()
        || e.is_timeout()
        || e.is_connection_refusal()
}

/// A namespace: 1 to 64 letters, digits, `.`, `_` or `-`.
pub fn check_namespace(ns: &str) -> Result<(), StoreError> {
    let ok = !ns.is_empty()
        && ns.len() <= 64
        && ns
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(StoreError::Rejected(format!(
            "{ns:?} is not a namespace: use 1 to 64 letters, digits, '.', '_' or '-'"
        )))
    }
}

/// A Redis URL with any password replaced, read by a real URL parser (a password may hold `@`,
/// `:` or `/`); a URL that does not parse is not echoed at all.
pub fn redact_url(raw: &str) -> String {
    if link::is_sentinel_url(raw) {
        return link::redact_sentinel_url(raw);
    }
    let urls = split_urls(raw);
    if urls.len() > 1 {
        // A cluster's nodes: each one redacted.
        return urls
            .iter()
            .map(|u| redact_url(u))
            .collect::<Vec<_>>()
            .join(",");
    }
    let Ok(url) = url::Url::parse(raw) else {
        return "(a Redis URL that cannot be read)".to_owned();
    };
    let mut shown = format!("{}://", url.scheme());
    if !url.username().is_empty() || url.password().is_some() {
        shown.push_str(url.username());
        if url.password().is_some() {
            shown.push_str(":<redacted>");
        }
        shown.push('@');
    }
    if let Some(host) = url.host_str() {
        shown.push_str(host);
    }
    if let Some(port) = url.port() {
        shown.push(':');
        shown.push_str(&port.to_string());
    }
    shown.push_str(url.path());
    // Unix-socket URLs carry the password as a parameter: `redis+unix:///path?pass=…`.
    if let Some(query) = url.query() {
        shown.push('?');
        shown.push_str(&crate::memory::redact_query(query));
    }
    shown
}

/// This machine's name, for the history.
pub fn hostname() -> String {
    rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .into_owned()
}

/// A write's script answered that a lease stands against it: the error to give.
fn lease_refusal(reply: &[String]) -> Option<StoreError> {
    let field = |i: usize| reply.get(i).cloned().unwrap_or_default();
    let number = |i: usize| field(i).parse::<u64>().unwrap_or(0);
    match reply.first().map(String::as_str) {
        Some("leased") => Some(StoreError::Leased {
            path: field(1),
            holder: field(2),
            host: field(3),
            left: crate::memory::lease::seconds(Duration::from_millis(number(4))),
        }),
        Some("fenced") => Some(StoreError::Fenced {
            path: field(1),
            token: number(2),
            newest: number(3),
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_show() {
        assert_eq!(
            redact_url("redis://:hunter2@db.example:6379/0"),
            "redis://:<redacted>@db.example:6379/0"
        );
        assert_eq!(
            redact_url("rediss://team:s3cret@db:6380"),
            "rediss://team:<redacted>@db:6380"
        );
        assert_eq!(
            redact_url("redis+unix:///tmp/r.sock"),
            "redis+unix:///tmp/r.sock"
        );
        assert_eq!(
            redact_url("redis+unix:///tmp/r.sock?db=2&user=acme&pass=s3cret"),
            "redis+unix:///tmp/r.sock?db=2&user=acme&pass=<redacted>"
        );
        assert_eq!(
            redact_url("unix:///tmp/r.sock?password=s3cret"),
            "unix:///tmp/r.sock?password=<redacted>"
        );
        // Sentinels: the list kept, the password hidden.
        assert_eq!(
            redact_url("redis+sentinel://team:s3cr,et@a:26379,b:26380/mymaster"),
            "redis+sentinel://team:<redacted>@a:26379,b:26380/mymaster"
        );
        // A password holding `/` (not percent-encoded) is hidden whole too.
        assert_eq!(
            redact_url("redis+sentinel://team:pa/ss@a:26379/mymaster"),
            "redis+sentinel://team:<redacted>@a:26379/mymaster"
        );
        // A cluster's nodes, each redacted; a comma inside a password is not a separator.
        assert_eq!(
            redact_url("redis://:pw1@a:7000, rediss://u:pw2@b:7001"),
            "redis://:<redacted>@a:7000,rediss://u:<redacted>@b:7001"
        );
        assert!(!redact_url("redis://alice:pa,ss@db:6379").contains("ss@"));
        assert!(!redact_url("redis://alice:pa,ss@db:6379").contains("pa"));
        // Passwords holding the characters that end the user part.
        for (raw, shown) in [
            (
                "redis://alice:hunter@2secret@db:6379",
                "redis://alice:<redacted>@db:6379",
            ),
            ("redis://alice:a:b@db", "redis://alice:<redacted>@db"),
            ("redis://alice:p%40ss@db/0", "redis://alice:<redacted>@db/0"),
        ] {
            assert_eq!(redact_url(raw), shown, "{raw}");
        }
        for raw in ["redis://alice:pa/ss@db", "not a url hunter2"] {
            let shown = redact_url(raw);
            assert!(
                !shown.contains("ss@") && !shown.contains("hunter2"),
                "{shown}"
            );
        }
    }

    #[test]
    fn namespaces_are_checked() {
        assert!(check_namespace("acme-demo_1.0").is_ok());
        for bad in ["", "a b", "x}", "{y", &"n".repeat(65)] {
            assert!(check_namespace(bad).is_err(), "{bad:?}");
        }
    }
}
