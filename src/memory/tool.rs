//! The six memory tool commands, with the exact result texts of the reference implementation.
//!
//! The reference is `BetaLocalFilesystemMemoryTool` in the official Python SDK 2.12: its success
//! texts, its error texts (without an `Error: ` prefix) and its edge cases (overlapping
//! occurrence lines, Python slice semantics for `view_range`, the trailing newline `insert`
//! adds). Errors the reference does not have (our stricter path rules, limits, links) use
//! [`StoreError`]'s and [`PathError`](super::PathError)'s texts, which name the rule.

use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;

use super::command::ToolCommand;
use super::lease::Holds;
use super::{Lease, board, expiry, front, secrets};
use super::{MemPath, MemoryStore, NodeKind, StoreError, WriteCtx};

/// Line numbers are right-aligned to the width of 999,999.
const LINE_NUMBER_WIDTH: usize = 6;
/// The reference refuses files with more lines than this.
const MAX_LINES: usize = 999_999;

/// What goes back to the model as a `tool_result`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ToolResult {
    pub content: String,
    pub is_error: bool,
}

impl ToolResult {
    fn ok(content: String) -> Self {
        Self {
            content,
            is_error: false,
        }
    }

    fn error(content: impl Into<String>) -> Self {
        Self {
            content: content.into(),
            is_error: true,
        }
    }
}

/// Run one tool call, given as the model's JSON input, on `store` on behalf of `actor`.
///
/// ```
/// use memdeck::memory::{LocalOptions, LocalStore, execute};
/// use serde_json::json;
///
/// let dir = tempfile::tempdir().unwrap();
/// let store = LocalStore::open(&LocalOptions::new(dir.path().join("memories"))).unwrap();
/// let input = json!({"command": "create", "path": "/memories/acme.md", "file_text": "40 stores\n"});
/// let result = execute(&store, &input, "Alice");
/// assert!(!result.is_error);
/// assert_eq!(result.content, "File created successfully at: /memories/acme.md");
/// ```
pub fn execute(store: &dyn MemoryStore, input: &Value, actor: &str) -> ToolResult {
    match ToolCommand::from_json(input) {
        Ok(command) => run(store, &command, actor),
        Err(message) => ToolResult::error(message),
    }
}

/// Who runs a command: the persona, the lease it holds on the command's path (if any), and
/// its session (stamped on notes that expire with the session).
#[derive(Clone, Copy, Debug)]
pub struct Caller<'a> {
    pub actor: &'a str,
    pub fence: Option<&'a Lease>,
    pub session: Option<&'a str>,
}

impl<'a> Caller<'a> {
    pub fn new(actor: &'a str) -> Self {
        Self {
            actor,
            fence: None,
            session: None,
        }
    }
}

/// Run one tool call within a read-modify-write: a file the model reads whole is leased to it
/// (see [`Holds`]) and its next write to that file carries the lease; the lease is given back
/// once that write is done. A file someone else holds is still shown, with a line that says who
/// holds it.
pub fn execute_holding(
    store: &dyn MemoryStore,
    input: &Value,
    actor: &str,
    session: Option<&str>,
    holds: &mut Holds,
) -> ToolResult {
    let command = match ToolCommand::from_json(input) {
        Ok(command) => command,
        Err(message) => return ToolResult::error(message),
    };
    let (raw, also) = match &command {
        ToolCommand::View { path, .. }
        | ToolCommand::Create { path, .. }
        | ToolCommand::StrReplace { path, .. }
        | ToolCommand::Insert { path, .. }
        | ToolCommand::Delete { path } => (path, None),
        ToolCommand::Rename { old_path, new_path } => (old_path, Some(new_path)),
    };
    let Ok(path) = MemPath::parse(raw).map(|p| p.to_string()) else {
        return run(store, &command, actor);
    };
    let fence = holds.on(&path).cloned();
    let caller = Caller {
        actor,
        fence: fence.as_ref(),
        session,
    };
    let mut result = run_as(store, &command, caller);
    if result.is_error {
        return result;
    }
    if let ToolCommand::View { .. } = command {
        if result.content.starts_with("Here's the content of ")
            && let Some(other) = holds.read(store, &path, actor)
        {
            let left = super::lease::seconds(other.left(crate::clock::now_ms()));
            let _ = write!(
                result.content,
                "\n(Note: {} on {} is editing {path} right now (lease, {left} left); a change \
                 you make to it is refused until they are done.)",
                super::lease::who(&other.holder),
                other.host
            );
        }
    } else {
        holds.wrote(store, &path);
        if let Some(to) = also.and_then(|to| MemPath::parse(to).ok()) {
            holds.wrote(store, &to.to_string());
        }
    }
    result
}

/// Run one parsed command.
pub fn run(store: &dyn MemoryStore, command: &ToolCommand, actor: &str) -> ToolResult {
    run_as(store, command, Caller::new(actor))
}

/// Run one parsed command for `caller`.
pub fn run_as(store: &dyn MemoryStore, command: &ToolCommand, caller: Caller<'_>) -> ToolResult {
    let actor = caller.actor;
    if let Some(refusal) = refuse_secret(command, actor) {
        return ToolResult::error(refusal);
    }
    let stamped;
    let command = match command {
        ToolCommand::Create { path, file_text } => {
            if let Err(problem) = front::check(path, file_text) {
                return ToolResult::error(problem);
            }
            match written(store, path, None, file_text.clone(), caller) {
                Ok(text) => {
                    stamped = ToolCommand::Create {
                        path: path.clone(),
                        file_text: text,
                    };
                    &stamped
                }
                Err(problem) => return ToolResult::error(problem),
            }
        }
        other => other,
    };
    let ctx = WriteCtx::new(actor, command.name()).fenced(caller.fence);
    let outcome = match command {
        ToolCommand::View { path, view_range } => view(store, path, *view_range),
        ToolCommand::Create { path, file_text } => create(store, path, file_text, ctx),
        ToolCommand::StrReplace {
            path,
            old_str,
            new_str,
        } => {
            let check = |content: &str, edited: Result<String, String>| {
                let edited = checked_edit(content, edited, actor, command, path)?;
                written(store, path, Some(content), edited, caller)
            };
            str_replace(store, path, old_str, new_str, ctx, &check)
        }
        ToolCommand::Insert {
            path,
            insert_line,
            insert_text,
        } => {
            let check = |content: &str, edited: Result<String, String>| {
                let edited = checked_edit(content, edited, actor, command, path)?;
                written(store, path, Some(content), edited, caller)
            };
            insert(store, path, *insert_line, insert_text, ctx, &check)
        }
        ToolCommand::Delete { path } => delete(store, path, ctx),
        ToolCommand::Rename { old_path, new_path } => rename(store, old_path, new_path, ctx),
    };
    match outcome {
        Ok(content) => ToolResult::ok(content),
        Err(message) => ToolResult::error(message),
    }
}

/// A write whose new text holds a credential is refused before it reaches the store (memory is
/// shared with every tab and, on Redis, every machine). The log notes the refusal, never the
/// secret.
fn refuse_secret(command: &ToolCommand, actor: &str) -> Option<String> {
    // `what` of the file at `path` (its name or its text) is `checked`.
    let refuse = |path: &str, checked: &str, what| {
        secrets::find(checked).map(|secret| secret_refusal(actor, command, path, secret, what))
    };
    match command {
        // A file's name is shown to every tab, listed and logged: no secret in it either.
        ToolCommand::Create { path, file_text } => {
            refuse(path, path, "name").or_else(|| refuse(path, file_text, "text"))
        }
        ToolCommand::Rename { new_path, .. } => refuse(new_path, new_path, "name"),
        // Edits are checked on the whole file as the edit leaves it (see `checked_edit`).
        ToolCommand::View { .. }
        | ToolCommand::Delete { .. }
        | ToolCommand::StrReplace { .. }
        | ToolCommand::Insert { .. } => None,
    }
}

/// The refusal of a write that would store `secret` (in a file's `what`: its text or name),
/// noted in the log without the secret.
fn secret_refusal(
    actor: &str,
    command: &ToolCommand,
    path: &str,
    secret: secrets::Secret,
    what: &str,
) -> String {
    // A name holding the secret is not repeated, here or in the log.
    let target = if what == "name" {
        "the memory directory"
    } else {
        path
    };
    tracing::warn!(
        "refused {actor}'s {} in {target}: the {what} holds {}",
        command.name(),
        secret.kind
    );
    format!(
        "Nothing was written to {target}: the file's {what} contains {}. Memory is shared with \
         every tab and teammate, so secrets are never stored there; write down where the secret \
         is kept instead, without the secret itself.",
        secret.kind
    )
}

/// The text a write leaves, after the rules of special files: a task's (see [`board`]) and a
/// note's that expires with the session (stamped with the caller's session).
fn written(
    store: &dyn MemoryStore,
    path: &str,
    old: Option<&str>,
    new: String,
    caller: Caller<'_>,
) -> Result<String, String> {
    // An expiry the sweep could not read would keep the file forever: refused.
    expiry::of(&new).map_err(|e| format!("Nothing was written to {path}: {e}"))?;
    let new = match caller.session {
        Some(session) => expiry::stamp_session(&new, session).unwrap_or(new),
        None => new,
    };
    if board::is_task(path)
        && let Ok(mem_path) = MemPath::parse(path)
    {
        let waiting = |after: &[String]| board::waiting_on(store, after);
        return board::check_write(&mem_path, old, &new, caller.actor, &waiting);
    }
    Ok(new)
}

/// What an edit's result goes through before it is written (see [`checked_edit`]).
type Check<'a> = dyn Fn(&str, Result<String, String>) -> Result<String, String> + 'a;

/// An edit refused when the file it leaves holds a secret the file did not hold before (a key
/// pasted whole, or built up over several edits), or when it breaks the file's front matter.
fn checked_edit(
    content: &str,
    edited: Result<String, String>,
    actor: &str,
    command: &ToolCommand,
    path: &str,
) -> Result<String, String> {
    let edited = edited?;
    if let Some(secret) = secrets::find_new(content, &edited) {
        return Err(secret_refusal(actor, command, path, secret, "text"));
    }
    // A header the edit breaks is refused; one that was already broken does not block edits.
    if front::parse(content).is_ok() {
        front::check(path, &edited)?;
    }
    Ok(edited)
}

fn does_not_exist(raw: &str) -> String {
    format!("The path {raw} does not exist. Please provide a valid path.")
}

fn not_a_file(raw: &str) -> String {
    format!("The path {raw} is not a file.")
}

fn view(store: &dyn MemoryStore, raw: &str, range: Option<(i64, i64)>) -> Result<String, String> {
    let path = MemPath::parse(raw).map_err(|e| e.to_string())?;
    let kind = match store.node(&path) {
        Ok(Some((kind, _))) => kind,
        Ok(None) | Err(StoreError::NotFound(_)) => return Err(does_not_exist(raw)),
        Err(e) => return Err(e.to_string()),
    };
    match kind {
        NodeKind::Dir => {
            let listing = match store.list(&path, 2) {
                Ok(listing) => listing,
                Err(StoreError::NotFound(_)) => return Err(does_not_exist(raw)),
                Err(e) => return Err(e.to_string()),
            };
            // Entries hang off the canonical path, so `/memories/` never yields `//`.
            let base = if raw.ends_with('/') {
                path.to_string()
            } else {
                raw.to_owned()
            };
            let mut out = format!(
                "Here're the files and directories up to 2 levels deep in {raw}, excluding hidden \
                 items:\n{}\t{raw}",
                super::format_size(listing.size)
            );
            for entry in &listing.entries {
                let slash = if entry.kind == NodeKind::Dir { "/" } else { "" };
                let _ = write!(
                    out,
                    "\n{}\t{base}/{}{slash}",
                    super::format_size(entry.size),
                    entry.relative
                );
            }
            if !listing.skipped.is_empty() {
                let _ = write!(
                    out,
                    "\n(not shown, not valid memory paths: {})",
                    listing.skipped.join(", ")
                );
            }
            if !listing.unreadable.is_empty() {
                let _ = write!(
                    out,
                    "\n(could not be read, contents not shown: {})",
                    listing.unreadable.join(", ")
                );
            }
            Ok(out)
        }
        NodeKind::File => {
            let file = match store.read(&path) {
                Ok(file) => file,
                Err(StoreError::NotFound(_)) => {
                    return Err(format!(
                        "The file {raw} no longer exists (may have been deleted or renamed \
                         concurrently)."
                    ));
                }
                Err(e) => return Err(e.to_string()),
            };
            Ok(number_file(raw, &file.text, range)?)
        }
    }
}

/// The body of a file view: header, then `view_range` applied with Python slice semantics.
fn number_file(raw: &str, text: &str, range: Option<(i64, i64)>) -> Result<String, String> {
    let lines: Vec<&str> = text.split('\n').collect();
    if lines.len() > MAX_LINES {
        return Err(format!(
            "File {raw} exceeds maximum line limit of 999,999 lines."
        ));
    }
    let (start, end) = match range {
        None => (0, lines.len()),
        Some((a, b)) => {
            let start = usize::try_from(a.max(1) - 1).unwrap_or(0);
            let end = if b == -1 {
                lines.len()
            } else {
                python_slice_end(b, lines.len())
            };
            (start, end)
        }
    };
    let mut out = format!("Here's the content of {raw} with line numbers:\n");
    if start < end && start < lines.len() {
        let shown = &lines[start..end.min(lines.len())];
        out.push_str(&number_lines(start + 1, shown));
    }
    Ok(out)
}

/// Where `list[..end]` stops in Python: negative counts from the back, clamped to the list.
fn python_slice_end(end: i64, len: usize) -> usize {
    if end >= 0 {
        usize::try_from(end).map_or(len, |e| e.min(len))
    } else {
        let back = usize::try_from(end.unsigned_abs()).unwrap_or(usize::MAX);
        len.saturating_sub(back)
    }
}

/// `first`-based line numbers, 6 wide, a TAB, the line; lines joined by `\n`.
fn number_lines(first: usize, lines: &[&str]) -> String {
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let _ = write!(
            out,
            "{:>width$}\t{line}",
            first + i,
            width = LINE_NUMBER_WIDTH
        );
    }
    out
}

fn create(
    store: &dyn MemoryStore,
    raw: &str,
    text: &str,
    ctx: WriteCtx<'_>,
) -> Result<String, String> {
    let path = MemPath::parse(raw).map_err(|e| e.to_string())?;
    if path.is_root() {
        return Err(format!("File {raw} already exists"));
    }
    match store.save(&path, text, super::Expect::Absent, ctx) {
        Ok(_) => Ok(format!("File created successfully at: {raw}")),
        // The reference's exclusive open fails the same way on a file and on a directory.
        Err(StoreError::Exists(_) | StoreError::IsDir(_)) => {
            Err(format!("File {raw} already exists"))
        }
        Err(e) => Err(e.to_string()),
    }
}

/// Map a failed `modify` to the model's text.
fn modify_error(raw: &str, err: StoreError) -> String {
    match err {
        StoreError::NotFound(_) => does_not_exist(raw),
        StoreError::IsDir(_) => not_a_file(raw),
        StoreError::Rejected(message) => message,
        other => other.to_string(),
    }
}

fn str_replace(
    store: &dyn MemoryStore,
    raw: &str,
    old: &str,
    new: &str,
    ctx: WriteCtx<'_>,
    check: &Check<'_>,
) -> Result<String, String> {
    // `modify` reports a missing path or a directory, mapped to the reference's texts below.
    let path = MemPath::parse(raw).map_err(|e| e.to_string())?;
    let mut changed_line = 0;
    let mut replace = |content: &str| -> Result<String, String> {
        let positions = occurrence_starts(content, old);
        // Fewer than two overlapping matches means as many non-overlapping ones: the second
        // scan is needed only to tell "not unique" from a single match.
        let count = if positions.len() < 2 {
            positions.len()
        } else {
            count_occurrences(content, old)
        };
        match count {
            0 => Err(format!(
                "No replacement was performed, old_str `{old}` did not appear verbatim in {raw}."
            )),
            1 => {
                let pos = positions[0];
                changed_line = content[..pos].matches('\n').count();
                Ok(format!(
                    "{}{new}{}",
                    &content[..pos],
                    &content[pos + old.len()..]
                ))
            }
            _ => {
                let lines: Vec<String> = positions
                    .iter()
                    .map(|&pos| (content[..pos].matches('\n').count() + 1).to_string())
                    .collect();
                Err(format!(
                    "No replacement was performed. Multiple occurrences of old_str `{old}` in \
                     lines: {}. Please ensure it is unique",
                    lines.join(", ")
                ))
            }
        }
    };
    let mut edit = |content: &str| {
        let edited = replace(content);
        check(content, edited)
    };
    let file = store
        .modify(&path, ctx, &mut edit)
        .map_err(|e| modify_error(raw, e))?;
    let lines: Vec<&str> = file.text.split('\n').collect();
    let first = changed_line.saturating_sub(2);
    let last = lines.len().min(changed_line + 3);
    Ok(format!(
        "The memory file has been edited. Here is the snippet showing the change (with line \
         numbers):\n{}",
        number_lines(first + 1, &lines[first..last])
    ))
}

/// Python's `str.count`: non-overlapping matches; an empty needle matches at every character
/// boundary.
fn count_occurrences(haystack: &str, needle: &str) -> usize {
    if needle.is_empty() {
        haystack.chars().count() + 1
    } else {
        haystack.matches(needle).count()
    }
}

/// Start of every match, overlapping ones included, as the reference's `find(.., pos + 1)` loop.
fn occurrence_starts(haystack: &str, needle: &str) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut from = 0;
    while from <= haystack.len() {
        let Some(found) = haystack[from..].find(needle) else {
            break;
        };
        let pos = from + found;
        starts.push(pos);
        // Step one character, not one byte, so the next search starts on a boundary.
        from = pos + haystack[pos..].chars().next().map_or(1, char::len_utf8);
    }
    starts
}

fn insert(
    store: &dyn MemoryStore,
    raw: &str,
    line: i64,
    text: &str,
    ctx: WriteCtx<'_>,
    check: &Check<'_>,
) -> Result<String, String> {
    // `modify` reports a missing path or a directory, mapped to the reference's texts below.
    let path = MemPath::parse(raw).map_err(|e| e.to_string())?;
    let mut edit = |content: &str| check(content, insert_into(content, line, text));
    store
        .modify(&path, ctx, &mut edit)
        .map_err(|e| modify_error(raw, e))?;
    Ok(format!("The file {raw} has been edited."))
}

/// The reference's insert: after line `line` (0 = top) of the LF-split lines without the empty
/// tail, the text with its trailing newlines stripped; the result ends with a newline. A file
/// whose lines all end in CRLF keeps CRLF for the inserted lines too.
fn insert_into(content: &str, line: i64, text: &str) -> Result<String, String> {
    let mut lines: Vec<&str> = content.split('\n').collect();
    if lines.last() == Some(&"") {
        lines.pop();
    }
    let index = usize::try_from(line)
        .ok()
        .filter(|&i| i <= lines.len())
        .ok_or_else(|| {
            format!(
                "Invalid `insert_line` parameter: {line}. It should be within the range [0, {}].",
                lines.len()
            )
        })?;
    let trimmed = text.trim_end_matches('\n');
    let inserted = if uses_crlf(content) {
        let mut crlf = String::with_capacity(trimmed.len() + 8);
        for (i, part) in trimmed.split('\n').enumerate() {
            if i > 0 {
                crlf.push('\n');
            }
            crlf.push_str(part);
            if !part.ends_with('\r') {
                crlf.push('\r');
            }
        }
        crlf
    } else {
        trimmed.to_owned()
    };
    lines.insert(index, &inserted);
    let mut out = lines.join("\n");
    if !out.ends_with('\n') {
        out.push('\n');
    }
    Ok(out)
}

/// Whether every line break of `content` is CRLF (and there is at least one).
fn uses_crlf(content: &str) -> bool {
    let bytes = content.as_bytes();
    let mut any = false;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\n' {
            if i == 0 || bytes[i - 1] != b'\r' {
                return false;
            }
            any = true;
        }
    }
    any
}

fn delete(store: &dyn MemoryStore, raw: &str, ctx: WriteCtx<'_>) -> Result<String, String> {
    let path = MemPath::parse(raw).map_err(|e| e.to_string())?;
    if path.is_root() {
        return Err("Cannot delete the /memories directory itself".to_owned());
    }
    match store.delete(&path, ctx) {
        Ok(kept) if kept.is_empty() => Ok(format!("Successfully deleted {raw}")),
        Ok(kept) => Ok(format!(
            "Successfully deleted {raw}, except {} item{} memory paths cannot name, left in \
             place for a person to handle: {}",
            kept.len(),
            if kept.len() == 1 { "" } else { "s" },
            kept.join(", ")
        )),
        Err(StoreError::NotFound(_)) => Err(format!("The path {raw} does not exist")),
        Err(e) => Err(e.to_string()),
    }
}

fn rename(
    store: &dyn MemoryStore,
    old_raw: &str,
    new_raw: &str,
    ctx: WriteCtx<'_>,
) -> Result<String, String> {
    let from = MemPath::parse(old_raw).map_err(|e| e.to_string())?;
    let to = MemPath::parse(new_raw).map_err(|e| e.to_string())?;
    if from.is_root() {
        return Err("Cannot rename the /memories directory itself".to_owned());
    }
    if to.is_root() {
        return Err(format!("The destination {new_raw} already exists"));
    }
    match store.rename(&from, &to, ctx) {
        Ok(()) => Ok(format!("Successfully renamed {old_raw} to {new_raw}")),
        Err(StoreError::Exists(p)) if p == to => {
            Err(format!("The destination {new_raw} already exists"))
        }
        Err(StoreError::NotFound(p)) if p == from => {
            Err(format!("The path {old_raw} does not exist"))
        }
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_like_python() {
        assert_eq!(count_occurrences("aaa", "aa"), 1);
        assert_eq!(occurrence_starts("aaa", "aa"), [0, 1]);
        assert_eq!(count_occurrences("ab", ""), 3);
        assert_eq!(occurrence_starts("éa", ""), [0, 2, 3]);
    }

    #[test]
    fn slice_ends_like_python() {
        assert_eq!(python_slice_end(2, 5), 2);
        assert_eq!(python_slice_end(9, 5), 5);
        assert_eq!(python_slice_end(-2, 5), 3);
        assert_eq!(python_slice_end(-9, 5), 0);
    }

    #[test]
    fn insert_follows_the_reference() {
        assert_eq!(insert_into("a\nb\n", 0, "X\n\n"), Ok("X\na\nb\n".into()));
        assert_eq!(insert_into("a\nb", 2, "X"), Ok("a\nb\nX\n".into()));
        assert_eq!(insert_into("", 0, "X"), Ok("X\n".into()));
        assert_eq!(
            insert_into("a\nb\n", 3, "X"),
            Err("Invalid `insert_line` parameter: 3. It should be within the range [0, 2].".into())
        );
        assert!(insert_into("a\n", -1, "X").is_err());
    }

    #[test]
    fn insert_keeps_crlf_files_crlf() {
        assert_eq!(
            insert_into("a\r\nb\r\n", 1, "X\nY"),
            Ok("a\r\nX\r\nY\r\nb\r\n".into())
        );
        assert_eq!(
            insert_into("a\r\nb\r\n", 2, "X"),
            Ok("a\r\nb\r\nX\r\n".into())
        );
        // A file with mixed endings is left to the reference behaviour.
        assert_eq!(insert_into("a\r\nb\n", 1, "X"), Ok("a\r\nX\nb\n".into()));
    }
}
