//! Consolidation ("dream"): a proposed tidier version of the store, for a person to approve.
//!
//! Within a file, a line that repeats an earlier one is dropped, and a labelled fact
//! (`- Budget: $2M`) that a later line with the same label contradicts is dropped in favour of
//! the later one. Across files, files that are the same memory (the same name in different
//! folders or spellings, or the same text) are merged into one and the others removed. Code
//! blocks and front matter are left as they are. Nothing is written until the plan is applied;
//! it is applied as one operation (one history entry heading one per file), only when every
//! file still holds the version the plan was made from, and undone as one the same way.

use std::collections::{BTreeMap, HashSet};

use super::receipt::{self, Change};
use super::{
    BatchOp, Expect, MemPath, MemoryStore, NodeKind, StoreError, Version, WriteCtx, front,
};

/// Who consolidation writes as.
pub const ACTOR: &str = "consolidation";
/// The history command its writes are recorded under.
pub const OP: &str = "consolidate";

/// One file's part in the plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub path: String,
    /// The version the plan was made from.
    pub old: Version,
    pub old_text: String,
    /// The new text; `None`: the file goes (merged into another).
    pub new_text: Option<String>,
    /// Why, one line each.
    pub reasons: Vec<String>,
}

/// A proposed new version of the store.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub steps: Vec<Step>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// The plan as a diff, file by file: `--- path` headers, then `+`/`-`/` ` lines.
    pub fn diff(&self) -> Vec<(char, String)> {
        let mut out = Vec::new();
        for step in &self.steps {
            let what = match &step.new_text {
                Some(_) => format!("{} (edited)", step.path),
                None => format!("{} (removed)", step.path),
            };
            out.push(('#', what));
            for reason in &step.reasons {
                out.push(('#', format!("  {reason}")));
            }
            out.extend(receipt::line_diff(
                &step.old_text,
                step.new_text.as_deref().unwrap_or(""),
            ));
        }
        out
    }

    /// One line: how many files change, how many go.
    pub fn summary(&self) -> String {
        let removed = self.steps.iter().filter(|s| s.new_text.is_none()).count();
        let edited = self.steps.len() - removed;
        format!(
            "{edited} file{} tidied, {removed} merged away",
            if edited == 1 { "" } else { "s" }
        )
    }
}

/// A list item's label and value: `- Budget: $2M (from Alice)` -> (`budget`, `$2m`).
fn labelled(line: &str) -> Option<(String, String)> {
    let item = line.trim().strip_prefix("- ")?;
    let (label, value) = item.split_once(": ")?;
    let words = label.split_whitespace().count();
    let plain = label
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '/' | '&'));
    if !(1..=4).contains(&words) || !plain {
        return None;
    }
    Some((
        label.trim().to_lowercase(),
        normalise(without_source(value)),
    ))
}

/// A value without its trailing attribution, `(from Alice)` or `(Alice)`.
fn without_source(value: &str) -> &str {
    let value = value.trim();
    match value.rfind(" (") {
        Some(at) if value.ends_with(')') => &value[..at],
        _ => value,
    }
}

/// Text compared without case or runs of spaces.
fn normalise(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The file tidied: repeated lines and contradicted labelled facts dropped (front matter and
/// code blocks untouched), with the reasons.
pub fn tidy(text: &str) -> (String, Vec<String>) {
    let header_len = front::of(text).map_or(0, |h| h.len);
    let (header, body) = text.split_at(header_len);
    let lines: Vec<&str> = body.split_inclusive('\n').collect();
    let mut in_code = false;
    let mut drop = vec![false; lines.len()];
    let mut reasons = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    // The last line of each label, for contradictions.
    let mut last_of: BTreeMap<String, usize> = BTreeMap::new();
    let mut code = vec![false; lines.len()];
    for (i, line) in lines.iter().enumerate() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            code[i] = true;
            continue;
        }
        code[i] = in_code;
        if in_code {
            continue;
        }
        if let Some((label, _)) = labelled(line) {
            last_of.insert(label, i);
        }
    }
    for (i, line) in lines.iter().enumerate() {
        let content = line.trim();
        if code[i] || content.is_empty() || content.starts_with('#') || content == "---" {
            continue;
        }
        let key = normalise(content);
        if !seen.insert(key) {
            drop[i] = true;
            reasons.push(format!(
                "repeated line dropped: {}",
                front::clip(content, 80)
            ));
            continue;
        }
        if let Some((label, value)) = labelled(line)
            && let Some(&last) = last_of.get(&label)
            && last != i
            && labelled(lines[last]).is_some_and(|(_, v)| v != value)
        {
            drop[i] = true;
            reasons.push(format!(
                "contradicted fact dropped: {} (a later line says {})",
                front::clip(content, 60),
                front::clip(lines[last].trim(), 60)
            ));
        }
    }
    let mut out = header.to_owned();
    for (i, line) in lines.iter().enumerate() {
        if !drop[i] {
            out.push_str(line);
        }
    }
    (out, reasons)
}

/// The name two files share when they hold the same memory: the front matter's name, else the
/// file name without `.md`, without case, with `-` and spaces as `_`.
fn identity(path: &str, text: &str) -> String {
    let name = front::of(text).and_then(|h| h.name).unwrap_or_else(|| {
        let file = path.rsplit('/').next().unwrap_or(path);
        file.strip_suffix(".md").unwrap_or(file).to_owned()
    });
    name.to_lowercase()
        .chars()
        .map(|c| if c == '-' || c == ' ' { '_' } else { c })
        .collect()
}

/// Add to `combined` the lines of `other` (path, text) it does not hold, with a reason line;
/// when `other` changed earlier, not its labelled facts whose label `combined` states already.
fn merge_in(combined: &mut String, other: (&str, &str), older: bool, reasons: &mut Vec<String>) {
    let have: HashSet<String> = combined.lines().map(normalise).collect();
    let facts: std::collections::HashMap<String, String> =
        combined.lines().filter_map(labelled).collect();
    let mut added = 0;
    for line in front::body(other.1).lines() {
        let contradicts = |(l, v): &(String, String)| facts.get(l).is_some_and(|mine| mine != v);
        if let Some((label, _)) = labelled(line).filter(|fact| older && contradicts(fact)) {
            reasons.push(format!(
                "kept this file's newer {label} over {} (from {}, changed earlier)",
                front::clip(line.trim(), 60),
                other.0
            ));
            continue;
        }
        if !line.trim().is_empty() && !have.contains(&normalise(line)) {
            if !combined.ends_with('\n') {
                combined.push('\n');
            }
            combined.push_str(line);
            combined.push('\n');
            added += 1;
        }
    }
    reasons.push(format!(
        "{} merged in ({added} line{} it did not hold)",
        other.0,
        if added == 1 { "" } else { "s" }
    ));
}

/// Propose a tidier store: files merged by identity (into the one with the shortest path),
/// each file tidied. Files that cannot be read as text are left out.
pub fn propose(store: &dyn MemoryStore) -> Result<Plan, StoreError> {
    let listing = store.list(&MemPath::root(), super::path::MAX_DEPTH)?;
    let mut files: Vec<(String, String, Version)> = Vec::new();
    for entry in listing.entries.iter().filter(|e| e.kind == NodeKind::File) {
        let path = format!("/memories/{}", entry.relative);
        let Ok(parsed) = MemPath::parse(&path) else {
            continue;
        };
        if let Ok(file) = store.read(&parsed) {
            files.push((path, file.text, file.version));
        }
    }
    // When each file last changed (the history's newest entry naming it; none: never through
    // memdeck), so that a merge lets the newer file's facts stand.
    let mut changed: std::collections::HashMap<String, u64> = std::collections::HashMap::new();
    for entry in store.history(None)? {
        let path = entry.new_path.unwrap_or(entry.path);
        let at = changed.entry(path).or_default();
        *at = (*at).max(entry.ts_ms);
    }
    // Same memory: by identity, and by the same body.
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, (path, text, _)) in files.iter().enumerate() {
        groups.entry(identity(path, text)).or_default().push(i);
    }
    let mut by_body: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, (_, text, _)) in files.iter().enumerate() {
        let body = normalise(front::body(text));
        if !body.is_empty() {
            by_body.entry(body).or_default().push(i);
        }
    }
    let mut merged_into: BTreeMap<usize, usize> = BTreeMap::new();
    for members in groups.values().chain(by_body.values()) {
        let mut members: Vec<usize> = members
            .iter()
            .map(|&m| {
                let mut m = m;
                while let Some(&into) = merged_into.get(&m) {
                    m = into;
                }
                m
            })
            .collect();
        members.sort_by_key(|&m| (files[m].0.len(), files[m].0.clone()));
        members.dedup();
        if let Some((&target, rest)) = members.split_first() {
            for &other in rest {
                merged_into.insert(other, target);
            }
        }
    }
    let mut steps = Vec::new();
    for (i, (path, text, version)) in files.iter().enumerate() {
        if let Some(&into) = merged_into.get(&i) {
            steps.push(Step {
                path: path.clone(),
                old: version.clone(),
                old_text: text.clone(),
                new_text: None,
                reasons: vec![format!(
                    "the same memory as {}: merged into it",
                    files[into].0
                )],
            });
            continue;
        }
        let mut combined = text.clone();
        let mut reasons = Vec::new();
        for (&other, _) in merged_into.iter().filter(|&(_, &into)| into == i) {
            // Merged lines come after the file's own, and a later labelled fact wins when the
            // file is tidied: a file changed before this one may not override its facts.
            let older = changed.get(&files[other].0) < changed.get(path);
            merge_in(
                &mut combined,
                (&files[other].0, &files[other].1),
                older,
                &mut reasons,
            );
        }
        let (tidied, why) = tidy(&combined);
        reasons.extend(why);
        if tidied != *text {
            steps.push(Step {
                path: path.clone(),
                old: version.clone(),
                old_text: text.clone(),
                new_text: Some(tidied),
                reasons,
            });
        }
    }
    // Edits first, then removals: a merge never loses what it moves.
    steps.sort_by_key(|s| s.new_text.is_none());
    Ok(Plan { steps })
}

/// Apply `plan` as one operation (one history entry heading one per file): written only when
/// every file still holds the version the plan was made from, else nothing is. Returns what
/// was done (for the receipt and undo) and, when nothing was, why.
pub fn apply(store: &dyn MemoryStore, plan: &Plan) -> (Vec<Change>, Option<String>) {
    let ops: Result<Vec<BatchOp>, String> = plan
        .steps
        .iter()
        .map(|step| {
            Ok(BatchOp {
                path: MemPath::parse(&step.path).map_err(|e| e.to_string())?,
                expect: Expect::Version(step.old.clone()),
                text: step.new_text.clone(),
            })
        })
        .collect();
    let outcome = ops.and_then(|ops| {
        store
            .apply_batch(&ops, WriteCtx::new(ACTOR, OP))
            .map_err(|e| match e {
                StoreError::Conflict { path, .. } => {
                    format!("{path} changed since the plan was made; nothing was written")
                }
                other => format!("{other}; nothing was written"),
            })
    });
    match outcome {
        Ok(()) => (last_run(store).unwrap_or_default(), None),
        Err(why) => (Vec::new(), Some(why)),
    }
}

/// The changes of the newest consolidation: the files under the history's newest entry of
/// [`ACTOR`] with [`OP`] that heads an operation.
pub fn last_run(store: &dyn MemoryStore) -> Result<Vec<Change>, StoreError> {
    let entries = store.history(None)?;
    let Some(head) = entries
        .iter()
        .rev()
        .find(|e| e.actor == ACTOR && e.op == OP && e.group == Some(e.seq))
    else {
        return Ok(Vec::new());
    };
    Ok(entries
        .iter()
        .filter(|e| e.group == Some(head.seq) && e.seq != head.seq)
        .filter_map(|e| receipt::change_of(store, e))
        .collect())
}

/// Undo `changes` (a consolidation's) as one operation, as `actor`: every file put back only
/// when all still hold what the consolidation left, else nothing is. Says what happened.
pub fn undo(store: &dyn MemoryStore, changes: &[Change], actor: &str) -> Result<String, String> {
    let mut ops = Vec::with_capacity(changes.len());
    for change in changes {
        let path = MemPath::parse(&change.path).map_err(|e| e.to_string())?;
        let text = |v: &Option<Version>| -> Result<String, String> {
            let v = v.as_ref().ok_or("no earlier version")?;
            store
                .version_text(&path, v)
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("the history no longer holds the earlier {}", change.path))
        };
        ops.push(match (&change.old, &change.new) {
            (Some(_), Some(new)) => BatchOp {
                expect: Expect::Version(new.clone()),
                text: Some(text(&change.old)?),
                path,
            },
            (Some(_), None) => BatchOp {
                expect: Expect::Absent,
                text: Some(text(&change.old)?),
                path,
            },
            (None, Some(new)) => BatchOp {
                expect: Expect::Version(new.clone()),
                text: None,
                path,
            },
            (None, None) => continue,
        });
    }
    store
        .apply_batch(&ops, WriteCtx::new(actor, "undo"))
        .map_err(|e| match e {
            StoreError::Conflict { path, .. } | StoreError::Exists(path) => {
                format!("{path} changed since the consolidation; nothing was undone")
            }
            other => format!("{other}; nothing was undone"),
        })?;
    Ok(format!(
        "undid the consolidation: {} file{} as they were",
        ops.len(),
        if ops.len() == 1 { "" } else { "s" }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_and_contradicted_facts_go_the_rest_stays() {
        let text = "---\nname: Acme\ntype: project\n---\n# Acme\n\n- Budget: $500K (from Alice)\n- Runs 40 stores\n- runs 40  stores\n```\n- Budget: x\n- Budget: x\n```\n- Budget: $2M (from John)\n- Timeline: 9 months\n- Timeline: 9 months (from Sam)\n";
        let (tidied, reasons) = tidy(text);
        assert_eq!(
            tidied,
            "---\nname: Acme\ntype: project\n---\n# Acme\n\n- Runs 40 stores\n```\n- Budget: x\n- Budget: x\n```\n- Budget: $2M (from John)\n- Timeline: 9 months\n- Timeline: 9 months (from Sam)\n"
        );
        assert_eq!(reasons.len(), 2, "{reasons:?}");
        assert!(reasons[0].starts_with("contradicted fact dropped: - Budget: $500K"));
        assert!(reasons[1].starts_with("repeated line dropped: - runs 40"));
        let (same, none) = tidy("# Notes\n\n- one\n- two\n");
        assert_eq!(
            (same.as_str(), none.len()),
            ("# Notes\n\n- one\n- two\n", 0)
        );
    }
}
