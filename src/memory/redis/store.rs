//! The six tool commands and the rest of [`MemoryStore`] on Redis: each a script call (or a
//! few reads), changes sent to subscribers as they commit.

use std::collections::BTreeMap;
use std::sync::PoisonError;
use std::time::Duration;

use tokio::sync::broadcast;

use super::{MODIFY_ATTEMPTS, RedisStore, refused};
use crate::clock::now_ms;
use crate::memory::history::HistoryEntry;
use crate::memory::lease;
use crate::memory::{
    ChangeKind, Expect, FileText, Grant, Lease, LeaseEvent, Listing, MemPath, MemoryChange,
    MemoryStore, NodeKind, StoreError, Version, WriteCtx, within_limit,
};

impl MemoryStore for RedisStore {
    fn acquire(&self, subject: &str, holder: &str, ttl: Duration) -> Result<Grant, StoreError> {
        let ttl = lease::clamp_ttl(ttl).to_string();
        let ctx = WriteCtx::new(holder, "lease");
        let reply = self.run(&self.scripts.acquire, Some(ctx), &[subject, &ttl])?;
        let field = |i: usize| reply.get(i).cloned().unwrap_or_default();
        let number = |i: usize| field(i).parse::<u64>().unwrap_or(0);
        match reply.first().map(String::as_str) {
            Some("ok") => {
                let lease = Lease {
                    subject: subject.to_owned(),
                    holder: holder.to_owned(),
                    host: self.options.host.clone(),
                    token: number(1),
                    expires_ms: now_ms() + number(2),
                };
                let _ = self.lease_events.send(LeaseEvent::Granted(lease.clone()));
                Ok(Grant::Granted(lease))
            }
            Some("held") => Ok(Grant::Held(Lease {
                subject: subject.to_owned(),
                holder: field(2),
                host: field(3),
                token: number(1),
                expires_ms: now_ms() + number(4),
            })),
            _ => Err(refused(&reply, &MemPath::root())),
        }
    }

    fn renew(&self, lease: &Lease, ttl: Duration) -> Result<Option<Lease>, StoreError> {
        let ttl = lease::clamp_ttl(ttl);
        let args = [
            lease.subject.as_str(),
            &lease.token.to_string(),
            &ttl.to_string(),
        ];
        let reply = self.run(&self.scripts.renew, None, &args)?;
        Ok(
            (reply.first().map(String::as_str) == Some("ok")).then(|| Lease {
                expires_ms: now_ms() + ttl,
                ..lease.clone()
            }),
        )
    }

    fn release(&self, lease: &Lease) -> Result<bool, StoreError> {
        let token = lease.token.to_string();
        let reply = self.run(&self.scripts.release, None, &[&lease.subject, &token])?;
        let released = reply.first().map(String::as_str) == Some("ok");
        if released {
            let _ = self.lease_events.send(LeaseEvent::Released {
                subject: lease.subject.clone(),
                token: lease.token,
            });
        }
        Ok(released)
    }

    fn leases(&self) -> Result<Vec<Lease>, StoreError> {
        let reply = self.read_only(&self.scripts.leases, &[])?;
        let now = now_ms();
        Ok(reply
            .get(1..)
            .unwrap_or_default()
            .chunks_exact(5)
            .map(|l| Lease {
                subject: l[0].clone(),
                token: l[1].parse().unwrap_or(0),
                holder: l[2].clone(),
                host: l[3].clone(),
                expires_ms: now + l[4].parse::<u64>().unwrap_or(0),
            })
            .collect())
    }

    fn lease_events(&self) -> broadcast::Receiver<LeaseEvent> {
        self.lease_events.subscribe()
    }

    fn expiring(&self) -> Result<Vec<MemPath>, StoreError> {
        let mut out = Vec::new();
        let mut cursor = "0".to_owned();
        loop {
            let reply = self.read_only(&self.scripts.expiring, &[&cursor])?;
            let Some((next, paths)) = reply.split_first() else {
                return Err(refused(&reply, &MemPath::root()));
            };
            out.extend(paths.iter().filter_map(|p| MemPath::parse(p).ok()));
            if next == "0" {
                return Ok(out);
            }
            cursor.clone_from(next);
        }
    }

    fn describe(&self) -> String {
        let kind = self.link.kind();
        format!(
            "{kind} {} namespace {}",
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
        self.list_pages(dir, depth)
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
        crate::memory::modify_by_saving(self, path, ctx, edit, MODIFY_ATTEMPTS)
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
            // The reference's order: a taken destination, a missing source, then this.
            if self.node(to)?.is_some() {
                return Err(StoreError::Exists(to.clone()));
            }
            if self.node(from)?.is_none() {
                return Err(StoreError::NotFound(from.clone()));
            }
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
        let mut cache = self.history.lock().unwrap_or_else(PoisonError::into_inner);
        cache.catch_up(self)?;
        Ok(cache
            .entries()
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

    fn restore_folder(
        &self,
        folder: &MemPath,
        files: &[(MemPath, Version)],
        ctx: WriteCtx<'_>,
    ) -> Result<usize, StoreError> {
        crate::memory::history::check_inside(folder, files)?;
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

    fn apply_batch(
        &self,
        ops: &[crate::memory::BatchOp],
        ctx: WriteCtx<'_>,
    ) -> Result<(), StoreError> {
        let mut args: Vec<String> = Vec::with_capacity(ops.len() * 4);
        let mut new_names = Vec::new();
        for op in ops {
            if op.path.is_root() {
                return Err(StoreError::IsDir(op.path.clone()));
            }
            if let Some(text) = &op.text {
                within_limit(&op.path, text, self.options.max_file_bytes)?;
            }
            let want = match &op.expect {
                Expect::Absent => {
                    new_names.push(&op.path);
                    "absent".to_owned()
                }
                Expect::Any => "any".to_owned(),
                Expect::Version(v) => v.as_str().to_owned(),
            };
            let new = op
                .text
                .as_ref()
                .map(|t| Version::of(t.as_bytes()).as_str().to_owned())
                .unwrap_or_default();
            args.extend([
                op.path.to_string(),
                want,
                new,
                op.text.clone().unwrap_or_default(),
            ]);
        }
        if ops.is_empty() {
            return Ok(());
        }
        self.refuse_case_twins(&new_names, None)?;
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let reply = self.run(&self.scripts.batch, Some(ctx), &args)?;
        if reply.first().map(String::as_str) != Some("ok") {
            let path = reply
                .get(2)
                .and_then(|p| MemPath::parse(p).ok())
                .unwrap_or_else(MemPath::root);
            return Err(refused(&reply, &path));
        }
        for op in ops {
            self.emit(op.change(ctx.actor));
        }
        Ok(())
    }

    fn version_text(
        &self,
        _path: &MemPath,
        version: &Version,
    ) -> Result<Option<String>, StoreError> {
        let blobs = self.keys.blobs().to_owned();
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

    fn dump(&self) -> Result<crate::memory::Dump, StoreError> {
        let [content, _, dirs, ..] = &self.keys.all;
        let (files, dirs): (BTreeMap<String, String>, Vec<String>) = self.with_conn(|c| {
            let files = redis::cmd("HGETALL").arg(content).query(c)?;
            let dirs = redis::cmd("HKEYS").arg(dirs).query(c)?;
            Ok((files, dirs))
        })?;
        crate::memory::Dump::of(self, dirs, files.into_iter().collect())
    }

    fn import(&self, dump: &crate::memory::Dump) -> Result<(), StoreError> {
        dump.check()?;
        let mut args: Vec<String> = vec![
            dump.dirs.len().to_string(),
            dump.files.len().to_string(),
            dump.versions.len().to_string(),
            dump.history.len().to_string(),
        ];
        args.extend(dump.dirs.iter().cloned());
        for (path, text) in &dump.files {
            let record = serde_json::json!({
                "sha": Version::of(text.as_bytes()).as_str(),
                "size": text.len(),
                "ts": now_ms(),
                "actor": "migrate",
                "host": self.options.host,
            });
            args.extend([path.clone(), text.clone(), record.to_string()]);
        }
        for (version, text) in &dump.versions {
            args.extend([version.as_str().to_owned(), text.clone()]);
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
            args.extend([
                (i + 1).to_string(),
                entry.ts_ms.to_string(),
                actor.to_owned(),
                host.to_owned(),
                self.cid.clone(),
                entry.op.clone(),
                entry.path.clone(),
                entry.new_path.clone().unwrap_or_default(),
                version(&entry.old),
                version(&entry.new),
                if is_dir { "1" } else { "0" }.to_owned(),
                entry.group.map(|g| g.to_string()).unwrap_or_default(),
            ]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        // One script (a cluster connection takes no pipeline, a team's ACL user may have no
        // MULTI): atomic, and it holds the server for the whole copy, once.
        let reply = self.run(&self.scripts.import, None, &args)?;
        match reply.first().map(String::as_str) {
            Some("ok") => {}
            Some("notempty") => {
                return Err(StoreError::Rejected(format!(
                    "{} is not empty; migrate into an empty namespace",
                    self.describe()
                )));
            }
            _ => {
                return Err(StoreError::Rejected(format!(
                    "the Redis store answered {reply:?} to the import"
                )));
            }
        }
        // The index and the counts, from what was just written.
        self.upgrade(None)
    }
}
