//! The demo model's facts grammar: a statement's sentences cut into clauses, each clause
//! cleaned (greetings, introductions, filler and the subject's own name dropped, `I` made the
//! speaker, `they` the subject) and, when it states a known quantity, labelled: "Budget:
//! $500K", "Timeline: 9 months", "Deadline: end of March", "Scope: migrate 50 applications",
//! "Stack: mostly Java with Oracle databases", "Contact: Maria Lopez (VP of IT)", "To do: …",
//! "14:05 — checkout errors jumped to 30%".

use super::words::{
    NOT_NAMES, ROLES, TECHNOLOGIES, capitalise, capitalised, core, is_clock, is_money, lower,
    names, numerals, sentences,
};

/// Labels a fact may carry, with the words that introduce them.
#[rustfmt::skip]
const LABELS: &[(&str, &[&str])] = &[
    (
        "Budget",
        &[
            "budget ceiling", "budget cap", "budget limit", "max budget", "maximum budget",
            "approved budget", "overall budget", "total budget", "budget", "total", "spend",
        ],
    ),
    ("Timeline", &["timeline", "time frame", "timeframe", "duration", "schedule"]),
    (
        "Deadline",
        &[
            "deadline", "go-live", "go live", "golive", "launch", "cutover", "due date",
            "target date",
        ],
    ),
    ("Stack", &["tech stack", "stack", "technology", "platform", "tech"]),
    (
        "Contact",
        &[
            "key contact", "main contact", "primary contact", "point of contact", "contact",
            "sponsor", "decision maker", "champion",
        ],
    ),
    ("Priority", &["top priority", "main priority", "priority"]),
    ("Goal", &["goal", "objective", "aim"]),
    ("Scope", &["scope"]),
    ("Risk", &["main risk", "biggest risk", "risk", "concern", "worry", "blocker"]),
    ("Team", &["team size", "headcount"]),
    ("Region", &["region", "location", "data center", "datacenter"]),
    ("Impact", &["impact"]),
    ("Root cause", &["root cause", "cause"]),
    ("Status", &["current status", "status"]),
    ("Severity", &["severity"]),
];

/// Labels whose value may follow without a verb ("deadline March 2027", "budget $3M") or come
/// first ("$800k budget", "9 month timeline").
const VALUE_LABELS: [&str; 3] = ["Budget", "Timeline", "Deadline"];

/// Openers that carry no fact.
#[rustfmt::skip]
const FILLERS: &[&str] = &[
    "one more thing from the call", "one more thing", "another thing", "also", "and", "but", "so",
    "plus", "oh", "btw", "by the way", "fyi", "ps", "note that", "please note that",
    "please remember that", "remember that", "keep in mind that", "just so you know",
    "for the record", "heads up", "in addition", "additionally", "finally", "lastly",
    "importantly", "apparently", "basically", "please remember", "remember", "please note", "note",
    "okay", "ok", "well", "quick update", "update", "correction", "actually", "news", "says that",
    "said that",
    "says", "said", "mentioned that", "told us that", "confirmed that", "explained that",
];

/// Verbs that move things (scope).
#[rustfmt::skip]
const SCOPE_VERBS: &[&str] = &[
    "migrate", "move", "modernize", "modernise", "replatform", "re-platform", "rehost",
    "consolidate", "replace", "upgrade", "build", "launch", "roll", "deploy", "integrate",
    "automate", "retire", "get", "lift",
];

/// Month and period words that make "by …" a deadline.
#[rustfmt::skip]
const DATE_WORDS: &[&str] = &[
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec", "q1", "q2", "q3", "q4", "h1", "h2", "end", "year-end", "summer",
    "winter", "spring", "autumn", "fall", "christmas", "next", "mid", "early", "late", "the",
    "black",
];

/// Words a list of technologies may also hold ("mostly Java, Oracle and DB2").
const LIST_WORDS: [&str; 12] = [
    "and",
    "with",
    "on",
    "mostly",
    "mainly",
    "primarily",
    "all",
    "some",
    "plus",
    "databases",
    "database",
    "framework",
];

/// The facts a statement holds, each a clean line; greetings and introductions are left out,
/// `I` becomes the speaker and `they` the subject.
pub fn facts(prose: &str, speaker: &str, us: Option<&str>, subject: Option<&str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for sentence in sentences(prose) {
        let sentence = people_first(&numerals(&sentence));
        // "they run 2,000 VMs, want out …, and have …": the later clauses share the subject.
        let mut pronoun: Option<String> = None;
        for (k, (clause, head)) in clauses(&sentence).into_iter().enumerate() {
            let bare = clause
                .trim_start()
                .strip_prefix("and ")
                .unwrap_or(&clause)
                .to_owned();
            let first = bare
                .split_whitespace()
                .next()
                .map(lower)
                .unwrap_or_default();
            let clause = match &pronoun {
                Some(p) if SHARED_VERBS.contains(&first.as_str()) => format!("{p} {bare}"),
                // "20 plants across LATAM, SAP on-prem, want to be on GCP": the subject's.
                None if SHARED_VERBS.contains(&first.as_str()) && k > 0 => {
                    format!("they {bare}")
                }
                _ => clause,
            };
            // "they run …", "Dana (CTO) says they have …": the subject of what follows.
            if let Some(p) =
                bare.split_whitespace()
                    .take(8)
                    .map(lower)
                    .find_map(|w| match w.as_str() {
                        "they" | "it" | "he" | "she" => Some(w),
                        "they're" | "they’re" => Some("they".to_owned()),
                        _ => None,
                    })
            {
                pronoun = Some(p);
            }
            // About our own company ("account lead at TechCorp"): not a fact about the subject.
            if us.is_some_and(|us| {
                clause.to_lowercase().contains(&us.to_lowercase())
                    && !clause.chars().any(|c| c.is_ascii_digit())
            }) {
                continue;
            }
            for fact in fact_of(&clause, head, speaker, subject) {
                if !out.iter().any(|f| f.eq_ignore_ascii_case(&fact)) {
                    out.push(fact);
                }
            }
        }
    }
    out
}

/// Words that make an amount of money the budget: "~$3.5M set aside", "$2M approved".
const SET_APART: [&str; 8] = [
    "set aside",
    "earmarked",
    "allocated",
    "to spend",
    "can spend",
    "budgeted",
    "approved",
    "funding of",
];

/// Verbs in their base form that continue a list after "they …" ("they run X, want Y").
const SHARED_VERBS: [&str; 24] = [
    "want", "need", "have", "use", "run", "plan", "prefer", "expect", "require", "operate", "own",
    "employ", "sell", "ship", "host", "keep", "store", "deploy", "hope", "aim", "intend", "rely",
    "build", "serve",
];

/// Rewrite "their CTO, Dana Ortiz, signs …" and "Maria Lopez, VP of IT" as "Dana Ortiz (CTO)
/// signs …" and "Maria Lopez (VP of IT)", so a person and their role stay together.
fn people_first(sentence: &str) -> String {
    let words: Vec<&str> = sentence.split_whitespace().collect();
    let lows: Vec<String> = words.iter().map(|w| lower(w)).collect();
    // Which words stand inside brackets ("Miles Dyson (VP Engineering)"): no person there.
    let mut depth = 0_i32;
    let inside: Vec<bool> = words
        .iter()
        .map(|w| {
            let opened = depth > 0 || w.starts_with('(');
            depth += i32::try_from(w.matches('(').count()).unwrap_or(0);
            depth -= i32::try_from(w.matches(')').count()).unwrap_or(0);
            depth = depth.max(0);
            opened
        })
        .collect();
    for name in names(&words) {
        if inside[name.start] {
            continue;
        }
        // The role before: "their CTO, Dana Ortiz", "head of IT Sam Lee"; never across a verb.
        let role_before = (name.start.saturating_sub(3)..name.start).find(|&i| {
            ROLES.contains(&lows[i].as_str())
                && !words[i].ends_with(':')
                && !lows[i..name.start].iter().any(|w| {
                    matches!(
                        w.as_str(),
                        "is" | "was" | "are" | "be" | "at" | "from" | "with" | "for"
                    )
                })
        });
        // "contact Jürgen Weiß (Head of IT)": the role is in the brackets already.
        let bracketed = words.get(name.end).is_some_and(|w| w.starts_with('('));
        // "Contact Eldon Tyrell, budget …": a label, not a role (a determiner makes it one:
        // "their contact, Dana Ortiz, …").
        let role_before = role_before.filter(|&r| {
            lows[r] != "contact"
                || r.checked_sub(1)
                    .is_some_and(|p| matches!(lows[p].as_str(), "their" | "our" | "the" | "main"))
        });
        if let Some(r) = role_before.filter(|_| !bracketed) {
            let mut from = r;
            while from > 0 && matches!(lows[from - 1].as_str(), "their" | "the" | "our" | "its") {
                from -= 1;
            }
            let role: Vec<&str> = words[r..name.start].iter().map(|w| core(w)).collect();
            let role = role.join(" ");
            let mut rebuilt: Vec<String> = words[..from].iter().map(|w| (*w).to_owned()).collect();
            let last = words[name.end - 1];
            let tail = if last.ends_with(',') {
                ""
            } else {
                last_punct(last)
            };
            rebuilt.push(format!("{} ({role}){tail}", name.text));
            rebuilt.extend(words[name.end..].iter().map(|w| (*w).to_owned()));
            return rebuilt.join(" ");
        }
        // The role after: "Dana Ortiz, their CTO, signs" / "Maria Lopez, VP of IT."
        if words[name.end - 1].ends_with(',') {
            let mut j = name.end;
            while j < words.len() && matches!(lows[j].as_str(), "their" | "the" | "our" | "its") {
                j += 1;
            }
            // "Harry Ellis, IT director": the role word may come after a word or two.
            let role_word = (j..(j + 3).min(words.len())).find(|&r| {
                ROLES.contains(&lows[r].as_str())
                    && !words[j..r].iter().any(|w| w.ends_with([',', '.', ';']))
            });
            if j < words.len() && role_word.is_some() {
                let mut k = j;
                while k + 1 < words.len() && k < j + 4 && !words[k].ends_with([',', '.', ';']) {
                    k += 1;
                }
                let role: Vec<&str> = words[j..=k].iter().map(|w| core(w)).collect();
                let mut rebuilt: Vec<String> = words[..name.start]
                    .iter()
                    .map(|w| (*w).to_owned())
                    .collect();
                rebuilt.push(format!("{} ({})", name.text, role.join(" ")));
                rebuilt.extend(words[k + 1..].iter().map(|w| (*w).to_owned()));
                return rebuilt.join(" ");
            }
        }
    }
    sentence.to_owned()
}

fn last_punct(word: &str) -> &str {
    let trimmed = word.trim_end_matches([',', ';', ':', '.', '!', '?']);
    &word[trimmed.len()..]
}

/// Clauses of a sentence, each marked when it is the head before a colon ("Call notes,
/// Aperture Science: …"). Split at `;`, at a colon after a head that is no label, at commas
/// that start a new statement, and at "and"/"but" before a new subject or a label.
fn clauses(sentence: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    for part in sentence.split(';') {
        let (head, body) = match part.split_once(": ") {
            Some((head, body)) if colon_splits(head) && !body.trim().is_empty() => {
                (Some(head), body)
            }
            _ => (None, part),
        };
        if let Some(head) = head {
            out.push((head.trim().to_owned(), true));
        }
        for piece in split_commas(body) {
            let piece = piece.trim();
            if piece.is_empty() {
                continue;
            }
            for piece in split_labels(piece) {
                out.extend(split_conjunction(&piece).into_iter().map(|c| (c, false)));
            }
        }
    }
    out
}

/// Does a colon after this head start the facts ("Key facts: …"), rather than give a value
/// ("Budget: $2M", "at 14:05")?
fn colon_splits(head: &str) -> bool {
    let low = head.trim().to_lowercase();
    let words = low.split_whitespace().count();
    let last = low.split_whitespace().last().unwrap_or_default();
    // A long head is a statement of its own ("Contoso needs a new portal by June 2027: 2
    // million users"); a short one with a number is a value or a time ("at 14: …").
    !((low.chars().any(|c| c.is_ascii_digit()) && words <= 4)
        || label_of(&low).is_some()
        || label_of(last).is_some() && words <= 3
        || low.ends_with("to do")
        || low.ends_with("todo")
        || low.ends_with("action")
        || low.ends_with("action item")
        || low.ends_with("next step")
        || low.ends_with("next steps")
        || low.ends_with("follow up"))
}

/// The label whose opener is exactly this text.
fn label_of(text: &str) -> Option<&'static str> {
    let t = text
        .trim()
        .trim_start_matches("the ")
        .trim_start_matches("our ")
        .trim_start_matches("their ");
    LABELS
        .iter()
        .find(|(_, openers)| openers.contains(&t))
        .map(|(l, _)| *l)
}

/// Split at commas, but keep lists ("Java, .NET and Oracle"), short tails and numbers whole.
fn split_commas(part: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut last_is_list = false;
    // A dash between words separates as a comma does ("yesterday — 3 data centers").
    let part = part
        .replace(" — ", ", ")
        .replace(" – ", ", ")
        .replace(" - ", ", ");
    for piece in outside_brackets(&part, ", ") {
        let words: Vec<&str> = piece.split_whitespace().collect();
        let has_digit = piece.chars().any(|c| c.is_ascii_digit());
        let technical = is_tech_list(&words);
        let short = words.len() <= 2 && !has_digit && !technical && !starts_by(piece);
        match out.last_mut() {
            Some(last) if short || (technical && last_is_list) => {
                last.push_str(", ");
                last.push_str(piece);
            }
            _ => {
                out.push(piece.to_owned());
                last_is_list = technical || words.iter().any(|w| is_tech(w));
            }
        }
        if short {
            // A name joined to a list keeps it a list ("Java, Kafka, PostgreSQL").
            last_is_list = last_is_list || words.iter().any(|w| is_tech(w));
        }
    }
    out
}

/// A message typed without punctuation: "… by june next year budget 400k contact is bob
/// smith" is cut before each label that opens a value of its own.
fn split_labels(piece: &str) -> Vec<String> {
    const OPENERS: [&str; 6] = [
        "budget", "deadline", "timeline", "contact", "go-live", "golive",
    ];
    const BEFORE: [&str; 24] = [
        "the", "their", "our", "its", "a", "an", "of", "on", "over", "under", "within", "total",
        "hard", "firm", "approved", "main", "key", "primary", "no", "per", "this", "that", "and",
        "or",
    ];
    let words: Vec<&str> = piece.split_whitespace().collect();
    for i in 2..words.len() {
        let here = lower(words[i]);
        if !OPENERS.contains(&here.as_str())
            || BEFORE.contains(&lower(words[i - 1]).as_str())
            || words[i - 1].ends_with([',', ';', ':'])
        {
            continue;
        }
        let rest = words[i..].join(" ");
        if labelled(&rest).is_some() {
            let mut out = vec![words[..i].join(" ")];
            out.extend(split_labels(&rest));
            return out;
        }
    }
    vec![piece.to_owned()]
}

/// `text` split at `sep` where no bracket is open ("Contoso (retail, 85 stores) needs …" is
/// one piece).
fn outside_brackets<'t>(text: &'t str, sep: &str) -> Vec<&'t str> {
    let mut out = Vec::new();
    let (mut depth, mut from) = (0_i32, 0);
    for (at, c) in text.char_indices() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth = (depth - 1).max(0),
            _ if depth == 0 && at >= from && text[at..].starts_with(sep) => {
                out.push(&text[from..at]);
                from = at + sep.len();
            }
            _ => {}
        }
    }
    out.push(&text[from..]);
    out
}

/// "by Q4", "before Black Friday": a deadline on its own.
fn starts_by(piece: &str) -> bool {
    let low = piece.trim().to_lowercase();
    low.starts_with("by ") || low.starts_with("before ")
}

fn is_tech(word: &str) -> bool {
    let low = word
        .trim_matches(|c: char| matches!(c, ',' | ';' | ')' | '(' | '!' | '?'))
        .trim_end_matches('.')
        .to_lowercase();
    TECHNOLOGIES.contains(&low.as_str())
        || low.starts_with(".net")
        || low
            .split('/')
            .all(|part| TECHNOLOGIES.contains(&part) && !part.is_empty())
}

/// Words all technologies (or list glue, versions, product names): "mostly Java", "Oracle and
/// DB2", "SQL Server 2012 databases".
fn is_tech_list(words: &[&str]) -> bool {
    words.iter().any(|w| is_tech(w))
        && words.iter().all(|w| {
            is_tech(w)
                || LIST_WORDS.contains(&lower(w).as_str())
                || capitalised(w)
                || core(w).chars().all(|c| c.is_ascii_digit() || c == '.')
        })
}

/// "I switched traffic … and errors dropped" -> two clauses; "the budget is $2M and the
/// timeline is 9 months" -> two; "Java and Oracle" stays one.
fn split_conjunction(piece: &str) -> Vec<String> {
    let words: Vec<&str> = piece.split_whitespace().collect();
    // A timed event keeps its consequence: "at 14:20 … and errors dropped to 2%".
    if words.iter().any(|w| is_clock(core(w))) {
        return vec![piece.to_owned()];
    }
    for (i, w) in words.iter().enumerate().skip(2) {
        if !matches!(lower(w).as_str(), "and" | "but" | "while" | "whereas") {
            continue;
        }
        let rest: Vec<String> = words[i + 1..].iter().map(|n| lower(n)).collect();
        let next = rest.first().cloned().unwrap_or_default();
        let then = rest.get(1).cloned().unwrap_or_default();
        let after_det = if matches!(
            next.as_str(),
            "the" | "their" | "our" | "its" | "a" | "an" | "total"
        ) {
            rest.get(1..).unwrap_or_default().to_vec()
        } else {
            rest.clone()
        };
        // "… and the budget is $2M", "… and a $1M budget"
        let label_next = (1..=2)
            .any(|n| after_det.len() > n && label_of(&after_det[..n].join(" ")).is_some())
            || (after_det.len() == 2
                && after_det[0].chars().any(|c| c.is_ascii_digit())
                && label_of(&after_det[1]).is_some_and(|l| VALUE_LABELS.contains(&l)));
        // "… need everything in Azure and can spend up to $800K": a second predicate.
        // "… has 200 apps and wants to be out of its data center": the same subject's -s verb.
        let verb_next = matches!(next.as_str(), "can" | "could" | "must" | "will" | "should")
            || SECOND_PREDICATES.contains(&next.as_str());
        let starts_clause = matches!(
            next.as_str(),
            "i" | "we" | "they" | "he" | "she" | "it" | "errors" | "traffic" | "latency"
        ) || verb_next
            || label_next
            || (!next.is_empty()
                && matches!(
                    then.as_str(),
                    "dropped"
                        | "rose"
                        | "fell"
                        | "went"
                        | "jumped"
                        | "recovered"
                        | "is"
                        | "are"
                        | "was"
                        | "were"
                        | "has"
                        | "have"
                        | "must"
                        | "cannot"
                        | "can't"
                        | "needs"
                        | "wants"
                        | "will"
                ));
        if starts_clause && i + 2 < words.len() {
            let mut out = vec![words[..i].join(" ")];
            out.extend(split_conjunction(&words[i + 1..].join(" ")));
            return out;
        }
    }
    vec![piece.to_owned()]
}

/// Verbs that, after "and", begin a second statement about the same subject.
const SECOND_PREDICATES: [&str; 17] = [
    "wants", "needs", "has", "runs", "uses", "plans", "expects", "requires", "prefers", "hopes",
    "aims", "intends", "relies", "operates", "employs", "owns", "keeps",
];

/// The fact (or facts) in one clause.
fn fact_of(clause: &str, head: bool, speaker: &str, subject: Option<&str>) -> Vec<String> {
    let mut text = clause
        .trim()
        .trim_end_matches(['.', '!', '?', ',', ';'])
        .trim()
        .to_owned();
    loop {
        let lowered = text.to_ascii_lowercase();
        let Some(filler) = FILLERS.iter().find(|f| {
            lowered.starts_with(**f)
                && lowered[f.len()..].starts_with([' ', ',', ':'])
                && lowered.len() > f.len() + 1
        }) else {
            break;
        };
        text = text[filler.len()..]
            .trim_start_matches([' ', ',', ':', '-', '–', '—'])
            .to_owned();
    }
    if corrects_a_value(&text) || unchanged(&text) {
        return Vec::new();
    }
    // "Dana Ortiz (CTO) says they have …": who said it, then what they said.
    if let Some((who, said)) = reported(&text) {
        let mut out = vec![who];
        out.extend(fact_of(&said, false, speaker, subject));
        return out;
    }
    // "45 plants (not 40)": the old value in brackets goes.
    if let Some(open) = text.strip_suffix(')').and_then(|t| t.rfind('('))
        && corrects_a_value(&text[open + 1..text.len() - 1])
    {
        text = text[..open].trim_end().to_owned();
    }
    let people = person_with_role(&text);
    if is_social(&text, speaker, subject) {
        return Vec::new();
    }
    if let Some(kept) = relation_only(&text, subject) {
        return kept
            .into_iter()
            .chain(people.map(|p| format!("Contact: {p}")))
            .collect();
    }
    let digits = text.chars().any(|c| c.is_ascii_digit());
    if head && text.split_whitespace().count() <= 3 && !digits {
        return Vec::new();
    }
    if let Some(single) = single_value(&text) {
        return vec![single];
    }
    if let Some(rule) = compliance(&text) {
        return vec![rule];
    }
    if text.split_whitespace().count() == 1 && is_tech(&text) {
        return vec![format!("Stack: {text}")];
    }
    if text.split_whitespace().count() < 2 {
        return Vec::new();
    }
    let text = pronouns(&text, speaker);
    let text = without_subject(&text, subject);
    // "Soylent Corp (food manufacturing) has …": what the brackets say about it is a fact of
    // its own.
    if let Some((inner, after)) = text.strip_prefix('(').and_then(|r| r.split_once(')'))
        && !inner.trim().is_empty()
        && after.split_whitespace().count() >= 2
    {
        let mut out = vec![capitalise(inner.trim())];
        out.extend(fact_of(after, false, speaker, subject));
        return out;
    }
    if let Some(person) = named_role(&text) {
        return vec![format!("Contact: {person}")];
    }
    if let Some(labelled) = labelled(&text) {
        // "Gavin Belson (CEO) owns the budget of $4.2M": the person too.
        let named = |p: &String| {
            let name = p.split(" (").next().unwrap_or(p);
            labelled.contains(name)
        };
        let people = people.filter(|p| !named(p));
        return std::iter::once(labelled)
            .chain(people.map(|p| format!("Contact: {p}")))
            .collect();
    }
    unlabelled(&text)
}

/// A clause with no label of its own: an event at a time, a to-do, scope, a stack, or the
/// clause as it is; a deadline at its end is a fact of its own.
fn unlabelled(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (text, deadline) = split_deadline(text);
    // "phase 1 by Q2 2027": the milestone the date is for, not a fact of its own.
    if let Some(d) = &deadline
        && text.split_whitespace().count() <= 2
        && !text.trim().is_empty()
    {
        // "live by September", "done by Q3": the date is all it says.
        let plain = matches!(
            text.trim().to_lowercase().as_str(),
            "live" | "go live" | "go-live" | "done" | "ready" | "finished" | "complete" | "launch"
        );
        if plain {
            return vec![format!("Deadline: {d}")];
        }
        return vec![format!("Deadline: {d} ({})", lower_first_word(&text))];
    }
    if let Some(t) = timestamped(&text) {
        out.push(t);
    } else if let Some(todo) = to_do(&text) {
        out.push(todo);
    } else if let Some(scope) = scope(&text) {
        out.push(scope);
    } else if let Some(stack) = stack(&text) {
        out.push(stack);
    } else if text.split_whitespace().count() >= 2 || text.chars().any(|c| c.is_ascii_digit()) {
        out.push(capitalise(&text));
    }
    if let Some(d) = deadline {
        out.push(format!("Deadline: {d}"));
    }
    out
}

/// "Dana Ortiz (CTO) says (that) …": the person with their role, and what they said.
fn reported(text: &str) -> Option<(String, String)> {
    // ASCII case only: the positions found are the text's own (a full lowercase can change
    // a character's length, "İ").
    let low = text.to_ascii_lowercase();
    let (at, verb) = [
        " says that ",
        " said that ",
        " says ",
        " said ",
        " told us that ",
        " told us ",
    ]
    .iter()
    .find_map(|v| low.find(v).map(|at| (at, *v)))?;
    let who = text[..at].trim();
    let said = text[at + verb.len()..].trim();
    (who.ends_with(')') && person_with_role(who).is_some() && said.split_whitespace().count() >= 2)
        .then(|| (who.to_owned(), said.to_owned()))
}

/// "budget unchanged", "the timeline stays the same": nothing new to keep.
fn unchanged(text: &str) -> bool {
    let low = text.to_ascii_lowercase();
    let Some(rest) = [
        "unchanged",
        "the same",
        "stays the same",
        "as before",
        "still the same",
    ]
    .iter()
    .find_map(|w| low.strip_suffix(w)) else {
        return false;
    };
    let rest = rest
        .trim()
        .trim_end_matches(" is")
        .trim_end_matches(" remains");
    label_of(rest).is_some()
}

/// ", not €4M", "(rather than March)": the old value a correction names, which is no fact. A
/// negation that says more ("not on Fridays") is kept.
fn corrects_a_value(text: &str) -> bool {
    let low = text.to_lowercase();
    let rest = ["not ", "rather than ", "instead of ", "no longer "]
        .iter()
        .find_map(|w| low.strip_prefix(w));
    rest.is_some_and(|rest| {
        let words = rest.split_whitespace().count();
        words <= 3
            && rest
                .chars()
                .any(|c| c.is_ascii_digit() || matches!(c, '$' | '€' | '£' | '¥'))
    })
}

/// "Gavin Belson (CIO)" in a clause.
fn person_with_role(text: &str) -> Option<String> {
    let open = text.find(" (")?;
    let close = text[open..].find(')')? + open;
    let role = &text[open + 2..close];
    if !role
        .split_whitespace()
        .next()
        .is_some_and(|w| ROLES.contains(&w.to_lowercase().as_str()))
    {
        return None;
    }
    let before: Vec<&str> = text[..open].split_whitespace().collect();
    let name: Vec<&str> = before
        .iter()
        .rev()
        .take_while(|w| {
            capitalised(w) && !NOT_NAMES.contains(&lower(w).as_str()) && !w.ends_with("'s")
        })
        .copied()
        .collect();
    if name.is_empty() || name.len() > 3 {
        return None;
    }
    let name: Vec<&str> = name.into_iter().rev().collect();
    Some(format!("{} ({role})", name.join(" ")))
}

/// "Phase 1" -> "phase 1" (an acronym or a name keeps its capitals).
fn lower_first_word(text: &str) -> String {
    let t = text.trim();
    let mut chars = t.chars();
    match (chars.next(), chars.next()) {
        (Some(a), Some(b)) if a.is_uppercase() && b.is_lowercase() => {
            a.to_lowercase().chain(t[a.len_utf8()..].chars()).collect()
        }
        _ => t.to_owned(),
    }
}

/// "Peter Gibbons is our champion", "Richard Hendricks is the founder and decision maker": the
/// person with that role.
fn named_role(text: &str) -> Option<String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let is = words
        .iter()
        .position(|w| matches!(lower(w).as_str(), "is" | "was"))?;
    let mut name = &words[..is];
    // "Miles Dyson (VP Engineering) is the exec sponsor": the role in brackets goes along.
    let mut known = None;
    if let Some(open) = name.iter().position(|w| w.starts_with('('))
        && name.last().is_some_and(|w| w.ends_with(')'))
    {
        let inner = name[open..].join(" ");
        known = Some(inner.trim_matches(['(', ')']).to_owned());
        name = &name[..open];
    }
    let person = (1..=3).contains(&name.len())
        && name
            .iter()
            .all(|w| capitalised(w) && !NOT_NAMES.contains(&lower(w).as_str()) && !is_tech(w));
    let mut role = &words[is + 1..];
    if let Some((first, rest)) = role.split_first()
        && matches!(
            lower(first).as_str(),
            "our" | "their" | "the" | "a" | "an" | "its"
        )
    {
        role = rest;
    }
    let has_role = role.iter().any(|w| {
        let low = lower(w);
        ROLES.contains(&low.as_str()) || low == "maker"
    });
    (person && has_role && role.len() <= 5).then(|| {
        let role: Vec<&str> = role.iter().map(|w| core(w)).collect();
        match known {
            Some(k) => format!("{} ({k}, {})", name.join(" "), role.join(" ")),
            None => format!("{} ({})", name.join(" "), role.join(" ")),
        }
    })
}

/// A clause that is only a figure: "$1.8M" (a budget), "10 months" (a timeline), "by Q4" or
/// "before Black Friday" (a deadline).
fn single_value(text: &str) -> Option<String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let low = text.to_ascii_lowercase();
    let currency = |w: &str| {
        matches!(
            lower(w).as_str(),
            "dollars" | "euros" | "pounds" | "usd" | "eur" | "gbp" | "chf" | "cad" | "aud"
        )
    };
    if words.first().is_some_and(|w| is_money(w))
        && (words.len() == 1 || (words.len() == 2 && currency(words[1])))
    {
        return Some(format!("Budget: {text}"));
    }
    if words.len() == 2
        && words[0].chars().all(|c| c.is_ascii_digit())
        && matches!(
            lower(words[1]).trim_end_matches('s'),
            "month" | "week" | "year" | "day"
        )
    {
        return Some(format!("Timeline: {text}"));
    }
    for by in ["by ", "before "] {
        if let Some(rest) = low.strip_prefix(by)
            && words.len() <= 5
        {
            let first = rest.split_whitespace().next().unwrap_or_default();
            if DATE_WORDS.contains(&first)
                || first.chars().next().is_some_and(|c| c.is_ascii_digit())
            {
                let value = &text[by.len()..];
                let value = if by == "before " { text } else { value };
                return Some(format!("Deadline: {value}"));
            }
        }
    }
    None
}

/// "HIPAA applies", "we must comply with GDPR", "subject to PCI DSS" -> "Compliance: …".
fn compliance(text: &str) -> Option<String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let low = text.to_ascii_lowercase();
    if words.len() == 2 && matches!(lower(words[1]).as_str(), "applies" | "apply") {
        return Some(format!("Compliance: {}", core(words[0])));
    }
    for marker in ["comply with ", "compliant with ", "subject to "] {
        if let Some(at) = low.find(marker) {
            let rule = text[at + marker.len()..].trim();
            if !rule.is_empty() && rule.split_whitespace().count() <= 4 {
                return Some(format!("Compliance: {rule}"));
            }
        }
    }
    None
}

/// Greetings, introductions and sign-offs: no fact.
fn is_social(text: &str, speaker: &str, subject: Option<&str>) -> bool {
    let low = text.to_lowercase();
    let words: Vec<&str> = low.split_whitespace().collect();
    let first = words.first().map_or("", |w| core(w));
    let introduces = |ws: &[&str]| {
        ws.iter().any(|w| {
            matches!(
                core(w),
                "i'm" | "i’m" | "am" | "here" | "from" | "at" | "this"
            )
        })
    };
    if matches!(
        first,
        "hi" | "hello" | "hey" | "thanks" | "cheers" | "greetings" | "morning" | "evening"
    ) || low.starts_with("good morning")
        || low.starts_with("good afternoon")
        || low.starts_with("thank you")
    {
        return words.len() <= 4 || introduces(&words);
    }
    // "Alice here from CloudWorks", "Alice from TechCorp again", "John here".
    if first == speaker.to_lowercase() && words.len() <= 6 && introduces(&words) {
        return true;
    }
    // "I'm Alice from TechCorp", "I am the account lead": no fact about the subject (an
    // off-shift or taking-over note is kept).
    let intro = low.starts_with("i'm ") || low.starts_with("i’m ") || low.starts_with("i am ");
    if intro {
        let next = text.split_whitespace().nth(1).unwrap_or_default();
        let rest = words.get(2).copied().unwrap_or_default();
        if capitalised(next) || matches!(rest, "from" | "at") || words.contains(&"at") {
            return subject.is_none_or(|s| !low.contains(&s.to_lowercase()));
        }
    }
    // "I lead discovery", "I prefer bullet lists", "always quote the file": about the speaker or
    // how they want the work done, not about the subject (extraction keeps these for people).
    let about_speaker = ABOUT_SPEAKER
        .iter()
        .any(|p| format!("{low} ").starts_with(p));
    if about_speaker && subject.is_none_or(|s| !low.contains(&s.to_lowercase())) {
        return true;
    }
    low.starts_with("this is ") && words.len() <= 5
}

/// How clauses about the speaker themselves begin.
const ABOUT_SPEAKER: [&str; 22] = [
    "i prefer ",
    "i'd prefer ",
    "i would prefer ",
    "i'd rather ",
    "i would rather ",
    "i like ",
    "i don't like ",
    "i lead ",
    "i manage ",
    "i own the ",
    "i handle ",
    "i work on ",
    "i work in ",
    "i'm responsible ",
    "i am responsible ",
    "my role ",
    "please always ",
    "please never ",
    "please keep answers ",
    "always ",
    "never ",
    "from now on",
];

/// A clause that only relates us to the subject ("We're working with ACME Corp on a cloud
/// migration project", "Met with Stark Industries today", "We have a new prospect, Prestige
/// Worldwide"): `Some` of what is worth keeping (the project's name, if any), `None` for a
/// clause that states a fact.
fn relation_only(text: &str, subject: Option<&str>) -> Option<Vec<String>> {
    const RELATIONAL: [&str; 26] = [
        "working with",
        "work with",
        "got off the phone",
        "off a call",
        "had a call",
        "call with",
        "meeting with",
        "met with",
        "met ",
        "spoke with",
        "spoke to",
        "talked to",
        "talked with",
        "partnering with",
        "visited",
        "signed",
        "prospect",
        "customer",
        "client",
        "workshop with",
        "recap",
        "notes",
        "update from",
        "news from",
        "helping",
        "engagement with",
    ];
    let low = text.to_lowercase();
    let subject = subject?;
    let key = subject.to_lowercase();
    let first_word = key.split_whitespace().next().unwrap_or_default();
    let mentions = low.contains(&key) || (first_word.len() > 2 && low.contains(first_word));
    // "Contact Eldon Tyrell" at Tyrell Corp: a labelled value is a fact.
    if !mentions || labelled(text).is_some() {
        return None;
    }
    // "working with X on moving their 1,200 stores …": the work is the fact.
    if let Some(at) = low.find(&key)
        && RELATIONAL.iter().any(|r| low[..at].contains(r))
        && let Some(on) = low[at..].find(" on ")
    {
        let tail = text[at + on + 4..].trim();
        let first = tail.split_whitespace().next().unwrap_or_default();
        if first.ends_with("ing") && tail.split_whitespace().count() >= 2 {
            return Some(vec![format!("Scope: {tail}")]);
        }
    }
    if low.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    if acts_on_its_own(&low, &key) {
        return None;
    }
    let relational = RELATIONAL.iter().any(|r| low.contains(r));
    let bare = low.split_whitespace().count() <= key.split_whitespace().count() + 4
        && !low.contains(" must ")
        && !low.contains(" need");
    // "… discovery with Northwind Traders (today)": the clause ends on the name.
    let ends_on_name = {
        let trimmed = low
            .trim_end_matches(" today")
            .trim_end_matches(" yesterday")
            .trim_end_matches(" this morning")
            .trim_end_matches(" this afternoon")
            .trim_end_matches(" this week");
        trimmed.ends_with(&key)
    };
    (relational || bare || ends_on_name).then(|| {
        // "coffee with Jane from Duff Beer": the person we met is the contact.
        let words: Vec<&str> = text.split_whitespace().collect();
        let met = words.windows(2).enumerate().find_map(|(i, pair)| {
            let from = matches!(lower(pair[1]).as_str(), "from" | "at");
            let company = words.get(i + 2).is_some_and(|w| {
                let low = lower(w);
                !low.is_empty() && key.starts_with(&low)
            });
            let person = capitalised(pair[0])
                && !NOT_NAMES.contains(&lower(pair[0]).as_str())
                && !key.contains(&lower(pair[0]));
            (from && company && person).then(|| {
                let start = (i.saturating_sub(1)..=i)
                    .find(|&k| {
                        words[k..=i]
                            .iter()
                            .all(|w| capitalised(w) && !NOT_NAMES.contains(&lower(w).as_str()))
                    })
                    .unwrap_or(i);
                format!("Contact: {}", words[start..=i].join(" "))
            })
        });
        met.into_iter().chain(project_of(text)).collect()
    })
}

/// Whether a clause naming the subject (`key`, lowercase) says what it does, wants or has (a
/// fact), rather than only how we relate to it.
fn acts_on_its_own(low: &str, key: &str) -> bool {
    let acts = low.split_whitespace().any(|w| {
        SCOPE_VERBS.iter().any(|v| w.starts_with(v))
            || matches!(
                w,
                "wants"
                    | "want"
                    | "needs"
                    | "need"
                    | "must"
                    | "runs"
                    | "uses"
                    | "has"
                    | "have"
                    | "plans"
                    | "cannot"
                    | "prefers"
                    | "prefer"
                    | "likes"
                    | "requires"
                    | "require"
                    | "expects"
                    | "expect"
                    | "insists"
                    | "avoids"
                    | "relies"
                    | "operates"
                    | "owns"
                    | "employs"
                    // What it decided or did: signed, pushed the date, chose a vendor.
                    | "signed"
                    | "approved"
                    | "pushed"
                    | "postponed"
                    | "delayed"
                    | "cancelled"
                    | "canceled"
                    | "chose"
                    | "picked"
                    | "selected"
                    | "renewed"
                    | "extended"
                    | "paused"
            )
    });
    // "Wayne Enterprises prefers on-site workshops": the name, then a verb of its own (a word
    // in -s with more after it), states a fact, whatever the verb.
    let verb_after_name = low.strip_prefix(key).is_some_and(|rest| {
        let mut after = rest.split_whitespace();
        after
            .next()
            .is_some_and(|w| w.len() > 3 && w.ends_with('s') && !w.ends_with("ss"))
            && after.next().is_some()
    });
    acts || verb_after_name
}

/// "on a cloud migration project" -> "Project: cloud migration".
fn project_of(text: &str) -> Option<String> {
    let low = text.to_ascii_lowercase();
    for marker in [
        "project",
        "engagement",
        "initiative",
        "program",
        "programme",
        "migration",
    ] {
        let Some(at) = low.find(&format!(" {marker}")) else {
            continue;
        };
        let head = &text[..at];
        let head_low = head.to_ascii_lowercase();
        let start = [
            "on a ",
            "on the ",
            "on an ",
            "for a ",
            "for the ",
            "about a ",
            "about the ",
            "on ",
            "wants a ",
            "needs a ",
            "signed a ",
            "signed for a ",
        ]
        .iter()
        .filter_map(|m| head_low.rfind(m).map(|p| p + m.len()))
        .max()?;
        let mut name = head[start..].trim().to_owned();
        if marker == "migration" {
            name.push_str(" migration");
        }
        if !name.is_empty() && name.split_whitespace().count() <= 5 {
            return Some(format!("Project: {name}"));
        }
    }
    None
}

/// `I` becomes the speaker, a leading "they" or "their" the subject's own words.
/// Words that may stand between a subject and its verb.
const ADVERBS: [&str; 14] = [
    "now",
    "still",
    "also",
    "already",
    "currently",
    "just",
    "only",
    "really",
    "even",
    "usually",
    "often",
    "mostly",
    "finally",
    "always",
];

fn pronouns(text: &str, speaker: &str) -> String {
    let mut words: Vec<String> = text.split_whitespace().map(str::to_owned).collect();
    if words.is_empty() {
        return String::new();
    }
    let first = lower(&words[0]);
    let mut dropped_subject = false;
    match first.as_str() {
        "they" | "it" | "he" | "she" if words.len() > 1 => {
            words.remove(0);
            // "they now run 45 plants": the verb, not the adverb before it, takes the -s.
            let verb = words
                .iter()
                .position(|w| !ADVERBS.contains(&lower(w).as_str()))
                .unwrap_or(0);
            words[verb] = third_person(&words[verb]);
            dropped_subject = true;
        }
        // "they're price sensitive" -> "Price sensitive", as a note says it.
        "they're" | "they’re" | "it's" | "it’s" if words.len() > 1 => {
            words.remove(0);
            dropped_subject = true;
        }
        // "they've got 300 servers", "they'd like real-time", "they'll need SSO".
        "they've" | "they’ve" if words.len() > 1 => {
            "has".clone_into(&mut words[0]);
            if lower(&words[1]) == "got" && words.len() > 2 {
                words.remove(1);
            }
            dropped_subject = true;
        }
        "they'd" | "they’d" if words.len() > 1 => {
            match lower(&words[1]).as_str() {
                "like" | "love" => {
                    words.remove(0);
                    "wants".clone_into(&mut words[0]);
                }
                "prefer" | "rather" => {
                    words.remove(0);
                    "prefers".clone_into(&mut words[0]);
                }
                _ => "would".clone_into(&mut words[0]),
            }
            dropped_subject = true;
        }
        "they'll" | "they’ll" if words.len() > 1 => {
            "will".clone_into(&mut words[0]);
            dropped_subject = true;
        }
        "their" | "its" if words.len() > 1 => {
            words.remove(0);
        }
        _ => {}
    }
    if dropped_subject {
        conjugate_after_and(&mut words);
        drop_progressive(&mut words);
    }
    let mut out: Vec<String> = Vec::with_capacity(words.len());
    for w in words {
        let c = core(&w);
        let replaced = match c {
            "I" | "me" => Some(speaker.to_owned()),
            "I'm" | "I’m" => Some(format!("{speaker} is")),
            "I've" | "I’ve" => Some(format!("{speaker} has")),
            "I'll" | "I’ll" => Some(format!("{speaker} will")),
            "my" | "My" => Some(format!("{speaker}'s")),
            _ => None,
        };
        match replaced {
            Some(r) => out.push(w.replacen(c, &r, 1)),
            None => out.push(w),
        }
    }
    out.join(" ")
}

/// "Runs SAP on-prem and want to move" -> "… and wants to move" (the subject was dropped).
fn conjugate_after_and(words: &mut [String]) {
    const BASE: [&str; 12] = [
        "want", "need", "plan", "have", "run", "use", "expect", "require", "hope", "prefer",
        "intend", "aim",
    ];
    for i in 1..words.len() {
        if lower(&words[i - 1]) == "and" && BASE.contains(&lower(&words[i]).as_str()) {
            words[i] = third_person(&words[i]);
        }
    }
}

/// "is looking to migrate" -> "looking to migrate".
fn drop_progressive(words: &mut Vec<String>) {
    if words.len() > 1
        && matches!(lower(&words[0]).as_str(), "is" | "are")
        && lower(&words[1]).ends_with("ing")
    {
        words.remove(0);
    }
}

/// "Our customer Globex needs to move …" -> "needs to move …"; "Wonka Foods is moving …" ->
/// "moving …" (the file is the subject's, so its name need not open each fact).
fn without_subject(text: &str, subject: Option<&str>) -> String {
    let Some(subject) = subject else {
        return text.to_owned();
    };
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut i = 0;
    while i < words.len()
        && matches!(
            lower(words[i]).as_str(),
            "our"
                | "the"
                | "their"
                | "new"
                | "customer"
                | "client"
                | "prospect"
                | "we're"
                | "we’re"
                | "we"
                | "are"
                | "helping"
                | "help"
        )
    {
        i += 1;
    }
    // "Globex and Initech both want SSO": what both (or each, all) of them do.
    let key = subject
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_lowercase();
    if let Some(k) = words
        .iter()
        .take(8)
        .position(|w| matches!(lower(w).as_str(), "both" | "each" | "all"))
        && k > i
        && words[i..k]
            .iter()
            .any(|w| matches!(lower(w).as_str(), "and" | "&"))
        && words[i..k].iter().any(|w| lower(w) == key)
        && words[i..k]
            .iter()
            .all(|w| capitalised(w) || matches!(lower(w).as_str(), "and" | "&"))
        && k + 1 < words.len()
    {
        let mut rest: Vec<String> = words[k + 1..].iter().map(|w| (*w).to_owned()).collect();
        if SHARED_VERBS.contains(&lower(&rest[0]).as_str()) {
            rest[0] = third_person(&rest[0]);
        }
        return rest.join(" ");
    }
    let name: Vec<String> = subject.split_whitespace().map(str::to_lowercase).collect();
    let mut j = 0;
    while j < name.len()
        && i + j < words.len()
        && core(words[i + j]).to_lowercase().trim_end_matches("'s") == name[j]
    {
        j += 1;
    }
    // The whole name, or its first word when that is how people say it ("Wonka" for "Wonka
    // Foods").
    if j == 0 || i + j >= words.len() || words[i + j - 1].ends_with([',', ':']) {
        return text.to_owned();
    }
    let mut rest: Vec<String> = words[i + j..].iter().map(|w| (*w).to_owned()).collect();
    if rest.len() > 2
        && matches!(
            lower(&rest[0]).as_str(),
            "also" | "still" | "now" | "really"
        )
    {
        rest.remove(0);
    }
    let verb = lower(&rest[0]);
    if matches!(verb.as_str(), "is" | "are" | "was")
        && !rest.get(1).is_some_and(|w| lower(w).ends_with("ing"))
    {
        return text.to_owned();
    }
    drop_progressive(&mut rest);
    conjugate_after_and(&mut rest);
    rest.join(" ")
}

/// "want" -> "wants", "have" -> "has", "are" -> "is".
fn third_person(verb: &str) -> String {
    let low = verb.to_lowercase();
    match low.as_str() {
        "have" => "has".to_owned(),
        "are" | "'re" => "is".to_owned(),
        "were" => "was".to_owned(),
        "do" => "does".to_owned(),
        "go" => "goes".to_owned(),
        "can" | "must" | "will" | "should" | "would" | "could" | "may" | "might" | "cannot"
        | "can't" | "won't" | "shouldn't" | "had" | "was" | "did" | "also" | "still" | "only"
        | "already" | "just" | "currently" | "never" | "always" | "is" | "has" => low,
        v if v.ends_with("ed") && !v.ends_with("eed") => low,
        v if v.ends_with("ing") => low,
        v if v.ends_with(['s', 'x']) || v.ends_with("sh") || v.ends_with("ch") => {
            format!("{low}es")
        }
        // "carry" -> "carries", but "deploy", "stay", "obey", "buy" take an -s.
        v if v.ends_with('y') && !["ay", "ey", "oy", "uy"].iter().any(|e| v.ends_with(e)) => {
            format!("{}ies", &low[..low.len() - 1])
        }
        _ => format!("{low}s"),
    }
}

/// "the budget is $500K" -> "Budget: $500K"; "deadline March 2027"; "$800k budget"; "go-live
/// before Black Friday"; "a budget of $2M" inside a clause.
fn labelled(text: &str) -> Option<String> {
    // ASCII case only, so that a position in `low` is one in `text` (the labels are ASCII; a
    // full lowercase makes "İ" longer and shifted every cut after it).
    let low = text.to_ascii_lowercase();
    for (label, openers) in LABELS {
        for opener in *openers {
            for det in [
                "",
                "the ",
                "our ",
                "their ",
                "its ",
                "a ",
                "total ",
                // "Hard deadline is …", "the approved budget is …".
                "hard ",
                "firm ",
                "strict ",
                "fixed ",
                "final ",
                "overall ",
                "approved ",
                "the hard ",
                "the approved ",
                "the total ",
            ] {
                let head = format!("{det}{opener}");
                let Some(rest) = low.strip_prefix(&head) else {
                    continue;
                };
                if let Some(value) = label_value(label, text, rest) {
                    return Some(format!("{label}: {value}"));
                }
            }
        }
    }
    if let Some(fact) = value_then_label(text, &low).or_else(|| moved_deadline(text, &low)) {
        return Some(fact);
    }
    // Value first: "$800k budget", "9 month timeline", "12-month timeline".
    let words: Vec<&str> = text.split_whitespace().collect();
    if let Some(last) = words.last()
        && words.len() <= 4
    {
        let label = label_of(&lower(last)).filter(|l| VALUE_LABELS.contains(l));
        let start = usize::from(
            words.len() > 2
                && matches!(
                    lower(words[0]).as_str(),
                    "a" | "an" | "the" | "our" | "their"
                ),
        );
        let value = words[start..words.len() - 1].join(" ");
        if let Some(label) = label
            && value.chars().any(|c| c.is_ascii_digit())
        {
            return Some(format!("{label}: {value}"));
        }
    }
    // "have ~$3.5M set aside", "$2M approved": money set apart for the work is the budget.
    if SET_APART.iter().any(|p| low.contains(p))
        && let Some(amount) = money_phrase(text)
    {
        return Some(format!("Budget: {amount}"));
    }
    // "has a budget of $2M" / "budget around $5M" inside a clause: the amount near "budget".
    if let Some(at) = low.find("budget")
        && !low.contains("over budget")
    {
        let after = &text[at + "budget".len()..];
        // "$2M", "750k", or a number said in words: "1.2 million euros", "750 thousand dollars".
        let near: Vec<&str> = after.split_whitespace().take(5).collect();
        let spoken = |i: usize| {
            near[i].chars().next().is_some_and(|c| c.is_ascii_digit())
                && near.get(i + 1).is_some_and(|n| {
                    matches!(
                        lower(n).trim_end_matches(['.', ',']),
                        "million" | "thousand" | "billion" | "dollars" | "euros" | "pounds"
                    )
                })
        };
        let found = (0..near.len()).find(|&i| is_money(near[i]) || spoken(i));
        if let Some(amount) = found.map(|i| near[i]) {
            let at_amount = after.find(amount).unwrap_or(0);
            let tail: String = after[at_amount..]
                .split_whitespace()
                .take_while(|w| !matches!(lower(w).as_str(), "and" | "but" | "which" | "so"))
                .collect::<Vec<_>>()
                .join(" ");
            return Some(format!("Budget: {}", tail.trim_end_matches(['.', ','])));
        }
    }
    None
}

/// "go-live slipped to Q1 2028 because of the SAP upgrade": the deadline moved, and why.
fn moved_deadline(text: &str, low: &str) -> Option<String> {
    let bare = ["the ", "our ", "their "]
        .iter()
        .find_map(|d| low.strip_prefix(d))
        .unwrap_or(low);
    let opener = ["go-live", "go live", "deadline", "launch", "cutover"]
        .iter()
        .find(|o| bare.starts_with(**o))?;
    let rest = bare[opener.len()..].trim_start();
    let verb = [
        "slipped to ",
        "moved to ",
        "pushed to ",
        "shifted to ",
        "is now ",
        "was moved to ",
        "has moved to ",
        "now ",
    ]
    .iter()
    .find(|v| rest.starts_with(**v))?;
    let at = text.len() - rest.len() + verb.len();
    let value = text[at..].trim().trim_end_matches('.');
    let (date, why) = match value.find(" because ").or_else(|| value.find(" due to ")) {
        Some(cut) => (&value[..cut], Some(value[cut..].trim())),
        None => (value, None),
    };
    if date.is_empty() {
        return None;
    }
    let said = verb.trim().trim_end_matches(" to").trim_end_matches(" now");
    Some(match why {
        Some(why) => format!("Deadline: {date} ({said} {why})"),
        None => format!("Deadline: {date}"),
    })
}

/// "Black Friday is the hard deadline", "$2M is the approved budget": the value said first.
fn value_then_label(text: &str, low: &str) -> Option<String> {
    for tail in [
        " is the hard deadline",
        " is the deadline",
        " is the firm deadline",
        " is our deadline",
        " is the go-live",
        " is the budget",
        " is the approved budget",
        " is the timeline",
    ] {
        if let Some(value) = low.strip_suffix(tail).map(|v| &text[..v.len()])
            && !value.trim().is_empty()
            && value.split_whitespace().count() <= 4
        {
            let label = if tail.ends_with("budget") {
                "Budget"
            } else if tail.ends_with("timeline") {
                "Timeline"
            } else {
                "Deadline"
            };
            return Some(format!("{label}: {}", value.trim()));
        }
    }
    None
}

/// The amount of money a text names, as written: "~$3.5M", "$2M", "15 million dollars", "1.2
/// million euros".
fn money_phrase(text: &str) -> Option<String> {
    let ws: Vec<&str> = text.split_whitespace().collect();
    let clean = |w: &str| w.trim_end_matches(['.', ',', ';']).to_owned();
    for (i, w) in ws.iter().enumerate() {
        if is_money(w.trim_start_matches(['~', '≈'])) {
            return Some(clean(w));
        }
        let number = core(w).replace(',', "").parse::<f64>().is_ok();
        let scale = ws.get(i + 1).map(|n| lower(n));
        if number
            && matches!(
                scale.as_deref(),
                Some("million" | "thousand" | "billion" | "dollars" | "euros" | "pounds")
            )
        {
            let mut end = i + 2;
            if !ws[i + 1].ends_with([',', '.', ';'])
                && ws.get(end).is_some_and(|c| {
                    matches!(
                        lower(c).as_str(),
                        "dollars" | "euros" | "pounds" | "usd" | "eur" | "gbp" | "chf"
                    )
                })
            {
                end += 1;
            }
            return Some(clean(&ws[i..end].join(" ")));
        }
    }
    None
}

/// The value after a label's opener: " is $500K", ": 9 months", " of $2M", " March 2027", " before
/// Black Friday".
fn label_value<'t>(label: &str, text: &'t str, rest_low: &str) -> Option<&'t str> {
    // "go-live target Q4 2027", "go-live date: June", "budget cap is $2M".
    let rest_low = [
        " target date",
        " target",
        " date",
        " goal",
        " cap",
        " ceiling",
    ]
    .iter()
    .find_map(|q| {
        rest_low
            .strip_prefix(q)
            .filter(|r| r.starts_with([' ', ':']))
    })
    .unwrap_or(rest_low);
    let start = text.len() - rest_low.len();
    let links = [
        " is ",
        " are ",
        " was ",
        " will be ",
        " of ",
        ": ",
        " = ",
        " - ",
        " — ",
        ":",
    ];
    for link in links {
        if rest_low.starts_with(link) {
            let value = text[start + link.len()..].trim();
            let value = value.strip_prefix("about ").unwrap_or(value);
            let value = value.strip_prefix("now ").unwrap_or(value);
            let value = value.trim_end_matches(['.', ',']);
            return (!value.is_empty()).then_some(value);
        }
    }
    let value = text[start..].trim();
    // "contact Jürgen Weiß (Head of IT)": a person's name needs no verb.
    if label == "Contact"
        && rest_low.starts_with(' ')
        && value
            .split_whitespace()
            .next()
            .is_some_and(|w| capitalised(w) && !NOT_NAMES.contains(&lower(w).as_str()))
    {
        return Some(value.trim_end_matches(['.', ',']));
    }
    if !VALUE_LABELS.contains(&label) || !rest_low.starts_with(' ') {
        return None;
    }
    let first = lower(value.split_whitespace().next().unwrap_or_default());
    let dated = first.chars().any(|c| c.is_ascii_digit())
        || is_money(&first)
        || DATE_WORDS.contains(&first.as_str())
        || matches!(
            first.as_str(),
            "around"
                | "roughly"
                | "approximately"
                | "about"
                | "under"
                | "over"
                | "before"
                | "by"
                | "in"
                | "within"
        );
    (dated && !value.is_empty()).then(|| value.trim_end_matches(['.', ',']))
}

/// "… to the cloud by the end of March" -> ("… to the cloud", Some("end of March")).
fn split_deadline(text: &str) -> (String, Option<String>) {
    let low = text.to_ascii_lowercase();
    for marker in [" by ", " before ", " no later than "] {
        let Some(at) = low.rfind(marker) else {
            continue;
        };
        let tail = &text[at + marker.len()..];
        let first = lower(tail.split_whitespace().next().unwrap_or_default());
        let dated = DATE_WORDS.contains(&first.as_str())
            || (!first.is_empty()
                && first
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == '/' || c == '-'));
        let words = tail.split_whitespace().count();
        if dated && words <= 6 && at > 0 {
            let head = text[..at].trim().to_owned();
            let tail = tail.trim();
            let tail = tail
                .strip_prefix("the ")
                .or_else(|| tail.strip_prefix("The "))
                .unwrap_or(tail);
            let tail = if marker == " before " {
                format!("before {tail}")
            } else {
                tail.to_owned()
            };
            if !head.is_empty() {
                return (head, Some(tail));
            }
        }
    }
    (text.to_owned(), None)
}

/// "at 14:05 checkout errors jumped to 30%" -> "14:05 — Checkout errors jumped to 30%".
fn timestamped(text: &str) -> Option<String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let at = words.iter().position(|w| is_clock(core(w)))?;
    let time = core(words[at]).to_owned();
    let mut rest: Vec<&str> = Vec::new();
    for (i, w) in words.iter().enumerate() {
        if i == at || (i + 1 == at && matches!(lower(w).as_str(), "at" | "around" | "by")) {
            continue;
        }
        rest.push(w);
    }
    let rest = rest.join(" ");
    let rest = rest.trim_end_matches([',', '.']);
    if rest.split_whitespace().count() < 2 {
        return None;
    }
    Some(format!("{time} — {}", capitalise(rest)))
}

/// "we need to move back once …" -> "To do: move back once …".
fn to_do(text: &str) -> Option<String> {
    let low = text.to_ascii_lowercase();
    for opener in [
        "we need to ",
        "we have to ",
        "we must ",
        "we should ",
        "we still need to ",
        "the team needs to ",
        "someone needs to ",
        "need to ",
        "todo: ",
        "to do: ",
        "action: ",
        "action item: ",
        "follow up: ",
        "next step: ",
        "next step is to ",
        "next steps: ",
    ] {
        if let Some(rest) = low.strip_prefix(opener) {
            let value = &text[text.len() - rest.len()..];
            return Some(format!("To do: {}", value.trim()));
        }
    }
    None
}

/// "Wants to move 40 TB …" / "needs to migrate 50 applications" / "looking to migrate 25
/// applications" -> "Scope: …".
fn scope(text: &str) -> Option<String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let lows: Vec<String> = words.iter().map(|w| lower(w)).collect();
    let opener = matches!(
        lows.first().map(String::as_str),
        Some(
            "wants"
                | "needs"
                | "plans"
                | "has"
                | "want"
                | "need"
                | "plan"
                | "have"
                | "looking"
                | "planning"
                | "hoping"
                | "aiming"
                | "intends"
                | "expects"
        )
    );
    let to = lows.get(1).is_some_and(|w| w == "to");
    let verb = lows.get(2).map(String::as_str).unwrap_or_default();
    if opener && to && SCOPE_VERBS.iter().any(|v| verb.starts_with(v)) {
        return Some(format!("Scope: {}", words[2..].join(" ")));
    }
    // "move their platform to Azure" (after "helping X"), "migrate 40 applications"
    if lows
        .first()
        .is_some_and(|w| SCOPE_VERBS.contains(&w.as_str()))
        && words.len() >= 3
    {
        return Some(format!("Scope: {}", words.join(" ")));
    }
    // "moving its ERP and 20 apps to the cloud"
    let moving = lows.first().is_some_and(|w| {
        SCOPE_VERBS
            .iter()
            .any(|v| w.starts_with(&v[..v.len().min(4)]) && w.ends_with("ing"))
    });
    if moving && words.len() >= 3 {
        return Some(format!("Scope: {}", words.join(" ")));
    }
    None
}

/// "mostly Java with Oracle databases" -> "Stack: mostly Java with Oracle databases".
fn stack(text: &str) -> Option<String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let lows: Vec<String> = words.iter().map(|w| lower(w)).collect();
    let first = lows.first()?.as_str();
    let techs = words.iter().filter(|w| is_tech(w)).count();
    let wants = lows
        .iter()
        .any(|w| matches!(w.as_str(), "want" | "wants" | "need" | "needs" | "to"));
    let opener = matches!(
        first,
        "mostly"
            | "mainly"
            | "primarily"
            | "largely"
            | "all"
            | "everything"
            | "running"
            | "runs"
            | "using"
            | "uses"
            | "built"
            | "written"
            | "on"
            | "a"
            | "some"
            | "systems"
    ) || is_tech(words[0]);
    (techs > 0 && !wants && (opener || techs >= 2 || is_tech_list(&words)))
        .then(|| format!("Stack: {text}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(text: &str) -> Vec<String> {
        facts(text, "Alice", Some("TechCorp"), Some("ACME Corp"))
    }

    #[test]
    fn the_seed_demo_prompt() {
        assert_eq!(
            f(
                "I'm Alice from TechCorp. We're working with ACME Corp on a cloud migration project. Budget is $500K, timeline is 9 months, they need to migrate 50 applications, mostly Java with Oracle databases."
            ),
            [
                "Project: cloud migration",
                "Budget: $500K",
                "Timeline: 9 months",
                "Scope: migrate 50 applications",
                "Stack: mostly Java with Oracle databases"
            ]
        );
    }

    /// What the speaker says about themselves or how they want the work done is not a fact
    /// about the customer (extraction proposes it as a memory about the person); a first-person
    /// clause about the customer still is.
    #[test]
    fn the_speaker_s_own_role_and_preferences_are_not_customer_facts() {
        for (said, kept) in [
            (
                "I lead discovery. ACME runs 40 stores.",
                vec!["Runs 40 stores"],
            ),
            ("I prefer short bullet lists.", vec![]),
            (
                "Please always quote the file. Budget is $2M.",
                vec!["Budget: $2M"],
            ),
            ("I'd rather see tables. They need SSO.", vec!["Needs SSO"]),
        ] {
            assert_eq!(f(said), kept, "{said}");
        }
    }

    /// A short clause naming the customer and then what it does or prefers is a fact, whatever
    /// the verb; one that only relates us to the customer is not.
    #[test]
    fn the_customer_then_a_verb_is_a_fact() {
        let g = |text: &str| facts(text, "Alice", None, Some("Wayne Enterprises"));
        for (said, kept) in [
            (
                "Wayne Enterprises signed the pilot.",
                vec!["Signed the pilot"],
            ),
            (
                "Wayne Enterprises pushed their go-live to 2028.",
                vec!["Pushed their go-live to 2028"],
            ),
            (
                "Wayne Enterprises prefers on-site workshops.",
                vec!["Prefers on-site workshops"],
            ),
            (
                "Wayne Enterprises prefers workshops on site.",
                vec!["Prefers workshops on site"],
            ),
            (
                "Note for the team: Wayne Enterprises insists on fixed prices.",
                vec!["Insists on fixed prices"],
            ),
            (
                "Wayne Enterprises loves dashboards.",
                vec!["Loves dashboards"],
            ),
            (
                "Wayne Enterprises avoids vendor lock-in.",
                vec!["Avoids vendor lock-in"],
            ),
            ("We met Wayne Enterprises today.", vec![]),
            ("Working with Wayne Enterprises this week.", vec![]),
            ("Just got off a call with Wayne Enterprises.", vec![]),
        ] {
            assert_eq!(g(said), kept, "{said}");
        }
    }

    /// Clauses after "they …" share its subject, and money set apart is the budget.
    #[test]
    fn a_list_after_they_and_money_set_aside() {
        let g = |text: &str| facts(text, "Alice", None, Some("Cyberdyne Systems"));
        assert_eq!(
            g(
                "Quick recap from today's call with Cyberdyne Systems: they run 2,000 VMs on VMware, want out of their data centre by end of 2027, and have ~$3.5M set aside."
            ),
            [
                "Stack: runs 2,000 VMs on VMware",
                "Wants out of their data centre",
                "Deadline: end of 2027",
                "Budget: ~$3.5M"
            ]
        );
        assert_eq!(g("They have $2M approved for the pilot."), ["Budget: $2M"]);
        assert_eq!(
            g("They're running SAP, want everything on Azure."),
            ["Stack: running SAP", "Wants everything on Azure"]
        );
        assert_eq!(
            g("They use Oracle, need SSO and plan a pilot."),
            ["Stack: uses Oracle", "Needs SSO and plans a pilot"]
        );
        // A clause that is no verb keeps its words.
        assert_eq!(
            g("They run SAP, data centre in Frankfurt."),
            ["Stack: runs SAP", "Data centre in Frankfurt"]
        );
    }

    /// "FYI - Soylent Corp (food manufacturing) has …": the dash goes, the brackets are a fact.
    #[test]
    fn a_dash_after_an_opener_and_brackets_after_the_name() {
        let g = |text: &str| facts(text, "Alice", None, Some("Soylent Corp"));
        assert_eq!(
            g("FYI - Soylent Corp (food manufacturing) has 12 factories and 400 SAP users."),
            ["Food manufacturing", "Has 12 factories and 400 SAP users"]
        );
        assert_eq!(
            g("Update – Soylent Corp now runs 14 factories."),
            ["Runs 14 factories"]
        );
    }

    /// A person's initial is no sentence end, reported speech is the fact, and a second
    /// predicate after "and" is a fact of its own.
    #[test]
    fn an_initial_reported_speech_and_a_second_predicate() {
        let g = |text: &str| facts(text, "Alice", None, Some("Acme Rockets"));
        assert_eq!(
            g(
                "Hey team, I just got off the phone with Acme Rockets. Their head of IT, Wile E. Coyote, says they have 45 legacy .NET apps, need everything in Azure within 18 months and can spend up to $800K."
            ),
            [
                "Wile E. Coyote (head of IT)",
                "Has 45 legacy .NET apps",
                "Needs everything in Azure within 18 months",
                "Budget: $800K"
            ]
        );
    }

    /// An adjective before a label ("hard deadline is …") and the person who owns a value.
    #[test]
    fn a_hard_deadline_and_who_owns_the_budget() {
        let g = |text: &str| facts(text, "Alice", None, Some("Hooli"));
        assert_eq!(
            g("Hard deadline is Black Friday 2027."),
            ["Deadline: Black Friday 2027"]
        );
        assert_eq!(g("The approved budget is $2M."), ["Budget: $2M"]);
        assert_eq!(
            g("Gavin Belson (CEO) owns the budget of $4.2M."),
            ["Budget: $4.2M", "Contact: Gavin Belson (CEO)"]
        );
    }

    /// Text whose lowercase is longer than itself cannot misplace a cut.
    #[test]
    fn reported_speech_after_letters_that_grow_in_lowercase() {
        let g = |text: &str| facts(text, "Alice", None, Some("Initech"));
        let kept = g("İ Dana Ortiz (CTO) says they have 40 apps.");
        assert!(kept.iter().any(|f| f == "Has 40 apps"), "{kept:?}");
        let kept = g("Dana Ortiz (CTO) says İstanbul hosts 3 offices.");
        assert!(kept.iter().any(|f| f.contains("3 offices")), "{kept:?}");
        assert_eq!(g("Budget is İİİİ $5M."), ["Budget: İİİİ $5M"]);
        assert_eq!(g("They have a budget of ÀÉÎ İ $2M."), ["Budget: $2M"]);
    }

    /// A correction's old value is not kept as a fact of its own.
    #[test]
    fn a_correction_s_old_value_is_dropped() {
        let g = |text: &str| facts(text, "Alice", None, Some("Stark Industries"));
        for (said, kept) in [
            (
                "Correction: Stark's budget is €5M, not €4M.",
                vec!["Budget: €5M"],
            ),
            (
                "Their deadline is Q3 2027, not Q2 2027.",
                vec!["Deadline: Q3 2027"],
            ),
            ("They run 45 plants (not 40).", vec!["Runs 45 plants"]),
            (
                "They deploy on Tuesdays, not on Fridays.",
                vec!["Deploys on Tuesdays", "Not on Fridays"],
            ),
        ] {
            assert_eq!(g(said), kept, "{said}");
        }
    }

    /// "They now run …": the verb after the adverb takes the -s.
    #[test]
    fn an_adverb_before_the_verb_stays_as_it_is() {
        let g = |text: &str| facts(text, "Alice", None, Some("Wayne Enterprises"));
        assert_eq!(g("They now run 45 plants."), ["Now runs 45 plants"]);
        assert_eq!(g("They still use Oracle."), ["Still uses Oracle"]);
        assert_eq!(g("It already has SSO."), ["Already has SSO"]);
    }

    #[test]
    fn people_keep_their_roles() {
        assert_eq!(
            f("Their CTO, Dana Ortiz, signs off on anything over 500k."),
            ["Dana Ortiz (CTO) signs off on anything over 500k"]
        );
        assert_eq!(
            f("Contact is Maria Lopez, VP of IT."),
            ["Contact: Maria Lopez (VP of IT)"]
        );
    }

    #[test]
    fn budgets_said_in_words_are_budgets() {
        for (text, want) in [
            (
                "They need one data platform, with a budget of 1.2 million euros.",
                "Budget: 1.2 million euros",
            ),
            (
                "Their budget is around 750 thousand dollars.",
                "Budget: around 750 thousand dollars",
            ),
            ("We have a budget of €2M for it.", "Budget: €2M for it"),
        ] {
            let facts = f(text);
            assert!(facts.iter().any(|x| x == want), "{text}: {facts:?}");
        }
    }

    #[test]
    fn labels_before_and_after_values() {
        assert_eq!(
            f("12 apps, 9 month timeline, $800k budget, go-live before Black Friday."),
            [
                "12 apps",
                "Timeline: 9 month",
                "Budget: $800k",
                "Deadline: before Black Friday"
            ]
        );
        assert_eq!(
            f("deadline March 2027, budget $3M"),
            ["Deadline: March 2027", "Budget: $3M"]
        );
        assert_eq!(
            f("Timeline is 3 months and the budget is $90K."),
            ["Timeline: 3 months", "Budget: $90K"]
        );
    }

    /// Phrasings presenters typed in rehearsals: (the customer, what was said, the facts).
    const PRESENTER_PHRASINGS: &[(&str, &str, &[&str])] = &[
        (
            "Contoso",
            "Contoso (retail, 85 stores in Germany) needs to keep customer data in the EU.",
            &[
                "Retail, 85 stores in Germany",
                "Needs to keep customer data in the EU",
            ],
        ),
        (
            "Müller & Söhne GmbH",
            "12 plants, budget €3M, contact Jürgen Weiß (Head of IT).",
            &[
                "12 plants",
                "Budget: €3M",
                "Contact: Jürgen Weiß (Head of IT)",
            ],
        ),
        (
            "Umbrella Health",
            "Budget $2.5M, contact is Dr. Rosa Diaz (CIO).",
            &["Budget: $2.5M", "Contact: Dr. Rosa Diaz (CIO)"],
        ),
        (
            "Tyrell Corp",
            "Contact Eldon Tyrell, budget not confirmed yet.",
            &["Contact: Eldon Tyrell", "Budget not confirmed yet"],
        ),
        (
            "Northwind Traders",
            "They've got about 300 servers running Windows. They'd like to cut hosting costs by 30%.",
            &[
                "Has about 300 servers running Windows",
                "Wants to cut hosting costs by 30%",
            ],
        ),
        (
            "Acme Logistics",
            "acme logistics wants to move their warehouse system to gcp by june next year budget 400k contact is bob smith",
            &[
                "Scope: move their warehouse system to gcp",
                "Deadline: june next year",
                "Budget: 400k",
                "Contact: bob smith",
            ],
        ),
        (
            "Oceanic Airlines",
            "Oceanic Airlines has 200 apps and wants to be out of its data center within two years.",
            &[
                "Has 200 apps",
                "Wants to be out of its data center within 2 years",
            ],
        ),
        (
            "Initech",
            "Peter Gibbons is our champion.",
            &["Contact: Peter Gibbons (champion)"],
        ),
        (
            "Oceanic Airlines",
            "They have two hundred apps; the board approved fifteen million dollars.",
            &["Has 200 apps", "Budget: 15 million dollars"],
        ),
        (
            "Cyberdyne Systems",
            "Miles Dyson (VP Engineering) is the exec sponsor.",
            &["Contact: Miles Dyson (VP Engineering, exec sponsor)"],
        ),
        (
            "Wonka Industries",
            "- budget ~€4M\n- sponsor: Charlie Bucket (COO)",
            &["Budget: ~€4M", "Contact: Charlie Bucket (COO)"],
        ),
        (
            "Acme Bank",
            "PCI DSS, budget $1.5M, live by September.",
            &["PCI DSS", "Budget: $1.5M", "Deadline: September"],
        ),
        (
            "Duff Beer",
            "Had coffee with Jane Doe from Duff Beer.",
            &["Contact: Jane Doe"],
        ),
        (
            "Duff Beer",
            "Black Friday is the hard deadline. Budget around 250k.",
            &["Deadline: Black Friday", "Budget: around 250k"],
        ),
        (
            "Nakatomi Trading",
            "Contact: Harry Ellis, IT director.",
            &["Contact: Harry Ellis (IT director)"],
        ),
        (
            "Soylent Corp",
            "20 plants across LATAM, SAP S/4HANA on-prem, want to be on GCP.",
            &[
                "20 plants across LATAM",
                "Stack: SAP S/4HANA on-prem",
                "Wants to be on GCP",
            ],
        ),
        (
            "Wonka Industries",
            "want to move to Azure, phase 1 by Q2 2027",
            &["Scope: move to Azure", "Deadline: Q2 2027 (phase 1)"],
        ),
        (
            "Pied Piper",
            "They're price sensitive.",
            &["Price sensitive"],
        ),
        (
            "Initech",
            "Globex and Initech both want SSO with Okta before the end of Q2.",
            &["Wants SSO with Okta", "Deadline: before end of Q2"],
        ),
        (
            "Globex",
            "Globex and Initech both want SSO with Okta before the end of Q2.",
            &["Wants SSO with Okta", "Deadline: before end of Q2"],
        ),
        (
            "Initech",
            "Go-live slipped to Q1 2028 because of the SAP upgrade; budget unchanged.",
            &["Deadline: Q1 2028 (slipped because of the SAP upgrade)"],
        ),
        (
            "Initech",
            "The deadline moved to June.",
            &["Deadline: June"],
        ),
        (
            "Stark Industries",
            "Go-live target Q4 2027.",
            &["Deadline: Q4 2027"],
        ),
    ];

    /// Phrasings presenters typed in a rehearsal: asides with commas, roles of several words,
    /// contractions, a run-on message without punctuation, two predicates, a champion.
    #[test]
    fn presenter_phrasings() {
        let g = |subject: &str, text: &str| facts(text, "Alice", None, Some(subject));
        for (subject, text, want) in PRESENTER_PHRASINGS {
            assert_eq!(g(subject, text), *want, "{text}");
        }
    }

    #[test]
    fn incident_lines() {
        assert_eq!(
            facts(
                "Incident log: at 14:05 checkout errors jumped to 30%. I switched traffic to the backup provider at 14:20 and errors dropped to 2%.",
                "Alice",
                None,
                None
            ),
            [
                "14:05 — Checkout errors jumped to 30%",
                "14:20 — Alice switched traffic to the backup provider and errors dropped to 2%"
            ]
        );
        assert_eq!(
            facts(
                "Update: the backup provider charges 0.4% more per transaction. We need to move back once the main provider is healthy.",
                "Alice",
                None,
                None
            ),
            [
                "The backup provider charges 0.4% more per transaction",
                "To do: move back once the main provider is healthy"
            ]
        );
    }
}
