//! The demo model's next answer, decided from the conversation: what the person wants (store
//! facts, ask, an architecture, a proposal, a review, a code review, forget), which files that
//! needs read, and what to write. Every call of a turn plans again from the tool results so
//! far, so a turn is: view `/memories`, view the files that matter, write, then answer.

use serde_json::{Value, json};

use super::code;
use super::compose::{self, Doc, Note};
use super::words::{self, Subject};
use crate::provider::Request;

/// What the demo model answers: text and tool calls, in order.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub blocks: Vec<PlannedBlock>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum PlannedBlock {
    Text(String),
    Tool(Value),
}

/// A tool call of this turn and what came back.
pub(super) struct Done {
    pub input: Value,
    pub result: String,
    pub is_error: bool,
}

/// What the person wants from this message.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Intent {
    Forget,
    CodeReview,
    Decisions,
    Proposal,
    Architecture,
    IncidentReview,
    /// A security review of a design ("Review the Globex architecture for security gaps").
    DesignReview,
    Checklist,
    Ask,
    Remember,
}

/// The work of one turn: files to read, then what to write (in order) and say.
struct Work {
    reads: Vec<String>,
    outcome: Box<dyn Fn(&Reads) -> Outcome>,
}

/// The files read this turn: path -> text.
pub(super) struct Reads {
    files: Vec<(String, String)>,
}

impl Reads {
    pub fn text(&self, path: &str) -> Option<&str> {
        self.files
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, t)| t.as_str())
    }
}

enum Outcome {
    Say(String),
    Write {
        before: String,
        calls: Vec<Value>,
        after: String,
    },
}

/// Decide the next answer from the conversation. The first call of a turn whose message came
/// with memdeck's note about others' changes says it takes them into account (the files that
/// matter are read again anyway, every turn).
pub fn plan(request: &Request) -> Plan {
    let mut plan = plan_turn(request);
    let first_call = request
        .messages
        .last()
        .is_some_and(|m| m["role"] == "user" && person_text(&m["content"]).is_some());
    let changed = told_changes(&request.messages);
    if first_call && !changed.is_empty() {
        let noted = format!(
            "Noted: {} changed since this conversation read {}; I'll go by what {} now.",
            changed.join(", "),
            if changed.len() == 1 { "it" } else { "them" },
            if changed.len() == 1 {
                "it says"
            } else {
                "they say"
            },
        );
        match plan.blocks.first_mut() {
            Some(PlannedBlock::Text(text)) => *text = format!("{noted}\n\n{text}"),
            _ => plan.blocks.insert(0, PlannedBlock::Text(noted)),
        }
    }
    plan
}

fn plan_turn(request: &Request) -> Plan {
    let person = person_name(&request.system);
    let (prompt, done, earlier) = current_turn(&request.messages);
    if let Some(plan) = super::board::plan(request, &person, &prompt, &done, &earlier) {
        return plan;
    }
    match carry_out(request, &prompt, &person, &done, &earlier) {
        Step::Next(plan) => plan,
        Step::Finished { text, .. } => Plan {
            blocks: vec![PlannedBlock::Text(text)],
        },
    }
}

/// Where the work a message asks for stands.
pub(super) enum Step {
    /// The next call (or a final answer that ends the work unfinished).
    Next(Plan),
    /// Done: what to say, the files written (in order), and whether the message only asked
    /// for an answer (so nothing written is no failure).
    Finished {
        text: String,
        wrote: Vec<String>,
        answer: bool,
    },
}

/// The work `prompt` asks for, from the calls made so far: look at memory, read what matters,
/// write, then say what was done. The task board's files are not customer memory: they are left
/// out of what the work reads.
pub(super) fn carry_out(
    request: &Request,
    prompt: &str,
    person: &str,
    done: &[Done],
    earlier: &[String],
) -> Step {
    let listing = viewed(done, "/memories");
    let files = match (listing, indexed_files(request)) {
        (Some(listing), _) => listed_files(&listing.result),
        // The index in the prompt lists every file: no need to look at the directory.
        (None, Some(files)) => files,
        (None, None) => {
            return Step::Next(Plan {
                blocks: vec![
                    PlannedBlock::Text("Let me check our shared memory first.".to_owned()),
                    PlannedBlock::Tool(json!({"command": "view", "path": "/memories"})),
                ],
            });
        }
    };
    let files: Vec<String> = files
        .into_iter()
        .filter(|f| !f.starts_with(crate::memory::board::DIR))
        .collect();
    let from_index = listing.is_none();
    let ctx = Context::new(prompt, person, files, earlier);
    let work = ctx.work();
    // The index is as of the turn's start: another tab may be writing what this message asks
    // about right now. Finding nothing to read, a careful model looks at the directory itself.
    if from_index && work.reads.is_empty() && !matches!(ctx.intent, Intent::Remember) {
        return Step::Next(Plan {
            blocks: vec![
                PlannedBlock::Text(
                    "The memory index has nothing for this yet; let me look at the shared \
                     memory itself."
                        .to_owned(),
                ),
                PlannedBlock::Tool(json!({"command": "view", "path": "/memories"})),
            ],
        });
    }
    // Read what is needed, one file per call, as a careful model would.
    for path in &work.reads {
        if viewed(done, path).is_none() {
            return Step::Next(Plan {
                blocks: vec![PlannedBlock::Tool(json!({"command": "view", "path": path}))],
            });
        }
    }
    let reads = Reads {
        files: work
            .reads
            .iter()
            .filter_map(|p| {
                viewed(done, p)
                    .filter(|d| !d.is_error)
                    .map(|d| (p.clone(), compose::file_text(&d.result)))
            })
            .collect(),
    };
    match (work.outcome)(&reads) {
        Outcome::Say(text) => Step::Finished {
            text,
            wrote: Vec::new(),
            answer: matches!(ctx.intent, Intent::Ask),
        },
        Outcome::Write {
            before,
            calls,
            after,
        } => {
            for (i, call) in calls.iter().enumerate() {
                match done.iter().find(|d| d.input == *call) {
                    Some(d) if d.is_error => {
                        return Step::Next(Plan {
                            blocks: vec![PlannedBlock::Text(format!(
                                "I could not save that: {}\nNothing else was changed; tell me \
                                 and I will try again.",
                                d.result.trim()
                            ))],
                        });
                    }
                    Some(_) => {}
                    None => {
                        let mut blocks = Vec::new();
                        if i == 0 && !before.is_empty() {
                            blocks.push(PlannedBlock::Text(before));
                        }
                        blocks.push(PlannedBlock::Tool(call.clone()));
                        return Step::Next(Plan { blocks });
                    }
                }
            }
            Step::Finished {
                text: after,
                wrote: written_paths(&calls),
                answer: false,
            }
        }
    }
}

/// The view of `path` made this turn, if any.
pub(super) fn viewed<'d>(done: &'d [Done], path: &str) -> Option<&'d Done> {
    done.iter()
        .find(|d| d.input["command"] == "view" && d.input["path"] == path)
}

/// The files `calls` write, each once, in order.
fn written_paths(calls: &[Value]) -> Vec<String> {
    let mut wrote: Vec<String> = Vec::new();
    for call in calls {
        if let Some(path) = call["path"].as_str().or(call["new_path"].as_str())
            && !wrote.iter().any(|w| w == path)
        {
            wrote.push(path.to_owned());
        }
    }
    wrote
}

/// The person named in our system prompt ("… talking with Alice (Discovery). …").
pub(super) fn person_name(system: &str) -> String {
    system
        .split_once("talking with ")
        .and_then(|(_, rest)| rest.split(['(', ',', '.']).next())
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map_or_else(|| "the user".to_owned(), str::to_owned)
}

/// The text of the last plain user message, the tool calls made since, and the paths this
/// conversation wrote in earlier turns (oldest first).
pub(super) fn current_turn(messages: &[Value]) -> (String, Vec<Done>, Vec<String>) {
    let start = messages
        .iter()
        .rposition(|m| m["role"] == "user" && person_text(&m["content"]).is_some())
        .unwrap_or(0);
    let prompt = messages
        .get(start)
        .and_then(|m| person_text(&m["content"]))
        .unwrap_or_default();
    let mut earlier = Vec::new();
    for m in &messages[..start.min(messages.len())] {
        for block in m["content"].as_array().into_iter().flatten() {
            let command = block["input"]["command"].as_str().unwrap_or_default();
            if block["type"] == "tool_use"
                && matches!(command, "create" | "insert" | "str_replace")
                && let Some(path) = block["input"]["path"].as_str()
            {
                earlier.retain(|p| p != path);
                earlier.push(path.to_owned());
            }
        }
    }
    let mut done = Vec::new();
    for pair in messages[start.min(messages.len())..].windows(2) {
        let (asked, answered) = (&pair[0], &pair[1]);
        if asked["role"] != "assistant" {
            continue;
        }
        for block in asked["content"].as_array().into_iter().flatten() {
            if block["type"] != "tool_use" {
                continue;
            }
            let result = answered["content"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|r| r["tool_use_id"] == block["id"]);
            if let Some(r) = result {
                done.push(Done {
                    input: block["input"].clone(),
                    result: result_text(&r["content"]),
                    is_error: r["is_error"] == true,
                });
            }
        }
    }
    (prompt, done, earlier)
}

/// What the person wrote in a user message: its text, or its text blocks without memdeck's
/// notes; `None` for a message of tool results.
fn person_text(content: &Value) -> Option<String> {
    match content {
        Value::String(text) => Some(text.clone()),
        Value::Array(blocks) if blocks.iter().all(|b| b["type"] == "text") => Some(
            blocks
                .iter()
                .filter_map(|b| b["text"].as_str())
                .filter(|t| !t.starts_with(NOTE))
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        _ => None,
    }
}

/// How memdeck's notes to the model begin.
const NOTE: &str = "(memdeck: ";

/// The paths memdeck's note in the turn's message says others changed.
fn told_changes(messages: &[Value]) -> Vec<String> {
    let Some(message) = messages
        .iter()
        .rev()
        .find(|m| m["role"] == "user" && person_text(&m["content"]).is_some())
    else {
        return Vec::new();
    };
    message["content"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|b| b["text"].as_str())
        .filter(|t| t.starts_with(NOTE) && t.contains("were changed by others"))
        .flat_map(|t| t.split_whitespace().filter(|w| w.starts_with("/memories/")))
        .map(|w| w.trim_end_matches(['.', ';', ',', ')']).to_owned())
        .collect()
}

/// A tool result's text (a string, or text blocks).
fn result_text(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(blocks) => blocks
            .iter()
            .filter_map(|b| b["text"].as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

/// The files of the memory index in the request, in the listing's order (depth-first by name),
/// when it lists every file of the store.
fn indexed_files(request: &Request) -> Option<Vec<String>> {
    let (mut files, complete) =
        crate::memory::index::parse_paths(request.memory_index.as_deref()?)?;
    files.sort_by(|a, b| a.split('/').cmp(b.split('/')));
    complete.then_some(files)
}

/// Files (not directories) in a `view /memories` listing.
fn listed_files(listing: &str) -> Vec<String> {
    listing
        .lines()
        .skip(2)
        .filter_map(|l| l.split_once('\t').map(|(_, p)| p.to_owned()))
        .filter(|p| !p.ends_with('/'))
        .collect()
}

/// What kind of file a path is, by its name.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Kind {
    /// Facts about a customer or topic.
    Facts,
    Architecture,
    Proposal,
    Review,
    Pattern,
    Checklist,
}

pub(super) fn kind(path: &str) -> Kind {
    let stem = stem(path);
    if path.starts_with("/memories/patterns/") || stem.contains("pattern") {
        Kind::Pattern
    } else if stem.ends_with("_architecture") || stem == "architecture" {
        Kind::Architecture
    } else if stem.ends_with("_proposal") || stem == "proposal" {
        Kind::Proposal
    } else if stem.ends_with("_review") {
        Kind::Review
    } else if stem.contains("checklist") {
        Kind::Checklist
    } else {
        Kind::Facts
    }
}

/// `/memories/acme_corp_architecture.md` -> `acme_corp_architecture`.
pub(super) fn stem(path: &str) -> &str {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.strip_suffix(".md")
        .or_else(|| name.strip_suffix(".txt"))
        .unwrap_or(name)
}

/// The subject part of a file's stem: `acme_corp_architecture` -> `acme_corp`.
pub(super) fn base_of(path: &str) -> &str {
    let s = stem(path);
    for suffix in ["_architecture", "_proposal", "_security_review", "_review"] {
        if let Some(b) = s.strip_suffix(suffix) {
            return b;
        }
    }
    s
}

/// Everything known about the turn.
struct Context {
    person: String,
    author: String,
    company: Option<String>,
    prose: String,
    lower: String,
    code: Vec<words::Code>,
    subject: Option<Subject>,
    /// Who speaks (and for which company), from the message's words.
    speaker: words::Speaker,
    files: Vec<String>,
    /// Facts files this conversation wrote before (most recent last).
    earlier: Vec<String>,
    intent: Intent,
}

impl Context {
    fn new(prompt: &str, person: &str, files: Vec<String>, earlier: &[String]) -> Self {
        let mut parts = words::split_code(prompt);
        let lower = parts.prose.to_lowercase();
        let review = reviews_code(&lower, &parts.code);
        if !review {
            // Code that is not there to be reviewed (a command to run, a snippet to keep) is
            // part of what the message says.
            parts.prose = with_inline_code(&parts.prose, &parts.code);
        }
        // Who speaks and whom it is about come from the words, never from code (`-U app`
        // named a file "u").
        let words_only = without_inline_code(&parts.prose);
        let speaker = words::speaker(&words_only);
        let subject = match words::subject(&words_only, &speaker, person) {
            found @ Some(Subject::Customer(_)) => found,
            other => words::known_party(&words_only, &files).or(other),
        };
        let lower = parts.prose.to_lowercase();
        let intent = intent(&lower, review);
        Self {
            person: person.to_owned(),
            author: speaker.name.clone().unwrap_or_else(|| person.to_owned()),
            company: speaker.company.clone(),
            prose: parts.prose,
            lower,
            code: parts.code,
            subject,
            speaker,
            files,
            earlier: earlier.to_vec(),
            intent,
        }
    }

    /// The facts file the message is about: the customer it names, else the file this
    /// conversation has been writing (a named topic only when it has a file or nothing else
    /// was written), else the only facts file memory holds when the message says "they".
    /// The stored files of one kind, in listing order.
    fn files_of(&self, wanted: Kind) -> impl Iterator<Item = &String> {
        self.files.iter().filter(move |f| kind(f) == wanted)
    }

    /// The facts file memory holds for `subject`, or (`Err`) the one a first fact would start.
    fn file_for(&self, subject: &Subject) -> Result<String, String> {
        let facts: Vec<&String> = self.files_of(Kind::Facts).collect();
        let slug = words::slug(subject.title());
        facts
            .iter()
            .find(|f| stem(f) == slug)
            .or_else(|| {
                facts
                    .iter()
                    .find(|f| words::same_name(stem(f), subject.title()))
            })
            .or_else(|| {
                // "Nakatomi" for nakatomi_trading.md, when only one file starts so.
                let key = words::name_key(subject.title());
                let mut starting = facts.iter().filter(|f| {
                    let file_key = words::name_key(stem(f));
                    file_key.len() > key.len() && file_key.starts_with(&key)
                });
                match (starting.next(), starting.next()) {
                    (Some(one), None) => Some(one),
                    _ => None,
                }
            })
            .map(|f| (*f).clone())
            .ok_or_else(|| format!("/memories/{slug}.md"))
    }

    fn facts_file(&self) -> Option<String> {
        let facts: Vec<&String> = self.files_of(Kind::Facts).collect();
        let named = |subject: &Subject| self.file_for(subject);
        let continued = self
            .earlier
            .iter()
            .rev()
            .map(|p| format!("/memories/{}.md", base_of(p)))
            .find(|p| self.files.contains(p));
        match &self.subject {
            Some(s @ Subject::Customer(_)) => Some(named(s).unwrap_or_else(|new| new)),
            Some(s @ Subject::Topic(_)) => match (named(s), continued) {
                (Ok(file), _) | (Err(_), Some(file)) => Some(file),
                (Err(new), None) => Some(new),
            },
            None => continued.or_else(|| {
                // "their budget …", "Actually the deadline is Q4": about the one customer
                // memory holds.
                let refers = [
                    "they",
                    "their",
                    "them",
                    "the customer",
                    "the client",
                    "it ",
                    "the budget",
                    "the deadline",
                    "the timeline",
                    "the go-live",
                    "the contact",
                    "the sponsor",
                    "the scope",
                ]
                .iter()
                .any(|w| self.lower.contains(w));
                match facts.as_slice() {
                    [one] if refers => Some((*one).clone()),
                    _ => None,
                }
            }),
        }
    }

    /// The facts files of every customer the message names ("Compare Umbrella and Initech",
    /// "Globex's and Initech's budgets"), in the order named.
    fn named_files(&self) -> Vec<String> {
        let mut parts: Vec<String> = Vec::new();
        for s in words::subjects(&self.prose, &self.speaker, &self.person) {
            if let Subject::Customer(name) = s {
                // Two names joined by "and" read as one run of capitals.
                parts.extend(name.split(" and ").map(str::to_owned));
            }
        }
        let mut out: Vec<String> = Vec::new();
        for part in parts {
            if let Ok(file) = self.file_for(&Subject::Customer(part))
                && self.files.contains(&file)
                && !out.contains(&file)
            {
                out.push(file);
            }
        }
        out
    }

    /// Facts files that fit the message, most relevant first.
    fn relevant(&self) -> Vec<String> {
        let mut chosen: Vec<String> = Vec::new();
        if let Some(file) = self.facts_file().filter(|f| self.files.contains(f)) {
            let base = base_of(&file).to_owned();
            chosen.push(file);
            for f in &self.files {
                if base_of(f) == base && !chosen.contains(f) {
                    chosen.push(f.clone());
                }
            }
            return chosen;
        }
        if self.subject.is_some() && matches!(self.subject, Some(Subject::Customer(_))) {
            // A named customer that memory does not hold: nothing fits, unless the name is two
            // customers it holds ("Umbrella and Initech").
            return self.named_files();
        }
        let asked = words::tokens(&self.lower);
        let stemmed = |w: &str| w.trim_end_matches('s').to_owned();
        let asked: Vec<String> = asked.iter().map(|w| stemmed(w)).collect();
        let mut scored: Vec<(usize, &String)> = self
            .files
            .iter()
            .map(|f| {
                let hits = stem(f)
                    .split(['_', '-', '.'])
                    .filter(|w| w.len() > 2)
                    .filter(|w| asked.contains(&stemmed(w)))
                    .count();
                (hits, f)
            })
            .filter(|(hits, _)| *hits > 0)
            .collect();
        scored.sort_by_key(|(hits, _)| std::cmp::Reverse(*hits));
        chosen.extend(scored.into_iter().map(|(_, f)| f.clone()));
        chosen
    }

    /// The customer a proposal or architecture is for when the message names none: the
    /// only one in memory, or the one with an architecture.
    fn only_customer(&self) -> Result<String, Vec<String>> {
        let customers: Vec<&String> = self
            .files_of(Kind::Facts)
            .filter(|f| !f.starts_with("/memories/patterns/"))
            .collect();
        if let [one] = customers.as_slice() {
            return Ok((*one).clone());
        }
        let with_architecture: Vec<&&String> = customers
            .iter()
            .filter(|c| {
                self.files
                    .iter()
                    .any(|f| kind(f) == Kind::Architecture && base_of(f) == base_of(c))
            })
            .collect();
        if let [one] = with_architecture.as_slice() {
            return Ok((**one).clone());
        }
        Err(customers.into_iter().cloned().collect())
    }

    /// `reads`, then each of `more` that memory holds (a document to replace, the
    /// architecture a proposal cites).
    fn and_existing(&self, mut reads: Vec<String>, more: &[&String]) -> Vec<String> {
        reads.extend(
            more.iter()
                .filter(|p| self.files.contains(p))
                .map(|p| (*p).clone()),
        );
        reads
    }

    /// A turn that writes one document to `target`: read `reads` (and `target` when memory
    /// holds it, to replace it), then `make` composes, from what was read, the document and
    /// what the answer says before and after it.
    fn document(
        &self,
        reads: Vec<String>,
        target: String,
        make: impl Fn(&Reads) -> (Doc, String, String) + 'static,
    ) -> Work {
        Work {
            reads: self.and_existing(reads, &[&target]),
            outcome: Box::new(move |r| {
                let (doc, lead, after) = make(r);
                write_doc(&target, r.text(&target), &doc, &lead, &after)
            }),
        }
    }

    fn work(&self) -> Work {
        match self.intent {
            Intent::Forget => self.forget(),
            Intent::CodeReview => self.code_review(),
            Intent::Decisions => self.decisions(),
            Intent::Proposal => self.proposal(),
            Intent::Architecture => self.architecture(),
            Intent::IncidentReview => self.incident_review(),
            Intent::DesignReview => self.design_review(),
            Intent::Checklist => self.checklist(),
            Intent::Ask => self.ask(),
            Intent::Remember => self.remember(),
        }
    }

    /// The customers a message tells about, each with the sentences that are about it, when
    /// it names two or more ("Globex signed. Initech pushed to 2028."): a sentence naming no
    /// one goes with the one before it; what comes before the first name ("Two updates:") is
    /// left out. Empty for a message about one party.
    fn parties(&self) -> Vec<(Subject, String)> {
        let mut groups: Vec<(Subject, String)> = Vec::new();
        let mut current: Vec<usize> = Vec::new();
        for sentence in words::sentences(&self.prose) {
            let found =
                words::subject(&without_inline_code(&sentence), &self.speaker, &self.person);
            // A sentence starts a party's part only when it opens with the name ("Initech
            // pushed …"); a name further in ("… with Azure") is what the party does.
            let opens = |name: &str| {
                let low = sentence.to_lowercase();
                // After a short head ("Two updates: Globex signed …").
                let low = match low.split_once(": ") {
                    Some((head, rest)) if head.split_whitespace().count() <= 3 => rest,
                    _ => low.as_str(),
                };
                let low = [
                    "and ",
                    "also ",
                    "fyi ",
                    "plus ",
                    "meanwhile, ",
                    "meanwhile ",
                ]
                .iter()
                .find_map(|w| low.strip_prefix(w))
                .unwrap_or(low);
                low.starts_with(&name.to_lowercase())
            };
            if let Some(Subject::Customer(name)) = found.filter(|s| opens(s.title())) {
                current.clear();
                for part in self.joint(&sentence, &name) {
                    let at = groups
                        .iter()
                        .position(|(s, _)| words::same_name(s.title(), &part));
                    current.push(at.unwrap_or_else(|| {
                        groups.push((Subject::Customer(part), String::new()));
                        groups.len() - 1
                    }));
                }
            }
            for &i in &current {
                groups[i].1.push_str(&sentence);
                groups[i].1.push(' ');
            }
        }
        if groups.len() < 2 { Vec::new() } else { groups }
    }

    /// "Globex and Initech both want SSO": two customers when the sentence says so (both,
    /// each, all) or memory holds a file for each; else one name ("Marks and Spencer").
    fn joint(&self, sentence: &str, name: &str) -> Vec<String> {
        let parts: Vec<String> = name.split(" and ").map(str::to_owned).collect();
        if parts.len() < 2 {
            return parts;
        }
        let low = sentence.to_lowercase();
        let name_low = name.to_lowercase();
        let after = low
            .find(&name_low)
            .map(|at| &low[at + name_low.len()..])
            .and_then(|rest| rest.split_whitespace().next())
            .map(words::core);
        let said = matches!(after, Some("both" | "each" | "all"));
        let held = parts.iter().all(|p| {
            self.file_for(&Subject::Customer(p.clone()))
                .is_ok_and(|f| self.files.contains(&f))
        });
        if said || held {
            parts
        } else {
            vec![name.to_owned()]
        }
    }

    /// A message about several customers: each one's facts in its own file, in one turn.
    fn remember_many(&self, parties: Vec<(Subject, String)>) -> Work {
        let author = self.author.clone();
        let mut plans: Vec<(String, bool, String, Vec<Note>)> = Vec::new();
        for (subject, prose) in parties {
            let title = words::capitalise(subject.title());
            let facts = super::facts::facts(&prose, &author, self.company.as_deref(), Some(&title));
            if facts.is_empty() {
                continue;
            }
            let notes: Vec<Note> = facts.iter().map(|f| Note::new(f, Some(&author))).collect();
            let (path, exists) = match self.file_for(&subject) {
                Ok(path) => (path, true),
                Err(path) => (path, false),
            };
            plans.push((path, exists, title, notes));
        }
        if plans.is_empty() {
            // Names, but nothing said about any of them: as for a message with no facts.
            return self.greeting();
        }
        let reads: Vec<String> = plans
            .iter()
            .filter(|(_, exists, _, _)| *exists)
            .map(|(path, _, _, _)| path.clone())
            .collect();
        let count = plans.len();
        Work {
            reads,
            outcome: Box::new(move |reads| {
                let mut calls = Vec::new();
                let mut said = Vec::new();
                for (path, exists, title, notes) in &plans {
                    if *exists {
                        let current = reads.text(path).unwrap_or_default();
                        let edit = compose::merge_facts(path, current, notes);
                        if edit.calls.is_empty() {
                            said.push(format!("{path} already holds all of that."));
                        } else {
                            calls.extend(edit.calls);
                            said.push(format!("Updated {path}:\n\n{}", edit.summary));
                        }
                    } else {
                        let text = compose::facts_file(title, "Notes from the team.", notes);
                        calls.push(json!({"command": "create", "path": path, "file_text": text}));
                        said.push(format!("Saved to {path}:\n\n{}", compose::bullets(notes)));
                    }
                }
                if calls.is_empty() {
                    return Outcome::Say(said.join("\n\n"));
                }
                Outcome::Write {
                    before: format!(
                        "This is about {count} customers; each one's facts go in its own file."
                    ),
                    calls,
                    after: format!("For the whole team:\n\n{}", said.join("\n\n")),
                }
            }),
        }
    }

    /// The answer to a message that holds no fact to keep.
    fn greeting(&self) -> Work {
        say(format!(
            "Hello {}! Tell me about the customer or the work, and I'll keep the facts in our \
             shared memory for the team.",
            self.author
        ))
    }

    fn remember(&self) -> Work {
        let parties = self.parties();
        if !parties.is_empty() {
            return self.remember_many(parties);
        }
        if let Some(verb) = command_word(&self.lower) {
            // "Sam, send the deck to Globex": a request for work, not a fact to keep.
            return say(format!(
                "I can't {verb} that here. From what memory holds I can design an architecture \
                 (\"Design the architecture for Globex\"), write a proposal or a one-pager \
                 (\"Write the proposal for Globex\"), review an incident or code, answer \
                 questions, or keep new facts for the team."
            ));
        }
        let file = self.facts_file();
        let subject = self.subject.as_ref().map(Subject::title);
        let facts =
            super::facts::facts(&self.prose, &self.author, self.company.as_deref(), subject);
        if facts.is_empty() {
            return self.greeting();
        }
        let path = file.unwrap_or_else(|| "/memories/team_notes.md".to_owned());
        let author = self.author.clone();
        let notes: Vec<Note> = facts.iter().map(|f| Note::new(f, Some(&author))).collect();
        if !self.files.contains(&path) {
            let title = self
                .subject
                .as_ref()
                .map_or_else(|| "Team notes".to_owned(), |s| words::capitalise(s.title()));
            let customer = matches!(self.subject, Some(Subject::Customer(_)));
            let about = match &self.subject {
                Some(Subject::Topic(t)) => format!("the {t}"),
                _ => title.clone(),
            };
            let intro = match (&self.company, customer) {
                (Some(us), true) => format!("Customer of {us}. "),
                _ => String::new(),
            };
            let text = compose::facts_file(&title, &format!("{intro}Notes from the team."), &notes);
            let list = compose::bullets(&notes);
            return Work {
                reads: Vec::new(),
                outcome: Box::new(move |_| Outcome::Write {
                    before: format!("Nothing on {about} in memory yet; I'll create {path}."),
                    calls: vec![json!({"command": "create", "path": path, "file_text": text})],
                    after: format!("Saved to {path} for the whole team:\n\n{list}"),
                }),
            };
        }
        let read = path.clone();
        Work {
            reads: vec![path],
            outcome: Box::new(move |reads| {
                let current = reads.text(&read).unwrap_or_default();
                let edit = compose::merge_facts(&read, current, &notes);
                if edit.calls.is_empty() {
                    return Outcome::Say(format!(
                        "{read} already holds all of that; nothing to add."
                    ));
                }
                Outcome::Write {
                    before: format!("{read} exists; I'll add to it rather than start a new file."),
                    calls: edit.calls,
                    after: format!("Updated {read} for the whole team:\n\n{}", edit.summary),
                }
            }),
        }
    }

    fn ask(&self) -> Work {
        let mut reads = self.relevant();
        // A question about several customers reads each one's file.
        let named = self.named_files();
        if named.len() > 1 {
            for file in named {
                if !reads.contains(&file) {
                    reads.push(file);
                }
            }
        }
        if reads.is_empty() && !matches!(self.subject, Some(Subject::Customer(_))) {
            // A general question ("what do we know?"): every facts file, then the rest.
            let mut all: Vec<String> = self.files_of(Kind::Facts).cloned().collect();
            all.extend(
                self.files
                    .iter()
                    .filter(|f| kind(f) != Kind::Facts)
                    .cloned(),
            );
            reads = all;
        }
        // "What did Sam propose?", "what's in John's design?": that document, when it exists.
        let asked_doc = if ["gap", "review", "finding"]
            .iter()
            .any(|w| self.lower.contains(w))
        {
            Some(Kind::Review)
        } else if ["propos", "offer", "one-pager"]
            .iter()
            .any(|w| self.lower.contains(w))
        {
            Some(Kind::Proposal)
        } else if ["design", "architect"]
            .iter()
            .any(|w| self.lower.contains(w))
        {
            Some(Kind::Architecture)
        } else {
            None
        };
        if let Some(doc) = asked_doc
            && reads.iter().any(|f| kind(f) == doc)
        {
            reads.retain(|f| kind(f) == doc);
        }
        reads.truncate(4);
        if reads.is_empty() {
            let what = self
                .subject
                .as_ref()
                .map_or_else(|| "that".to_owned(), |s| s.title().to_owned());
            return say(format!(
                "Our shared memory has nothing on {what} yet. Tell me the facts and I'll save \
                 them for the team."
            ));
        }
        let lower = self.lower.clone();
        let files = reads.clone();
        Work {
            reads,
            outcome: Box::new(move |r| Outcome::Say(compose::answer(&lower, &files, r))),
        }
    }

    /// The customer's facts file for an architecture or proposal, or what to say instead.
    fn customer_file(&self) -> Result<String, String> {
        if let Some(file) = self.facts_file() {
            if self.files.contains(&file) {
                return Ok(file);
            }
            let who = self
                .subject
                .as_ref()
                .map_or_else(|| stem(&file).to_owned(), |s| s.title().to_owned());
            return Err(format!(
                "Our shared memory has nothing on {who} yet, so I have nothing to build on. \
                 Ask whoever met them (Alice, in the demo team) to tell me the requirements \
                 first."
            ));
        }
        match self.only_customer() {
            Ok(file) => Ok(file),
            Err(many) if many.is_empty() => Err(
                "Our shared memory holds no customer requirements yet. Tell me about the \
                 customer first (who they are, budget, timeline, systems), and I'll save them."
                    .to_owned(),
            ),
            Err(many) => Err(format!(
                "Memory holds several customers ({}). Which one is this for?",
                many.iter()
                    .map(|f| stem(f).to_owned())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }

    fn architecture(&self) -> Work {
        let customer = match self.customer_file() {
            Ok(file) => file,
            Err(text) => return say(text),
        };
        let target = format!("/memories/{}_architecture.md", base_of(&customer));
        let person = self.person.clone();
        let said_target = target.clone();
        self.document(vec![customer.clone()], target, move |r| {
            let facts = r.text(&customer).unwrap_or_default();
            (
                compose::architecture(&customer, facts, &person),
                compose::quoted(&customer, facts),
                format!(
                    "Here is the architecture, built from {customer}; I saved it as {said_target} so Sam can cite it."
                ),
            )
        })
    }

    fn decisions(&self) -> Work {
        let arch = self
            .earlier
            .iter()
            .rev()
            .find(|p| kind(p) == Kind::Architecture && self.files.contains(p))
            .cloned()
            .or_else(|| {
                let customer = self.customer_file().ok()?;
                let target = format!("/memories/{}_architecture.md", base_of(&customer));
                self.files.contains(&target).then_some(target)
            });
        let Some(arch) = arch else {
            // No architecture yet: design one, decisions included.
            return self.architecture();
        };
        let person = self.person.clone();
        let read = arch.clone();
        Work {
            reads: vec![arch],
            outcome: Box::new(move |r| {
                let current = r.text(&read).unwrap_or_default();
                match compose::decisions(current, &person) {
                    None => Outcome::Say(format!(
                        "The decisions are already recorded in {read}; nothing to add."
                    )),
                    Some(section) => {
                        let line = compose::line_count(current);
                        Outcome::Write {
                            before: format!(
                                "I'll record the decisions in {read}, where the proposal will look."
                            ),
                            calls: vec![
                                json!({"command": "insert", "path": read, "insert_line": line, "insert_text": section}),
                            ],
                            after: format!("Recorded in {read}:\n\n{}", section.trim()),
                        }
                    }
                }
            }),
        }
    }

    fn proposal(&self) -> Work {
        let customer = match self.customer_file() {
            Ok(file) => file,
            Err(text) => return say(text),
        };
        let base = base_of(&customer).to_owned();
        let arch = format!("/memories/{base}_architecture.md");
        let target = format!("/memories/{base}_proposal.md");
        let reads = self.and_existing(vec![customer.clone()], &[&arch]);
        let person = self.person.clone();
        let said_target = target.clone();
        self.document(reads, target, move |r| {
            let doc = compose::proposal(
                &customer,
                r.text(&customer).unwrap_or_default(),
                r.text(&arch).map(|t| (arch.as_str(), t)),
                &person,
            );
            let sources = if r.text(&arch).is_some() {
                format!("{customer} and {arch}")
            } else {
                format!(
                    "{customer} (no architecture is stored yet, so the solution follows \
                     from the requirements alone)"
                )
            };
            let after = format!("The proposal draws on {sources}; I saved it as {said_target}.");
            (doc, String::new(), after)
        })
    }

    fn incident_review(&self) -> Work {
        let mut reads: Vec<String> = self
            .relevant()
            .into_iter()
            .filter(|f| kind(f) == Kind::Facts)
            .collect();
        if reads.is_empty() {
            reads = self
                .files_of(Kind::Facts)
                .filter(|f| stem(f).contains("incident"))
                .cloned()
                .collect();
        }
        let Some(log) = reads.first().cloned() else {
            return say(
                "Our shared memory holds no incident notes to review. Tell me what happened \
                 (times, impact, what was done) and I'll keep the log."
                    .to_owned(),
            );
        };
        let target = format!("/memories/{}_review.md", base_of(&log));
        let person = self.person.clone();
        let after = format!("Written from the log in {log}; saved as {target}.");
        self.document(vec![log.clone()], target, move |r| {
            let doc = compose::incident_review(&log, r.text(&log).unwrap_or_default(), &person);
            (doc, String::new(), after.clone())
        })
    }

    fn design_review(&self) -> Work {
        let customer = match self.customer_file() {
            Ok(file) => file,
            Err(text) => return say(text),
        };
        let base = base_of(&customer).to_owned();
        let design = [
            format!("/memories/{base}_architecture.md"),
            format!("/memories/{base}_proposal.md"),
        ]
        .into_iter()
        .find(|f| self.files.contains(f));
        let Some(design) = design else {
            let who = self
                .subject
                .as_ref()
                .map_or_else(|| stem(&customer).to_owned(), |s| s.title().to_owned());
            return say(format!(
                "There is no architecture for {who} in memory yet to review; ask John to design \
                 one first."
            ));
        };
        let target = format!("/memories/{base}_security_review.md");
        let person = self.person.clone();
        let after = format!("Reviewed {design}; I saved the review as {target} for the team.");
        self.document(vec![customer.clone(), design.clone()], target, move |r| {
            let doc = super::review::design_review(
                &design,
                r.text(&design).unwrap_or_default(),
                &customer,
                r.text(&customer).unwrap_or_default(),
                &person,
            );
            (doc, String::new(), after.clone())
        })
    }

    fn checklist(&self) -> Work {
        let patterns: Vec<String> = self.files_of(Kind::Pattern).cloned().collect();
        if patterns.is_empty() {
            return say(
                "The team has stored no review patterns yet. Review some code with me first, \
                 and I'll store what we learn."
                    .to_owned(),
            );
        }
        let target = "/memories/review_checklist.md".to_owned();
        let person = self.person.clone();
        let after = format!("Built from {}; saved as {target}.", patterns.join(", "));
        self.document(patterns.clone(), target, move |r| {
            let doc = compose::checklist(&patterns, r, &person);
            (doc, String::new(), after.clone())
        })
    }

    fn code_review(&self) -> Work {
        let patterns: Vec<String> = self.files_of(Kind::Pattern).cloned().collect();
        let code = self.code.first().map(|c| (c.text.clone(), c.lang.clone()));
        let person = self.person.clone();
        let target = "/memories/patterns/thread_safety.md".to_owned();
        let target_taken = self.files.contains(&target);
        Work {
            reads: patterns.clone(),
            outcome: Box::new(move |r| {
                let Some((text, lang)) = &code else {
                    return Outcome::Say("There is no code in the message to review.".to_owned());
                };
                let finding = code::review(text, lang);
                let stored = patterns.iter().find_map(|p| {
                    r.text(p)
                        .filter(|t| t.contains("heck-then-act"))
                        .map(|t| (p.clone(), t.to_owned()))
                });
                let review = compose::code_review(
                    text,
                    finding.as_ref(),
                    stored.as_ref().map(|(p, _)| p.as_str()),
                    &person,
                );
                let Some(finding) = finding else {
                    return Outcome::Say(review);
                };
                let place = compose::place(text, &finding.function);
                match stored {
                    Some((path, current)) => {
                        let seen = format!("- Seen in: {place} (found by {person})\n");
                        if current.contains(&seen) {
                            return Outcome::Say(review);
                        }
                        Outcome::Write {
                            before: String::new(),
                            calls: vec![
                                json!({"command": "insert", "path": path, "insert_line": compose::line_count(&current), "insert_text": seen}),
                            ],
                            after: format!(
                                "{review}\n\nI added this case to {path}, so the pattern's list of sightings grows."
                            ),
                        }
                    }
                    None => {
                        let text = compose::pattern_file(&place, &person);
                        let path = if target_taken {
                            "/memories/patterns/check_then_act.md".to_owned()
                        } else {
                            target.clone()
                        };
                        Outcome::Write {
                            before: String::new(),
                            calls: vec![
                                json!({"command": "create", "path": path, "file_text": text}),
                            ],
                            after: format!(
                                "{review}\n\nI stored the general pattern (not this code) in {path} so the team can look for it elsewhere."
                            ),
                        }
                    }
                }
            }),
        }
    }

    fn forget(&self) -> Work {
        let mut targets = self.relevant();
        targets.retain(|f| self.files.contains(f));
        if targets.is_empty() {
            return say("I couldn't find that in our shared memory.".to_owned());
        }
        // "Forget the budget for Globex": a part of the customer's notes, not the customer.
        let part = self.forgotten_part();
        if !part.is_empty()
            && let Some(file) = targets.iter().find(|f| kind(f) == Kind::Facts).cloned()
        {
            return forget_lines(file, part);
        }
        let calls: Vec<Value> = targets
            .iter()
            .map(|t| json!({"command": "delete", "path": t}))
            .collect();
        let list = targets.join(", ");
        Work {
            reads: Vec::new(),
            outcome: Box::new(move |_| Outcome::Write {
                before: String::new(),
                calls: calls.clone(),
                after: format!("Done: I deleted {list} from our shared memory."),
            }),
        }
    }
}

impl Context {
    /// What a "forget" names besides the customer and the verbs: the words of the part to
    /// remove ("budget", "oracle"); empty when it is the customer as a whole.
    fn forgotten_part(&self) -> Vec<String> {
        const NOT_PART: [&str; 34] = [
            "forget",
            "delete",
            "remove",
            "erase",
            "please",
            "the",
            "a",
            "an",
            "that",
            "this",
            "from",
            "memory",
            "memories",
            "notes",
            "note",
            "file",
            "files",
            "for",
            "about",
            "at",
            "of",
            "in",
            "on",
            "our",
            "their",
            "its",
            "line",
            "fact",
            "entry",
            "everything",
            "all",
            "it",
            "them",
            "customer",
        ];
        let name: Vec<String> = match &self.subject {
            Some(Subject::Customer(n)) => words::name_key(n),
            _ => Vec::new(),
        };
        words::tokens(&self.lower)
            .into_iter()
            .map(|w| w.trim_end_matches("'s").trim_end_matches("’s").to_owned())
            .filter(|w| !NOT_PART.contains(&w.as_str()) && !name.contains(w) && w.len() > 1)
            .collect()
    }
}

/// Remove the lines of a facts file that hold the part named: its label ("budget" ->
/// "Budget: …") or all of its words ("oracle"); nothing is removed when no line holds it.
fn forget_lines(file: String, part: Vec<String>) -> Work {
    const LABELS: [(&str, &str); 9] = [
        ("budget", "Budget:"),
        ("deadline", "Deadline:"),
        ("date", "Deadline:"),
        ("timeline", "Timeline:"),
        ("contact", "Contact:"),
        ("sponsor", "Contact:"),
        ("stack", "Stack:"),
        ("scope", "Scope:"),
        ("risk", "Risk:"),
    ];
    let read = file.clone();
    Work {
        reads: vec![read],
        outcome: Box::new(move |r| {
            let text = r.text(&file).unwrap_or_default();
            let labels: Vec<&str> = LABELS
                .iter()
                .filter(|(w, _)| part.iter().any(|p| p.trim_end_matches('s') == *w))
                .map(|(_, l)| *l)
                .collect();
            let gone: Vec<&str> = text
                .lines()
                .filter(|l| {
                    let Some(item) = l.trim().strip_prefix("- ") else {
                        return false;
                    };
                    let low = item.to_lowercase();
                    labels.iter().any(|l| item.starts_with(l))
                        || (labels.is_empty() && part.iter().all(|p| low.contains(p.as_str())))
                })
                .collect();
            if gone.is_empty() {
                return Outcome::Say(format!(
                    "Nothing in {file} mentions {}; I changed nothing.",
                    part.join(" ")
                ));
            }
            let calls: Vec<Value> = gone
                .iter()
                .map(|l| json!({"command": "str_replace", "path": file, "old_str": format!("{l}\n"), "new_str": ""}))
                .collect();
            let list: Vec<&str> = gone.iter().map(|l| l.trim()).collect();
            Outcome::Write {
                before: String::new(),
                calls,
                after: format!(
                    "Done: I removed from {file} (the rest of it stays):\n\n{}",
                    list.join("\n")
                ),
            }
        }),
    }
}

/// The verb a message opens with when it asks for work ("Sam — send the deck …", "please
/// email Dana"): after a name said first and the courtesy words.
/// A message without the name it is addressed to ("sam, summarise …", "sam — send …"): a
/// short first word before a comma or a dash.
fn addressed(lower: &str) -> &str {
    let text = lower.trim_start();
    let Some((first, rest)) = text.split_once(char::is_whitespace) else {
        return text;
    };
    let rest = rest.trim_start();
    if first.len() > 12 {
        return text;
    }
    if first.ends_with(',') {
        return rest;
    }
    ["— ", "- ", "– "]
        .iter()
        .find_map(|d| rest.strip_prefix(d))
        .map_or(text, str::trim_start)
}

fn command_word(lower: &str) -> Option<&str> {
    const VERBS: [&str; 16] = [
        "draft", "write", "create", "prepare", "make", "produce", "generate", "put", "turn",
        "convert", "revise", "send", "email", "sketch", "outline", "compose",
    ];
    let asked = words::request(addressed(lower));
    let mut it = asked.split_whitespace().map(words::core);
    let verb = it.next()?;
    // An object follows a request ("draft a one-pager", "send them the deck"); "Draft budget
    // is $2M" and "make sure …" are no requests.
    let object = it.next().is_some_and(|w| {
        matches!(
            w,
            "a" | "an" | "the" | "our" | "my" | "their" | "it" | "them" | "this" | "that" | "me"
        )
    });
    VERBS.iter().find(|v| **v == verb && object).copied()
}

fn say(text: String) -> Work {
    Work {
        reads: Vec::new(),
        outcome: Box::new(move |_| Outcome::Say(text.clone())),
    }
}

/// A document written as a new file, or in place of the old one (the history keeps it); the
/// answer says `lead`, the document, then `after`.
fn write_doc(target: &str, current: Option<&str>, doc: &Doc, lead: &str, after: &str) -> Outcome {
    let call = match current {
        None => json!({"command": "create", "path": target, "file_text": doc.text}),
        Some("") => {
            json!({"command": "insert", "path": target, "insert_line": 0, "insert_text": doc.text})
        }
        Some(old) => {
            json!({"command": "str_replace", "path": target, "old_str": old, "new_str": doc.text})
        }
    };
    Outcome::Write {
        before: doc.intro.clone(),
        calls: vec![call],
        after: format!("{lead}{}\n\n{after}", doc.text.trim_end()),
    }
}

const REVIEW_WORDS: [&str; 6] = [
    "post-incident",
    "postmortem",
    "post-mortem",
    "retrospective",
    "incident review",
    "incident report",
];

/// Words that ask for something to be stored.
const MAKING: [&str; 8] = [
    "record",
    "save",
    "store",
    "write down",
    "note ",
    "log ",
    "capture",
    "document",
];

/// Words that ask for something to be made.
const CREATING: [&str; 30] = [
    "turn ",
    "convert",
    "revise",
    "redo ",
    "refresh",
    "rewrite",
    "redraft",
    "update the",
    "update our",
    "create",
    "draft",
    "write",
    "prepare",
    "put together",
    "make",
    "build",
    "produce",
    "design",
    "propose",
    "sketch",
    "outline",
    "suggest",
    "come up with",
    "recommend",
    "work out",
    "give me",
    "i need",
    "we need a",
    "can you",
    "could you",
];

/// First words of a question or a request for what memory holds.
const QUESTION_WORDS: [&str; 33] = [
    "compare",
    "describe",
    "what's",
    "who's",
    "how's",
    "find",
    "what",
    "who",
    "when",
    "where",
    "which",
    "how",
    "why",
    "can",
    "could",
    "do",
    "does",
    "is",
    "are",
    "should",
    "would",
    "will",
    "tell",
    "remind",
    "summarize",
    "summarise",
    "recap",
    "list",
    "check",
    "show",
    "give",
    "explain",
    "any",
];

/// Does every sentence about `topic` ask about one that exists ("what architecture did John
/// propose?"), rather than ask for a new one?
fn asks_back(lower: &str, topic: &str) -> bool {
    let sentences = words::sentences(lower);
    let mut about = sentences.iter().filter(|s| s.contains(topic)).peekable();
    about.peek().is_some()
        && about.all(|s| {
            let w = s.split_whitespace().next().unwrap_or_default();
            matches!(
                w,
                "what" | "who" | "when" | "where" | "which" | "how" | "did" | "does" | "is"
            ) && [" did ", " was ", " is in ", " does "]
                .iter()
                .any(|v| s.contains(v))
        })
}

/// Whether the message's code is there to be reviewed: it asks for a look at it, or the code is
/// a program (functions, classes) with nothing else asked.
fn reviews_code(lower: &str, code: &[words::Code]) -> bool {
    const ASKS: [&str; 14] = [
        "review",
        "look at",
        "check",
        "bug",
        "race",
        "thread",
        "safe",
        "audit",
        "wrong",
        "problem",
        "issue",
        "fix",
        "what does",
        "explain",
    ];
    if code.is_empty() {
        return false;
    }
    let program = code.iter().any(|c| {
        c.text.lines().any(|l| {
            let l = l.trim_start();
            [
                "def ",
                "fn ",
                "pub fn ",
                "func ",
                "function ",
                "class ",
                "async def ",
            ]
            .iter()
            .any(|k| l.starts_with(k))
        })
    });
    ASKS.iter().any(|w| lower.contains(w)) || (program && lower.trim().len() < 40)
}

/// `text` with its inline code spans (`` `like this` ``) blanked.
fn without_inline_code(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut inside = false;
    for c in text.chars() {
        if c == '`' {
            inside = !inside;
            out.push(' ');
        } else if !inside {
            out.push(c);
        }
    }
    out
}

/// The prose with each code block's lines put in as inline code (the first few).
fn with_inline_code(prose: &str, code: &[words::Code]) -> String {
    let lines: Vec<String> = code
        .iter()
        .flat_map(|c| c.text.lines())
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(5)
        .map(|l| format!("`{}`", l.replace('`', "'")))
        .collect();
    if lines.is_empty() {
        return prose.to_owned();
    }
    let mut out = prose.trim_end().to_owned();
    out.push(' ');
    out.push_str(&lines.join("; "));
    out.push('\n');
    out
}

/// "Review the Globex architecture for security gaps", "Priya, audit John's design": a
/// request (not a question, not a status: "legal is reviewing the proposal") to review a
/// design or a proposal.
fn asks_for_design_review(lower: &str) -> bool {
    const VERBS: [&str; 9] = [
        "review",
        "audit",
        "assess",
        "critique",
        "check",
        "look over",
        "poke holes",
        "do a security review",
        "security review",
    ];
    let asked = words::request(addressed(lower));
    let reviews = VERBS.iter().any(|w| asked.starts_with(w)) || lower.contains("security review");
    let design = ["architecture", "design", "proposal"]
        .iter()
        .any(|w| lower.contains(w));
    reviews && design && !lower.contains("incident") && !lower.contains('?')
}

/// What the person wants, from the words of the message.
pub fn intent(lower: &str, has_code: bool) -> Intent {
    let has = |w: &str| lower.contains(w);
    // "Sam, summarise …", "ok, what …": the word after a name or an opener said first.
    let first = addressed(lower)
        .split_whitespace()
        .next()
        .map(words::core)
        .unwrap_or_default();
    if matches!(first, "forget" | "delete" | "remove" | "erase")
        || has("please forget")
        || (has("remove") && has("from memory"))
    {
        return Intent::Forget;
    }
    if has_code {
        return Intent::CodeReview;
    }
    if has("decision") && MAKING.iter().any(|w| has(w)) {
        return Intent::Decisions;
    }
    // "Proposal for Hooli, please.", "Architecture for Hooli?": a short message that opens
    // with the document it wants.
    let named_first = |doc: &str| {
        let asked = words::request(lower);
        let asked = ["now ", "next ", "ok ", "okay ", "and ", "then "]
            .iter()
            .fold(asked, |a, p| a.strip_prefix(p).unwrap_or(a));
        let asked = ["the ", "a ", "an "]
            .iter()
            .fold(asked, |a, p| a.strip_prefix(p).unwrap_or(a));
        asked.starts_with(doc) && asked.split_whitespace().count() <= 8
    };
    let creating = CREATING.iter().any(|w| has(w));
    if REVIEW_WORDS.iter().any(|w| has(w)) && creating {
        return Intent::IncidentReview;
    }
    if asks_for_design_review(lower) {
        return Intent::DesignReview;
    }
    if has("checklist") && creating {
        return Intent::Checklist;
    }
    // A one-pager, a brief or a pitch for the customer is the proposal, told short.
    let pitch = [
        "one-pager",
        "one pager",
        "executive summary",
        "exec summary",
        "pitch",
        "brief for",
        "quote for",
    ]
    .iter()
    .any(|w| has(w));
    if (((has("proposal") || has("statement of work") || has(" sow") || pitch) && creating)
        || named_first("proposal")
        || named_first("statement of work"))
        && !asks_back(lower, "proposal")
    {
        return Intent::Proposal;
    }
    // "Design the data platform for Globex", "Please architect ...": an imperative design.
    let asked = words::request(lower);
    let designs = [
        "architecture",
        "solution design",
        "technical design",
        "migration plan",
        "target design",
        "high-level design",
        "high level design",
        "design for",
        "blueprint",
    ]
    .iter()
    .any(|w| has(w));
    let imperative = [
        "design ",
        "architect ",
        "sketch the design",
        "draft the design",
    ]
    .iter()
    .any(|v| asked.starts_with(v));
    let named = [
        "architecture",
        "solution design",
        "target architecture",
        "technical design",
    ]
    .iter()
    .any(|d| named_first(d));
    if ((designs && creating) || imperative || named) && !asks_back(lower, "architecture") {
        return Intent::Architecture;
    }
    if lower.contains('?') || QUESTION_WORDS.contains(&first) {
        return Intent::Ask;
    }
    Intent::Remember
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A request for work no intent covers is answered, never kept as a fact; a message that
    /// only starts like one ("Draft budget is …", "make sure …") is a statement.
    #[test]
    fn requests_for_other_work() {
        for (text, verb) in [
            ("Sam — send the deck to Globex.", Some("send")),
            ("sam, email them the numbers", Some("email")),
            ("Please prepare the slides for Friday", Some("prepare")),
            ("Draft budget is $2M.", None),
            ("Make sure the budget stays under $2M.", None),
            ("Write down: Globex budget $2M", None),
            ("Globex wants a pilot.", None),
        ] {
            assert_eq!(command_word(&text.to_lowercase()), verb, "{text}");
        }
    }

    #[test]
    fn what_a_message_asks_for_in_many_wordings() {
        for (text, want) in [
            ("Architecture for Hooli please.", Intent::Architecture),
            (
                "Review the Globex architecture for security gaps.",
                Intent::DesignReview,
            ),
            (
                "Can you audit John's design for Hooli",
                Intent::DesignReview,
            ),
            (
                "Priya, review the proposal for Hooli.",
                Intent::DesignReview,
            ),
            ("Did John review the architecture?", Intent::Ask),
            (
                "John, can you put together a high-level design for Globex?",
                Intent::Architecture,
            ),
            (
                "Sam — draft a one-pager for Globex's exec sponsor.",
                Intent::Proposal,
            ),
            (
                "Turn the Globex architecture into a proposal.",
                Intent::Proposal,
            ),
            (
                "Update the proposal for Globex with the new budget.",
                Intent::Proposal,
            ),
            (
                "Update: Globex signed the pilot, budget $1M.",
                Intent::Remember,
            ),
            ("Compare Umbrella and Initech budgets.", Intent::Ask),
            (
                "Sam, summarise everything we know about Initech.",
                Intent::Ask,
            ),
            ("Describe Initech's stack", Intent::Ask),
            ("Now the architecture for Hooli?", Intent::Architecture),
            ("Proposal for Stark Industries, please.", Intent::Proposal),
            ("A proposal for Hooli", Intent::Proposal),
            (
                "Proposal status: Hooli's legal team is still reviewing it, they want it by Friday.",
                Intent::Remember,
            ),
            (
                "Design the data platform for Globex from what we know.",
                Intent::Architecture,
            ),
            (
                "Please architect the ordering system for Initech.",
                Intent::Architecture,
            ),
            (
                "Can you sketch the design for their new warehouse?",
                Intent::Architecture,
            ),
            (
                "Propose an architecture for their migration.",
                Intent::Architecture,
            ),
            ("What did John decide about the architecture?", Intent::Ask),
            (
                "Write the proposal for Globex: scope, plan and price.",
                Intent::Proposal,
            ),
            ("Globex wants a design review next week.", Intent::Remember),
            ("Their designers are in Lyon.", Intent::Remember),
            ("What do we know about Acme?", Intent::Ask),
        ] {
            assert_eq!(intent(&text.to_lowercase(), false), want, "{text}");
        }
    }
}
