//! The six tool commands and the rest of [`MemoryStore`] on PostgreSQL: each write one
//! transaction (see `tx.rs`), each read one statement; changes sent to subscribers as they
//! commit.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::json;
use tokio::sync::broadcast;

use super::tx::{Group, NOW_MS, Node, ROOT, Tx, range_below};
use super::{DIR_SIZE, MODIFY_ATTEMPTS, PgStore};
use crate::clock::now_ms;
use crate::memory::history::HistoryEntry;
use crate::memory::lease::{self, FENCE_KEEP};
use crate::memory::redis::pages::add_children;
use crate::memory::redis::stream::{change_of, entry_of};
use crate::memory::{
    BatchOp, ChangeKind, Dump, Expect, FileText, Grant, Lease, LeaseEvent, Listing, MemPath,
    MemoryChange, MemoryStore, NodeKind, StoreError, Version, WriteCtx, within_limit,
};

/// The columns of a history row, in the order [`fields_of`] reads them.
pub(super) const HISTORY_COLUMNS: &str =
    "seq, ts_ms, actor, host, cid, op, path, new_path, old_sha, new_sha, is_dir, grp";

/// A history row as the fields the Redis stream's entries have, so that both stores read
/// entries and changes the same way.
pub(super) fn fields_of(row: &postgres::Row) -> BTreeMap<String, String> {
    let text = |i: usize| row.get::<_, Option<String>>(i).unwrap_or_default();
    let mut fields = BTreeMap::new();
    fields.insert("seq".to_owned(), row.get::<_, i64>(0).to_string());
    fields.insert("ts".to_owned(), row.get::<_, i64>(1).to_string());
    for (i, name) in [
        (2, "actor"),
        (3, "host"),
        (4, "cid"),
        (5, "op"),
        (6, "path"),
        (7, "to"),
        (8, "old"),
        (9, "new"),
    ] {
        fields.insert(name.to_owned(), text(i));
    }
    let dir = if row.get::<_, bool>(10) { "1" } else { "0" };
    fields.insert("dir".to_owned(), dir.to_owned());
    if let Some(grp) = row.get::<_, Option<i64>>(11) {
        fields.insert("grp".to_owned(), grp.to_string());
    }
    fields
}

fn ms(ttl: u64) -> i64 {
    i64::try_from(ttl).unwrap_or(i64::MAX)
}

fn text_of(body: Vec<u8>) -> String {
    String::from_utf8(body).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// The history as last read, so that the next read asks only for the entries after the newest
/// one seen; read whole again when the table holds other than what was seen plus the new ones
/// (pruned, or restored from a backup).
#[derive(Default)]
pub(super) struct HistoryCache {
    /// The newest entry's number.
    last: i64,
    /// Rows seen, those that make no history entry included.
    seen: i64,
    entries: Vec<HistoryEntry>,
}

impl PgStore {
    /// Bring `cache` up to date: the entries after the newest it holds, and the table's count
    /// (in one snapshot) to tell whether older ones went, which reads it whole again.
    fn catch_up(&self, cache: &mut HistoryCache) -> Result<(), StoreError> {
        let after = format!(
            "SELECT {HISTORY_COLUMNS} FROM memdeck_history WHERE ns = $1 AND seq > $2 ORDER BY \
             seq"
        );
        let count = "SELECT count(*) FROM memdeck_history WHERE ns = $1";
        let ns = &self.options.namespace;
        let read = |since: i64| {
            self.read_only(|c| {
                let (after, count) = (c.statement(&after), c.statement(count));
                let (after, count) = (
                    after.map_err(|e| self.error(&e))?,
                    count.map_err(|e| self.error(&e))?,
                );
                let mut tx = c.snapshot().map_err(|e| self.error(&e))?;
                let rows = tx
                    .query(&after, &[ns, &since])
                    .map_err(|e| self.error(&e))?;
                let total: i64 = tx
                    .query_one(&count, &[ns])
                    .map_err(|e| self.error(&e))?
                    .get(0);
                tx.commit().map_err(|e| self.error(&e))?;
                Ok((rows, total))
            })
        };
        let (mut rows, total) = read(cache.last)?;
        if cache.seen + i64::try_from(rows.len()).unwrap_or(i64::MAX) != total {
            // Entries went (pruned, or the table restored from a backup): read it whole.
            *cache = HistoryCache::default();
            rows = read(0)?.0;
        }
        for row in &rows {
            cache.last = row.get(0);
            cache.seen += 1;
            if let Some(entry) = entry_of(&fields_of(row), &self.options.host) {
                cache.entries.push(entry);
            }
        }
        Ok(())
    }

    /// Run `f` as one write transaction on the namespace.
    fn write<T: Send>(
        &self,
        ctx: WriteCtx<'_>,
        f: impl FnOnce(&mut Tx<'_, '_>) -> Result<T, StoreError> + Send,
    ) -> Result<T, StoreError> {
        self.with_client(|client| {
            let mut tx = Tx::begin(self, client, ctx)?;
            let out = f(&mut tx)?;
            tx.commit()?;
            Ok(out)
        })
    }

    /// One save; `retry` after a lost reply accepts its own landed write. Whether it made the
    /// file.
    fn save_once(
        &self,
        path: &MemPath,
        text: &str,
        expect: &Expect,
        new: &Version,
        ctx: WriteCtx<'_>,
        retry: bool,
    ) -> Result<bool, StoreError> {
        let p = path.to_string();
        self.write(ctx, |tx| {
            tx.guard(&p, false)?;
            let cur = match tx.node(&p)? {
                Some(Node::Dir) => return Err(StoreError::IsDir(path.clone())),
                Some(Node::File(sha)) => Some(sha),
                None => None,
            };
            let chain = tx
                .ancestors(&p)?
                .map_err(|file| parent_is_file(path, &file))?;
            if retry && cur.as_deref() == Some(new.as_str()) {
                return Ok(false);
            }
            match expect {
                Expect::Absent if cur.is_some() => return Err(StoreError::Exists(path.clone())),
                Expect::Version(v) if cur.as_deref() != Some(v.as_str()) => {
                    return Err(StoreError::Conflict {
                        path: path.clone(),
                        current: cur.map(Version::from_hex),
                    });
                }
                Expect::Version(_) => {}
                _ => tx.refuse_case_twins(&[path], None)?,
            }
            tx.put_file(
                &p,
                cur.as_deref(),
                new.as_str(),
                text.as_bytes(),
                &chain,
                Group::Alone,
            )?;
            Ok(cur.is_none())
        })
    }
}

fn parent_is_file(path: &MemPath, file: &str) -> StoreError {
    StoreError::ParentIsFile {
        path: path.clone(),
        file: MemPath::parse(file).unwrap_or_else(|_| path.clone()),
    }
}

impl MemoryStore for PgStore {
    fn describe(&self) -> String {
        format!(
            "PostgreSQL {} namespace {}",
            self.shown_url, self.options.namespace
        )
    }

    fn max_file_bytes(&self) -> u64 {
        self.options.max_file_bytes
    }

    fn node(&self, path: &MemPath) -> Result<Option<(NodeKind, u64)>, StoreError> {
        if path.is_root() {
            return Ok(Some((NodeKind::Dir, DIR_SIZE)));
        }
        let p = path.to_string();
        let row = self.read_only(|c| {
            c.query_opt(
                "SELECT is_dir, size FROM memdeck_nodes WHERE ns = $1 AND path = $2",
                &[&self.options.namespace, &p],
            )
            .map_err(|e| self.error(&e))
        })?;
        Ok(row.map(|r| {
            if r.get::<_, bool>(0) {
                (NodeKind::Dir, DIR_SIZE)
            } else {
                (
                    NodeKind::File,
                    u64::try_from(r.get::<_, i64>(1)).unwrap_or(0),
                )
            }
        }))
    }

    fn read(&self, path: &MemPath) -> Result<FileText, StoreError> {
        if path.is_root() {
            return Err(StoreError::IsDir(path.clone()));
        }
        let p = path.to_string();
        let row = self.read_only(|c| {
            c.query_opt(
                "SELECT is_dir, body, sha FROM memdeck_nodes WHERE ns = $1 AND path = $2",
                &[&self.options.namespace, &p],
            )
            .map_err(|e| self.error(&e))
        })?;
        let Some(row) = row else {
            return Err(StoreError::NotFound(path.clone()));
        };
        if row.get::<_, bool>(0) {
            return Err(StoreError::IsDir(path.clone()));
        }
        let body: Vec<u8> = row.get::<_, Option<Vec<u8>>>(1).unwrap_or_default();
        let size = body.len() as u64;
        let sha: Option<String> = row.get(2);
        let text = String::from_utf8(body).map_err(|_| StoreError::NotUtf8 {
            path: path.clone(),
            size,
        })?;
        // A row written by hand may lack the hash: the text's own is the truth.
        let version = match sha {
            Some(sha) if sha.len() == 64 => Version::from_hex(sha),
            _ => Version::of(text.as_bytes()),
        };
        Ok(FileText { text, version })
    }

    fn list(&self, dir: &MemPath, depth: usize) -> Result<Listing, StoreError> {
        let base = dir.to_string();
        let (lo, hi) = range_below(&base);
        let most =
            super::tx::depth_of(&base).saturating_add(i32::try_from(depth).unwrap_or(i32::MAX));
        let ns = &self.options.namespace;
        let (own, rows) = self.read_only(|c| {
            // One snapshot for the folder and what it holds.
            let mut tx = c.snapshot().map_err(|e| self.error(&e))?;
            let own = if dir.is_root() {
                Some(true)
            } else {
                tx.query_opt(
                    "SELECT is_dir FROM memdeck_nodes WHERE ns = $1 AND path = $2",
                    &[ns, &base],
                )
                .map_err(|e| self.error(&e))?
                .map(|r| r.get::<_, bool>(0))
            };
            let rows = if own == Some(true) {
                tx.query(
                    "SELECT path, is_dir, size FROM memdeck_nodes WHERE ns = $1 AND path > $2 \
                     AND path < $3 AND depth <= $4",
                    &[ns, &lo, &hi, &most],
                )
                .map_err(|e| self.error(&e))?
            } else {
                Vec::new()
            };
            let blocker = if own.is_none() {
                let chain = super::tx::chain_of(&base);
                tx.query_opt(
                    "SELECT path FROM memdeck_nodes WHERE ns = $1 AND path = ANY($2) AND NOT \
                     is_dir ORDER BY path LIMIT 1",
                    &[ns, &chain],
                )
                .map_err(|e| self.error(&e))?
                .map(|r| r.get::<_, String>(0))
            } else {
                None
            };
            tx.commit().map_err(|e| self.error(&e))?;
            Ok((own.ok_or(blocker), rows))
        })?;
        match own {
            Ok(true) => {}
            Ok(false) => return Err(StoreError::NotDir(dir.clone())),
            Err(Some(file)) => return Err(parent_is_file(dir, &file)),
            Err(None) => return Err(StoreError::NotFound(dir.clone())),
        }
        let mut nodes = BTreeMap::new();
        let mut skipped = Vec::new();
        for row in rows {
            let path: String = row.get(0);
            if let Err(why) = crate::memory::check_stored_path(&path) {
                let shown = crate::memory::path::display_disk_name(path.as_bytes());
                tracing::warn!(
                    "skipping the PostgreSQL row {shown}: {}",
                    crate::memory::path::display_disk_name(why.as_bytes())
                );
                skipped.push(shown);
                continue;
            }
            let kind = if row.get::<_, bool>(1) {
                (NodeKind::Dir, DIR_SIZE)
            } else {
                (
                    NodeKind::File,
                    u64::try_from(row.get::<_, i64>(2)).unwrap_or(0),
                )
            };
            nodes.insert(path[base.len() + 1..].to_owned(), kind);
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
        let new = Version::of(text.as_bytes());
        let created = match self.save_once(path, text, &expect, &new, ctx, false) {
            // The reply was lost: it may have landed. Once more, accepting its own write.
            Err(StoreError::Io { .. }) => self.save_once(path, text, &expect, &new, ctx, true)?,
            other => other?,
        };
        self.emit(MemoryChange {
            path: path.to_string(),
            kind: if created {
                ChangeKind::Created
            } else {
                ChangeKind::Modified
            },
            actor: ctx.actor.to_owned(),
            version: Some(new.clone()),
            is_dir: false,
        });
        Ok(new)
    }

    fn modify(
        &self,
        path: &MemPath,
        ctx: WriteCtx<'_>,
        edit: &mut dyn FnMut(&str) -> Result<String, String>,
    ) -> Result<FileText, StoreError> {
        crate::memory::modify_by_saving(self, path, ctx, edit, MODIFY_ATTEMPTS)
    }

    fn delete(&self, path: &MemPath, ctx: WriteCtx<'_>) -> Result<Vec<String>, StoreError> {
        if path.is_root() {
            return Err(StoreError::Rejected(
                "Cannot delete the /memories directory itself".to_owned(),
            ));
        }
        let p = path.to_string();
        let is_dir = self.write(ctx, |tx| {
            tx.guard(&p, true)?;
            match tx.node(&p)? {
                None => Err(StoreError::NotFound(path.clone())),
                Some(Node::File(_)) => {
                    tx.drop_file(&p, Group::Alone)?;
                    Ok(false)
                }
                Some(Node::Dir) => {
                    let head = tx.record(&p, None, None, None, true, Group::Head)?;
                    let (files, folders) = tx.below(&p)?;
                    for f in &files {
                        tx.drop_file(f, Group::Of(head))?;
                    }
                    for d in folders.iter().chain([&p]) {
                        tx.remove_node(d)?;
                    }
                    Ok(true)
                }
            }
        })?;
        self.emit(MemoryChange {
            path: p,
            kind: ChangeKind::Deleted,
            actor: ctx.actor.to_owned(),
            version: None,
            is_dir,
        });
        // Every row a tool can reach is a valid path: nothing is hidden from it here.
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
        let (is_dir, version) = self.write(ctx, |tx| {
            tx.guard(&f, true)?;
            tx.guard(&t, true)?;
            // The reference's order: a taken destination first, then a missing source.
            if tx.node(&t)?.is_some() {
                return Err(StoreError::Exists(to.clone()));
            }
            let sha = match tx.node(&f)? {
                None => return Err(StoreError::NotFound(from.clone())),
                Some(Node::File(sha)) => Some(sha),
                Some(Node::Dir) => None,
            };
            if t.starts_with(&format!("{f}/")) {
                return Err(StoreError::IntoItself {
                    from: from.clone(),
                    to: to.clone(),
                });
            }
            let chain = tx
                .ancestors(&t)?
                .map_err(|file| parent_is_file(to, &file))?;
            tx.refuse_case_twins(&[to], Some(from))?;
            tx.make_dirs(&chain)?;
            if let Some(sha) = sha {
                tx.move_node(&f, &t)?;
                tx.record(&f, Some(&t), Some(&sha), Some(&sha), false, Group::Alone)?;
                return Ok((false, Some(Version::from_hex(sha))));
            }
            let head = tx.record(&f, Some(&t), None, None, true, Group::Head)?;
            let (files, folders) = tx.below(&f)?;
            for file in &files {
                let moved = format!("{t}{}", &file[f.len()..]);
                let sha = tx.sha_of(file)?;
                tx.move_node(file, &moved)?;
                tx.record(
                    file,
                    Some(&moved),
                    sha.as_deref(),
                    sha.as_deref(),
                    false,
                    Group::Of(head),
                )?;
            }
            for d in &folders {
                tx.move_node(d, &format!("{t}{}", &d[f.len()..]))?;
            }
            tx.move_node(&f, &t)?;
            Ok((true, None))
        })?;
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
        let mut cache = self
            .history
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        self.catch_up(&mut cache)?;
        Ok(cache
            .entries
            .iter()
            .filter(|e| path.is_none_or(|p| e.touches(p)))
            .cloned()
            .collect())
    }

    fn restore(
        &self,
        path: &MemPath,
        version: Option<&str>,
        ctx: WriteCtx<'_>,
    ) -> Result<Version, StoreError> {
        crate::memory::history::restore_by_saving(self, path, version, ctx)
    }

    fn apply_batch(&self, ops: &[BatchOp], ctx: WriteCtx<'_>) -> Result<(), StoreError> {
        for op in ops {
            if op.path.is_root() {
                return Err(StoreError::IsDir(op.path.clone()));
            }
            if let Some(text) = &op.text {
                within_limit(&op.path, text, self.options.max_file_bytes)?;
            }
        }
        if ops.is_empty() {
            return Ok(());
        }
        self.write(ctx, |tx| {
            let mut todo = Vec::with_capacity(ops.len());
            for op in ops {
                let p = op.path.to_string();
                tx.guard(&p, false)?;
                if tx.is_dir(&p)? {
                    return Err(StoreError::IsDir(op.path.clone()));
                }
                let chain = tx
                    .ancestors(&p)?
                    .map_err(|file| parent_is_file(&op.path, &file))?;
                let cur = tx.sha_of(&p)?;
                match &op.expect {
                    Expect::Absent if cur.is_some() => {
                        return Err(StoreError::Exists(op.path.clone()));
                    }
                    Expect::Absent => tx.refuse_case_twins(&[&op.path], None)?,
                    Expect::Version(v) if cur.as_deref() != Some(v.as_str()) => {
                        return Err(StoreError::Conflict {
                            path: op.path.clone(),
                            current: cur.map(Version::from_hex),
                        });
                    }
                    _ => {}
                }
                if op.text.is_none() && cur.is_none() {
                    return Err(StoreError::NotFound(op.path.clone()));
                }
                todo.push((p, cur, chain, op));
            }
            let head = tx.record(ROOT, None, None, None, true, Group::Head)?;
            for (p, cur, chain, op) in todo {
                match &op.text {
                    None => tx.drop_file(&p, Group::Of(head))?,
                    Some(text) => {
                        let new = Version::of(text.as_bytes());
                        let grp = Group::Of(head);
                        tx.put_file(
                            &p,
                            cur.as_deref(),
                            new.as_str(),
                            text.as_bytes(),
                            &chain,
                            grp,
                        )?;
                    }
                }
            }
            Ok(())
        })?;
        for op in ops {
            self.emit(op.change(ctx.actor));
        }
        Ok(())
    }

    fn restore_folder(
        &self,
        folder: &MemPath,
        files: &[(MemPath, Version)],
        ctx: WriteCtx<'_>,
    ) -> Result<usize, StoreError> {
        crate::memory::history::check_inside(folder, files)?;
        let key = folder.to_string();
        let restored = self.write(ctx, |tx| {
            tx.guard(&key, true)?;
            let mut todo = Vec::new();
            for (path, version) in files {
                let p = path.to_string();
                if tx.node(&p)?.is_some() {
                    continue;
                }
                let chain = tx
                    .ancestors(&p)?
                    .map_err(|file| parent_is_file(path, &file))?;
                let ns = tx.ns();
                let body = tx
                    .query(
                        "SELECT body FROM memdeck_versions WHERE ns = $1 AND sha = $2",
                        &[&ns, &version.as_str()],
                    )?
                    .first()
                    .map(|r| r.get::<_, Vec<u8>>(0));
                let Some(body) = body else {
                    return Err(StoreError::NoVersion(format!(
                        "the history no longer holds version {} of {p}",
                        version.short()
                    )));
                };
                todo.push((path, p, version, chain, body));
            }
            if todo.is_empty() {
                return Ok(Vec::new());
            }
            let paths: Vec<&MemPath> = todo.iter().map(|t| t.0).collect();
            tx.refuse_case_twins(&paths, None)?;
            let head = tx.record(&key, None, None, None, true, Group::Head)?;
            let mut restored = Vec::new();
            for (path, p, version, chain, body) in todo {
                tx.put_file(&p, None, version.as_str(), &body, &chain, Group::Of(head))?;
                restored.push((path.to_string(), version.clone()));
            }
            Ok(restored)
        })?;
        for (path, version) in &restored {
            self.emit(MemoryChange {
                path: path.clone(),
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
        let row = self.read_only(|c| {
            c.query_opt(
                "SELECT body FROM memdeck_versions WHERE ns = $1 AND sha = $2",
                &[&self.options.namespace, &version.as_str()],
            )
            .map_err(|e| self.error(&e))
        })?;
        Ok(row.and_then(|r| String::from_utf8(r.get::<_, Vec<u8>>(0)).ok()))
    }

    fn subscribe(&self) -> broadcast::Receiver<MemoryChange> {
        self.changes.subscribe()
    }

    fn status(&self) -> Option<tokio::sync::watch::Receiver<Option<String>>> {
        Some(self.status.subscribe())
    }

    fn dump(&self) -> Result<Dump, StoreError> {
        let rows = self.read_only(|c| {
            c.query(
                "SELECT path, is_dir, body FROM memdeck_nodes WHERE ns = $1",
                &[&self.options.namespace],
            )
            .map_err(|e| self.error(&e))
        })?;
        let (mut dirs, mut files) = (Vec::new(), Vec::new());
        for row in rows {
            if row.get::<_, bool>(1) {
                dirs.push(row.get(0));
            } else {
                let body = row.get::<_, Option<Vec<u8>>>(2).unwrap_or_default();
                files.push((row.get(0), text_of(body)));
            }
        }
        Dump::of(self, dirs, files)
    }

    fn import(&self, dump: &Dump) -> Result<(), StoreError> {
        dump.check()?;
        let ctx = WriteCtx::new("migrate", "migrate");
        let describe = self.describe();
        self.with_client(|client| {
            let mut tx = Tx::begin(self, client, ctx)?;
            let ns = tx.ns();
            let busy = tx.query(
                "SELECT 1 WHERE EXISTS (SELECT 1 FROM memdeck_nodes WHERE ns = $1) OR EXISTS \
                 (SELECT 1 FROM memdeck_history WHERE ns = $1)",
                &[&ns],
            )?;
            if !busy.is_empty() {
                return Err(StoreError::Rejected(format!(
                    "{describe} is not empty; migrate into an empty namespace"
                )));
            }
            tx.make_dirs(&dump.dirs)?;
            for (path, text) in &dump.files {
                let chain = super::tx::chain_of(path);
                let sha = Version::of(text.as_bytes());
                tx.import_file(path, sha.as_str(), text.as_bytes(), &chain)?;
            }
            for (version, text) in &dump.versions {
                tx.keep_version(version.as_str(), text.as_bytes())?;
            }
            tx.import_history(&dump.history, &dump.dirs)?;
            tx.commit()
        })
    }

    fn acquire(&self, subject: &str, holder: &str, ttl: Duration) -> Result<Grant, StoreError> {
        let ttl = lease::clamp_ttl(ttl);
        let ctx = WriteCtx::new(holder, "lease");
        let host = self.options.host.clone();
        let keep = ms(u64::try_from(FENCE_KEEP.as_millis()).unwrap_or(u64::MAX));
        let grant = self.with_client(|client| {
            let mut tx = Tx::begin(self, client, ctx)?;
            let ns = tx.ns();
            let sql = format!(
                "SELECT token, holder, host, expires_ms - {NOW_MS} FROM memdeck_leases WHERE \
                 ns = $1 AND subject = $2 AND expires_ms > {NOW_MS}"
            );
            if let Some(row) = tx.query(&sql, &[&ns, &subject])?.first() {
                let left = u64::try_from(row.get::<_, i64>(3)).unwrap_or(0);
                return Ok(Grant::Held(Lease {
                    subject: subject.to_owned(),
                    token: u64::try_from(row.get::<_, i64>(0)).unwrap_or(0),
                    holder: row.get(1),
                    host: row.get(2),
                    expires_ms: now_ms() + left,
                }));
            }
            let token: i64 = tx
                .query(
                    "UPDATE memdeck_ns SET tokens = tokens + 1 WHERE ns = $1 RETURNING tokens",
                    &[&ns],
                )?
                .first()
                .map_or(0, |r| r.get(0));
            let who = holder.replace('\0', "");
            let sql = format!(
                "INSERT INTO memdeck_leases (ns, subject, token, holder, host, granted_ms, \
                 expires_ms) VALUES ($1, $2, $3, $4, $5, {NOW_MS}, {NOW_MS} + $6) ON CONFLICT \
                 (ns, subject) DO UPDATE SET token = EXCLUDED.token, holder = EXCLUDED.holder, \
                 host = EXCLUDED.host, granted_ms = EXCLUDED.granted_ms, expires_ms = \
                 EXCLUDED.expires_ms"
            );
            tx.execute(&sql, &[&ns, &subject, &token, &who, &host, &ms(ttl)])?;
            // Fences are forgotten two days after their grant.
            let sql = format!(
                "DELETE FROM memdeck_leases WHERE ns = $1 AND granted_ms < {NOW_MS} - $2 AND \
                 expires_ms < {NOW_MS}"
            );
            tx.execute(&sql, &[&ns, &keep])?;
            let lease = Lease {
                subject: subject.to_owned(),
                holder: holder.to_owned(),
                host: host.clone(),
                token: u64::try_from(token).unwrap_or(0),
                expires_ms: now_ms() + ttl,
            };
            let event = json!({"k": "g", "ns": ns, "cid": self.cid, "subject": subject,
                "token": lease.token, "holder": who, "host": host, "ttl": ttl});
            tx.commit_telling(Some(event.to_string()))?;
            Ok(Grant::Granted(lease))
        })?;
        if let Grant::Granted(lease) = &grant {
            let _ = self.lease_events.send(LeaseEvent::Granted(lease.clone()));
        }
        Ok(grant)
    }

    fn renew(&self, lease: &Lease, ttl: Duration) -> Result<Option<Lease>, StoreError> {
        let ttl = lease::clamp_ttl(ttl);
        let token = ms(lease.token);
        let sql = format!(
            "UPDATE memdeck_leases SET expires_ms = {NOW_MS} + $4 WHERE ns = $1 AND subject = \
             $2 AND token = $3 AND expires_ms > {NOW_MS}"
        );
        let renewed = self.with_client(|c| {
            c.execute(
                &sql,
                &[&self.options.namespace, &lease.subject, &token, &ms(ttl)],
            )
            .map_err(|e| self.error(&e))
        })?;
        Ok((renewed > 0).then(|| Lease {
            expires_ms: now_ms() + ttl,
            ..lease.clone()
        }))
    }

    fn release(&self, lease: &Lease) -> Result<bool, StoreError> {
        let token = ms(lease.token);
        let ctx = WriteCtx::new(&lease.holder, "lease");
        let released = self.with_client(|client| {
            let mut tx = Tx::begin(self, client, ctx)?;
            let ns = tx.ns();
            let sql = format!(
                "UPDATE memdeck_leases SET expires_ms = 0 WHERE ns = $1 AND subject = $2 AND \
                 token = $3 AND expires_ms > {NOW_MS}"
            );
            let released = tx.execute(&sql, &[&ns, &lease.subject, &token])? > 0;
            let event = json!({"k": "r", "ns": ns, "cid": self.cid, "subject": lease.subject,
                "token": lease.token});
            tx.commit_telling(released.then(|| event.to_string()))?;
            Ok(released)
        })?;
        if released {
            let _ = self.lease_events.send(LeaseEvent::Released {
                subject: lease.subject.clone(),
                token: lease.token,
            });
        }
        Ok(released)
    }

    fn leases(&self) -> Result<Vec<Lease>, StoreError> {
        let sql = format!(
            "SELECT subject, token, holder, host, expires_ms - {NOW_MS} FROM memdeck_leases \
             WHERE ns = $1 AND expires_ms > {NOW_MS} ORDER BY subject"
        );
        let rows = self.read_only(|c| {
            c.query(&sql, &[&self.options.namespace])
                .map_err(|e| self.error(&e))
        })?;
        let now = now_ms();
        Ok(rows
            .iter()
            .map(|r| Lease {
                subject: r.get(0),
                token: u64::try_from(r.get::<_, i64>(1)).unwrap_or(0),
                holder: r.get(2),
                host: r.get(3),
                expires_ms: now + u64::try_from(r.get::<_, i64>(4)).unwrap_or(0),
            })
            .collect())
    }

    fn lease_events(&self) -> broadcast::Receiver<LeaseEvent> {
        self.lease_events.subscribe()
    }

    fn expiring(&self) -> Result<Vec<MemPath>, StoreError> {
        // Front matter opens the file, and names `expires:` on a line of its own.
        let rows = self.read_only(|c| {
            c.query(
                "SELECT path FROM memdeck_nodes WHERE ns = $1 AND NOT is_dir AND (substring(body \
                 FROM 1 FOR 4) = $2 OR substring(body FROM 1 FOR 5) = $3) AND position($4 IN \
                 body) > 0",
                &[
                    &self.options.namespace,
                    &b"---\n".as_slice(),
                    &b"---\r\n".as_slice(),
                    &b"\nexpires:".as_slice(),
                ],
            )
            .map_err(|e| self.error(&e))
        })?;
        Ok(rows
            .iter()
            .filter_map(|r| MemPath::parse(&r.get::<_, String>(0)).ok())
            .collect())
    }
}

/// The change a history row reports, for the watcher.
pub(super) fn change_of_row(row: &postgres::Row, cid: &str, host: &str) -> Option<MemoryChange> {
    let fields = fields_of(row);
    if fields.get("cid").map(String::as_str) == Some(cid) {
        return None;
    }
    change_of(&fields, host)
}
