//! What the demo model writes: facts files, answers quoted from memory, an architecture shaped
//! by the stored facts (stack, counts, timeline, constraints), a proposal that combines the
//! customer's facts with the architecture, a post-incident review, a reviewers' checklist and
//! a code review. Everything is built from what the files hold; nothing is looked up.

use std::fmt::Write as _;

use serde_json::{Value, json};

use super::build;
use super::code::Finding;
use super::plan::{self, Reads, stem};
use super::words::{self, TECHNOLOGIES};

/// A line of a memory file's list: the fact and who said it.
#[derive(Clone, Debug, PartialEq)]
pub struct Note {
    pub text: String,
    pub who: Option<String>,
}

impl Note {
    pub fn new(text: &str, who: Option<&str>) -> Self {
        Self {
            text: text.to_owned(),
            who: who.map(str::to_owned),
        }
    }

    /// As a file's list line: `- Budget: $500K (from Alice)`.
    pub fn line(&self) -> String {
        match &self.who {
            Some(who) => format!("- {} (from {who})", self.text),
            None => format!("- {}", self.text),
        }
    }

    /// `("Budget", "$500K")` for a labelled fact.
    pub fn label(&self) -> Option<(&str, &str)> {
        let (label, value) = self.text.split_once(": ")?;
        (label.split_whitespace().count() <= 2 && !label.chars().any(|c| c.is_ascii_digit()))
            .then_some((label, value))
    }

    fn low(&self) -> String {
        self.text.to_lowercase()
    }
}

/// A document to write and the sentence said before writing it.
pub struct Doc {
    pub intro: String,
    pub text: String,
}

/// The text of a file from a `view` result (line numbers and the header taken off). Lines
/// without a line number are not the file's (memdeck's note that someone holds the file).
pub fn file_text(view: &str) -> String {
    view.lines()
        .skip(1)
        .filter_map(|l| l.split_once('\t').map(|(_, t)| t))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The list lines of a file as notes (`- fact (from X)`).
pub fn notes(text: &str) -> Vec<Note> {
    // After the front matter of a typed memory.
    let body = crate::memory::front::body(text);
    let mut items: Vec<&str> = body.lines().filter_map(list_item).collect();
    if items.is_empty() {
        // Written by hand without a list: each line of prose is a fact.
        items = prose(body);
    }
    items
        .into_iter()
        .map(|item| {
            let item = item.trim();
            match item.rsplit_once(" (from ") {
                Some((fact, who)) if who.ends_with(')') => Note {
                    text: fact.trim().to_owned(),
                    who: Some(who.trim_end_matches(')').to_owned()),
                },
                _ => Note {
                    text: item.to_owned(),
                    who: None,
                },
            }
        })
        .collect()
}

/// The text of a list item: `- x`, `* x`, `+ x`, `1. x`, `1) x`.
fn list_item(line: &str) -> Option<&str> {
    let line = line.trim();
    if let Some(rest) = ["- ", "* ", "+ "].iter().find_map(|m| line.strip_prefix(m)) {
        return Some(rest);
    }
    let digits = line.len() - line.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let rest = &line[digits..];
    (digits > 0 && digits < 4)
        .then(|| rest.strip_prefix(". ").or_else(|| rest.strip_prefix(") ")))
        .flatten()
}

/// The lines of a file without a list that state something: not headings, rules, code
/// fences or what is inside them, nor blank; a quote's `>` taken off.
fn prose(body: &str) -> Vec<&str> {
    let mut fenced = false;
    let mut out = Vec::new();
    for line in body.lines() {
        let line = line.trim();
        if line.starts_with("```") || line.starts_with("~~~") {
            fenced = !fenced;
            continue;
        }
        let line = line.trim_start_matches('>').trim();
        let rule = line.len() >= 3 && line.chars().all(|c| matches!(c, '-' | '*' | '_' | '='));
        if fenced || line.is_empty() || line.starts_with('#') || rule || line.starts_with('|') {
            continue;
        }
        out.push(line);
    }
    out
}

/// How many lines an insert at the end goes after.
pub fn line_count(text: &str) -> usize {
    text.lines().count()
}

/// The notes as a Markdown list.
pub fn bullets(notes: &[Note]) -> String {
    notes
        .iter()
        .map(|n| format!("- {}", n.text))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A new facts file.
pub fn facts_file(title: &str, intro: &str, notes: &[Note]) -> String {
    let mut out = format!("# {title}\n\n{intro}\n\n");
    for n in notes {
        out.push_str(&n.line());
        out.push('\n');
    }
    out
}

/// Changes that bring new facts into an existing file: a labelled fact that replaces one of the
/// same label is a `str_replace` of that line; the rest are added at the end in one insert.
pub struct Edit {
    pub calls: Vec<Value>,
    pub summary: String,
}

/// Labels that hold one value: a new one replaces the old.
const SINGLE: [&str; 8] = [
    "Budget", "Timeline", "Deadline", "Status", "Priority", "Severity", "Project", "Stack",
];

pub fn merge_facts(path: &str, current: &str, new: &[Note]) -> Edit {
    let existing = notes(current);
    let mut calls = Vec::new();
    let mut added: Vec<&Note> = Vec::new();
    let mut summary = Vec::new();
    for note in new {
        if existing
            .iter()
            .any(|e| e.text.eq_ignore_ascii_case(&note.text))
        {
            continue;
        }
        // "Added 3 more clinics" after "14 clinics": the count is now 17.
        if let Some((delta, thing, written)) = relative_count(&note.text)
            && let Some((old, total, grouped)) = existing.iter().find_map(|e| {
                let (c, t) = only_a_count(&e.text)?;
                let n: i64 = c.replace(',', "").parse().ok()?;
                let total = n.checked_add(delta)?;
                (t == thing).then_some((e, total, c.contains(',')))
            })
            && total >= 0
        {
            let total = if grouped {
                thousands(total)
            } else {
                total.to_string()
            };
            let old_line = current
                .lines()
                .find(|l| l.trim() == old.line() || list_item(l.trim()) == Some(old.text.as_str()))
                .unwrap_or_default()
                .to_owned();
            if !old_line.is_empty() && current.matches(&old_line).count() == 1 {
                let now = Note::new(&format!("{total} {written}"), note.who.as_deref());
                calls.push(json!({"command": "str_replace", "path": path, "old_str": old_line, "new_str": now.line()}));
                summary.push(format!(
                    "- {} (was: {}; {})",
                    now.text,
                    old.text,
                    lower_first(&note.text)
                ));
                continue;
            }
        }
        let replaced = note
            .label()
            .and_then(|(label, _)| {
                SINGLE.contains(&label).then(|| {
                    existing
                        .iter()
                        .find(|e| e.label().is_some_and(|(l, _)| l == label))
                })?
            })
            .or_else(|| {
                // "Has 42 plants now" after "40 plants": the count of the same thing changed.
                let (count, thing) = only_a_count(&note.text)?;
                existing
                    .iter()
                    .find(|e| only_a_count(&e.text).is_some_and(|(c, t)| t == thing && c != count))
            });
        match replaced {
            Some(old) => {
                let old_line = current
                    .lines()
                    .find(|l| {
                        let l = l.trim();
                        l == old.line()
                            || l.starts_with(&format!("- {}", old.text))
                            || list_item(l).is_some_and(|item| item.starts_with(&old.text))
                            || l == old.text
                    })
                    .unwrap_or_default()
                    .to_owned();
                if old_line.is_empty() || current.matches(&old_line).count() != 1 {
                    added.push(note);
                    continue;
                }
                calls.push(json!({"command": "str_replace", "path": path, "old_str": old_line, "new_str": note.line()}));
                summary.push(format!("- {} (was: {})", note.text, old.text));
            }
            None => added.push(note),
        }
    }
    if !added.is_empty() {
        let text: String = added.iter().map(|n| n.line() + "\n").collect();
        calls.push(json!({"command": "insert", "path": path, "insert_line": line_count(current), "insert_text": text}));
        summary.extend(added.iter().map(|n| format!("- {}", n.text)));
    }
    Edit {
        calls,
        summary: summary.join("\n"),
    }
}

/// "1000" -> "1,000".
fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// A change to a count: "Added 3 more clinics" -> (3, "clinic", "clinics"), "Closed 2 stores"
/// -> (-2, "store", "stores"), "2 fewer sites" -> (-2, …). A count with no word of change
/// ("Hiring 3 engineers") is none.
fn relative_count(text: &str) -> Option<(i64, String, String)> {
    const UP: [&str; 8] = [
        "added", "adding", "opened", "opening", "acquired", "bought", "built", "another",
    ];
    const DOWN: [&str; 10] = [
        "closed",
        "closing",
        "sold",
        "lost",
        "dropped",
        "retired",
        "removed",
        "shut",
        "cut",
        "decommissioned",
    ];
    let ws: Vec<String> = text
        .split_whitespace()
        .map(|w| words::core(w).to_lowercase())
        .collect();
    let at = ws
        .iter()
        .position(|w| w.chars().all(|c| c.is_ascii_digit()) && !w.is_empty())?;
    let n: i64 = ws[at].parse().ok()?;
    let verb = ws[..at]
        .iter()
        .rev()
        .find(|w| UP.contains(&w.as_str()) || DOWN.contains(&w.as_str()));
    let mut rest = &ws[at + 1..];
    let marker = rest.first().map(String::as_str);
    let sign = match (verb, marker) {
        (_, Some("fewer" | "less")) => -1,
        (Some(v), _) if DOWN.contains(&v.as_str()) => -1,
        (Some(_), _) | (None, Some("more" | "additional" | "extra" | "new")) => 1,
        _ => return None,
    };
    if matches!(
        marker,
        Some("more" | "fewer" | "less" | "additional" | "extra" | "new")
    ) {
        rest = &rest[1..];
    }
    let thing: Vec<&str> = rest
        .iter()
        .take_while(|w| {
            w.chars().all(char::is_alphabetic)
                && !matches!(
                    w.as_str(),
                    "in" | "to" | "at" | "by" | "for" | "and" | "this" | "last" | "next"
                )
        })
        .map(String::as_str)
        .collect();
    if thing.is_empty() || thing.len() > 3 {
        return None;
    }
    Some((sign * n, singular(&thing), thing.join(" ")))
}

/// "data centres" -> "data centre": the thing counted, its last word without a plural `s`.
fn singular(thing: &[&str]) -> String {
    let mut one = thing.to_vec();
    if let Some(last) = one.last_mut() {
        *last = last
            .strip_suffix('s')
            .filter(|t| t.len() > 1)
            .unwrap_or(last);
    }
    one.join(" ")
}

/// A fact that is only a count of something ("40 plants", "Has 42 plants now", "Runs 45
/// plants in total"): the number and the thing, lowercase and without a plural `s`; `None`
/// for a fact that says more ("Wants 12 services moved to Azure", "Hiring 3 engineers").
fn only_a_count(text: &str) -> Option<(String, String)> {
    const AROUND: [&str; 22] = [
        "has",
        "have",
        "runs",
        "run",
        "operates",
        "owns",
        "manages",
        "employs",
        "with",
        "now",
        "today",
        "currently",
        "total",
        "in",
        "about",
        "around",
        "over",
        "nearly",
        "roughly",
        "approximately",
        "some",
        "of",
    ];
    let words: Vec<String> = text
        .split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect();
    let at = words
        .iter()
        .position(|w| w.starts_with(|c: char| c.is_ascii_digit()))?;
    if !words[..at].iter().all(|w| AROUND.contains(&w.as_str())) {
        return None;
    }
    // The thing: what follows the number, less the words around a count ("now", "in total").
    let mut thing: Vec<&str> = words[at + 1..].iter().map(String::as_str).collect();
    while thing.last().is_some_and(|w| AROUND.contains(w)) {
        thing.pop();
    }
    let fits = !thing.is_empty()
        && thing.len() <= 3
        && thing
            .iter()
            .all(|w| w.starts_with(char::is_alphabetic) && !AROUND.contains(w));
    fits.then(|| (words[at].clone(), singular(&thing)))
}

/// What a question asks for, by the words in it.
#[derive(Clone, PartialEq)]
enum Aspect {
    Budget,
    When,
    Who,
    Stack,
    Left,
    State,
    Risks,
    /// "what was the root cause", "why did it fail".
    Cause,
    /// "how many clinics": the facts that count that thing (its singular, lower case).
    Count(String),
}

fn aspects(lower: &str) -> Vec<Aspect> {
    // At the start of a word: "tech " is not in "Initech for", "date" not in "update".
    let has = |ws: &[&str]| {
        ws.iter().any(|w| {
            lower.match_indices(w).any(|(at, _)| {
                lower[..at]
                    .chars()
                    .next_back()
                    .is_none_or(|c| !c.is_alphanumeric())
            })
        })
    };
    let mut out = Vec::new();
    if has(&[
        "budget", "cost", "money", "price", "spend", "afford", "how much",
    ]) {
        out.push(Aspect::Budget);
    }
    if has(&[
        "when", "deadline", "timeline", "date", "go-live", "schedule", "how long",
    ]) {
        out.push(Aspect::When);
    }
    if has(&[
        "who ",
        "contact",
        "sign off",
        "signs off",
        "sponsor",
        "decision maker",
        "approve",
    ]) {
        out.push(Aspect::Who);
    }
    if has(&[
        "stack",
        "technolog",
        "tech ",
        "systems do",
        "databases",
        "languages",
    ]) {
        out.push(Aspect::Stack);
    }
    if has(&[
        "current state",
        "status",
        "where are we",
        "what happened",
        "state of",
    ]) {
        out.push(Aspect::State);
    }
    if has(&[
        "left to do",
        "to do",
        "todo",
        "open action",
        "next step",
        "remaining",
        "still need",
        "what is left",
        "what's left",
        "follow-up",
        "follow up",
    ]) {
        out.push(Aspect::Left);
    }
    if has(&["risk", "constraint", "concern", "worr", "blocker"]) {
        out.push(Aspect::Risks);
    }
    if has(&["cause", "why "]) {
        out.push(Aspect::Cause);
    }
    // "how many clinics do they have?"
    let ws: Vec<&str> = lower.split_whitespace().collect();
    for pair in ws.windows(3) {
        if pair[0] == "how" && pair[1] == "many" {
            let thing = words::core(pair[2]);
            let one = thing
                .strip_suffix("ies")
                .map(|t| format!("{t}y"))
                .or_else(|| thing.strip_suffix('s').map(str::to_owned))
                .unwrap_or_else(|| thing.to_owned());
            if one.len() > 1 {
                out.push(Aspect::Count(one));
            }
        }
    }
    out
}

fn fits(note: &Note, aspect: &Aspect) -> bool {
    let low = note.low();
    let label = note.label().map(|(l, _)| l).unwrap_or_default();
    match aspect {
        Aspect::Budget => label == "Budget" || note.text.split_whitespace().any(words::is_money),
        Aspect::When => {
            matches!(label, "Timeline" | "Deadline")
                || low.contains(" months")
                || low.contains(" weeks")
                || is_clocked(note)
        }
        Aspect::Who => {
            label == "Contact"
                || ["(cto)", "(cio)", "(ceo)", "(cfo)", "(vp", "(head", "(coo)"]
                    .iter()
                    .any(|w| low.contains(w))
                // "signs off", "signed the contract"; not "single sign-on".
                || ["signs", "signed", "sign off", "signs off", "approves", "approved by"]
                    .iter()
                    .any(|w| low.contains(w))
        }
        Aspect::Stack => {
            label == "Stack"
                || words::tokens(&low).iter().any(|w| {
                    TECHNOLOGIES.contains(&w.as_str())
                        && !matches!(w.as_str(), "cloud" | "server" | "go" | "google")
                })
        }
        Aspect::Left => label == "To do",
        Aspect::Cause => label == "Root cause" || low.contains("cause"),
        Aspect::Count(one) => {
            let y = one.strip_suffix('y').map(|stem| format!("{stem}ies"));
            words::tokens(&low).iter().any(|w| {
                w == one.as_str()
                    || w.strip_suffix('s') == Some(one.as_str())
                    || w.strip_suffix("es") == Some(one.as_str())
                    || y.as_deref() == Some(w.as_str())
            }) && note.text.chars().any(|c| c.is_ascii_digit())
        }
        Aspect::State => label != "To do",
        Aspect::Risks => {
            matches!(label, "Constraint" | "Risk")
                || [
                    "must",
                    "cannot",
                    "can't",
                    "no more than",
                    "risk",
                    "max ",
                    "at most",
                    "sensitive",
                    "limit",
                    "capped",
                    "deadline is hard",
                    "only ",
                    "complian",
                    "hipaa",
                    "gdpr",
                    "pci",
                    "sox",
                    "soc 2",
                    "downtime",
                    "uptime",
                    "residency",
                    "must stay",
                ]
                .iter()
                .any(|w| low.contains(w))
        }
    }
}

fn is_clocked(note: &Note) -> bool {
    clock_prefix(&note.text).is_some()
}

/// A timed line's time and event: "14:05 — Checkout errors…" -> ("14:05", "Checkout errors…").
fn clock_prefix(text: &str) -> Option<(&str, &str)> {
    text.split_once(" — ")
        .filter(|(t, _)| t.contains(':') && t.len() <= 6)
}

fn aspect_title(a: &Aspect) -> String {
    let title = match a {
        Aspect::Budget => "Budget",
        Aspect::When => "Timing",
        Aspect::Who => "People",
        Aspect::Stack => "Systems",
        Aspect::Left => "Left to do",
        Aspect::State => "Current state",
        Aspect::Risks => "Constraints and risks",
        Aspect::Cause => "Cause",
        Aspect::Count(one) => return words::capitalise(&plural(one)),
    };
    title.to_owned()
}

/// A quoted fact: `- Budget: $500K (Alice)` (no name when the fact already says it).
fn quote(n: &Note) -> String {
    match &n.who {
        Some(who) if !n.text.contains(who.as_str()) => format!("- {} ({who})", n.text),
        _ => format!("- {}", n.text),
    }
}

/// An answer from the files read, as lists, naming each file; the parts a question asks for
/// (budget, timing, people, what is left…) first, under their own headings.
pub fn answer(lower: &str, files: &[String], reads: &Reads) -> String {
    let wanted = aspects(lower);
    let mut out = String::new();
    let mut any = false;
    // Every part asked for answered by the files so far (the customer's facts): the
    // documents written from them would only repeat it.
    let mut answered = false;
    for file in files {
        if answered && plan::kind(file) != plan::Kind::Facts {
            continue;
        }
        let Some(text) = reads.text(file) else {
            continue;
        };
        let list = notes(text);
        let list: Vec<&Note> = list.iter().collect();
        let writers = writers(&notes(text));
        let by = if writers.is_empty() {
            String::new()
        } else {
            format!(" (written by {writers})")
        };
        if list.is_empty() {
            let first = text
                .lines()
                .find(|l| !l.trim().is_empty() && !l.starts_with('#'))
                .unwrap_or("(empty)");
            let _ = write!(out, "\nFrom {file}{by}:\n\n> {}\n", first.trim());
            any = true;
            continue;
        }
        // Asked for a part (who, budget…): a further file that does not hold it is left out.
        let holds_it = wanted
            .iter()
            .any(|aspect| list.iter().any(|n| fits(n, aspect)));
        if any && !wanted.is_empty() && !holds_it {
            continue;
        }
        let _ = write!(out, "\nFrom {file}{by}:\n");
        let mut shown = false;
        let mut missing: Vec<String> = Vec::new();
        for aspect in &wanted {
            let matching: Vec<&&Note> = list.iter().filter(|n| fits(n, aspect)).collect();
            if matching.is_empty() {
                missing.push(aspect_title(aspect).to_lowercase());
                continue;
            }
            let _ = write!(out, "\n**{}**\n\n", aspect_title(aspect));
            for n in matching {
                if *aspect == Aspect::Left {
                    let value = n.label().map_or(n.text.as_str(), |(_, v)| v);
                    out.push_str(&quote(&Note::new(
                        &words::capitalise(value),
                        n.who.as_deref(),
                    )));
                } else {
                    out.push_str(&quote(n));
                }
                out.push('\n');
            }
            shown = true;
        }
        answered |= shown && missing.is_empty();
        // Asked for two things and this file holds one: say which is not there.
        if shown && !missing.is_empty() {
            let _ = write!(out, "\nNothing on {} there yet.\n", missing.join(" or "));
        }
        if !shown {
            if !wanted.is_empty() {
                // Asked for what the file does not say: say so before quoting the rest.
                let asked: Vec<String> = wanted
                    .iter()
                    .map(|a| aspect_title(a).to_lowercase())
                    .collect();
                let _ = write!(
                    out,
                    "\nNothing on {} there yet; this is all it holds:\n",
                    asked.join(" or ")
                );
            }
            out.push('\n');
            for n in &list {
                out.push_str(&quote(n));
                out.push('\n');
            }
        }
        any = true;
    }
    if !any {
        return "I looked, but those files are gone or unreadable now; nothing to quote."
            .to_owned();
    }
    if wanted.contains(&Aspect::Budget) {
        out.push_str(&budgets_ranked(files, reads));
    }
    format!("Here is what our shared memory says:\n{out}")
}

/// Several customers' budgets side by side, the largest first ("By budget: Umbrella Health
/// $2.5M, Initech $900K"); empty unless two or more files state one.
fn budgets_ranked(files: &[String], reads: &Reads) -> String {
    let mut found: Vec<(f64, String, String)> = Vec::new();
    let mut currencies: Vec<(String, String)> = Vec::new();
    for file in files {
        let Some(text) = reads.text(file) else {
            continue;
        };
        let budget = notes(text).into_iter().find_map(|n| {
            let (label, value) = n.label()?;
            (label == "Budget").then(|| value.to_owned())
        });
        if let Some(value) = budget
            && let Some((amount, sign, code)) = words::amount(&value)
        {
            found.push((amount, title_of(file, text), value));
            currencies.push((sign, code));
        }
    }
    // Dollars against euros: no ranking without rates.
    currencies.dedup();
    if found.len() < 2 || currencies.len() > 1 {
        return String::new();
    }
    found.sort_by(|a, b| b.0.total_cmp(&a.0));
    let list: Vec<String> = found.iter().map(|(_, t, v)| format!("{t} {v}")).collect();
    format!("\nBy budget, largest first: {}.\n", list.join(", "))
}

/// What a facts file holds, quoted as a list under its name, to lead a longer answer.
pub fn quoted(path: &str, text: &str) -> String {
    let list = notes(text);
    if list.is_empty() {
        return String::new();
    }
    let by = writers(&list);
    let by = if by.is_empty() {
        String::new()
    } else {
        format!(" ({by})")
    };
    let mut out = format!("What the team stored in {path}{by}:\n\n");
    for n in &list {
        out.push_str(&quote(n));
        out.push('\n');
    }
    out.push('\n');
    out
}

/// "Alice and John" from the notes' authors, in order of appearance.
fn writers(notes: &[Note]) -> String {
    let mut names: Vec<&str> = Vec::new();
    for n in notes {
        if let Some(w) = n.who.as_deref()
            && !names.contains(&w)
        {
            names.push(w);
        }
    }
    match names.as_slice() {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// The figures an architecture is shaped by, read from the customer's facts.
#[derive(Debug, Default)]
struct Shape {
    title: String,
    project: Option<String>,
    apps: Option<(u64, String)>,
    volume: Option<String>,
    sites: Option<(u64, String)>,
    techs: Vec<String>,
    months: Option<u64>,
    timeline: Option<String>,
    deadline: Option<String>,
    budget: Option<String>,
    constraints: Vec<String>,
    scope: Vec<String>,
    approver: Option<String>,
    residency: Option<String>,
    downtime: Option<String>,
    /// Systems named in the facts ("warehouse system", "billing platform").
    systems: Vec<String>,
    /// The cloud the work moves to, when the facts name one ("move … to AWS").
    cloud: Option<Cloud>,
    /// Something new the facts want built ("fraud detection platform"), not a move.
    build: Option<String>,
    /// The facts, joined: what the parts of a new build are read from.
    all: String,
    sources: String,
}

/// A public cloud, named by the services it offers for each part of the design.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Cloud {
    Aws,
    Azure,
    Google,
}

impl Cloud {
    fn name(self) -> &'static str {
        match self {
            Cloud::Aws => "AWS",
            Cloud::Azure => "Azure",
            Cloud::Google => "Google Cloud",
        }
    }

    /// The cloud a word names: "AWS", "Azure", "GCP", or its managed Kubernetes ("EKS").
    fn of(word: &str) -> Option<Cloud> {
        match word.to_lowercase().as_str() {
            "aws" | "amazon" | "eks" | "ecs" | "fargate" => Some(Cloud::Aws),
            "azure" | "aks" => Some(Cloud::Azure),
            "gcp" | "google" | "gke" => Some(Cloud::Google),
            _ => None,
        }
    }

    fn kubernetes(self) -> &'static str {
        match self {
            Cloud::Aws => "Amazon EKS",
            Cloud::Azure => "Azure Kubernetes Service (AKS)",
            Cloud::Google => "Google Kubernetes Engine (GKE)",
        }
    }

    fn landing_zone(self) -> &'static str {
        match self {
            Cloud::Aws => "one AWS organisation with separate production and test accounts",
            Cloud::Azure => {
                "one Azure tenant with management groups and separate production and test subscriptions"
            }
            Cloud::Google => {
                "one Google Cloud organisation with separate production and test projects"
            }
        }
    }
}

/// The cloud the facts move to: a cloud named after "to", "onto", "into", "on" or "in" (or
/// alone), never one named after "from", "off" or "out of" (what they leave).
fn destination(text: &str) -> Option<Cloud> {
    let ws: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || c == '/')
        .collect();
    let mut first = None;
    for (i, w) in ws.iter().enumerate() {
        let Some(cloud) = Cloud::of(words::core(w)) else {
            continue;
        };
        let before: Vec<String> = ws[i.saturating_sub(3)..i]
            .iter()
            .map(|b| words::core(b).to_lowercase())
            .collect();
        let left = before
            .iter()
            .rev()
            .take(2)
            .any(|b| matches!(b.as_str(), "from" | "off" | "leave" | "leaving" | "exit"))
            || before.ends_with(&["out".to_owned(), "of".to_owned()]);
        if left {
            continue;
        }
        let towards = before
            .iter()
            .rev()
            .take(2)
            .any(|b| matches!(b.as_str(), "to" | "onto" | "into" | "on" | "in" | "target"));
        if towards {
            return Some(cloud);
        }
        first = first.or(Some(cloud));
    }
    first
}

/// The title of a facts file: its `# heading`, or its name.
fn title_of(path: &str, text: &str) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix("# "))
        .map_or_else(|| stem(path).replace('_', " "), |t| t.trim().to_owned())
}

/// `N <unit>` in a text, for a unit among `units`, with up to two words between (`50
/// applications`, `1,200 stores`, `60 legacy COBOL programs`).
fn count_of(text: &str, units: &[&str]) -> Option<(u64, String)> {
    let ws: Vec<&str> = text.split_whitespace().collect();
    for (i, w) in ws.iter().enumerate() {
        let Ok(n) = w
            .trim_start_matches(['~', '≈', '('])
            .replace(',', "")
            .parse::<u64>()
        else {
            continue;
        };
        for gap in 1..=3 {
            let Some(next) = ws.get(i + gap) else { break };
            let unit = words::core(next);
            let low = unit.to_lowercase();
            // The unit itself or its plural ("VMs", "branches"), not a longer word ("VMware").
            let plural = |u: &&str| {
                low == **u
                    || low.strip_suffix('s') == Some(u)
                    || low.strip_suffix("es") == Some(u)
                    || low
                        .strip_suffix("ies")
                        .is_some_and(|stem| u.strip_suffix('y') == Some(stem))
            };
            if units.iter().any(plural) {
                return Some((n, unit.to_owned()));
            }
            if next.ends_with([',', '.', ';', ':']) {
                break;
            }
        }
    }
    None
}

/// Months in a duration: `9 months`, `6 weeks`, `2 years`, `a year`, `18-month`.
fn months_in(text: &str) -> Option<u64> {
    let low = text.to_lowercase().replace('-', " ");
    let ws: Vec<&str> = low.split_whitespace().collect();
    for pair in ws.windows(2) {
        let n = match pair[0] {
            "a" | "one" => Some(1),
            "two" => Some(2),
            "three" => Some(3),
            "six" => Some(6),
            "nine" => Some(9),
            "twelve" => Some(12),
            other => other.parse::<u64>().ok(),
        };
        // A plan of a hundred years or more is no plan to lay phases over (and would
        // overflow their arithmetic).
        let Some(n) = n.filter(|&n| n <= 1200) else {
            continue;
        };
        let unit = words::core(pair[1]);
        if unit.starts_with("month") {
            return Some(n);
        }
        if unit.starts_with("year") {
            return Some(n * 12);
        }
        if unit.starts_with("week") {
            return Some(n.div_ceil(4).max(1));
        }
    }
    None
}

/// What one note adds to the shape: its label's value, a constraint, an approver, where
/// data must stay, a downtime limit.
fn read_note(s: &mut Shape, n: &Note) {
    let low = n.low();
    match n.label() {
        Some(("Project", v)) => s.project = Some(v.to_owned()),
        Some(("Budget", v)) => s.budget = Some(v.to_owned()),
        Some(("Timeline", v)) => {
            s.timeline = Some(v.to_owned());
            s.months = s.months.or_else(|| months_in(v));
        }
        Some(("Deadline", v)) => s.deadline = Some(v.to_owned()),
        Some(("Scope", v)) => s.scope.push(v.to_owned()),
        Some(("Constraint" | "Risk", v)) => s.constraints.push(v.to_owned()),
        _ => {}
    }
    if [
        "must",
        "cannot",
        "can't",
        "no more than",
        "at most",
        "only",
        "required",
        "comply",
        "compliance",
    ]
    .iter()
    .any(|w| low.contains(w))
        && n.label()
            .is_none_or(|(l, _)| !matches!(l, "Constraint" | "Risk" | "To do"))
    {
        s.constraints.push(n.text.clone());
    }
    if low.contains("sign") || low.contains("approv") {
        s.approver = Some(n.text.clone());
    }
    if (low.contains("data") || low.contains("resid") || low.contains("sovereign"))
        && low.contains(" in ")
    {
        let place = n.text.rsplit(" in ").next().map(|p| {
            let p = p.trim_end_matches(['.', ')']);
            p.strip_prefix("the ").unwrap_or(p).to_owned()
        });
        s.residency = place.filter(|p| p.chars().next().is_some_and(char::is_uppercase));
    }
    if low.contains("down for") || low.contains("downtime") || low.contains("outage window") {
        s.downtime = Some(n.text.clone());
    }
}

fn shape(path: &str, text: &str) -> Shape {
    let list = notes(text);
    let mut s = Shape {
        title: title_of(path, text),
        ..Shape::default()
    };
    let all: String = list
        .iter()
        .map(|n| n.text.clone())
        .collect::<Vec<_>>()
        .join(". ");
    s.sources = writers(&list);
    for n in &list {
        read_note(&mut s, n);
    }
    if s.months.is_none() {
        s.months = months_in(&all);
    }
    s.apps = count_of(
        &all,
        &[
            "application",
            "app",
            "service",
            "microservice",
            "workload",
            "program",
            "system",
            "vm",
            "server",
        ],
    );
    s.sites = count_of(
        &all,
        &[
            "store",
            "site",
            "branch",
            "office",
            "warehouse",
            "plant",
            "clinic",
            "hospital",
            "shop",
            "factory",
            "gym",
            "hotel",
            "restaurant",
            "school",
            "campus",
            "depot",
            "mine",
            "outlet",
            "location",
        ],
    );
    let ws: Vec<&str> = all.split_whitespace().collect();
    s.volume = ws.windows(2).find_map(|p| {
        let unit = words::core(p[1]);
        let n = p[0].trim_start_matches(['(', '~']);
        (matches!(unit, "TB" | "PB" | "GB")
            && !n.is_empty()
            && n.chars().all(|c| c.is_ascii_digit() || c == '.'))
        .then(|| format!("{n} {unit}"))
    });
    for w in all.split(|c: char| c.is_whitespace() || c == '/') {
        let c = words::core(w);
        let low = c.to_lowercase();
        let raw = w.trim_end_matches([',', ';', ')', '.']).to_lowercase();
        if raw.starts_with(".net") && !s.techs.iter().any(|t| t == ".NET") {
            s.techs.push(".NET".to_owned());
            continue;
        }
        if TECHNOLOGIES.contains(&low.as_str())
            && !matches!(
                low.as_str(),
                "cloud" | "server" | "sql" | "net" | "google" | "go"
            )
            && !s.techs.iter().any(|t| t.eq_ignore_ascii_case(c))
        {
            s.techs.push(c.to_owned());
        }
    }
    s.build = build::wanted(&all);
    s.systems = named_systems(&all);
    if let Some(thing) = &s.build {
        let thing = thing.to_lowercase();
        s.systems.retain(|n| !thing.contains(&n.to_lowercase()));
    }
    s.cloud = destination(&all);
    if s.cloud.is_some() {
        s.techs.retain(|t| Cloud::of(t).is_none());
    }
    if all.contains("SQL Server") {
        s.techs.retain(|t| t != "SQL");
        s.techs.push("SQL Server".to_owned());
    }
    s.all = all;
    s
}

/// "a" or "an" before a word as it is said: "an EU region", "a US region", "an Azure".
fn article(word: &str) -> &'static str {
    let vowel_sound = word.starts_with(['A', 'E', 'I', 'O', 'a', 'e', 'i', 'o'])
        || word.starts_with(['F', 'H', 'L', 'M', 'N', 'R', 'S', 'X'])
            && word.chars().nth(1).is_none_or(char::is_uppercase);
    if vowel_sound { "an" } else { "a" }
}

/// What the work is called: the project's own name, the thing to be built, or its kind.
fn work_of(s: &Shape, facts: &str) -> String {
    s.project
        .clone()
        .or_else(|| s.build.clone())
        .unwrap_or_else(|| kind_of_work(facts))
}

/// "their warehouse system" -> "warehouse system": a noun or two before system, platform, ERP.
fn named_systems(text: &str) -> Vec<String> {
    const HEADS: [&str; 6] = ["system", "systems", "platform", "erp", "portal", "app"];
    const NOT: [&str; 14] = [
        "the", "their", "our", "its", "a", "an", "this", "that", "whole", "entire", "existing",
        "old", "new", "legacy",
    ];
    let ws: Vec<&str> = text.split_whitespace().collect();
    let mut out: Vec<String> = Vec::new();
    for (i, w) in ws.iter().enumerate() {
        let head = words::core(w).to_lowercase();
        if !HEADS.contains(&head.as_str()) || i == 0 {
            continue;
        }
        let mut start = i;
        while start > 0 && i - start < 2 {
            let prev = words::core(ws[start - 1]);
            let low = prev.to_lowercase();
            if prev.is_empty()
                || NOT.contains(&low.as_str())
                || prev.chars().any(|c| c.is_ascii_digit())
                || ws[start - 1].ends_with([',', '.', ':'])
                || low == "and"
                || low == "of"
            {
                break;
            }
            start -= 1;
        }
        if start < i {
            let name: Vec<&str> = ws[start..=i].iter().map(|w| words::core(w)).collect();
            let name = name.join(" ");
            if !out.iter().any(|o| o.eq_ignore_ascii_case(&name)) {
                out.push(name);
            }
        }
    }
    out
}

/// How each kind of system is carried to the cloud: the part of the design and the choice.
fn target_for(tech: &str) -> Option<(&'static str, &'static str)> {
    Some(match tech.to_lowercase().as_str() {
        "kubernetes" | "k8s" | "openshift" | "docker" | "gke" | "eks" | "aks" => (
            "Containers",
            "services run in containers on a managed Kubernetes service, one namespace per team, deployed from Git",
        ),
        "hadoop" | "spark" | "databricks" | "teradata" | "netezza" => (
            "Analytics",
            "data moves to object storage, and Hadoop and Spark jobs to a managed Spark platform, checked against the old results before each switch",
        ),
        "java" | "spring" | "tomcat" | "websphere" | "weblogic" | "jboss" => (
            "Applications",
            "Java applications run in containers on a managed Kubernetes service, one namespace per application team",
        ),
        ".net" | "c#" => (
            "Applications",
            ".NET applications run in containers (Windows node pools for those still on the full framework)",
        ),
        "oracle" => (
            "Databases",
            "Oracle databases move to a managed Oracle-compatible database service, kept in sync by change data capture until each wave's cutover; each is checked in the pilot for a later move to PostgreSQL",
        ),
        "sql server" => (
            "Databases",
            "SQL Server databases move to a managed SQL Server service, replicated until cutover",
        ),
        "postgres" | "postgresql" | "mysql" | "mariadb" => (
            "Databases",
            "relational databases move to the managed service of the same engine, replicated until cutover",
        ),
        "mongodb" | "cassandra" => (
            "Databases",
            "document and wide-column stores move to managed, compatible services",
        ),
        "sap" | "hana" => (
            "SAP",
            "SAP moves to certified cloud instances in a separate landing-zone account",
        ),
        "mainframe" | "cobol" | "db2" => (
            "Mainframe",
            "mainframe workloads are rehosted on an emulation platform first, then refactored service by service",
        ),
        "kafka" | "rabbitmq" => ("Messaging", "a managed Kafka (or broker) service"),
        "vmware" => (
            "Virtual machines",
            "the VMware estate moves as it is onto a cloud VMware service, then is modernised",
        ),
        "windows" => (
            "Servers",
            "Windows servers are rehosted on cloud VMs, patched and backed up centrally",
        ),
        "python" | "node" | "node.js" | "php" | "ruby" | "rails" | "go" | "golang" => (
            "Services",
            "web services are containerised and deployed through the same pipelines",
        ),
        "salesforce" | "servicenow" | "workday" => (
            "SaaS",
            "SaaS systems stay where they are; integrations move behind an API gateway",
        ),
        _ => return None,
    })
}

/// Phases within the timeline: foundation and pilot, migration waves, cutover (or, for a new
/// build, discovery to go-live).
fn phases(s: &Shape) -> Vec<String> {
    if let Some(thing) = &s.build {
        let done = s.deadline.as_deref().map(by_date);
        return build::phases(thing, &s.title, s.months, done.as_deref());
    }
    let apps = s.apps.as_ref().map(|(n, _)| *n);
    let unit = s
        .apps
        .as_ref()
        .map_or_else(|| "applications".to_owned(), |(_, u)| plural(u));
    let pilot = apps.map(|n| (n / 10).clamp(1, 5));
    let (found, waves_m, cut) = match s.months {
        Some(m) if m >= 3 => {
            // A fifth of the months each for the foundation and the cutover, rounded.
            let f = ((m * 2 + 5) / 10).max(1);
            let c = f;
            (Some((1, f)), Some((f + 1, m - c)), Some((m - c + 1, m)))
        }
        _ => (None, None, None),
    };
    let span = |r: Option<(u64, u64)>| match r {
        Some((a, b)) if a == b => format!(" (month {a})"),
        Some((a, b)) => format!(" (months {a}–{b})"),
        None => String::new(),
    };
    let wave_count = waves_m.map_or(3, |(a, b)| ((b + 1 - a).div_ceil(2)).clamp(1, 6));
    let mut out = Vec::new();
    let zone = s.cloud.map_or_else(
        || "landing zone".to_owned(),
        |c| format!("{} landing zone", c.name()),
    );
    out.push(format!(
        "Foundation and pilot{}: {zone}, pipelines and monitoring{}",
        span(found),
        pilot.map_or_else(String::new, |p| format!(
            ", then a pilot wave of {p} {}",
            one_or_many(p, &unit)
        ))
    ));
    let waves = match (apps, pilot) {
        (Some(n), Some(p)) if n > p => {
            let per = (n - p).div_ceil(wave_count);
            format!(
                "Migration waves{}: {wave_count} {} of about {per} {} each, the simplest first",
                span(waves_m),
                one_or_many(wave_count, "waves"),
                one_or_many(per, &unit)
            )
        }
        _ => format!(
            "Migration waves{}: {wave_count} {}, the simplest systems first",
            span(waves_m),
            one_or_many(wave_count, "waves")
        ),
    };
    out.push(waves);
    let mut cutover = format!(
        "Cutover and decommission{}: final data sync, cutover",
        span(cut)
    );
    if let Some(d) = &s.downtime {
        let _ = write!(cutover, " inside the agreed window ({})", lower_first(d));
    }
    cutover.push_str(", then the old estate is retired");
    if let Some(d) = &s.deadline {
        let _ = write!(cutover, "; done {}", by_date(d));
    }
    out.push(cutover);
    out
}

/// "by end of March", "before Black Friday" (a deadline that says its own preposition).
fn by_date(deadline: &str) -> String {
    let low = deadline.to_lowercase();
    if ["before ", "by ", "in ", "within ", "no later than "]
        .iter()
        .any(|p| low.starts_with(p))
    {
        deadline.to_owned()
    } else {
        format!("by {deadline}")
    }
}

/// "1 application", "5 applications".
fn one_or_many(n: u64, plural_unit: &str) -> String {
    if n == 1 {
        plural_unit
            .strip_suffix('s')
            .unwrap_or(plural_unit)
            .to_owned()
    } else {
        plural(plural_unit)
    }
}

fn plural(unit: &str) -> String {
    if unit.ends_with('s') {
        unit.to_owned()
    } else {
        format!("{unit}s")
    }
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) if chars.clone().next().is_some_and(char::is_lowercase) => {
            c.to_lowercase().chain(chars).collect()
        }
        Some(c) => std::iter::once(c).chain(chars).collect(),
        None => String::new(),
    }
}

/// The target design's lines.
fn targets(s: &Shape) -> Vec<String> {
    let mut out = Vec::new();
    let organisation = s.cloud.map_or(
        "one cloud organisation with separate production and test accounts",
        Cloud::landing_zone,
    );
    let mut zone =
        format!("Landing zone: {organisation}, a hub network, single sign-on and central logging");
    if let Some(place) = &s.residency {
        let _ = write!(
            zone,
            "; data that must stay in {place} lives only in {} {place} region",
            article(place)
        );
    }
    out.push(zone);
    if let Some(thing) = &s.build {
        let kubernetes = s
            .cloud
            .map_or("a managed Kubernetes service", Cloud::kubernetes);
        let mut connects = s.techs.clone();
        connects.extend(s.systems.iter().cloned());
        out.extend(build::design(&s.all, thing, kubernetes, &connects));
        if let Some((n, unit)) = &s.sites {
            out.push(format!(
                "Sites: the {n} {} reach it over their existing network, through the same gateway",
                plural(unit)
            ));
        }
        out.push("Operations: everything as code, one CI/CD pipeline, dashboards and alerts from the first release".to_owned());
        return out;
    }
    let mut seen: Vec<&str> = Vec::new();
    for t in &s.techs {
        if let Some((part, choice)) = target_for(t)
            && !seen.contains(&choice)
        {
            seen.push(choice);
            let counted = out
                .iter()
                .any(|l: &String| l.starts_with("Applications: all"));
            let mut choice = match &s.apps {
                Some((n, _)) if part == "Applications" && !counted => {
                    format!("all {n} of them: {choice}")
                }
                _ => choice.to_owned(),
            };
            if let Some(cloud) = s.cloud {
                choice = choice.replace("a managed Kubernetes service", cloud.kubernetes());
            }
            out.push(format!("{part}: {choice}"));
        }
    }
    if seen.is_empty() && s.systems.is_empty() {
        let what = s.apps.as_ref().map_or_else(
            || "Existing systems".to_owned(),
            |(n, u)| format!("{n} {}", plural(u)),
        );
        let services = s
            .apps
            .as_ref()
            .is_some_and(|(_, u)| u.to_lowercase().contains("service"));
        if services {
            let k8s = s
                .cloud
                .map_or("a managed Kubernetes service", Cloud::kubernetes);
            out.push(format!(
                "{what} run in containers on {k8s}, one namespace per team, deployed from Git"
            ));
        } else {
            out.push(format!(
                "{what} are rehosted on cloud VMs first (lift and shift), then modernised where it pays"
            ));
        }
    }
    if let Some(v) = &s.volume {
        out.push(format!(
            "Bulk data: the {v} is copied with an offline transfer appliance, then kept in sync by replication until cutover"
        ));
    }
    for system in &s.systems {
        let mut line = format!(
            "{}: rehosted as it is first, with a tested rollback, then modernised",
            words::capitalise(system)
        );
        if s.downtime
            .as_deref()
            .is_some_and(|d| d.to_lowercase().contains(&system.to_lowercase()))
        {
            line.push_str("; its cutover is rehearsed to fit the downtime window");
        }
        out.push(line);
    }
    if let Some((n, unit)) = &s.sites {
        out.push(format!(
            "Sites: the {n} {} connect over site-to-site VPN (or a private link for the largest), with local caching for when the link is down",
            plural(unit)
        ));
    }
    out.push("Operations: everything as code, one CI/CD pipeline per team, backups and alerts set up before each wave".to_owned());
    out
}

/// What the work is called when the facts do not say: a migration when they speak of one (the
/// seed story), else a project.
fn kind_of_work(facts: &str) -> String {
    let low = facts.to_lowercase();
    // "… out of its data center", "on AWS by June": leaving a data centre is a migration too.
    if [
        "migrat",
        "cloud",
        "move ",
        "data cent",
        "datacent",
        "on-prem",
        "aws",
        "azure",
        "gcp",
    ]
    .iter()
    .any(|w| low.contains(w))
    {
        "cloud migration".to_owned()
    } else {
        "project".to_owned()
    }
}

/// An architecture built from a customer's facts.
pub fn architecture(path: &str, text: &str, person: &str) -> Doc {
    let s = shape(path, text);
    let what = work_of(&s, text);
    let mut out = format!("# {}: {} architecture\n\n", s.title, what);
    let by = if s.sources.is_empty() {
        String::new()
    } else {
        format!(" ({}'s notes)", s.sources)
    };
    let _ = writeln!(out, "Designed by {person} from {path}{by}.\n");
    out.push_str("## Starting point\n\n");
    let mut start = Vec::new();
    for scope in &s.scope {
        start.push(words::capitalise(scope));
    }
    if let Some((n, unit)) = &s.apps {
        start.push(format!("Scale: {n} {}", one_or_many(*n, unit)));
    }
    if let Some(v) = &s.volume {
        start.push(format!("Data: {v}"));
    }
    if !s.techs.is_empty() {
        start.push(format!("Systems: {}", s.techs.join(", ")));
    }
    match (&s.timeline, s.months) {
        (Some(t), _) => start.push(format!("Timeline: {t}")),
        // "… on Azure in 18 months": said in passing, still the timeline.
        (None, Some(m)) if s.deadline.is_none() => {
            start.push(format!("Timeline: {m} {}", one_or_many(m, "months")));
        }
        _ => {}
    }
    if let Some(d) = &s.deadline {
        start.push(format!("Deadline: {d}"));
    }
    if let Some(b) = &s.budget {
        start.push(format!("Budget: {b}"));
    }
    if start.is_empty() {
        start.push("Few facts are stored yet; the design below is the general shape, to be sized once discovery is done".to_owned());
    }
    for l in start {
        let _ = writeln!(out, "- {l}");
    }
    out.push_str("\n## Target\n\n");
    for l in targets(&s) {
        let _ = writeln!(out, "- {l}");
    }
    out.push_str("\n## Phases\n\n");
    for (i, p) in phases(&s).iter().enumerate() {
        let _ = writeln!(out, "{}. {p}", i + 1);
    }
    if !s.constraints.is_empty() {
        out.push_str("\n## Constraints it honours\n\n");
        for c in &s.constraints {
            let _ = writeln!(out, "- {}: {}", words::capitalise(c), honour(c));
        }
    }
    if let Some(b) = &s.budget {
        let _ = write!(
            out,
            "\n## Budget fit\n\n- {}\n",
            split_budget(b, s.build.is_some())
        );
    }
    Doc {
        intro: format!("I read {path}; here is an architecture shaped by those facts."),
        text: out,
    }
}

/// How the design meets a constraint.
fn honour(constraint: &str) -> &'static str {
    let low = constraint.to_lowercase();
    if low.contains("data") && low.contains(" in ") {
        "in-region storage and backups, enforced by an organisation policy"
    } else if low.contains("down") || low.contains("outage") {
        "replicate ahead, rehearse the cutover, switch in the window with a tested rollback"
    } else if low.contains("budget") || low.contains("cost") || low.contains("sign") {
        "tracked per phase, with a go/no-go before each wave"
    } else if low.contains("comply")
        || low.contains("compliance")
        || low.contains("gdpr")
        || low.contains("hipaa")
        || low.contains("pci")
    {
        "controls mapped in the landing zone and checked by the auditors before go-live"
    } else {
        "an explicit acceptance check in the pilot, repeated in each wave"
    }
}

/// "$500K" -> "$500K: about $100K foundation, $300K waves, $100K cutover and hypercare".
fn split_budget(budget: &str, new_build: bool) -> String {
    let Some((value, sign, suffix)) = words::amount(budget) else {
        if new_build {
            return format!(
                "{budget}: split about 30% discovery and first version, 50% build-out, 20% hardening and go-live"
            );
        }
        return format!(
            "{budget}: split about 20% foundation, 60% migration waves, 20% cutover and hypercare"
        );
    };
    let part = |share: f64| format!("{}{suffix}", money(value * share, &sign));
    if new_build {
        return format!(
            "{budget}: about {} for discovery and the first version, {} for the build-out and {} for hardening and go-live",
            part(0.3),
            part(0.5),
            part(0.2)
        );
    }
    format!(
        "{budget}: about {} for the foundation, {} for the migration waves and {} for cutover and hypercare",
        part(0.2),
        part(0.6),
        part(0.2)
    )
}

/// `$100K`, `€1.2M`.
fn money(value: f64, symbol: &str) -> String {
    if value >= 1e6 {
        let m = value / 1e6;
        if (m - m.round()).abs() < 0.05 {
            format!("{symbol}{}M", m.round())
        } else {
            format!("{symbol}{m:.1}M")
        }
    } else if value >= 1e3 {
        format!("{symbol}{}K", (value / 1e3).round())
    } else {
        format!("{symbol}{}", value.round())
    }
}

/// The decisions an architecture holds, as a section to add; `None` when already recorded.
pub fn decisions(arch: &str, person: &str) -> Option<String> {
    if arch.contains("## Decisions") {
        return None;
    }
    let mut section = String::from("\n## Decisions\n\n");
    let mut n = 0;
    let mut in_target = false;
    for line in arch.lines() {
        if line.starts_with("## ") {
            in_target = line.trim() == "## Target";
            continue;
        }
        if !in_target {
            continue;
        }
        if let Some(item) = line.strip_prefix("- ") {
            n += 1;
            let (topic, choice) = item.split_once(": ").unwrap_or(("Design", item));
            let _ = writeln!(section, "- D{n} {topic}: {choice} (decided by {person})");
        }
    }
    if let Some(phases) = arch.split("## Phases").nth(1) {
        let count = phases
            .lines()
            .filter(|l| l.starts_with(|c: char| c.is_ascii_digit()))
            .count();
        if count > 0 {
            n += 1;
            let _ = writeln!(
                section,
                "- D{n} Delivery: in {count} phases as listed above, with a go/no-go review between them (decided by {person})"
            );
        }
    }
    (n > 0).then_some(section)
}

/// A proposal from the customer's facts and, when stored, the architecture.
pub fn proposal(customer: &str, facts: &str, arch: Option<(&str, &str)>, person: &str) -> Doc {
    let s = shape(customer, facts);
    let what = work_of(&s, facts);
    let mut out = format!("# Proposal: {} {what}\n\n", s.title);
    let mut sources = customer.to_owned();
    if !s.sources.is_empty() {
        let _ = write!(sources, " ({})", s.sources);
    }
    if let Some((path, text)) = arch {
        let _ = write!(sources, " and {path}");
        let arch_writers = text
            .lines()
            .find_map(|l| l.strip_prefix("Designed by "))
            .and_then(|l| l.split_whitespace().next());
        if let Some(w) = arch_writers {
            let _ = write!(sources, " ({w})");
        }
    }
    let _ = writeln!(out, "Prepared by {person} from {sources}.\n");
    out.push_str("## What you need\n\n");
    for n in notes(facts)
        .iter()
        .filter(|n| n.label().is_none_or(|(l, _)| l != "To do"))
    {
        let _ = writeln!(out, "- {}", n.text);
    }
    out.push_str("\n## What we propose\n\n");
    let (target, plan, decided) = match arch {
        Some((_, text)) => (
            section(text, "## Target"),
            numbered(&section(text, "## Phases")),
            section(text, "## Decisions"),
        ),
        None => (targets(&s), phases(&s), Vec::new()),
    };
    for t in &target {
        let _ = writeln!(out, "- {t}");
    }
    if !decided.is_empty() {
        let _ = writeln!(
            out,
            "\nThe architecture's {} recorded decisions (D1–D{}) are the basis of this scope.",
            decided.len(),
            decided.len()
        );
    }
    let timing = match (&s.timeline, &s.deadline) {
        (Some(t), Some(d)) => format!(" ({t}, done {})", by_date(d)),
        (Some(t), None) => format!(" ({t})"),
        (None, Some(d)) => format!(" (done {})", by_date(d)),
        (None, None) => String::new(),
    };
    let _ = write!(out, "\n## Plan{timing}\n\n");
    let plan = if plan.is_empty() { phases(&s) } else { plan };
    for (i, p) in plan.iter().enumerate() {
        let _ = writeln!(out, "{}. {p}", i + 1);
    }
    out.push_str("\n## Investment\n\n");
    match &s.budget {
        Some(b) => {
            let _ = writeln!(
                out,
                "- Within your budget of {}",
                lower_first(&split_budget(b, s.build.is_some()))
            );
        }
        None => out.push_str("- To be sized with you once the budget is known; we price per phase, so each phase can be approved on its own\n"),
    }
    if let Some(a) = &s.approver {
        let _ = writeln!(out, "- Approval: {a}");
    }
    out.push_str("\n## Risks and how we handle them\n\n");
    for r in risks(&s) {
        let _ = writeln!(out, "- {r}");
    }
    out.push_str(&next_steps(&s));
    Doc {
        intro: format!(
            "I'll combine what the team stored into a proposal for {}.",
            s.title
        ),
        text: out,
    }
}

/// A proposal's closing steps: whom to walk through it with, and how to start.
fn next_steps(s: &Shape) -> String {
    let mut out = String::from("\n## Next steps\n\n");
    let who = s
        .approver
        .as_deref()
        .and_then(|a| a.split(" (").next())
        .filter(|a| a.split_whitespace().count() <= 3)
        .map_or_else(
            || {
                if s.title.to_lowercase().contains("team notes") {
                    "the customer".to_owned()
                } else {
                    s.title.clone()
                }
            },
            str::to_owned,
        );
    let _ = writeln!(
        out,
        "1. Walk through this proposal with {who} and confirm the scope"
    );
    if s.build.is_some() {
        out.push_str("2. Agree the first team and the success measures, and start discovery\n");
    } else {
        out.push_str("2. Agree the pilot and start the foundation phase\n");
    }
    out
}

/// The list items of a Markdown section (`## Target` … up to the next `## `).
fn section(text: &str, heading: &str) -> Vec<String> {
    let Some(body) = text.split(heading).nth(1) else {
        return Vec::new();
    };
    body.lines()
        .skip(1)
        .take_while(|l| !l.starts_with("## "))
        .filter_map(|l| {
            let l = l.trim();
            l.strip_prefix("- ").map(str::to_owned).or_else(|| {
                let (n, rest) = l.split_once(". ")?;
                n.chars()
                    .all(|c| c.is_ascii_digit())
                    .then(|| rest.to_owned())
            })
        })
        .collect()
}

fn numbered(items: &[String]) -> Vec<String> {
    items.to_vec()
}

/// Risks that follow from the facts.
fn risks(s: &Shape) -> Vec<String> {
    let mut out = Vec::new();
    for c in &s.constraints {
        out.push(format!("{}: {}", words::capitalise(c), honour(c)));
    }
    if s.techs.iter().any(|t| t.eq_ignore_ascii_case("oracle")) {
        out.push("Oracle licensing and compatibility: every database is assessed in the pilot, before its wave is planned".to_owned());
    }
    if let (Some((n, unit)), Some(m)) = (&s.apps, s.months) {
        let per_month = n.div_ceil(m.max(1));
        if per_month >= 5 {
            out.push(format!(
                "Pace: about {per_month} {} a month; the pilot measures the real rate and a second team is ready if it is slower",
                plural(unit)
            ));
        }
    }
    if let Some(v) = &s.volume {
        out.push(format!(
            "Moving {v}: the bulk copy starts early so that cutover only syncs the changes"
        ));
    }
    if out.is_empty() {
        out.push(
            "Unknowns from a short discovery: the pilot is sized to surface them early".to_owned(),
        );
    }
    out
}

/// A post-incident review from an incident log.
pub fn incident_review(path: &str, text: &str, person: &str) -> Doc {
    let list = notes(text);
    let title = title_of(path, text);
    let mut out = format!("# Post-incident review: {title}\n\n");
    let by = writers(&list);
    let _ = writeln!(
        out,
        "Written by {person} from {path}{}.\n",
        if by.is_empty() {
            String::new()
        } else {
            format!(" ({by}'s log)")
        }
    );
    let timeline: Vec<&Note> = list.iter().filter(|n| is_clocked(n)).collect();
    out.push_str("## Timeline\n\n");
    if timeline.is_empty() {
        out.push_str("- No times were logged; add them from the monitoring graphs\n");
    }
    for n in &timeline {
        let _ = writeln!(out, "- {}", n.text);
    }
    let impact: Vec<&Note> = list.iter().filter(|n| is_impact(n)).collect();
    out.push_str("\n## Impact\n\n");
    if impact.is_empty() {
        out.push_str("- Not recorded in the log; to be filled in from the dashboards\n");
    }
    for n in &impact {
        let _ = writeln!(out, "- {}", strip_clock(&n.text));
    }
    let well: Vec<&Note> = list.iter().filter(|n| went_well(n)).collect();
    out.push_str("\n## What went well\n\n");
    if well.is_empty() {
        out.push_str("- The log was kept as it happened, so the handover needed no call\n");
    }
    for n in &well {
        let _ = writeln!(out, "- {}", strip_clock(&n.text));
    }
    if list
        .iter()
        .any(|n| n.low().contains("off shift") || n.low().contains("taking over"))
    {
        out.push_str(
            "- The handover went through shared memory: nobody had to be reached off shift\n",
        );
    }
    // "Root cause: expired TLS cert": known, so the action is to stop it recurring.
    let known = list.iter().find_map(|n| {
        let (label, value) = n.label()?;
        (label == "Root cause").then(|| value.trim_end_matches('.').to_owned())
    });
    if let Some(cause) = &known {
        let _ = write!(out, "\n## Root cause\n\n- {}\n", words::capitalise(cause));
    }
    out.push_str("\n## Follow-up actions\n\n");
    let todo: Vec<&Note> = list
        .iter()
        .filter(|n| n.label().is_some_and(|(l, _)| l == "To do"))
        .collect();
    for n in &todo {
        let (_, v) = n.label().unwrap_or(("", &n.text));
        let _ = writeln!(out, "- [ ] {}", words::capitalise(v));
    }
    let cause = list.iter().find(|n| {
        n.low().contains("timing out") || n.low().contains("cause") || n.low().contains("failing")
    });
    match (&known, cause) {
        (Some(k), _) => {
            let _ = writeln!(
                out,
                "- [ ] Stop it recurring ({}): an alert well before it can happen again, and a check in the release pipeline",
                lower_first(k)
            );
        }
        (None, Some(c)) => {
            let _ = writeln!(
                out,
                "- [ ] Find out why: {}",
                lower_first(&strip_clock(&c.text))
            );
        }
        (None, None) => {}
    }
    out.push_str("- [ ] Agree an owner and a date for each action above\n");
    Doc {
        intro: format!("I'll write the review from the log in {path}."),
        text: out,
    }
}

/// A note that says what the incident cost: error rates, failures, extra charges.
fn is_impact(n: &Note) -> bool {
    let low = n.low();
    let recovered = [
        "dropped",
        "recovered",
        "restored",
        "back to normal",
        "back to ",
    ]
    .iter()
    .any(|w| low.contains(w));
    let harm = [
        "%",
        "error",
        "fail",
        "down",
        "timing out",
        "charges",
        "cost",
    ]
    .iter()
    .any(|w| low.contains(w));
    harm && n.label().is_none_or(|(l, _)| l != "To do")
        && !(recovered && !low.contains("jumped") && !low.contains("rose"))
}

/// A note that says what someone did that helped.
fn went_well(n: &Note) -> bool {
    let low = n.low();
    [
        "switched",
        "failover",
        "failed over",
        "restored",
        "recovered",
        "dropped",
        "rolled back",
        "mitigat",
        "fixed",
    ]
    .iter()
    .any(|w| low.contains(w))
}

fn strip_clock(text: &str) -> String {
    clock_prefix(text).map_or_else(|| text.to_owned(), |(t, rest)| format!("{rest} (at {t})"))
}

/// `Inventory.reserve()` for a function in the code (with its class, when there is one).
pub fn place(code: &str, function: &str) -> String {
    let mut class = None;
    for line in code.lines() {
        let t = line.trim_start();
        if let Some(rest) = t.strip_prefix("class ") {
            class = Some(
                rest.chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect::<String>(),
            );
        }
        if t.starts_with(&format!("def {function}(")) || t.contains(&format!("fn {function}(")) {
            break;
        }
    }
    match class {
        Some(c) => format!("{c}.{function}()"),
        None => format!("{function}()"),
    }
}

/// The general pattern, as a memory file: what to look for, why, how to fix; no code.
pub fn pattern_file(place: &str, person: &str) -> String {
    format!(
        "# Thread-safety patterns\n\n\
         ## Check-then-act across a lock release\n\n\
         - Smell: a condition read under a lock (or through a method that takes it), the lock released, then the state changed under a second acquisition\n\
         - Why it breaks: another thread can change the state between the check and the act, so the act runs on a stale answer (oversold stock, limits exceeded)\n\
         - Fix: hold one lock across the check and the act; inside it, call helpers that expect the lock held (a plain lock is not re-entrant)\n\
         - Seen in: {place} (found by {person})\n"
    )
}

/// The answer to a code review.
pub fn code_review(
    code: &str,
    finding: Option<&Finding>,
    pattern: Option<&str>,
    person: &str,
) -> String {
    let _ = person;
    let Some(f) = finding else {
        let mut out = String::from(
            "I read the code for thread-safety problems and found no check-then-act race: every condition that decides a change is read in the same locked section as the change.",
        );
        if let Some(p) = pattern {
            let _ = write!(out, " I checked it against the team's pattern in {p}.");
        }
        return out;
    };
    let at = place(code, &f.function);
    let mut out = String::new();
    if let Some(p) = pattern {
        let _ = write!(
            out,
            "The team's note in {p} describes the check-then-act pattern, and {at} has it.\n\n"
        );
    } else {
        let _ = write!(out, "**Bug: check-then-act race in {at}.**\n\n");
    }
    let via = f.helper.as_deref().map_or_else(String::new, |h| {
        format!(" (through `{h}()`, which takes the lock and lets it go)")
    });
    let _ = write!(
        out,
        "- The check `{}` reads the state{via}.\n- The lock is released, then taken again for `{}`.\n- Between the two, another thread can pass the same check, so both act on a stale answer.\n",
        f.check, f.act
    );
    match &f.fix {
        Some(fix) => {
            let _ = write!(
                out,
                "\n**Fix:** hold the lock across the check and the act{}:\n\n```python\n{fix}\n```\n",
                if f.helper.is_some() {
                    "; the check calls an unlocked twin of the helper, because the lock is not re-entrant"
                } else {
                    ""
                }
            );
        }
        None => out.push_str("\n**Fix:** hold one lock across the check and the act.\n"),
    }
    out
}

/// A reviewers' checklist from the stored patterns.
pub fn checklist(patterns: &[String], reads: &Reads, person: &str) -> Doc {
    let mut out = String::from("# Code review checklist\n\n");
    let _ = writeln!(out, "Compiled by {person} from {}.\n", patterns.join(", "));
    let mut n = 0;
    for p in patterns {
        let Some(text) = reads.text(p) else { continue };
        let mut name = String::new();
        let mut smell = String::new();
        let mut fix = String::new();
        let mut seen = Vec::new();
        let mut flush = |name: &str, smell: &str, fix: &str, seen: &[String], out: &mut String| {
            if smell.is_empty() {
                return;
            }
            n += 1;
            let _ = write!(out, "- [ ] **{name}**: look for {}", lower_first(smell));
            if !fix.is_empty() {
                let _ = write!(out, ". If found: {}", lower_first(fix));
            }
            if !seen.is_empty() {
                let _ = write!(out, " (seen in {})", seen.join(", "));
            }
            out.push('\n');
        };
        for line in text.lines() {
            if let Some(h) = line.strip_prefix("## ") {
                flush(&name, &smell, &fix, &seen, &mut out);
                h.trim().clone_into(&mut name);
                smell.clear();
                fix.clear();
                seen.clear();
            } else if let Some(v) = line.strip_prefix("- Smell: ") {
                v.trim().clone_into(&mut smell);
            } else if let Some(v) = line.strip_prefix("- Fix: ") {
                v.trim().clone_into(&mut fix);
            } else if let Some(v) = line.strip_prefix("- Seen in: ") {
                seen.push(v.split(" (").next().unwrap_or(v).to_owned());
            }
        }
        flush(&name, &smell, &fix, &seen, &mut out);
    }
    if n == 0 {
        out.push_str("- [ ] The stored patterns hold no smells in list form yet\n");
    }
    out.push_str("- [ ] Every shared field: which lock guards it, and is it held for the whole read-modify-write?\n");
    Doc {
        intro: "I'll turn the stored patterns into a checklist.".to_owned(),
        text: out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A new count of the same thing replaces the old line; anything that says more than a
    /// count is added beside it.
    #[test]
    fn a_new_count_of_the_same_thing_replaces_the_old() {
        let current = concat!(
            "# Wayne Enterprises\n\nNotes from the team.\n\n- 40 plants (from Alice)\n",
            "- 3 data centres (from Alice)\n- Budget: 2 million USD (from Alice)\n"
        );
        for (said, replaced) in [
            ("Has 42 plants now", Some("- 40 plants (from Alice)")),
            ("Runs 45 plants", Some("- 40 plants (from Alice)")),
            ("4 data centres", Some("- 3 data centres (from Alice)")),
            (
                "Operates 41 plants in total",
                Some("- 40 plants (from Alice)"),
            ),
            ("Hiring 3 engineers", None),
            ("Wants 12 plants moved to Azure", None),
            ("40 plants", None),
        ] {
            let edit = merge_facts("/memories/w.md", current, &[Note::new(said, Some("Bob"))]);
            let first = edit.calls.first();
            match replaced {
                Some(old) => {
                    let call = first.expect(said);
                    assert_eq!(call["command"], "str_replace", "{said}");
                    assert_eq!(call["old_str"], old, "{said}");
                    assert!(edit.summary.contains("(was: "), "{said}: {}", edit.summary);
                }
                None => assert!(
                    first.is_none_or(|c| c["command"] == "insert"),
                    "{said}: {:?}",
                    edit.calls
                ),
            }
        }
    }

    /// The cloud the facts move to names the landing zone and the managed services, and is
    /// not listed among the systems they run today; the one they leave is.
    #[test]
    fn the_destination_cloud_shapes_the_target() {
        for (facts, has, never) in [
            (
                "- Scope: move patient scheduling to AWS\n- 14 clinics",
                &["one AWS organisation", "AWS landing zone"][..],
                &["Systems: AWS"][..],
            ),
            (
                "- Stack: Oracle 12c + WebLogic\n- Want to be on Azure in 18 months",
                &[
                    "one Azure tenant",
                    "Azure Kubernetes Service (AKS)",
                    "Systems: Oracle, WebLogic\n",
                    "Timeline: 18 months",
                ],
                &["Azure\n"],
            ),
            (
                "- Wants everything on GKE\n- 250 microservices",
                &["250 microservices run in containers on Google Kubernetes Engine (GKE)"],
                &["lift and shift", "Systems: GKE"],
            ),
            (
                "- Moving from AWS to Azure\n- 40 Java services",
                &["one Azure tenant", "Azure Kubernetes Service"],
                &["AWS organisation"],
            ),
            (
                "- Runs a Hadoop cluster (2 PB)",
                &["Data: 2 PB", "Analytics: data moves to object storage"],
                &[],
            ),
            (
                "- 3 factories (UK, Belgium, Brazil)\n- Has ~25 gyms",
                &["the 3 factories connect"][..],
                &[][..],
            ),
            ("- Has ~25 gyms", &["the 25 gyms connect"][..], &[][..]),
            (
                "- Timeline: 18446744073709551615 years\n- 99999999999999999999 apps",
                &["Landing zone"][..],
                &["months 1"][..],
            ),
            (
                "- 50 Java applications on VMware",
                &["one cloud organisation", "a managed Kubernetes service"],
                &[],
            ),
        ] {
            let text = format!("# Globex\n\n{facts}\n");
            let doc = architecture("/memories/globex.md", &text, "John").text;
            for want in has {
                assert!(doc.contains(want), "{facts}: no {want:?} in\n{doc}");
            }
            for bad in never {
                assert!(!doc.contains(bad), "{facts}: {bad:?} in\n{doc}");
            }
        }
    }

    /// "Added 3 more clinics" changes the stored count by that much; a count with no word of
    /// change is no change.
    #[test]
    fn a_change_to_a_count_updates_it() {
        let current =
            "# Umbrella Health\n\n- 14 clinics (from Alice)\n- 1,200 stores (from Alice)\n";
        for (said, line) in [
            ("Added 3 more clinics", Some("- 17 clinics (from John)")),
            ("3 more clinics", Some("- 17 clinics (from John)")),
            (
                "Opened 2 new clinics this month",
                Some("- 16 clinics (from John)"),
            ),
            ("Closed 200 stores", Some("- 1,000 stores (from John)")),
            ("4 fewer clinics", Some("- 10 clinics (from John)")),
            ("Hiring 3 engineers", None),
            ("Added 2 more data centres", None),
        ] {
            let edit = merge_facts("/memories/u.md", current, &[Note::new(said, Some("John"))]);
            let call = edit.calls.first().expect(said);
            match line {
                Some(line) => {
                    assert_eq!(call["command"], "str_replace", "{said}");
                    assert_eq!(call["new_str"], line, "{said}");
                    assert!(edit.summary.contains("(was: "), "{said}: {}", edit.summary);
                }
                None => assert_eq!(call["command"], "insert", "{said}"),
            }
        }
        // A count past what a number holds is added as said, never summed into an overflow.
        let huge = "- 9223372036854775807 clinics (from Alice)\n";
        let edit = merge_facts(
            "/memories/u.md",
            huge,
            &[Note::new("Added 3 more clinics", None)],
        );
        assert_eq!(edit.calls[0]["command"], "insert");
    }

    #[test]
    fn articles_as_said() {
        for (word, want) in [
            ("EU", "an"),
            ("US", "a"),
            ("UK", "a"),
            ("Azure", "an"),
            ("India", "an"),
            ("Germany", "a"),
            ("Switzerland", "a"),
            ("SG", "an"),
        ] {
            assert_eq!(article(word), want, "{word}");
        }
    }

    #[test]
    fn a_note_after_a_view_is_not_the_file() {
        let view = "Here's the content of /memories/a.md with line numbers:\n     1\t# A\n     2\t- x\n(Note: John on vm is editing /memories/a.md right now (lease, 9 s left); a change you make to it is refused until they are done.)";
        assert_eq!(file_text(view), "# A\n- x");
    }
}
