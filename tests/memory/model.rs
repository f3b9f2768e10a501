//! Random command sequences run on the real store and on a simple in-memory model of the
//! reference semantics must agree on every result and on the final tree.
#![allow(clippy::unwrap_used, clippy::pedantic)]

use crate::support::fixture;

use std::collections::{BTreeMap, BTreeSet};

use fixture::Fixture;
use proptest::prelude::*;
use serde_json::{Value, json};

const PATHS: [&str; 7] = [
    "/memories/a.md",
    "/memories/b.md",
    "/memories/d",
    "/memories/d/c.md",
    "/memories/d/e",
    "/memories/d/e/f.md",
    "/memories/a.md/x.md",
];

#[derive(Clone, Debug)]
enum Op {
    View(usize),
    Create(usize, String),
    Replace(usize, String, String),
    Insert(usize, i64, String),
    Delete(usize),
    Rename(usize, usize),
}

fn text() -> impl Strategy<Value = String> {
    "[ab\n]{0,10}"
}

fn op() -> impl Strategy<Value = Op> {
    let p = 0..PATHS.len();
    prop_oneof![
        1 => p.clone().prop_map(Op::View),
        3 => (p.clone(), text()).prop_map(|(p, t)| Op::Create(p, t)),
        3 => (p.clone(), "[ab\n]{1,3}", text()).prop_map(|(p, o, n)| Op::Replace(p, o, n)),
        2 => (p.clone(), -1i64..5, text()).prop_map(|(p, l, t)| Op::Insert(p, l, t)),
        1 => p.clone().prop_map(Op::Delete),
        1 => (p.clone(), p).prop_map(|(a, b)| Op::Rename(a, b)),
    ]
}

/// The reference semantics over a map of files and a set of directories.
#[derive(Default)]
struct Model {
    files: BTreeMap<String, String>,
    dirs: BTreeSet<String>,
}

fn ancestors(p: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = p;
    while let Some(i) = cur.rfind('/') {
        cur = &cur[..i];
        if cur == "/memories" || cur.is_empty() {
            break;
        }
        out.push(cur.to_owned());
    }
    out
}

fn number(first: usize, lines: &[&str]) -> String {
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| format!("{:>6}\t{l}", first + i))
        .collect::<Vec<_>>()
        .join("\n")
}

impl Model {
    fn exists(&self, p: &str) -> bool {
        self.files.contains_key(p) || self.dirs.contains(p)
    }

    fn missing(p: &str) -> Result<String, String> {
        Err(format!(
            "The path {p} does not exist. Please provide a valid path."
        ))
    }

    fn file(&self, p: &str) -> Result<&String, String> {
        if self.dirs.contains(p) {
            return Err(format!("The path {p} is not a file."));
        }
        self.files
            .get(p)
            .ok_or_else(|| format!("The path {p} does not exist. Please provide a valid path."))
    }

    fn blocking_file(&self, p: &str) -> Option<String> {
        ancestors(p)
            .into_iter()
            .rev()
            .find(|a| self.files.contains_key(a))
    }

    fn apply(&mut self, op: &Op) -> Result<String, String> {
        match op {
            Op::View(i) => {
                let p = PATHS[*i];
                if let Some(text) = self.files.get(p) {
                    let lines: Vec<&str> = text.split('\n').collect();
                    return Ok(format!(
                        "Here's the content of {p} with line numbers:\n{}",
                        number(1, &lines)
                    ));
                }
                if !self.dirs.contains(p) {
                    return Self::missing(p);
                }
                // Directory listings are compared as sets of names (sizes depend on the filesystem).
                let depth = |q: &str| q[p.len()..].matches('/').count();
                let mut names: Vec<String> = self
                    .files
                    .keys()
                    .filter(|q| q.starts_with(&format!("{p}/")) && depth(q) <= 2)
                    .cloned()
                    .chain(
                        self.dirs
                            .iter()
                            .filter(|q| q.starts_with(&format!("{p}/")) && depth(q) <= 2)
                            .map(|q| format!("{q}/")),
                    )
                    .collect();
                names.sort();
                Ok(names.join("\n"))
            }
            Op::Create(i, text) => {
                let p = PATHS[*i];
                if self.exists(p) {
                    return Err(format!("File {p} already exists"));
                }
                if let Some(file) = self.blocking_file(p) {
                    return Err(format!("{file} is a file, so {p} cannot be inside it"));
                }
                self.dirs.extend(ancestors(p));
                self.files.insert(p.to_owned(), text.clone());
                Ok(format!("File created successfully at: {p}"))
            }
            Op::Replace(i, old, new) => {
                let p = PATHS[*i];
                let content = self.file(p)?.clone();
                match content.matches(old.as_str()).count() {
                    0 => Err(format!(
                        "No replacement was performed, old_str `{old}` did not appear verbatim in {p}."
                    )),
                    1 => {
                        let pos = content.find(old.as_str()).unwrap();
                        let line = content[..pos].matches('\n').count();
                        let updated = content.replacen(old.as_str(), new, 1);
                        let lines: Vec<&str> = updated.split('\n').collect();
                        let (a, b) = (line.saturating_sub(2), lines.len().min(line + 3));
                        let out = format!(
                            "The memory file has been edited. Here is the snippet showing the change (with line numbers):\n{}",
                            number(a + 1, &lines[a..b])
                        );
                        self.files.insert(p.to_owned(), updated);
                        Ok(out)
                    }
                    _ => {
                        let mut starts = Vec::new();
                        let mut from = 0;
                        while let Some(at) = content[from..].find(old.as_str()) {
                            starts
                                .push((content[..from + at].matches('\n').count() + 1).to_string());
                            from += at + 1;
                        }
                        Err(format!(
                            "No replacement was performed. Multiple occurrences of old_str `{old}` in lines: {}. Please ensure it is unique",
                            starts.join(", ")
                        ))
                    }
                }
            }
            Op::Insert(i, line, text) => {
                let p = PATHS[*i];
                let content = self.file(p)?.clone();
                let mut lines: Vec<&str> = content.split('\n').collect();
                if lines.last() == Some(&"") {
                    lines.pop();
                }
                if *line < 0 || *line as usize > lines.len() {
                    return Err(format!(
                        "Invalid `insert_line` parameter: {line}. It should be within the range [0, {}].",
                        lines.len()
                    ));
                }
                let stripped = text.trim_end_matches('\n');
                lines.insert(*line as usize, stripped);
                let mut out = lines.join("\n");
                if !out.ends_with('\n') {
                    out.push('\n');
                }
                self.files.insert(p.to_owned(), out);
                Ok(format!("The file {p} has been edited."))
            }
            Op::Delete(i) => {
                let p = PATHS[*i];
                if !self.exists(p) {
                    return Err(format!("The path {p} does not exist"));
                }
                let below = format!("{p}/");
                self.files.retain(|k, _| k != p && !k.starts_with(&below));
                self.dirs.retain(|k| k != p && !k.starts_with(&below));
                Ok(format!("Successfully deleted {p}"))
            }
            Op::Rename(a, b) => {
                let (from, to) = (PATHS[*a], PATHS[*b]);
                if self.exists(to) {
                    return Err(format!("The destination {to} already exists"));
                }
                if !self.exists(from) {
                    return Err(format!("The path {from} does not exist"));
                }
                if to.starts_with(&format!("{from}/")) {
                    return Err(format!("cannot move {from} into its own subdirectory {to}"));
                }
                if let Some(file) = self.blocking_file(to) {
                    return Err(format!("{file} is a file, so {to} cannot be inside it"));
                }
                self.dirs.extend(ancestors(to));
                let below = format!("{from}/");
                let moved = |k: &String| format!("{to}{}", &k[from.len()..]);
                let files: Vec<(String, String)> = self
                    .files
                    .iter()
                    .filter(|(k, _)| *k == from || k.starts_with(&below))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                let dirs: Vec<String> = self
                    .dirs
                    .iter()
                    .filter(|k| *k == from || k.starts_with(&below))
                    .cloned()
                    .collect();
                for (k, v) in files {
                    self.files.remove(&k);
                    self.files.insert(moved(&k), v);
                }
                for k in dirs {
                    self.dirs.remove(&k);
                    self.dirs.insert(moved(&k));
                }
                Ok(format!("Successfully renamed {from} to {to}"))
            }
        }
    }
}

fn call(op: &Op) -> Value {
    match op {
        Op::View(i) => json!({"command": "view", "path": PATHS[*i]}),
        Op::Create(i, t) => json!({"command": "create", "path": PATHS[*i], "file_text": t}),
        Op::Replace(i, o, n) => {
            json!({"command": "str_replace", "path": PATHS[*i], "old_str": o, "new_str": n})
        }
        Op::Insert(i, l, t) => {
            json!({"command": "insert", "path": PATHS[*i], "insert_line": l, "insert_text": t})
        }
        Op::Delete(i) => json!({"command": "delete", "path": PATHS[*i]}),
        Op::Rename(a, b) => {
            json!({"command": "rename", "old_path": PATHS[*a], "new_path": PATHS[*b]})
        }
    }
}

/// A directory view reduced to its listed names, as the model gives them.
fn listed_names(content: &str) -> String {
    content
        .lines()
        .skip(2)
        .map(|l| l.split('\t').nth(1).unwrap().to_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn store_agrees_with_the_model(ops in proptest::collection::vec(op(), 1..40)) {
        let f = Fixture::new();
        let mut model = Model::default();
        for op in &ops {
            let expected = model.apply(op);
            let got = f.exec(call(op));
            let got_content = match op {
                Op::View(i) if !got.is_error && model.dirs.contains(PATHS[*i]) => listed_names(&got.content),
                _ => got.content.clone(),
            };
            match expected {
                Ok(text) => prop_assert!(!got.is_error && got_content == text, "{op:?}: expected {text:?}, got {:?}", got.content),
                Err(text) => prop_assert!(got.is_error && got_content == text, "{op:?}: expected error {text:?}, got {:?}", got.content),
            }
        }
        let disk = fixture::tree(&f.mem);
        let disk_files: BTreeMap<String, String> = disk
            .iter()
            .filter(|(_, v)| v.0 == 'f')
            .map(|(k, v)| (format!("/memories/{k}"), String::from_utf8(v.1.clone()).unwrap()))
            .collect();
        prop_assert_eq!(disk_files, model.files);
        let disk_dirs: BTreeSet<String> = disk.iter().filter(|(_, v)| v.0 == 'd').map(|(k, _)| format!("/memories/{k}")).collect();
        prop_assert_eq!(disk_dirs, model.dirs);
    }
}

/// The same random sequences on a shared store (a fresh namespace per case, from `open`):
/// every result and the final tree agree with the model.
fn shared_store_agrees_with_the_model(
    open: impl Fn(usize) -> Box<dyn memdeck::memory::MemoryStore>,
) {
    use memdeck::memory::execute;
    use proptest::test_runner::{Config, TestRunner};
    let mut runner = TestRunner::new(Config {
        cases: 48,
        ..Config::default()
    });
    let case = std::cell::Cell::new(0);
    runner
        .run(&proptest::collection::vec(op(), 1..40), |ops| {
            case.set(case.get() + 1);
            let store = open(case.get());
            let mut model = Model::default();
            for op in &ops {
                let expected = model.apply(op);
                let got = execute(store.as_ref(), &call(op), "Alice");
                let got_content = match op {
                    Op::View(i) if !got.is_error && model.dirs.contains(PATHS[*i]) => {
                        listed_names(&got.content)
                    }
                    _ => got.content.clone(),
                };
                match expected {
                    Ok(text) => prop_assert!(
                        !got.is_error && got_content == text,
                        "{op:?}: expected {text:?}, got {:?}",
                        got.content
                    ),
                    Err(text) => prop_assert!(
                        got.is_error && got_content == text,
                        "{op:?}: expected error {text:?}, got {:?}",
                        got.content
                    ),
                }
            }
            let dump = store.dump().unwrap();
            let files: BTreeMap<String, String> = dump.files.into_iter().collect();
            prop_assert_eq!(files, model.files.clone());
            let dirs: BTreeSet<String> = dump.dirs.into_iter().collect();
            prop_assert_eq!(dirs, model.dirs.clone());
            Ok(())
        })
        .unwrap();
}

#[test]
fn postgres_store_agrees_with_the_model() {
    let server = crate::support::postgres::PgServer::start();
    shared_store_agrees_with_the_model(|case| Box::new(server.store(&format!("model{case}"))));
}

/// Before this ran on Redis, a rename of a missing path onto a taken name said the source was
/// missing; the reference names the taken destination first.
#[test]
fn redis_store_agrees_with_the_model() {
    let server = crate::support::redis::RedisServer::start();
    shared_store_agrees_with_the_model(|case| {
        Box::new(server.store(&format!("model{case}"), "test-host"))
    });
}
