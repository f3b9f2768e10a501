//! A write inside its transaction: the namespace locked, the steps every command is made of
//! (the checks, files and folders put and dropped, history entries, versions kept, leases
//! guarded), then the history's retention and the notification at commit.

use std::collections::HashMap;
use std::time::Duration;

use postgres::Row;
use postgres::types::ToSql;

use super::{CHANNEL, Conn, PgStore};
use crate::memory::local::Retention;
use crate::memory::{MemPath, StoreError, WriteCtx, lease};

/// The server's clock in milliseconds since the epoch: leases are timed by one clock, whoever
/// holds them.
pub(super) const NOW_MS: &str = "(extract(epoch from clock_timestamp()) * 1000)::bigint";

/// The memory root.
pub(super) const ROOT: &str = "/memories";

/// What a path holds.
pub(super) enum Node {
    Dir,
    /// A file, with its hash.
    File(String),
}

/// Which operation a history entry belongs to.
#[derive(Clone, Copy)]
pub(super) enum Group {
    /// A change on its own.
    Alone,
    /// The folder entry that heads an operation (numbered as its own head).
    Head,
    /// An entry of the operation headed by this entry.
    Of(i64),
}

/// A write transaction on one namespace, its row locked.
pub(super) struct Tx<'c, 's> {
    inner: postgres::Transaction<'c>,
    /// The connection's prepared statements.
    statements: &'c mut HashMap<String, postgres::Statement>,
    store: &'s PgStore,
    ctx: WriteCtx<'s>,
    ts: i64,
    /// The history's counter when the transaction began, and now.
    first_seq: i64,
    seq: i64,
}

impl<'c, 's> Tx<'c, 's> {
    /// Begin a write: lock the namespace's row (made when missing) and read its counter.
    pub(super) fn begin(
        store: &'s PgStore,
        conn: &'c mut Conn,
        ctx: WriteCtx<'s>,
    ) -> Result<Self, StoreError> {
        let Conn { client, statements } = conn;
        let tx = client.transaction().map_err(|e| store.error(&e))?;
        let mut this = Self {
            inner: tx,
            statements,
            store,
            ctx,
            ts: i64::try_from(crate::clock::now_ms()).unwrap_or(i64::MAX),
            first_seq: 0,
            seq: 0,
        };
        let ns = store.options.namespace.as_str();
        let lock = "SELECT seq FROM memdeck_ns WHERE ns = $1 FOR UPDATE";
        let mut rows = this.query(lock, &[&ns])?;
        if rows.is_empty() {
            this.execute(
                "INSERT INTO memdeck_ns (ns) VALUES ($1) ON CONFLICT (ns) DO NOTHING",
                &[&ns],
            )?;
            rows = this.query(lock, &[&ns])?;
        }
        let seq: i64 = rows.first().map_or(0, |r| r.get(0));
        this.first_seq = seq;
        this.seq = seq;
        Ok(this)
    }

    pub(super) fn ns(&self) -> &'s str {
        &self.store.options.namespace
    }

    /// A statement prepared on this connection (once).
    fn statement(&mut self, sql: &str) -> Result<postgres::Statement, StoreError> {
        super::prepared(&mut self.inner, self.statements, sql).map_err(|e| self.store.error(&e))
    }

    pub(super) fn query(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, StoreError> {
        let statement = self.statement(sql)?;
        self.inner
            .query(&statement, params)
            .map_err(|e| self.store.error(&e))
    }

    pub(super) fn execute(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, StoreError> {
        let statement = self.statement(sql)?;
        self.inner
            .execute(&statement, params)
            .map_err(|e| self.store.error(&e))
    }

    /// What is at `p`; `None` when nothing.
    pub(super) fn node(&mut self, p: &str) -> Result<Option<Node>, StoreError> {
        if p == ROOT {
            return Ok(Some(Node::Dir));
        }
        let ns = self.ns();
        let rows = self.query(
            "SELECT is_dir, sha FROM memdeck_nodes WHERE ns = $1 AND path = $2",
            &[&ns, &p],
        )?;
        Ok(rows.first().map(|r| {
            let is_dir: bool = r.get(0);
            if is_dir {
                Node::Dir
            } else {
                Node::File(r.get::<_, Option<String>>(1).unwrap_or_default())
            }
        }))
    }

    pub(super) fn is_dir(&mut self, p: &str) -> Result<bool, StoreError> {
        Ok(matches!(self.node(p)?, Some(Node::Dir)))
    }

    /// The file's hash, `None` when `p` is no file.
    pub(super) fn sha_of(&mut self, p: &str) -> Result<Option<String>, StoreError> {
        Ok(match self.node(p)? {
            Some(Node::File(sha)) => Some(sha),
            _ => None,
        })
    }

    /// The folders between the root and `p` (exclusive), outermost first; or `Err` with the file
    /// in the way.
    pub(super) fn ancestors(&mut self, p: &str) -> Result<Result<Vec<String>, String>, StoreError> {
        let chain = chain_of(p);
        if chain.is_empty() {
            return Ok(Ok(chain));
        }
        let ns = self.ns();
        let files: Vec<String> = self
            .query(
                "SELECT path FROM memdeck_nodes WHERE ns = $1 AND path = ANY($2) AND NOT is_dir",
                &[&ns, &chain],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect();
        Ok(match chain.iter().find(|a| files.contains(a)) {
            Some(blocker) => Err(blocker.clone()),
            None => Ok(chain),
        })
    }

    /// Make the folders of `chain` that do not exist.
    pub(super) fn make_dirs(&mut self, chain: &[String]) -> Result<(), StoreError> {
        for dir in chain {
            self.put_node(dir, true, None, None, "ON CONFLICT (ns, path) DO NOTHING")?;
        }
        Ok(())
    }

    /// Insert a file or folder row (`conflict`: what to do when the path has one).
    fn put_node(
        &mut self,
        p: &str,
        is_dir: bool,
        body: Option<&[u8]>,
        sha: Option<&str>,
        conflict: &str,
    ) -> Result<(), StoreError> {
        let (parent, name) = p.rsplit_once('/').unwrap_or(("", p));
        let depth = depth_of(p);
        let size = i64::try_from(body.map_or(0, <[u8]>::len)).unwrap_or(i64::MAX);
        let (ns, ts, actor, host) = (self.ns(), self.ts, self.actor(), self.host());
        let sql = format!(
            "INSERT INTO memdeck_nodes (ns, path, parent, name, depth, is_dir, body, sha, size, \
             ts_ms, actor, host) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
             {conflict}"
        );
        self.execute(
            &sql,
            &[
                &ns, &p, &parent, &name, &depth, &is_dir, &body, &sha, &size, &ts, &actor, &host,
            ],
        )?;
        Ok(())
    }

    fn actor(&self) -> String {
        self.ctx.actor.replace('\0', "")
    }

    fn host(&self) -> String {
        self.store.options.host.replace('\0', "")
    }

    /// Append one history entry; its number.
    pub(super) fn record(
        &mut self,
        path: &str,
        to: Option<&str>,
        old: Option<&str>,
        new: Option<&str>,
        is_dir: bool,
        group: Group,
    ) -> Result<i64, StoreError> {
        self.seq += 1;
        let seq = self.seq;
        let grp = match group {
            Group::Alone => None,
            Group::Head => Some(seq),
            Group::Of(head) => Some(head),
        };
        let (ns, ts, actor, host) = (self.ns(), self.ts, self.actor(), self.host());
        let (cid, op) = (self.store.cid.clone(), self.ctx.op.replace('\0', ""));
        self.execute(
            "INSERT INTO memdeck_history (ns, seq, ts_ms, actor, host, cid, op, path, new_path, \
             old_sha, new_sha, is_dir, grp) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
             $11, $12, $13)",
            &[
                &ns, &seq, &ts, &actor, &host, &cid, &op, &path, &to, &old, &new, &is_dir, &grp,
            ],
        )?;
        Ok(seq)
    }

    /// Keep the text of `p` (a file) as a version, unless it is kept already.
    fn keep_current(&mut self, p: &str) -> Result<(), StoreError> {
        let ns = self.ns();
        self.execute(
            "INSERT INTO memdeck_versions (ns, sha, body) SELECT ns, sha, body FROM \
             memdeck_nodes WHERE ns = $1 AND path = $2 AND sha IS NOT NULL AND body IS NOT NULL \
             ON CONFLICT (ns, sha) DO NOTHING",
            &[&ns, &p],
        )?;
        Ok(())
    }

    pub(super) fn keep_version(&mut self, sha: &str, body: &[u8]) -> Result<(), StoreError> {
        let ns = self.ns();
        self.execute(
            "INSERT INTO memdeck_versions (ns, sha, body) VALUES ($1, $2, $3) ON CONFLICT (ns, \
             sha) DO NOTHING",
            &[&ns, &sha, &body],
        )?;
        Ok(())
    }

    /// Make `text` p's content (version `new`; the folders `chain` made), recorded under
    /// `group`; `cur`, the version it replaces (`None`: a new file), is kept.
    pub(super) fn put_file(
        &mut self,
        p: &str,
        cur: Option<&str>,
        new: &str,
        text: &[u8],
        chain: &[String],
        group: Group,
    ) -> Result<i64, StoreError> {
        if cur.is_some() {
            self.keep_current(p)?;
        }
        self.make_dirs(chain)?;
        self.put_node(
            p,
            false,
            Some(text),
            Some(new),
            "ON CONFLICT (ns, path) DO UPDATE SET is_dir = false, body = EXCLUDED.body, sha = \
             EXCLUDED.sha, size = EXCLUDED.size, ts_ms = EXCLUDED.ts_ms, actor = \
             EXCLUDED.actor, host = EXCLUDED.host",
        )?;
        self.keep_version(new, text)?;
        self.record(p, None, cur, Some(new), false, group)
    }

    /// Remove the file `f`, its text kept as the version it was; recorded under `group`.
    pub(super) fn drop_file(&mut self, f: &str, group: Group) -> Result<(), StoreError> {
        let old = self.sha_of(f)?;
        self.keep_current(f)?;
        let ns = self.ns();
        self.execute(
            "DELETE FROM memdeck_nodes WHERE ns = $1 AND path = $2",
            &[&ns, &f],
        )?;
        self.record(f, None, old.as_deref(), None, false, group)?;
        Ok(())
    }

    /// Every file and folder below `d` (full paths), each list sorted.
    pub(super) fn below(&mut self, d: &str) -> Result<(Vec<String>, Vec<String>), StoreError> {
        let (lo, hi) = range_below(d);
        let ns = self.ns();
        let rows = self.query(
            "SELECT path, is_dir FROM memdeck_nodes WHERE ns = $1 AND path > $2 AND path < $3 \
             ORDER BY path",
            &[&ns, &lo, &hi],
        )?;
        let (mut files, mut folders) = (Vec::new(), Vec::new());
        for row in rows {
            if row.get::<_, bool>(1) {
                folders.push(row.get(0));
            } else {
                files.push(row.get(0));
            }
        }
        Ok((files, folders))
    }

    /// Move the row at `a` (a file or a folder) to `b`.
    pub(super) fn move_node(&mut self, a: &str, b: &str) -> Result<(), StoreError> {
        let (parent, name) = b.rsplit_once('/').unwrap_or(("", b));
        let (ns, depth) = (self.ns(), depth_of(b));
        self.execute(
            "UPDATE memdeck_nodes SET path = $3, parent = $4, name = $5, depth = $6 WHERE ns = \
             $1 AND path = $2",
            &[&ns, &a, &b, &parent, &name, &depth],
        )?;
        Ok(())
    }

    pub(super) fn remove_node(&mut self, p: &str) -> Result<(), StoreError> {
        let ns = self.ns();
        self.execute(
            "DELETE FROM memdeck_nodes WHERE ns = $1 AND path = $2",
            &[&ns, &p],
        )?;
        Ok(())
    }

    /// The names in folder `dir`.
    pub(super) fn children(&mut self, dir: &str) -> Result<Vec<String>, StoreError> {
        let ns = self.ns();
        Ok(self
            .query(
                "SELECT name FROM memdeck_nodes WHERE ns = $1 AND parent = $2",
                &[&ns, &dir],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect())
    }

    /// Refuse new `paths` that an existing name equals but for letter case (see
    /// [`crate::memory::case_twin`]); `moving` is a rename's source.
    pub(super) fn refuse_case_twins(
        &mut self,
        paths: &[&MemPath],
        moving: Option<&MemPath>,
    ) -> Result<(), StoreError> {
        for path in paths {
            crate::memory::case_twin(path, moving, |dir| self.children(&dir.to_string()))?;
        }
        Ok(())
    }

    /// Refuse a write to `p` (with `tree`, to anything below it too) that a lease stands
    /// against: someone else's live lease, or the writer's own that ran out and was granted
    /// again since.
    pub(super) fn guard(&mut self, p: &str, tree: bool) -> Result<(), StoreError> {
        let fence = self.ctx.fence.filter(|l| l.subject == p);
        let ns = self.ns();
        let sql = format!(
            "SELECT token, holder, host, expires_ms - {NOW_MS} FROM memdeck_leases WHERE ns = \
             $1 AND subject = $2"
        );
        let row = self.query(&sql, &[&ns, &p])?.into_iter().next();
        if let Some(row) = &row {
            let (token, left): (i64, i64) = (row.get(0), row.get(3));
            let mine = fence.is_some_and(|f| i64::try_from(f.token).ok() == Some(token));
            if left > 0 && !mine {
                return Err(leased(p.to_owned(), row.get(1), row.get(2), left));
            }
        }
        if tree {
            let (lo, hi) = range_below(p);
            let sql = format!(
                "SELECT subject, holder, host, expires_ms - {NOW_MS} FROM memdeck_leases WHERE \
                 ns = $1 AND subject > $2 AND subject < $3 AND expires_ms > {NOW_MS} LIMIT 1"
            );
            if let Some(row) = self.query(&sql, &[&ns, &lo, &hi])?.first() {
                return Err(leased(row.get(0), row.get(1), row.get(2), row.get(3)));
            }
        }
        if let (Some(fence), Some(row)) = (fence, &row) {
            let (token, left): (i64, i64) = (row.get(0), row.get(3));
            let newest = u64::try_from(token).unwrap_or(0);
            if left <= 0 && newest > fence.token {
                return Err(StoreError::Fenced {
                    path: p.to_owned(),
                    token: fence.token,
                    newest,
                });
            }
        }
        Ok(())
    }

    /// A file of a migrated store: its row and its version, its folders made.
    pub(super) fn import_file(
        &mut self,
        p: &str,
        sha: &str,
        text: &[u8],
        chain: &[String],
    ) -> Result<(), StoreError> {
        self.make_dirs(chain)?;
        self.put_node(p, false, Some(text), Some(sha), "")?;
        self.keep_version(sha, text)
    }

    /// A migrated store's history, numbered as it was (a folder's operation names its head by
    /// number); the counter goes on after it.
    pub(super) fn import_history(
        &mut self,
        entries: &[crate::memory::HistoryEntry],
        dirs: &[String],
    ) -> Result<(), StoreError> {
        let (ns, cid) = (self.ns(), self.store.cid.clone());
        for entry in entries {
            // Actors from another machine came as `name@host`: keep the two apart again.
            let (actor, host) = entry
                .actor
                .split_once('@')
                .map_or((entry.actor.clone(), self.host()), |(a, h)| {
                    (a.to_owned(), h.to_owned())
                });
            let is_dir = entry.old.is_none()
                && entry.new.is_none()
                && dirs
                    .iter()
                    .any(|d| *d == entry.path || Some(d) == entry.new_path.as_ref());
            let seq = i64::try_from(entry.seq).unwrap_or(i64::MAX);
            let ts = i64::try_from(entry.ts_ms).unwrap_or(i64::MAX);
            let grp = entry.group.and_then(|g| i64::try_from(g).ok());
            let old = entry.old.as_ref().map(crate::memory::Version::as_str);
            let new = entry.new.as_ref().map(crate::memory::Version::as_str);
            self.execute(
                "INSERT INTO memdeck_history (ns, seq, ts_ms, actor, host, cid, op, path, \
                 new_path, old_sha, new_sha, is_dir, grp) VALUES ($1, $2, $3, $4, $5, $6, $7, \
                 $8, $9, $10, $11, $12, $13)",
                &[
                    &ns,
                    &seq,
                    &ts,
                    &actor,
                    &host,
                    &cid,
                    &entry.op,
                    &entry.path,
                    &entry.new_path,
                    &old,
                    &new,
                    &is_dir,
                    &grp,
                ],
            )?;
            self.seq = self.seq.max(seq);
        }
        Ok(())
    }

    /// Commit: the history pruned when its counter passed a quarter of what is kept, the
    /// counter saved, and everyone listening told.
    pub(super) fn commit(mut self) -> Result<(), StoreError> {
        if self.seq > self.first_seq {
            let keep = i64::try_from(self.store.options.history_keep).unwrap_or(i64::MAX);
            let quarter = (keep / 4).max(1);
            if (self.first_seq + 1..=self.seq).any(|s| s % quarter == 0) {
                self.prune(keep)?;
            }
            let (ns, seq) = (self.ns(), self.seq);
            let payload = serde_json::json!({"k": "c", "ns": ns, "seq": seq}).to_string();
            self.execute(
                "WITH counted AS (UPDATE memdeck_ns SET seq = $2 WHERE ns = $1 RETURNING ns) \
                 SELECT pg_notify($3, $4) FROM counted",
                &[&ns, &seq, &CHANNEL, &payload],
            )?;
        }
        let store = self.store;
        self.inner.commit().map_err(|e| store.error(&e))
    }

    /// Commit a transaction that wrote no history (a lease), telling `event` when given.
    pub(super) fn commit_telling(mut self, event: Option<String>) -> Result<(), StoreError> {
        if let Some(payload) = event {
            self.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &payload])?;
        }
        let store = self.store;
        self.inner.commit().map_err(|e| store.error(&e))
    }

    /// The history's retention, the local store's rule: beyond `keep` entries the oldest go,
    /// except each path's newest few and the operations any of whose entries is kept; a version
    /// goes with the last entry or file naming it.
    fn prune(&mut self, keep: i64) -> Result<(), StoreError> {
        let per_path = i64::try_from(Retention::default().keep_per_path).unwrap_or(5);
        let ns = self.ns();
        self.execute(
            "WITH h AS (
                 SELECT seq, COALESCE(grp, seq) AS op,
                        row_number() OVER (ORDER BY seq) AS pos,
                        count(*) OVER () AS total,
                        row_number() OVER (PARTITION BY path ORDER BY seq DESC) AS newest
                 FROM memdeck_history WHERE ns = $1
             ), kept AS (
                 SELECT DISTINCT op FROM h WHERE pos > total - $2 OR newest <= $3
             )
             DELETE FROM memdeck_history d WHERE d.ns = $1
                 AND COALESCE(d.grp, d.seq) NOT IN (SELECT op FROM kept)",
            &[&ns, &keep, &per_path],
        )?;
        // One hashed set of the hashes still named (a correlated check per version was
        // seconds at 10,000 entries).
        self.execute(
            "DELETE FROM memdeck_versions v WHERE v.ns = $1 AND v.sha NOT IN (
                 SELECT old_sha FROM memdeck_history WHERE ns = $1 AND old_sha IS NOT NULL
                 UNION SELECT new_sha FROM memdeck_history WHERE ns = $1 AND new_sha IS NOT NULL
                 UNION SELECT sha FROM memdeck_nodes WHERE ns = $1 AND sha IS NOT NULL)",
            &[&ns],
        )?;
        Ok(())
    }
}

/// The refusal of a write under someone's lease.
fn leased(path: String, holder: String, host: String, left_ms: i64) -> StoreError {
    StoreError::Leased {
        path,
        holder,
        host,
        left: lease::seconds(Duration::from_millis(u64::try_from(left_ms).unwrap_or(0))),
    }
}

/// The folders between the root and `p` (exclusive), outermost first.
pub(super) fn chain_of(p: &str) -> Vec<String> {
    let mut chain = Vec::new();
    let mut q = p;
    while let Some((up, _)) = q.rsplit_once('/') {
        if up.len() <= ROOT.len() {
            break;
        }
        chain.push(up.to_owned());
        q = up;
    }
    chain.reverse();
    chain
}

/// How many names below the root `p` has (`/memories/a` is 1).
pub(super) fn depth_of(p: &str) -> i32 {
    let below = p.strip_prefix(ROOT).unwrap_or(p);
    i32::try_from(below.matches('/').count()).unwrap_or(i32::MAX)
}

/// The bounds, exclusive, of the paths below folder `d` in byte order: `d/` and `d0` (`0` is the
/// character after `/`).
pub(super) fn range_below(d: &str) -> (String, String) {
    (format!("{d}/"), format!("{d}0"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_split_into_folders_and_depths() {
        assert_eq!(
            chain_of("/memories/a/b/c.md"),
            vec!["/memories/a".to_owned(), "/memories/a/b".to_owned()]
        );
        assert!(chain_of("/memories/c.md").is_empty());
        assert_eq!(depth_of("/memories"), 0);
        assert_eq!(depth_of("/memories/a"), 1);
        assert_eq!(depth_of("/memories/a/b/c.md"), 3);
        assert_eq!(
            range_below("/memories/a"),
            ("/memories/a/".to_owned(), "/memories/a0".to_owned())
        );
    }
}
