//! Directories read in bounded pages: each script call returns at most [`PAGE`] children (of
//! one directory or of several), so a listing never holds the server for long however big the
//! namespace; a listing is read again when the history moved on between its pages.

use std::collections::BTreeMap;

use super::{DIR_SIZE, RedisStore, Reply, refused};
use crate::memory::{Entry, Listing, MemPath, NodeKind, StoreError};

/// Children one script call returns at most (and directories it is asked about at most).
const PAGE: usize = 500;
/// Readings of a listing before one whose pages disagree is taken as it is: under a storm of
/// writes a listing may then show a file both before and after a rename, as a directory walk
/// on a disk may; the changes themselves still arrive in order.
const LIST_ATTEMPTS: usize = 5;

/// One child of a directory.
pub(super) struct Child {
    pub(super) name: String,
    pub(super) dir: bool,
    pub(super) size: u64,
}

/// What [`RedisStore::children`] read: for each directory asked, its children or the reply
/// refusing it (it is missing, a file, or below a file).
pub(super) struct Pages {
    pub(super) children: Vec<Result<Vec<Child>, Reply>>,
    /// Whether every page saw the same history counter: nothing changed while they were read.
    pub(super) consistent: bool,
}

impl RedisStore {
    /// The children of each of `dirs`, in name order, read in pages.
    pub(super) fn children(&self, dirs: &[String]) -> Result<Pages, StoreError> {
        let mut children: Vec<Result<Vec<Child>, Reply>> =
            dirs.iter().map(|_| Ok(Vec::new())).collect();
        // (index in `dirs`, the member to go on after)
        let mut todo: Vec<(usize, String)> = (0..dirs.len()).map(|i| (i, String::new())).collect();
        let mut seq: Option<String> = None;
        let mut consistent = true;
        while !todo.is_empty() {
            let batch: Vec<(usize, String)> = todo.drain(..todo.len().min(PAGE)).collect();
            let limit = PAGE.to_string();
            let mut args: Vec<&str> = vec![&limit];
            for (i, after) in &batch {
                args.push(&dirs[*i]);
                args.push(after);
            }
            let reply = self.read_only(&self.scripts.children, &args)?;
            if reply.first().map(String::as_str) != Some("ok") {
                return Err(StoreError::Rejected(format!(
                    "the Redis store answered {:?} to a listing",
                    reply.first()
                )));
            }
            let now = reply.get(1).cloned().unwrap_or_default();
            consistent &= seq.get_or_insert_with(|| now.clone()) == &now;
            let mut at = 2;
            let mut later = Vec::new();
            for (i, after) in batch {
                let field = |k: usize| reply.get(k).map_or("", String::as_str);
                let (status, next, count) = (field(at), field(at + 1), field(at + 2));
                let count: usize = count.parse().unwrap_or(0);
                let items = reply.get(at + 3..at + 3 + count * 3).unwrap_or_default();
                at += 3 + count * 3;
                match status {
                    "ok" => {
                        if let Ok(list) = &mut children[i] {
                            list.extend(items.chunks(3).map(|c| Child {
                                dir: c[0] == "d",
                                name: c[1].clone(),
                                size: if c[0] == "d" {
                                    DIR_SIZE
                                } else {
                                    c[2].parse().unwrap_or(0)
                                },
                            }));
                        }
                        if !next.is_empty() {
                            later.push((i, next.to_owned()));
                        }
                    }
                    // Not reached in this call: asked again.
                    "later" => later.push((i, after)),
                    _ => children[i] = Err(vec![status.to_owned(), next.to_owned()]),
                }
            }
            todo.extend(later);
        }
        Ok(Pages {
            children,
            consistent,
        })
    }

    /// A directory's listing `depth` levels down, read level by level in pages.
    pub(super) fn list_pages(&self, dir: &MemPath, depth: usize) -> Result<Listing, StoreError> {
        let base = dir.to_string();
        let mut attempt = 0;
        loop {
            attempt += 1;
            // Every node below, relative, with its kind and size.
            let mut nodes: BTreeMap<String, (NodeKind, u64)> = BTreeMap::new();
            let mut skipped = Vec::new();
            let mut consistent = true;
            let mut level = vec![base.clone()];
            for _ in 0..depth {
                if level.is_empty() {
                    break;
                }
                let pages = self.children(&level)?;
                consistent &= pages.consistent;
                let mut next = Vec::new();
                for (parent, found) in level.iter().zip(pages.children) {
                    let found = match found {
                        Ok(found) => found,
                        Err(reply) if *parent == base => return Err(refused(&reply, dir)),
                        // A folder gone between two pages: the counter tells, and it is read
                        // again.
                        Err(_) => continue,
                    };
                    for child in found {
                        let path = format!("{parent}/{}", child.name);
                        // A key no tool call could make (planted by hand in the shared
                        // namespace) is left out and reported, never listed raw.
                        if let Err(why) = crate::memory::check_stored_path(&path) {
                            tracing::warn!(
                                "skipping the Redis entry {}: {}",
                                crate::memory::path::display_disk_name(path.as_bytes()),
                                crate::memory::path::display_disk_name(why.as_bytes())
                            );
                            skipped.push(crate::memory::path::display_disk_name(path.as_bytes()));
                            continue;
                        }
                        let relative = path[base.len() + 1..].to_owned();
                        let kind = if child.dir {
                            // Hidden folders are not listed, so not entered either.
                            if !child.name.starts_with('.') {
                                next.push(path);
                            }
                            NodeKind::Dir
                        } else {
                            NodeKind::File
                        };
                        nodes.insert(relative, (kind, child.size));
                    }
                }
                level = next;
            }
            if consistent || attempt >= LIST_ATTEMPTS {
                let mut entries = Vec::new();
                add_children(&nodes, "", 1, depth, &mut entries);
                return Ok(Listing {
                    size: DIR_SIZE,
                    entries,
                    skipped,
                    unreadable: Vec::new(),
                });
            }
        }
    }
}

/// Children of `prefix` (relative, "" for the listed directory) in name order, each
/// directory's own children after it, down to `depth` levels; hidden names are skipped with
/// everything below them.
pub(in crate::memory) fn add_children(
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
    let mut children: Vec<(&String, &(NodeKind, u64))> = nodes
        .range(start.clone()..)
        .take_while(|(k, _)| k.starts_with(&start))
        .filter(|(k, _)| !k[start.len()..].contains('/'))
        .collect();
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
