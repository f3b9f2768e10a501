//! The team's task board: one memory file per task under `/memories/tasks/`, so every tab, the
//! panel and every machine see the same board, the history keeps every claim, and the model
//! works it with the memory tool it already has.
//!
//! ```text
//! ---
//! name: Architecture for Acme Corp
//! description: Architecture for Acme Corp
//! type: project
//! status: claimed by John until 2026-12-04 17:10:00 UTC
//! for: John
//! after: research
//! created_by: Alice
//! result: /memories/acme-architecture.md
//! ---
//! Anything worth knowing about the task.
//! ```
//!
//! `status` is `open`, `claimed by NAME [until TIME]` or `done [by NAME]`. A claim is a write to
//! the task's file checked against the file as it is at that moment (inside the store's
//! read-modify-write, or a compare-and-set save), so of two tabs claiming one task exactly one
//! wins. A claim runs out at its `until` (10 minutes after it was made unless said otherwise):
//! a tab that crashed mid-task does not hold it forever.

use std::fmt::Write as _;
use std::time::Duration;

use super::{Expect, FileText, MemPath, MemoryStore, StoreError, WriteCtx, front};
use crate::clock::{format_utc, now_ms, parse_utc};

/// The board's folder.
pub const DIR: &str = "/memories/tasks";
/// How long a claim lasts unless it says otherwise.
pub const CLAIM_TTL: Duration = Duration::from_secs(600);
/// Who the panel's changes are made as; a person may reassign and close any task.
pub const PERSON: &str = "you";
/// In a team run's message to a worker: what comes before its next task's title (quoted) and
/// the task's brief as the script has it (code attached and all).
pub const BRIEF: &str = "The brief of your next task, as the script has it:";

/// The brief a message gives for the task titled `title`, if it gives one.
pub fn brief_in<'a>(message: &'a str, title: &str) -> Option<&'a str> {
    let (_, rest) = message.split_once(BRIEF)?;
    let rest = rest.trim_start().strip_prefix('"')?;
    let (quoted, brief) = rest.split_once("\"\n\n")?;
    (quoted == title)
        .then(|| brief.trim())
        .filter(|b| !b.is_empty())
}

/// Where a task stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    Open,
    /// Claimed by someone until a time (ms since the epoch), or with no end given.
    Claimed {
        by: String,
        until: Option<u64>,
    },
    Done {
        by: Option<String>,
    },
}

impl Status {
    /// Read a `status:` value; `None` when it is none of the three.
    pub fn parse(value: &str) -> Option<Self> {
        let value = value.trim();
        let (word, rest) = value.split_once(' ').unwrap_or((value, ""));
        let rest = rest.trim();
        match word.to_ascii_lowercase().as_str() {
            "open" if rest.is_empty() => Some(Self::Open),
            "claimed" => {
                let rest = rest.strip_prefix("by ")?.trim();
                let (by, until) = match rest.split_once(" until ") {
                    Some((by, until)) => (by.trim(), Some(parse_utc(until)?)),
                    None => (rest, None),
                };
                (!by.is_empty()).then(|| Self::Claimed {
                    by: by.to_owned(),
                    until,
                })
            }
            "done" => {
                let by = rest.strip_prefix("by ").map(|b| b.trim().to_owned());
                (rest.is_empty() || by.as_ref().is_some_and(|b| !b.is_empty()))
                    .then_some(Self::Done { by })
            }
            _ => None,
        }
    }

    /// Whether a claim is live at `now`.
    pub fn held_at(&self, now: u64) -> Option<&str> {
        match self {
            Self::Claimed { by, until } if until.is_none_or(|u| u > now) => Some(by),
            _ => None,
        }
    }

    pub fn is_done(&self) -> bool {
        matches!(self, Self::Done { .. })
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Open => f.write_str("open"),
            Self::Claimed { by, until: None } => write!(f, "claimed by {by}"),
            Self::Claimed {
                by,
                until: Some(until),
            } => write!(f, "claimed by {by} until {} UTC", format_utc(*until)),
            Self::Done { by: None } => f.write_str("done"),
            Self::Done { by: Some(by) } => write!(f, "done by {by}"),
        }
    }
}

/// One task, read from its file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Task {
    /// The file's name without `.md`: what `after:` and the CLI name it by.
    pub id: String,
    pub path: MemPath,
    pub title: String,
    pub status: Status,
    /// Who it is meant for, if anyone.
    pub assignee: Option<String>,
    /// Tasks that must be done first.
    pub after: Vec<String>,
    pub created_by: Option<String>,
    /// Where the work is, once done.
    pub result: Option<String>,
    pub version: super::Version,
}

/// Whether `path` is a task's file (a `.md` file directly in the board's folder).
pub fn is_task(path: &str) -> bool {
    path.strip_prefix(DIR)
        .and_then(|rest| rest.strip_prefix('/'))
        .is_some_and(|name| {
            !name.contains('/')
                && name.len() > 3
                && std::path::Path::new(name)
                    .extension()
                    .is_some_and(|e| e == "md")
        })
}

/// A task file's text read as a task; `Err` says what is missing.
pub fn parse(path: &MemPath, file: &FileText) -> Result<Task, String> {
    let raw = path.to_string();
    let header = front::parse(&file.text)?.ok_or_else(|| format_help(&raw))?;
    let get = |key: &str| {
        header
            .other
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let status = get("status").ok_or_else(|| format_help(&raw))?;
    let status = Status::parse(&status).ok_or_else(|| {
        format!(
            "{raw}: `status: {status}` is not a task status; write `open`, `claimed by NAME` or \
             `done by NAME`"
        )
    })?;
    let id = path
        .name()
        .and_then(|n| n.strip_suffix(".md"))
        .unwrap_or_default()
        .to_owned();
    Ok(Task {
        title: header.name.clone().unwrap_or_else(|| id.replace('-', " ")),
        id,
        path: path.clone(),
        status,
        assignee: get("for"),
        after: get("after")
            .map(|a| {
                a.split(',')
                    .map(|t| t.trim().trim_end_matches(".md").to_owned())
                    .filter(|t| !t.is_empty())
                    .collect()
            })
            .unwrap_or_default(),
        created_by: get("created_by"),
        result: get("result"),
        version: file.version.clone(),
    })
}

fn format_help(path: &str) -> String {
    format!(
        "{path} is in the task board's folder but is not a task: a task file starts with front \
         matter holding `name:` (the title) and `status: open` (or `claimed by NAME`, `done by \
         NAME`), optionally `for: NAME`, `after: OTHER-TASK` and `result: /memories/...`"
    )
}

/// Every task on the board, each after the tasks it comes after (else in name order); files
/// there that are not tasks are skipped.
pub fn list(store: &dyn MemoryStore) -> Result<Vec<Task>, StoreError> {
    let dir = board_dir();
    let listing = match store.list(&dir, 1) {
        Ok(listing) => listing,
        Err(StoreError::NotFound(_)) => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut tasks = Vec::new();
    for entry in listing.entries {
        let Ok(path) = dir.join(&entry.relative) else {
            continue;
        };
        if !is_task(&path.to_string()) {
            continue;
        }
        match store.read(&path) {
            Ok(file) => tasks.extend(parse(&path, &file).ok()),
            Err(StoreError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(in_order(tasks))
}

/// Tasks ordered so that each comes after what it waits for (name order otherwise; a cycle is
/// left in name order).
pub fn in_order(mut tasks: Vec<Task>) -> Vec<Task> {
    tasks.sort_by(|a, b| a.id.cmp(&b.id));
    let mut out: Vec<Task> = Vec::with_capacity(tasks.len());
    while !tasks.is_empty() {
        let ready = tasks.iter().position(|t| {
            t.after
                .iter()
                .all(|id| out.iter().any(|o| &o.id == id) || !tasks.iter().any(|o| &o.id == id))
        });
        out.push(tasks.remove(ready.unwrap_or(0)));
    }
    out
}

fn board_dir() -> MemPath {
    MemPath::parse(DIR).unwrap_or_else(|_| MemPath::root())
}

/// The task `id` (its file name, with or without `.md`).
pub fn task_path(id: &str) -> Result<MemPath, StoreError> {
    let id = id.trim().trim_end_matches(".md");
    Ok(board_dir().join(&format!("{id}.md"))?)
}

/// A file name for a title: lowercase words joined by `-`, at most 48 bytes.
pub fn slug(title: &str) -> String {
    let mut out = String::new();
    for word in title
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let word = word.to_lowercase();
        if out.len() + word.len() + 1 > 48 {
            break;
        }
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(&word);
    }
    if out.is_empty() {
        out.push_str("task");
    }
    out
}

/// What a new task holds.
#[derive(Clone, Debug, Default)]
pub struct NewTask<'a> {
    pub title: &'a str,
    pub assignee: Option<&'a str>,
    pub after: &'a [String],
    pub notes: &'a str,
    /// The file name to use instead of the title's slug.
    pub id: Option<&'a str>,
}

/// The text of a new, open task.
pub fn render(task: &NewTask<'_>, created_by: &str) -> String {
    let title = one_line(task.title);
    let mut text =
        format!("---\nname: {title}\ndescription: {title}\ntype: project\nstatus: open\n");
    if let Some(who) = task.assignee.map(one_line).filter(|w| !w.is_empty()) {
        let _ = writeln!(text, "for: {who}");
    }
    if !task.after.is_empty() {
        let _ = writeln!(text, "after: {}", task.after.join(", "));
    }
    let _ = write!(text, "created_by: {}\n---\n", one_line(created_by));
    if !task.notes.trim().is_empty() {
        text.push_str(task.notes.trim_end());
        text.push('\n');
    }
    text
}

/// `text` on one line, its runs of white space each one space.
pub fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Put a new open task on the board (a name of its own: `-2`, `-3`... when taken).
pub fn add(store: &dyn MemoryStore, task: &NewTask<'_>, actor: &str) -> Result<Task, StoreError> {
    if task.title.trim().is_empty() {
        return Err(StoreError::Rejected("a task needs a title".to_owned()));
    }
    let base = task.id.map_or_else(|| slug(task.title), slug);
    let text = render(task, actor);
    for n in 1..100 {
        let id = if n == 1 {
            base.clone()
        } else {
            format!("{base}-{n}")
        };
        let path = task_path(&id)?;
        match store.save(&path, &text, Expect::Absent, WriteCtx::new(actor, "task")) {
            Ok(version) => {
                let file = FileText { text, version };
                return parse(&path, &file).map_err(StoreError::Rejected);
            }
            Err(StoreError::Exists(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Err(StoreError::Rejected(format!(
        "the board already has 99 tasks named {base}"
    )))
}

/// Keys of a task's front matter to set (`Some`) or drop (`None`).
type Keys = Vec<(&'static str, Option<String>)>;

/// Why a change to the board was refused, in words the model and a person can act on.
fn refusal(task: &str, text: &str) -> StoreError {
    StoreError::Rejected(format!("task {task}: {text}"))
}

/// Change a task's file under the store's read-modify-write: `change` gets the task as it is
/// at that moment and returns the keys to write, or why not.
fn change(
    store: &dyn MemoryStore,
    id: &str,
    actor: &str,
    op: &str,
    change: &dyn Fn(&Task) -> Result<Keys, String>,
) -> Result<Task, StoreError> {
    let path = task_path(id)?;
    let raw = path.to_string();
    let file = store.modify(&path, WriteCtx::new(actor, op), &mut |text| {
        let current = FileText {
            text: text.to_owned(),
            version: super::Version::of(text.as_bytes()),
        };
        let task = parse(&path, &current)?;
        let keys = change(&task).map_err(|why| format!("task {}: {why}", task.id))?;
        Ok(front::with_keys(text, &keys))
    });
    let file = match file {
        Err(StoreError::NotFound(_)) => {
            return Err(refusal(id, &format!("there is no {raw} on the board")));
        }
        other => other?,
    };
    parse(&path, &file).map_err(StoreError::Rejected)
}

/// The tasks among `after` that are not done yet, as "architecture (claimed by John)"; each
/// is read by itself (the rest of the board is not).
pub fn waiting_on(store: &dyn MemoryStore, after: &[String]) -> Vec<String> {
    after
        .iter()
        .filter_map(|id| {
            let task = task_path(id)
                .ok()
                .and_then(|path| Some((store.read(&path).ok()?, path)))
                .and_then(|(file, path)| parse(&path, &file).ok());
            match task {
                Some(t) if t.status.is_done() => None,
                Some(t) => Some(format!("{id} ({})", t.status)),
                None => Some(format!("{id} (not on the board)")),
            }
        })
        .collect()
}

/// Claim a task for `who` until `ttl` from now: exactly one of several claimers wins. Refused
/// when someone else's claim is live, the task is done, or a task it comes after is not done.
pub fn claim(
    store: &dyn MemoryStore,
    id: &str,
    who: &str,
    ttl: Duration,
) -> Result<Task, StoreError> {
    let now = now_ms();
    let until = now + u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX / 2);
    // What it comes after is read first: a task once done stays done, so the answer holds.
    let path = task_path(id)?;
    let after = store
        .read(&path)
        .ok()
        .and_then(|f| parse(&path, &f).ok())
        .map(|t| t.after)
        .unwrap_or_default();
    let waiting = waiting_on(store, &after);
    change(store, id, who, "claim", &|task| {
        claimable(task, who, now, &waiting)?;
        let status = Status::Claimed {
            by: who.to_owned(),
            until: Some(until),
        };
        Ok(vec![("status", Some(status.to_string()))])
    })
}

/// Whether `who` may claim `task` at `now` (`waiting`: its unfinished predecessors).
fn claimable(task: &Task, who: &str, now: u64, waiting: &[String]) -> Result<(), String> {
    if let Some(holder) = task.status.held_at(now)
        && holder != who
    {
        return Err(format!(
            "already {}; work on another task or wait for it",
            task.status
        ));
    }
    if task.status.is_done() {
        return Err(format!("already {}", task.status));
    }
    if !waiting.is_empty() {
        return Err(format!(
            "comes after {}, not done yet; wait for it",
            waiting.join(", ")
        ));
    }
    Ok(())
}

/// Mark a task done by `who`, with where the work is. A model may finish only its own claim
/// (or an open task); a person ([`PERSON`]) closes any.
pub fn complete(
    store: &dyn MemoryStore,
    id: &str,
    who: &str,
    result: Option<&str>,
) -> Result<Task, StoreError> {
    let now = now_ms();
    change(store, id, who, "done", &|task| {
        if who != PERSON
            && let Some(holder) = task.status.held_at(now)
            && holder != who
        {
            return Err(format!("is {}; only they can finish it", task.status));
        }
        let mut keys = vec![(
            "status",
            Some(
                Status::Done {
                    by: Some(who.to_owned()),
                }
                .to_string(),
            ),
        )];
        if let Some(result) = result {
            keys.push(("result", Some(result.to_owned())));
        }
        Ok(keys)
    })
}

/// Give a task to someone else (a person's move): it is open again, meant for `to`.
pub fn reassign(
    store: &dyn MemoryStore,
    id: &str,
    to: &str,
    actor: &str,
) -> Result<Task, StoreError> {
    change(store, id, actor, "reassign", &|_| {
        Ok(vec![
            ("status", Some(Status::Open.to_string())),
            ("for", Some(one_line(to)).filter(|t| !t.is_empty())),
        ])
    })
}

/// Check a model's write to a task file: the task as it was (`None` for a new file) and the text
/// it would become. Returns the text to write (a claim without an end gets one), or why not.
pub fn check_write(
    path: &MemPath,
    old: Option<&str>,
    new: &str,
    actor: &str,
    waiting: &dyn Fn(&[String]) -> Vec<String>,
) -> Result<String, String> {
    let now = now_ms();
    let new_file = FileText {
        text: new.to_owned(),
        version: super::Version::of(new.as_bytes()),
    };
    let task = parse(path, &new_file)?;
    let before = old.and_then(|old| {
        let file = FileText {
            text: old.to_owned(),
            version: super::Version::of(old.as_bytes()),
        };
        parse(path, &file).ok()
    });
    let was = before.as_ref().map_or(Status::Open, |t| t.status.clone());
    if task.status == was {
        return Ok(new.to_owned());
    }
    let id = &task.id;
    match &task.status {
        Status::Claimed { by, until } => {
            if by != actor {
                return Err(format!(
                    "task {id}: claim tasks for yourself (`claimed by {actor}`), not for {by}"
                ));
            }
            if let Some(t) = &before {
                claimable(t, actor, now, &waiting(&t.after))
                    .map_err(|e| format!("task {id}: {e}"))?;
            }
            let limit = now + u64::try_from(CLAIM_TTL.as_millis()).unwrap_or(0);
            if until.is_none_or(|u| u > limit || u <= now) {
                let stamped = Status::Claimed {
                    by: by.clone(),
                    until: Some(limit),
                };
                return Ok(front::with_keys(
                    new,
                    &[("status", Some(stamped.to_string()))],
                ));
            }
        }
        Status::Done { by } => {
            if by.as_deref().is_some_and(|b| b != actor) {
                return Err(format!(
                    "task {id}: write `done by {actor}`: it is you finishing it"
                ));
            }
            if let Some(holder) = was.held_at(now)
                && holder != actor
            {
                return Err(format!("task {id}: is {was}; only they can finish it"));
            }
        }
        Status::Open => {
            if let Some(holder) = was.held_at(now)
                && holder != actor
            {
                return Err(format!("task {id}: is {was}; only they can give it up"));
            }
        }
    }
    Ok(new.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_and_print() {
        for (text, want) in [
            ("open", Some("open")),
            ("Open", Some("open")),
            ("claimed by John", Some("claimed by John")),
            (
                "claimed by Mary Ann until 2026-12-04 17:10:00 UTC",
                Some("claimed by Mary Ann until 2026-12-04 17:10:00 UTC"),
            ),
            (
                "claimed by John until 2026-12-04T17:10Z",
                Some("claimed by John until 2026-12-04 17:10:00 UTC"),
            ),
            ("done", Some("done")),
            ("done by Sam", Some("done by Sam")),
            ("claimed", None),
            ("claimed by John until someday", None),
            ("finished", None),
            ("open now", None),
        ] {
            assert_eq!(
                Status::parse(text).map(|s| s.to_string()).as_deref(),
                want,
                "{text}"
            );
        }
    }

    #[test]
    fn slugs_and_task_paths() {
        assert_eq!(
            slug("Architecture for Acme Corp!"),
            "architecture-for-acme-corp"
        );
        assert_eq!(slug("  "), "task");
        assert!(is_task("/memories/tasks/a.md"));
        assert!(!is_task("/memories/tasks/a/b.md"));
        assert!(!is_task("/memories/tasks.md"));
        assert!(!is_task("/memories/tasks/.md"));
    }

    #[test]
    fn a_rendered_task_reads_back_and_keys_change_in_place() {
        let after = vec!["architecture".to_owned()];
        let text = render(
            &NewTask {
                title: "Proposal  for\nAcme",
                assignee: Some("Sam"),
                after: &after,
                notes: "Use the architecture.",
                id: None,
            },
            "Alice",
        );
        let path = task_path("proposal").unwrap();
        let file = FileText {
            version: super::super::Version::of(text.as_bytes()),
            text: text.clone(),
        };
        let task = parse(&path, &file).unwrap();
        assert_eq!(task.title, "Proposal for Acme");
        assert_eq!(task.assignee.as_deref(), Some("Sam"));
        assert_eq!(task.after, after);
        assert_eq!(task.status, Status::Open);
        let done = front::with_keys(
            &text,
            &[
                ("status", Some("done by Sam".into())),
                ("result", Some("/memories/p.md".into())),
            ],
        );
        assert!(done.contains("status: done by Sam\n"), "{done}");
        assert!(
            done.contains("result: /memories/p.md\n---\nUse the architecture.\n"),
            "{done}"
        );
    }

    #[test]
    fn the_board_lists_each_task_after_what_it_waits_for() {
        let task = |id: &str, after: &[&str]| {
            let after: Vec<String> = after.iter().map(|a| (*a).to_owned()).collect();
            let text = render(
                &NewTask {
                    title: id,
                    after: &after,
                    id: Some(id),
                    ..NewTask::default()
                },
                "A",
            );
            let file = FileText {
                version: super::super::Version::of(text.as_bytes()),
                text,
            };
            parse(&task_path(id).unwrap(), &file).unwrap()
        };
        let ordered = in_order(vec![
            task("a-proposal", &["b-arch"]),
            task("b-arch", &["c-facts"]),
            task("c-facts", &[]),
            task("d-loop", &["d-loop"]),
        ]);
        let ids: Vec<&str> = ordered.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["c-facts", "b-arch", "a-proposal", "d-loop"]);
    }

    #[test]
    fn model_writes_to_tasks_follow_the_rules() {
        let path = task_path("arch").unwrap();
        let open = render(
            &NewTask {
                title: "Arch",
                ..NewTask::default()
            },
            "Alice",
        );
        let none = |_: &[String]| Vec::new();
        let claim = open.replace("status: open", "status: claimed by John");
        let stamped = check_write(&path, Some(&open), &claim, "John", &none).unwrap();
        assert!(
            stamped.contains("status: claimed by John until "),
            "{stamped}"
        );
        let err = check_write(&path, Some(&open), &claim, "Sam", &none).unwrap_err();
        assert!(err.contains("claim tasks for yourself"), "{err}");
        let sam = stamped.replace("claimed by John", "claimed by Sam");
        let err = check_write(&path, Some(&stamped), &sam, "Sam", &none).unwrap_err();
        assert!(err.contains("already claimed by John"), "{err}");
        let blocked = |_: &[String]| vec!["research (open)".to_owned()];
        let err = check_write(&path, Some(&open), &claim, "John", &blocked).unwrap_err();
        assert!(err.contains("comes after research"), "{err}");
        let done = stamped
            .lines()
            .map(|l| {
                if l.starts_with("status:") {
                    "status: done by John"
                } else {
                    l
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        assert!(check_write(&path, Some(&stamped), &done, "John", &none).is_ok());
        let err = check_write(
            &path,
            Some(&stamped),
            &done.replace("John", "Sam"),
            "Sam",
            &none,
        )
        .unwrap_err();
        assert!(err.contains("only they can finish"), "{err}");
        let err = check_write(&path, None, "just a note\n", "Sam", &none).unwrap_err();
        assert!(err.contains("is not a task"), "{err}");
    }
}
