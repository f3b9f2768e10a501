//! The memory store on Redis, shared by a team on several machines.
//!
//! One namespace is six keys under one hash tag (`mem:{NAME}:…`, one cluster slot): the files'
//! texts and metadata, the directories, the history's counter, the history itself (a stream,
//! bounded like the local history) and every version's text by hash. Every command is one Lua
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

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use redis::{Connection, Script};
use tokio::sync::broadcast;

use super::history::{HistoryEntry, pick_version};
use super::{
    ChangeKind, Entry, Expect, FileText, Listing, MemPath, MemoryChange, MemoryStore, NodeKind,
    Retention, StoreError, Version, WriteCtx, within_limit,
};
use crate::clock::now_ms;

const PRELUDE: &str = include_str!("scripts.lua");
const OPS: &str = include_str!("ops.lua");

/// How a command waits for Redis before calling it unreachable.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(3);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Conflicting writers: how many times a read-modify-write is tried (with a growing, jittered
/// pause between tries, a few seconds in all at worst).
const MODIFY_ATTEMPTS: u32 = 60;
/// Directories have no size of their own; they list as a disk's would.
const DIR_SIZE: u64 = 4096;

/// How to reach the shared store.
#[derive(Clone, Debug)]
pub struct RedisOptions {
    /// `redis://[user:password@]host[:port][/db]`, `rediss://…` (TLS, verified against the
    /// system's certificate authorities, or `SSL_CERT_FILE`), `redis+unix:///path`.
    pub url: String,
    /// The team's namespace: letters, digits, `.`, `_`, `-`.
    pub namespace: String,
    pub max_file_bytes: u64,
    /// History entries kept, as the local store keeps them ([`Retention`], with its per-path
    /// minimum).
    pub history_keep: u64,
    /// This machine's name, recorded with every change.
    pub host: String,
}

/// The keys of one namespace.
struct Keys {
    all: [String; 6],
}

impl Keys {
    fn new(ns: &str) -> Self {
        let key = |part: &str| format!("mem:{{{ns}}}:{part}");
        Self {
            all: [
                key("content"),
                key("meta"),
                key("dirs"),
                key("seq"),
                key("log"),
                key("blobs"),
            ],
        }
    }

    fn log(&self) -> &str {
        &self.all[4]
    }
}

/// The compiled scripts.
struct Scripts {
    node: Script,
    read: Script,
    list: Script,
    save: Script,
    delete: Script,
    rename: Script,
    restore_folder: Script,
    siblings: Script,
}

impl Scripts {
    fn load() -> Self {
        let prelude = PRELUDE.replace(
            "@KEEP_PER_PATH@",
            &Retention::default().keep_per_path.to_string(),
        );
        let mut bodies: BTreeMap<&str, String> = BTreeMap::new();
        for section in OPS.split("\n-- @").skip(1) {
            let name = section.split_whitespace().next().unwrap_or_default();
            // The body is a function so that the history's retention can run after any return.
            bodies.insert(
                name,
                format!(
                    "{prelude}\nlocal function body()\n-- @{section}\nend\n\
                     local reply = body()\nif retain_due then retain() end\nreturn reply\n"
                ),
            );
        }
        let script = |name: &str| Script::new(bodies.get(name).map_or("", String::as_str));
        Self {
            node: script("node"),
            read: script("read"),
            list: script("list"),
            save: script("save"),
            delete: script("delete"),
            rename: script("rename"),
            restore_folder: script("restore_folder"),
            siblings: script("siblings"),
        }
    }
}

/// The Redis store.
pub struct RedisStore {
    client: redis::Client,
    shown_url: String,
    options: RedisOptions,
    keys: Keys,
    scripts: Scripts,
    /// The connection commands use; replaced when it breaks.
    conn: Mutex<Option<Connection>>,
    /// This process's id on the history entries, so its watcher skips what it already sent.
    cid: String,
    changes: broadcast::Sender<MemoryChange>,
    stop: Arc<AtomicBool>,
    /// What is wrong with the connection, for the status bar.
    status: Arc<tokio::sync::watch::Sender<Option<String>>>,
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
        let client = redis::Client::open(options.url.as_str()).map_err(|e| {
            StoreError::Rejected(format!(
                "{} is not a Redis URL ({e}); use redis://host:6379, rediss://host:6380 (TLS) \
                 or redis+unix:///path/to/redis.sock",
                redact_url(&options.url)
            ))
        })?;
        let (changes, _) = broadcast::channel(4096);
        let store = Self {
            shown_url: redact_url(&options.url),
            keys: Keys::new(&options.namespace),
            scripts: Scripts::load(),
            conn: Mutex::new(None),
            cid: format!("{}-{}-{}", options.host, std::process::id(), now_ms()),
            changes,
            stop: Arc::new(AtomicBool::new(false)),
            status: Arc::new(tokio::sync::watch::channel(None).0),
            client,
            options,
        };
        // Reach it now, reading a key of the namespace: a wrong URL, password or ACL is
        // reported before anything else happens.
        let log = store.keys.log().to_owned();
        store.with_conn(|c| redis::cmd("XLEN").arg(&log).query::<u64>(c))?;
        Ok(store)
    }

    /// Start delivering other clients' changes to subscribers (the app calls this; one-shot
    /// commands need not).
    pub fn watch(&self) -> Result<(), StoreError> {
        let start = self.last_id()?;
        let watcher = Watcher {
            client: self.client.clone(),
            log: self.keys.log().to_owned(),
            cid: self.cid.clone(),
            host: self.options.host.clone(),
            changes: self.changes.clone(),
            stop: self.stop.clone(),
            status: self.status.clone(),
            trouble: self.trouble(),
        };
        std::thread::Builder::new()
            .name("memdeck-redis-watch".to_owned())
            .spawn(move || watcher.run(start))
            .map_err(|e| StoreError::io("cannot start the Redis watcher", e))?;
        Ok(())
    }

    /// The newest history entry's id ("0-0" when there is none).
    fn last_id(&self) -> Result<String, StoreError> {
        let log = self.keys.log().to_owned();
        let reply: redis::Value = self.with_conn(|c| {
            redis::cmd("XREVRANGE")
                .arg(&log)
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
        let ns = &self.options.namespace;
        let message = if e.kind() == redis::ErrorKind::AuthenticationFailed {
            format!(
                "Redis at {} refused the user name or password in --redis-url (redis_url)",
                self.shown_url
            )
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
                    "Redis at {} is a read-only replica; point --redis-url at the primary",
                    self.shown_url
                ),
                _ => format!("Redis refused the command: {e}"),
            }
        };
        StoreError::Rejected(message)
    }

    /// Run `f` on the command connection, connecting first when needed; a broken connection is
    /// dropped (the next command reconnects).
    fn with_conn<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> redis::RedisResult<T>,
    ) -> Result<T, StoreError> {
        let mut slot = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.is_none() {
            let conn = self
                .client
                .get_connection_with_timeout(CONNECT_TIMEOUT)
                .map_err(|e| {
                    if e.kind() == redis::ErrorKind::AuthenticationFailed {
                        self.refused(&e)
                    } else {
                        self.unreachable(&e)
                    }
                })?;
            conn.set_read_timeout(Some(RESPONSE_TIMEOUT))
                .and_then(|()| conn.set_write_timeout(Some(RESPONSE_TIMEOUT)))
                .map_err(|e| self.unreachable(&e))?;
            *slot = Some(conn);
        }
        let Some(conn) = slot.as_mut() else {
            return Err(StoreError::Rejected("no Redis connection".to_owned()));
        };
        match f(conn) {
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

    /// Run a script with the common arguments, then its own.
    fn run(
        &self,
        script: &Script,
        ctx: Option<WriteCtx<'_>>,
        args: &[&str],
    ) -> Result<Reply, StoreError> {
        let (actor, op) = ctx.map_or(("", ""), |c| (c.actor, c.op));
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
                .arg(&keep);
            for arg in args {
                invocation.arg(*arg);
            }
            invocation.invoke::<Reply>(c)
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
        let keys: Vec<String> = paths.iter().map(ToString::to_string).collect();
        let args: Vec<&str> = keys.iter().map(String::as_str).collect();
        let reply = self.read_only(&self.scripts.siblings, &args)?;
        let mut children: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for key in reply {
            if let Some((dir, name)) = key.rsplit_once('/') {
                children
                    .entry(dir.to_owned())
                    .or_default()
                    .push(name.to_owned());
            }
        }
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

impl MemoryStore for RedisStore {
    fn describe(&self) -> String {
        format!(
            "Redis {} namespace {}",
            self.shown_url, self.options.namespace
        )
    }

    fn max_file_bytes(&self) -> u64 {
        self.options.max_file_bytes
    }

    fn node(&self, path: &MemPath) -> Result<Option<(NodeKind, u64)>, StoreError> {
        let reply = self.read_only(&self.scripts.node, &[&path.to_string()])?;
        let size = || reply.get(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        match reply.first().map(String::as_str) {
            Some("dir") => Ok(Some((NodeKind::Dir, size()))),
            Some("file") => Ok(Some((NodeKind::File, size()))),
            Some("none") => Ok(None),
            _ => Err(refused(&reply, path)),
        }
    }

    fn read(&self, path: &MemPath) -> Result<FileText, StoreError> {
        let reply = self.read_only(&self.scripts.read, &[&path.to_string()])?;
        match (
            reply.first().map(String::as_str),
            reply.get(1),
            reply.get(2),
        ) {
            (Some("file"), Some(text), Some(sha)) => Ok(FileText {
                text: text.clone(),
                // Metadata set by hand may lack the hash: the text's own is the truth.
                version: if sha.len() == 64 {
                    Version::from_hex(sha.clone())
                } else {
                    Version::of(text.as_bytes())
                },
            }),
            _ => Err(refused(&reply, path)),
        }
    }

    fn list(&self, dir: &MemPath, depth: usize) -> Result<Listing, StoreError> {
        let base = dir.to_string();
        let reply = self.read_only(&self.scripts.list, &[&base])?;
        if reply.first().map(String::as_str) != Some("ok") {
            return Err(refused(&reply, dir));
        }
        // Every node below, relative, with its kind and size.
        let mut nodes: BTreeMap<String, (NodeKind, u64)> = BTreeMap::new();
        let mut skipped = Vec::new();
        for item in reply[1..].chunks(3) {
            let [kind, path, size] = item else { continue };
            // A key no tool call could make (planted by hand in the shared namespace) is left
            // out and reported, never listed raw.
            if let Err(why) = super::check_stored_path(path) {
                tracing::warn!(
                    "skipping the Redis entry {}: {}",
                    super::path::display_disk_name(path.as_bytes()),
                    super::path::display_disk_name(why.as_bytes())
                );
                skipped.push(super::path::display_disk_name(path.as_bytes()));
                continue;
            }
            let Some(relative) = path.strip_prefix(&format!("{base}/")) else {
                continue;
            };
            let kind = if kind == "d" {
                NodeKind::Dir
            } else {
                NodeKind::File
            };
            nodes.insert(relative.to_owned(), (kind, size.parse().unwrap_or(0)));
        }
        let mut entries = Vec::new();
        add_children(&nodes, "", 1, depth, &mut entries);
        Ok(Listing {
            size: DIR_SIZE,
            entries,
            skipped,
            unreadable: Vec::new(),
        })
    }

    fn save(
        &self,
        path: &MemPath,
        text: &str,
        expect: Expect,
        ctx: WriteCtx<'_>,
    ) -> Result<Version, StoreError> {
        if path.is_root() {
            return Err(StoreError::IsDir(path.clone()));
        }
        within_limit(path, text, self.options.max_file_bytes)?;
        // A save under a version is of a file that exists: no new name to compare.
        if !matches!(expect, Expect::Version(_)) {
            self.refuse_case_twins(&[path], None)?;
        }
        let (reply, version) = self.save_script(path, text, &expect, ctx)?;
        let kind = match (
            reply.first().map(String::as_str),
            reply.get(2).map(String::as_str),
        ) {
            (Some("ok"), Some("created")) => ChangeKind::Created,
            // "same": a retry found its first attempt landed; the change happened, said once.
            (Some("ok"), Some("modified" | "same")) => ChangeKind::Modified,
            _ => return Err(refused(&reply, path)),
        };
        self.emit(MemoryChange {
            path: path.to_string(),
            kind,
            actor: ctx.actor.to_owned(),
            version: Some(version.clone()),
            is_dir: false,
        });
        Ok(version)
    }

    fn modify(
        &self,
        path: &MemPath,
        ctx: WriteCtx<'_>,
        edit: &mut dyn FnMut(&str) -> Result<String, String>,
    ) -> Result<FileText, StoreError> {
        if path.is_root() {
            return Err(StoreError::IsDir(path.clone()));
        }
        for attempt in 0..MODIFY_ATTEMPTS {
            if attempt > 0 {
                std::thread::sleep(contention_pause(attempt));
            }
            let current = self.read(path)?;
            let text = edit(&current.text).map_err(StoreError::Rejected)?;
            // The save refuses a text over the limit.
            match self.save(path, &text, Expect::Version(current.version), ctx) {
                Ok(version) => return Ok(FileText { text, version }),
                // Someone else wrote in between: read again and redo the edit.
                Err(StoreError::Conflict { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::Rejected(format!(
            "{path} kept changing under other writers; nothing was written, try again"
        )))
    }

    fn delete(&self, path: &MemPath, ctx: WriteCtx<'_>) -> Result<Vec<String>, StoreError> {
        if path.is_root() {
            return Err(StoreError::Rejected(
                "Cannot delete the /memories directory itself".to_owned(),
            ));
        }
        let reply = self.run(&self.scripts.delete, Some(ctx), &[&path.to_string()])?;
        if reply.first().map(String::as_str) != Some("ok") {
            return Err(refused(&reply, path));
        }
        self.emit(MemoryChange {
            path: path.to_string(),
            kind: ChangeKind::Deleted,
            actor: ctx.actor.to_owned(),
            version: None,
            is_dir: reply.get(1).map(String::as_str) == Some("dir"),
        });
        // Every key a tool can reach is a valid path: nothing is hidden from it here.
        Ok(Vec::new())
    }

    fn rename(&self, from: &MemPath, to: &MemPath, ctx: WriteCtx<'_>) -> Result<(), StoreError> {
        if from.is_root() {
            return Err(StoreError::Rejected(
                "Cannot rename the /memories directory itself".to_owned(),
            ));
        }
        if to.is_root() {
            return Err(StoreError::Exists(to.clone()));
        }
        let (f, t) = (from.to_string(), to.to_string());
        if t.starts_with(&format!("{f}/")) {
            return Err(StoreError::IntoItself {
                from: from.clone(),
                to: to.clone(),
            });
        }
        self.refuse_case_twins(&[to], Some(from))?;
        let reply = self.run(&self.scripts.rename, Some(ctx), &[&f, &t])?;
        match reply.first().map(String::as_str) {
            Some("ok") => {}
            Some("exists") => return Err(StoreError::Exists(to.clone())),
            Some("parentfile") => return Err(refused(&reply, to)),
            _ => return Err(refused(&reply, from)),
        }
        let is_dir = reply.get(1).map(String::as_str) == Some("dir");
        let version = if is_dir {
            None
        } else {
            self.read(to).ok().map(|f| f.version)
        };
        self.emit(MemoryChange {
            path: t,
            kind: ChangeKind::Renamed { from: f },
            actor: ctx.actor.to_owned(),
            version,
            is_dir,
        });
        Ok(())
    }

    fn history(&self, path: Option<&MemPath>) -> Result<Vec<HistoryEntry>, StoreError> {
        let log = self.keys.log().to_owned();
        let reply: redis::Value =
            self.with_conn(|c| redis::cmd("XRANGE").arg(&log).arg("-").arg("+").query(c))?;
        Ok(stream_entries(&reply)
            .into_iter()
            .filter_map(|(_, fields)| entry_of(&fields, &self.options.host))
            .filter(|e| path.is_none_or(|p| e.touches(p)))
            .collect())
    }

    fn restore(
        &self,
        path: &MemPath,
        version: Option<&str>,
        ctx: WriteCtx<'_>,
    ) -> Result<Version, StoreError> {
        let history = self.history(Some(path))?;
        let current = match self.read(path) {
            Ok(file) => Some(file),
            Err(StoreError::NotFound(_)) => None,
            Err(e) => return Err(e),
        };
        let wanted = pick_version(
            &history,
            path,
            current.as_ref().map(|f| &f.version),
            version,
        )?;
        let text = self.version_text(path, &wanted)?.ok_or_else(|| {
            StoreError::NoVersion(format!(
                "version {} of {path} is no longer kept",
                wanted.short()
            ))
        })?;
        let expect = match &current {
            Some(file) => Expect::Version(file.version.clone()),
            None => Expect::Absent,
        };
        self.save(path, &text, expect, ctx)
    }

    fn restore_folder(
        &self,
        folder: &MemPath,
        files: &[(MemPath, Version)],
        ctx: WriteCtx<'_>,
    ) -> Result<usize, StoreError> {
        super::history::check_inside(folder, files)?;
        let paths: Vec<&MemPath> = files.iter().map(|(p, _)| p).collect();
        self.refuse_case_twins(&paths, None)?;
        let key = folder.to_string();
        let mut args: Vec<String> = vec![key];
        for (path, version) in files {
            args.push(path.to_string());
            args.push(version.as_str().to_owned());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let reply = self.run(&self.scripts.restore_folder, Some(ctx), &args)?;
        let at = |i: usize| reply.get(i).map_or("", String::as_str);
        match at(0) {
            "ok" => {}
            "gone" => {
                return Err(StoreError::NoVersion(format!(
                    "the history no longer holds version {} of {}",
                    Version::from_hex(at(2).to_owned()).short(),
                    at(1)
                )));
            }
            _ => {
                let path = MemPath::parse(at(2)).unwrap_or_else(|_| folder.clone());
                return Err(refused(&reply, &path));
            }
        }
        let restored = &reply[1..];
        for (path, version) in files {
            let path = path.to_string();
            if !restored.contains(&path) {
                continue;
            }
            self.emit(MemoryChange {
                path,
                kind: ChangeKind::Created,
                actor: ctx.actor.to_owned(),
                version: Some(version.clone()),
                is_dir: false,
            });
        }
        Ok(restored.len())
    }

    fn version_text(
        &self,
        _path: &MemPath,
        version: &Version,
    ) -> Result<Option<String>, StoreError> {
        let blobs = self.keys.all[5].clone();
        self.with_conn(|c| {
            redis::cmd("HGET")
                .arg(&blobs)
                .arg(version.as_str())
                .query::<Option<String>>(c)
        })
    }

    fn subscribe(&self) -> broadcast::Receiver<MemoryChange> {
        self.changes.subscribe()
    }

    fn status(&self) -> Option<tokio::sync::watch::Receiver<Option<String>>> {
        Some(self.status.subscribe())
    }

    fn dump(&self) -> Result<super::Dump, StoreError> {
        let [content, _, dirs, ..] = &self.keys.all;
        let (files, dirs): (BTreeMap<String, String>, Vec<String>) = self.with_conn(|c| {
            let files = redis::cmd("HGETALL").arg(content).query(c)?;
            let dirs = redis::cmd("HKEYS").arg(dirs).query(c)?;
            Ok((files, dirs))
        })?;
        super::Dump::of(self, dirs, files.into_iter().collect())
    }

    fn import(&self, dump: &super::Dump) -> Result<(), StoreError> {
        dump.check()?;
        let [content, meta, dirs, seq, log, blobs] = &self.keys.all;
        let used: (u64, u64, u64) = self.with_conn(|c| {
            redis::pipe()
                .cmd("HLEN")
                .arg(meta)
                .cmd("HLEN")
                .arg(dirs)
                .cmd("XLEN")
                .arg(log)
                .query(c)
        })?;
        if used != (0, 0, 0) {
            return Err(StoreError::Rejected(format!(
                "{} is not empty; migrate into an empty namespace",
                self.describe()
            )));
        }
        let mut pipe = redis::pipe();
        pipe.atomic();
        for dir in &dump.dirs {
            pipe.cmd("HSET").arg(dirs).arg(dir).arg("1").ignore();
        }
        let now = now_ms();
        for (path, text) in &dump.files {
            let version = Version::of(text.as_bytes());
            let record = serde_json::json!({
                "sha": version.as_str(),
                "size": text.len(),
                "ts": now,
                "actor": "migrate",
                "host": self.options.host,
            });
            pipe.cmd("HSET").arg(content).arg(path).arg(text).ignore();
            pipe.cmd("HSET")
                .arg(meta)
                .arg(path)
                .arg(record.to_string())
                .ignore();
            pipe.cmd("HSET")
                .arg(blobs)
                .arg(version.as_str())
                .arg(text)
                .ignore();
        }
        for (version, text) in &dump.versions {
            pipe.cmd("HSET")
                .arg(blobs)
                .arg(version.as_str())
                .arg(text)
                .ignore();
        }
        for (i, entry) in dump.history.iter().enumerate() {
            let version = |v: &Option<Version>| v.as_ref().map_or("", Version::as_str).to_owned();
            // Actors from another machine came as `name@host`: keep the two apart again.
            let (actor, host) = entry.actor.split_once('@').map_or(
                (entry.actor.as_str(), self.options.host.as_str()),
                |(a, h)| (a, h),
            );
            let is_dir = entry.old.is_none()
                && entry.new.is_none()
                && dump
                    .dirs
                    .iter()
                    .any(|d| *d == entry.path || Some(d) == entry.new_path.as_ref());
            pipe.cmd("XADD")
                .arg(log)
                .arg("*")
                .arg("seq")
                .arg(i + 1)
                .arg("ts")
                .arg(entry.ts_ms)
                .arg("actor")
                .arg(actor)
                .arg("host")
                .arg(host)
                .arg("cid")
                .arg(&self.cid)
                .arg("op")
                .arg(&entry.op)
                .arg("path")
                .arg(&entry.path)
                .arg("to")
                .arg(entry.new_path.as_deref().unwrap_or_default())
                .arg("old")
                .arg(version(&entry.old))
                .arg("new")
                .arg(version(&entry.new))
                .arg("dir")
                .arg(if is_dir { "1" } else { "0" })
                .ignore();
        }
        pipe.cmd("SET").arg(seq).arg(dump.history.len()).ignore();
        self.with_conn(|c| pipe.query::<()>(c))
    }
}

/// Change the connection status, telling watchers only when it changed.
fn set_status(status: &tokio::sync::watch::Sender<Option<String>>, value: Option<String>) {
    status.send_if_modified(|current| {
        if *current == value {
            false
        } else {
            *current = value;
            true
        }
    });
}

/// Children of `prefix` (relative, "" for the listed directory) in name order, each
/// directory's own children after it, down to `depth` levels; hidden names are skipped with
/// everything below them.
fn add_children(
    nodes: &BTreeMap<String, (NodeKind, u64)>,
    prefix: &str,
    level: usize,
    depth: usize,
    out: &mut Vec<Entry>,
) {
    if level > depth {
        return;
    }
    let start = if prefix.is_empty() {
        String::new()
    } else {
        format!("{prefix}/")
    };
    let children: Vec<(&String, &(NodeKind, u64))> = nodes
        .range(start.clone()..)
        .take_while(|(k, _)| k.starts_with(&start))
        .filter(|(k, _)| !k[start.len()..].contains('/'))
        .collect();
    let mut children = children;
    children.sort_by(|a, b| a.0[start.len()..].cmp(&b.0[start.len()..]));
    for (relative, (kind, size)) in children {
        let name = &relative[start.len()..];
        if name.starts_with('.') {
            continue;
        }
        out.push(Entry {
            relative: relative.clone(),
            kind: *kind,
            size: *size,
        });
        if *kind == NodeKind::Dir {
            add_children(nodes, relative, level + 1, depth, out);
        }
    }
}

/// Stream entries as (id, fields).
fn stream_entries(value: &redis::Value) -> Vec<(String, BTreeMap<String, String>)> {
    let text = |v: &redis::Value| match v {
        redis::Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
        redis::Value::SimpleString(s) => s.clone(),
        redis::Value::Int(i) => i.to_string(),
        _ => String::new(),
    };
    let redis::Value::Array(items) = value else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| {
            let redis::Value::Array(pair) = item else {
                return None;
            };
            let [id, redis::Value::Array(fields)] = pair.as_slice() else {
                return None;
            };
            let map = fields
                .chunks(2)
                .filter_map(|kv| match kv {
                    [k, v] => Some((text(k), text(v))),
                    _ => None,
                })
                .collect();
            Some((text(id), map))
        })
        .collect()
}

/// Who made a change, with the machine when it is not this one.
fn actor_of(fields: &BTreeMap<String, String>, host: &str) -> String {
    let actor = fields.get("actor").cloned().unwrap_or_default();
    match fields.get("host") {
        Some(h) if !h.is_empty() && h != host => format!("{actor}@{h}"),
        _ => actor,
    }
}

/// A history entry from a stream entry's fields.
fn entry_of(fields: &BTreeMap<String, String>, host: &str) -> Option<HistoryEntry> {
    let version = |k: &str| {
        fields
            .get(k)
            .filter(|v| !v.is_empty())
            .map(|v| Version::from_hex(v.clone()))
    };
    Some(HistoryEntry {
        seq: fields.get("seq")?.parse().ok()?,
        ts_ms: fields.get("ts").and_then(|t| t.parse().ok()).unwrap_or(0),
        actor: actor_of(fields, host),
        op: fields.get("op").cloned().unwrap_or_default(),
        path: fields.get("path").cloned()?,
        new_path: fields.get("to").filter(|t| !t.is_empty()).cloned(),
        old: version("old"),
        new: version("new"),
        group: fields.get("grp").and_then(|g| g.parse().ok()),
    })
}

/// The change a stream entry reports.
fn change_of(fields: &BTreeMap<String, String>, host: &str) -> Option<MemoryChange> {
    let entry = entry_of(fields, host)?;
    // An entry added by hand with a path no tool call could make is no change to show.
    let valid = |p: &str| p == "/memories" || super::check_stored_path(p).is_ok();
    if !valid(&entry.path) || !entry.new_path.as_deref().is_none_or(valid) {
        return None;
    }
    let is_dir = fields.get("dir").map(String::as_str) == Some("1");
    let (path, kind) = match (&entry.new_path, &entry.old, &entry.new) {
        (Some(to), ..) => (to.clone(), ChangeKind::Renamed { from: entry.path }),
        // A folder brought back: the head of the operation, its files follow.
        (None, None, None) if is_dir && entry.op == "restore" => (entry.path, ChangeKind::Created),
        (None, _, None) => (entry.path, ChangeKind::Deleted),
        (None, None, Some(_)) => (entry.path, ChangeKind::Created),
        (None, Some(_), Some(_)) => (entry.path, ChangeKind::Modified),
    };
    Some(MemoryChange {
        path,
        kind,
        actor: entry.actor,
        version: entry.new,
        is_dir,
    })
}

/// Follows the history stream for changes made by other clients.
struct Watcher {
    client: redis::Client,
    log: String,
    cid: String,
    host: String,
    changes: broadcast::Sender<MemoryChange>,
    stop: Arc<AtomicBool>,
    status: Arc<tokio::sync::watch::Sender<Option<String>>>,
    trouble: String,
}

impl Watcher {
    fn run(self, mut last: String) {
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

/// A pause before trying a contended write again: up to 2^attempt ms (at most 100), at random so
/// that writers that collided do not collide again.
fn contention_pause(attempt: u32) -> Duration {
    let ceiling = 1u64 << attempt.min(7);
    let noise = u64::from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos()),
    );
    let spread = noise.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
    Duration::from_millis((spread % ceiling).min(100) + 1)
}

fn is_connection_error(e: &redis::RedisError) -> bool {
    e.is_io_error() || e.is_connection_dropped() || e.is_timeout() || e.is_connection_refusal()
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
        let params: Vec<String> = query
            .split('&')
            .map(|param| match param.split_once('=') {
                Some((name, _)) if matches!(name, "pass" | "password") => {
                    format!("{name}=<redacted>")
                }
                _ => param.to_owned(),
            })
            .collect();
        shown.push('?');
        shown.push_str(&params.join("&"));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_script_is_there() {
        let scripts = Scripts::load();
        for s in [
            &scripts.node,
            &scripts.read,
            &scripts.list,
            &scripts.save,
            &scripts.delete,
            &scripts.rename,
            &scripts.restore_folder,
            &scripts.siblings,
        ] {
            assert_ne!(s.get_hash(), Script::new("").get_hash());
        }
    }

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
