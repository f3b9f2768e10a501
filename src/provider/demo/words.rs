//! The demo model's grammar of what people say in team demos: sentences that keep numbers
//! whole, who is speaking and for which company, and the customer or topic a message is
//! about (the facts themselves are `facts.rs`).
//!
//! It is a small, hand-written grammar over words (no weights, no tables of sentences): a
//! name is a run of capitalised words; a subject is the name after a relation ("working
//! with", "our customer", "about"), the name a sentence is about ("Globex wants …"), or a
//! topic such as an incident.

/// A message split into prose and attached code blocks.
#[derive(Debug, Default, PartialEq)]
pub struct Parts {
    pub prose: String,
    pub code: Vec<Code>,
}

#[derive(Debug, PartialEq)]
pub struct Code {
    /// The fence's language tag (`py`, `rust`), possibly empty.
    pub lang: String,
    pub text: String,
}

/// Separate fenced code blocks (```lang … ```) from the prose around them.
pub fn split_code(message: &str) -> Parts {
    let mut parts = Parts::default();
    let mut lines = message.lines();
    while let Some(line) = lines.next() {
        let Some(tag) = line.trim_start().strip_prefix("```") else {
            parts.prose.push_str(line);
            parts.prose.push('\n');
            continue;
        };
        let mut text = String::new();
        for body in lines.by_ref() {
            if body.trim_start().starts_with("```") {
                break;
            }
            text.push_str(body);
            text.push('\n');
        }
        parts.code.push(Code {
            lang: tag.trim().to_owned(),
            text,
        });
    }
    parts
}

/// Abbreviations after which a full stop does not end a sentence.
const ABBREVIATIONS: [&str; 12] = [
    "e.g", "i.e", "etc", "vs", "mr", "mrs", "ms", "dr", "approx", "no", "st", "jr",
];

/// Sentences of prose. A `.`, `!` or `?` ends one only when a space or the end follows, so
/// `0.4%`, `$2.4M`, `.NET`, `Node.js` and `14:05` stay whole; a line break ends one too.
pub fn sentences(prose: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    // Notes pasted as a list: each item's marker ("- ", "* ", "• ", "1. ") is no word of it.
    let prose: String = prose
        .lines()
        .map(without_marker)
        .collect::<Vec<_>>()
        .join("\n");
    let chars: Vec<char> = prose.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c == '\n' {
            push_sentence(&mut out, &mut current);
            continue;
        }
        current.push(c);
        if matches!(c, '.' | '!' | '?') && chars.get(i + 1).is_none_or(|n| n.is_whitespace()) {
            let last_word = current
                .trim_end_matches(['.', '!', '?'])
                .rsplit(char::is_whitespace)
                .next()
                .unwrap_or_default()
                .to_lowercase();
            if c == '.' && ABBREVIATIONS.contains(&last_word.as_str()) {
                continue;
            }
            // An initial ("Wile E. Coyote"): one capital letter is no sentence.
            let initial = c == '.'
                && i >= 1
                && chars[i - 1].is_uppercase()
                && (i < 2 || chars[i - 2].is_whitespace())
                && chars.get(i + 2).is_some_and(|n| n.is_uppercase());
            if initial {
                continue;
            }
            push_sentence(&mut out, &mut current);
        }
    }
    push_sentence(&mut out, &mut current);
    out
}

/// A line without the list marker it opens with.
fn without_marker(line: &str) -> &str {
    let t = line.trim_start();
    for marker in ["- ", "* ", "• ", "– ", "— ", "+ ", "> "] {
        if let Some(rest) = t.strip_prefix(marker) {
            return rest.trim_start();
        }
    }
    let digits = t.chars().take_while(char::is_ascii_digit).count();
    if (1..=2).contains(&digits)
        && let Some(rest) = t[digits..]
            .strip_prefix(". ")
            .or_else(|| t[digits..].strip_prefix(") "))
    {
        return rest.trim_start();
    }
    t
}

fn push_sentence(out: &mut Vec<String>, current: &mut String) {
    let s = current.trim();
    if !s.is_empty() {
        out.push(s.to_owned());
    }
    current.clear();
}

/// A word with the punctuation around it taken off (inner `.`, `&`, `-`, `'` and `:` kept).
pub fn core(word: &str) -> &str {
    word.trim_matches(|c: char| !(c.is_alphanumeric() || matches!(c, '$' | '€' | '£' | '%')))
}

/// The word's letters in lower case, for comparisons.
pub(super) fn lower(word: &str) -> String {
    core(word).to_lowercase()
}

/// Capitalised words that never name a customer: pronouns, sentence openers, question and
/// request words, days, months, units and roles.
#[rustfmt::skip]
pub(super) const NOT_NAMES: &[&str] = &[
    "i", "i'm", "i've", "i'll", "i'd", "we", "we're", "we've", "we'll", "our", "ours", "us",
    "they", "they're", "their", "them", "he", "she", "his", "her", "it", "its", "it's", "this",
    "that", "these", "those", "the", "a", "an", "please", "remember", "hi", "hello", "hey",
    "thanks", "thank", "also", "update", "note", "fyi", "one", "based", "let", "let's", "can",
    "could", "would", "should", "will", "what", "who", "when", "where", "which", "how", "why",
    "is", "are", "do", "does", "did", "tell", "propose", "design", "draft", "write", "create",
    "summarize", "summarise", "record", "save", "store", "before", "after", "then", "and", "but",
    "so", "or", "if", "incident", "log", "yes", "no", "ok", "okay", "good", "great", "just",
    "today", "tomorrow", "yesterday", "now", "here", "there", "quick", "sure", "btw", "ps",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january",
    "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct",
    "nov", "dec", "q1", "q2", "q3", "q4", "h1", "h2", "fy", "cto", "cio", "ceo", "cfo", "coo",
    "ciso", "cpo", "vp", "svp", "evp", "it", "hr", "api", "apis", "sla", "slo", "rto", "rpo", "tb",
    "gb", "pb", "mb", "kpi", "roi", "poc", "pov", "mvp", "sow", "rfp", "rfi", "eta", "utc", "est",
    "pst", "cet", "gdpr", "hipaa", "pci", "sox", "iso", "soc", "dr", "ha", "ui", "ux", "ai", "ml",
    "llm", "saas", "paas", "iaas", "erp", "crm", "wms", "etl", "cdn", "vpn", "sso", "mfa", "team",
    "everyone", "all", "some", "any", "next", "last", "first", "second", "third", "new", "old",
    "more", "another", "plus", "meanwhile", "currently", "finally", "overall", "per", "re",
    "regarding", "customer", "client", "project", "budget", "timeline", "deadline", "risk",
    "risks", "scope", "status", "action", "actions", "todo", "decision", "decisions", "background",
    "context", "summary", "goal", "goals", "requirements", "requirement", "vms", "vm", "apps",
    "app", "tbs", "dbs", "db", "os", "ids", "usd", "eur", "gbp", "key", "big", "quick", "fresh",
    "call", "notes", "news", "meeting", "recap", "talked", "met", "spoke", "had", "got", "using",
    "use", "pull", "put", "sketch", "prepare", "build", "give", "make", "send", "check", "look",
    "find", "read", "review", "draft", "help", "forget", "delete", "remove", "erase", "show",
    "list", "compare", "add", "change", "rename", "clear", "describe", "explain", "confirm",
    "remind", "what's", "who's", "where's", "when's", "why's", "how's", "that's", "there's",
    "here's", "what’s", "who’s", "where’s", "when’s", "why’s", "how’s", "that’s", "there’s",
    "here’s", "whats", "hows", "wheres", "go-live", "golive", "kickoff", "kick-off", "cutover",
    "launch", "rollout", "pilot", "phase", "migration", "delivery", "contract", "renewal",
    "onboarding", "contact", "contacts", "attendees", "agenda", "participants", "takeaways",
    "highlights", "outcome", "outcomes", "stakeholders", "questions", "issues", "concerns",
    "constraints", "challenges", "stack", "current", "pain", "follow-up", "followup", "owner",
    "owners", "champion", "sponsor", "christmas", "xmas", "easter", "thanksgiving", "two",
    "three", "four", "five", "six", "seven", "eight", "nine", "ten", "several", "many", "few",
    "couple", "both", "each",
];

/// Technologies: named in a stack, never a customer unless a customer word names them.
#[rustfmt::skip]
pub const TECHNOLOGIES: &[&str] = &[
    "java", "oracle", ".net", "net", "c#", "sql", "server", "postgres", "postgresql", "mysql",
    "mariadb", "mongodb", "cassandra", "kafka", "rabbitmq", "kubernetes", "k8s", "docker",
    "openshift", "aws", "azure", "gcp", "google", "cloud", "sap", "hana", "salesforce",
    "mainframe", "cobol", "db2", "python", "node", "node.js", "javascript", "typescript", "react",
    "angular", "php", "ruby", "rails", "go", "golang", "rust", "scala", "spark", "hadoop",
    "snowflake", "databricks", "redis", "elasticsearch", "terraform", "ansible", "vmware",
    "windows", "linux", "unix", "solaris", "aix", "websphere", "weblogic", "jboss", "tomcat",
    "spring", "teradata", "informatica", "tableau", "sharepoint", "exchange", "dynamics",
    "servicenow", "workday", "jenkins", "gitlab", "github", "okta", "citrix", "netezza",
    "bigquery", "redshift", "dynamodb", "s3", "lambda", "ec2", "cosmos", "iis", "nginx",
    "s/4hana", "s/4", "r/3", "ecc", "abap", "as/400", "z/os", "iseries", "gke", "eks", "aks",
    "ecs", "rds", "vpc", "iam", "fargate", "openstack", "nutanix", "hyper-v", "vsphere",
    "istio", "helm", "argocd", "datadog", "splunk", "grafana", "prometheus", "zendesk", "jira",
    "confluence", "slack", "hubspot", "shopify", "stripe", "netsuite", "magento", "sitecore",
    "tls", "ssl", "dns", "http", "https", "tcp", "ssh", "sftp", "smtp", "oauth", "saml", "ldap",
    "jwt", "cert", "certs",
];

/// Company suffixes: part of a name, not its core (`ACME Corp` and `Acme` are one customer).
#[rustfmt::skip]
const SUFFIXES: &[&str] = &[
    "industries", "enterprises", "systems", "technologies", "solutions", "labs", "international",
    "worldwide", "corp", "corporation", "inc", "incorporated", "ltd", "limited", "llc", "llp",
    "gmbh", "ag", "sa", "sas", "bv", "nv", "plc", "co", "company", "group", "holdings", "ab", "oy",
    "as", "pty", "srl", "spa", "kk",
];

/// Words that say the customer comes next.
const CUSTOMER_WORDS: &[&str] = &["customer", "client", "prospect", "account"];

/// Places: a name after "in"/"across" is where, not who.
const PLACE_WORDS: &[&str] = &["in", "into", "across", "throughout", "within", "near"];

/// Relations after which a name is who the message is about.
const RELATIONS: &[&[&str]] = &[
    &["working", "with"],
    &["work", "with"],
    &["partnering", "with"],
    &["engagement", "with"],
    &["deal", "with"],
    &["phone", "with"],
    &["call", "with"],
    &["meeting", "with"],
    &["met", "with"],
    &["spoke", "with"],
    &["spoke", "to"],
    &["talked", "to"],
    &["talked", "with"],
    &["talking", "to"],
    &["heard", "from"],
    &["email", "from"],
    &["met"],
    &["visited"],
    &["signed"],
    &["onboarded"],
    &["won"],
    &["helping"],
    &["from"],
    &["on"],
    &["about"],
    &["for"],
    &["on", "behalf", "of"],
    &["regarding"],
    &["re"],
    &["with"],
    // "Treffen mit …", "Reunión con …", "Réunion avec …": presenters type in their language.
    &["mit"],
    &["con"],
    &["avec"],
];

/// Role words that mark a name next to them as a person.
#[rustfmt::skip]
pub(super) const ROLES: &[&str] = &[
    "cto", "cio", "ceo", "cfo", "coo", "ciso", "cpo", "vp", "head", "director", "manager", "lead",
    "sponsor", "contact", "architect", "engineer", "owner", "champion", "buyer", "president",
    "chief", "officer", "founder", "co-founder", "cofounder", "chair", "chairman", "chairwoman",
    "stakeholder",
];

/// Is this word capitalised (or all capitals, or a digit-led brand like 3M)?
pub(super) fn capitalised(word: &str) -> bool {
    let c = core(word);
    // Money and shares are no names ("1,5 M€", "30%").
    if c.contains(['$', '€', '£', '¥', '%']) {
        return false;
    }
    let mut chars = c.chars();
    match chars.next() {
        Some(first) if first.is_uppercase() => true,
        // A brand led by a digit ("3M"), in ASCII: "2027年Q3までに" is a date.
        Some(first) if first.is_ascii_digit() => {
            c.chars().all(|ch| ch.is_ascii_alphanumeric())
                && c.chars().any(char::is_uppercase)
                && !c.chars().any(char::is_lowercase)
        }
        _ => false,
    }
}

/// A run of capitalised words in a sentence.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Name {
    pub text: String,
    /// Index of its first and one past its last word.
    pub start: usize,
    pub end: usize,
}

/// The names in a sentence's words: runs of capitalised words (joined by `&`, `of`, `and` only
/// between two capitalised words), ended by punctuation or a possessive.
pub(super) fn names(words: &[&str]) -> Vec<Name> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        if !capitalised(words[i]) || NOT_NAMES.contains(&lower(words[i]).as_str()) {
            i += 1;
            continue;
        }
        let start = i;
        let (part, mut stopped) = name_part(words, i);
        let mut parts = vec![part];
        let mut end = i + 1;
        while !stopped && end < words.len() {
            let w = words[end];
            let joiner = matches!(core(w), "&" | "of" | "and") || w == "&";
            if joiner
                && words
                    .get(end + 1)
                    .is_some_and(|n| capitalised(n) && !NOT_NAMES.contains(&lower(n).as_str()))
            {
                parts.push(if w == "&" { "&" } else { core(w) }.to_owned());
                end += 1;
                continue;
            }
            // An aside in brackets is no part of the name ("Jürgen Weiß (Head of IT)").
            if !capitalised(w) || NOT_NAMES.contains(&lower(w).as_str()) || w.starts_with('(') {
                break;
            }
            let (part, stop) = name_part(words, end);
            parts.push(part);
            end += 1;
            stopped = stop;
        }
        out.push(Name {
            text: parts.join(" "),
            start,
            end,
        });
        i = end;
    }
    out
}

/// Abbreviations that open a name ("St. Mary's Hospital", "Mt. Sinai").
const TITLES: [&str; 6] = ["st", "mt", "ft", "dr", "pt", "sr"];

/// Nouns that make a possessive part of a name ("St. Mary's Hospital", "Wendy's Foods").
const ORG_NOUNS: [&str; 16] = [
    "hospital",
    "clinic",
    "college",
    "university",
    "school",
    "church",
    "foods",
    "kitchen",
    "bakery",
    "pharmacy",
    "restaurants",
    "restaurant",
    "health",
    "care",
    "bank",
    "stores",
];

/// The word at `i` as part of a name, and whether the name ends with it.
fn name_part(words: &[&str], i: usize) -> (String, bool) {
    let w = words[i];
    let next = words.get(i + 1).filter(|n| capitalised(n));
    let low = core(w).to_lowercase();
    if w.ends_with('.') && TITLES.contains(&low.as_str()) && next.is_some() {
        return (format!("{}.", core(w)), false);
    }
    // An initial between names: "Wile E. Coyote".
    let initial = core(w).chars().count() == 1 && core(w).chars().all(char::is_uppercase);
    if w.ends_with('.') && initial && next.is_some() && i > 0 {
        return (format!("{}.", core(w)), false);
    }
    let possessive = low.ends_with("'s") || low.ends_with("’s");
    if possessive && next.is_some_and(|n| ORG_NOUNS.contains(&lower(n).as_str())) {
        return (core(w).to_owned(), false);
    }
    (name_word(w), ends_phrase(w))
}

/// A word of a name without its possessive `'s` or trailing punctuation.
fn name_word(word: &str) -> String {
    let c = core(word);
    c.strip_suffix("'s")
        .or_else(|| c.strip_suffix("’s"))
        .unwrap_or(c)
        .trim_end_matches('.')
        .to_owned()
}

/// Punctuation or a possessive after this word ends the name it is in.
fn ends_phrase(word: &str) -> bool {
    word.ends_with([',', ';', ':', '.', '!', '?', ')'])
        || core(word).ends_with("'s")
        || core(word).ends_with("’s")
}

/// Who is speaking and for which company, from "I'm Alice from `TechCorp`", "This is John at
/// Initech", "Priya here, from Contoso", "we at `TechCorp`".
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Speaker {
    pub name: Option<String>,
    pub company: Option<String>,
}

pub fn speaker(prose: &str) -> Speaker {
    let mut found = Speaker::default();
    for sentence in sentences(prose) {
        let words: Vec<&str> = sentence.split_whitespace().collect();
        let lows: Vec<String> = words.iter().map(|w| lower(w)).collect();
        for i in 0..words.len() {
            let intro = match lows[i].as_str() {
                "i'm" | "i’m" | "im" => Some(i + 1),
                "i" if lows.get(i + 1).is_some_and(|w| w == "am") => Some(i + 2),
                "this" if lows.get(i + 1).is_some_and(|w| w == "is") => Some(i + 2),
                "it's" | "it’s" if i == 0 => Some(i + 1),
                // "Priya here, from Contoso" / "Alice from TechCorp again"
                _ if i == 0
                    && capitalised(words[0])
                    && !NOT_NAMES.contains(&lows[0].as_str())
                    && lows.get(1).is_some_and(|w| w == "here" || w == "from") =>
                {
                    Some(0)
                }
                _ => None,
            };
            if let Some(at) = intro
                && let Some(word) = words.get(at)
                && capitalised(word)
                && !NOT_NAMES.contains(&lower(word).as_str())
                && found.name.is_none()
            {
                found.name = Some(name_word(word));
                if let Some(company) = company_after(&words, &lows, at + 1) {
                    found.company = Some(company);
                }
            }
            // "Priya here, from Contoso" / "we at TechCorp" / "here at TechCorp"
            if matches!(lows[i].as_str(), "we" | "here" | "us")
                && lows.get(i + 1).is_some_and(|w| w == "at")
                && found.company.is_none()
            {
                found.company = name_at(&words, i + 2);
            }
        }
    }
    found
}

/// "from X", "at X", ", X's", "with X" right after a speaker's name (skipping a role: "I'm
/// Alice, account manager at `TechCorp`").
fn company_after(words: &[&str], lows: &[String], from: usize) -> Option<String> {
    let mut i = from;
    let limit = (from + 6).min(words.len());
    while i < limit {
        // A sentence of its own starts: no company here.
        if i > 0 && words[i - 1].ends_with(['.', '!', '?']) {
            return None;
        }
        if matches!(lows[i].as_str(), "from" | "at" | "with") {
            return name_at(words, i + 1);
        }
        i += 1;
    }
    None
}

/// The name starting at word `at`, if one does.
fn name_at(words: &[&str], at: usize) -> Option<String> {
    let rest = words.get(at..)?;
    names(rest)
        .into_iter()
        .find(|n| n.start == 0)
        .map(|n| n.text)
}

/// The core of a name for comparing: lower case, company suffixes dropped.
pub fn name_key(name: &str) -> Vec<String> {
    let words: Vec<String> = name
        .split(|c: char| !c.is_alphanumeric() && c != '&')
        .filter(|w| !w.is_empty())
        // "Müller & Söhne" is the file müller_and_söhne.
        .map(|w| {
            if w == "&" {
                "and".to_owned()
            } else {
                w.to_lowercase()
            }
        })
        .collect();
    let kept: Vec<String> = words
        .iter()
        .filter(|w| !SUFFIXES.contains(&w.as_str()))
        .cloned()
        .collect();
    if kept.is_empty() { words } else { kept }
}

/// Do two names name the same company? (`ACME Corp` = `Acme` = `acme_corp`)
pub fn same_name(a: &str, b: &str) -> bool {
    let (a, b) = (name_key(a), name_key(b));
    !a.is_empty() && a == b
}

/// A party memory already has a file for, named in `prose` by a capitalised word ("Globex
/// staging database is…", where a sentence's first word alone says nothing): the name as
/// written. Files named after common words (notes, decisions) do not count.
pub fn known_party(prose: &str, files: &[String]) -> Option<Subject> {
    let stems: Vec<&str> = files
        .iter()
        .filter_map(|f| f.rsplit('/').next()?.strip_suffix(".md"))
        .filter(|s| !NOT_NAMES.contains(s) && !COMMON_NOUNS.contains(s) && !s.contains("notes"))
        .collect();
    prose
        .split_whitespace()
        .filter(|w| capitalised(w))
        .map(|w| core(w).trim_end_matches("'s").trim_end_matches("’s"))
        .filter(|w| w.chars().count() > 2 && !NOT_NAMES.contains(&lower(w).as_str()))
        .find(|w| stems.iter().any(|s| same_name(s, w)))
        .map(|w| Subject::Customer(w.to_owned()))
}

/// A file name for a subject: `ACME Corp` -> `acme_corp`, `AT&T` -> `at_and_t`.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.replace('&', " and ").chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    let out = out.trim_end_matches('_').to_owned();
    if out.is_empty() {
        "team_notes".to_owned()
    } else {
        out
    }
}

/// What a message is about: a customer (or other named party) or a topic such as an incident.
#[derive(Clone, Debug, PartialEq)]
pub enum Subject {
    Customer(String),
    Topic(String),
}

impl Subject {
    pub fn title(&self) -> &str {
        match self {
            Subject::Customer(t) | Subject::Topic(t) => t,
        }
    }
}

/// The customer (or topic) a message is about, never the speaker's own company or a person.
pub fn subject(prose: &str, speaker: &Speaker, person: &str) -> Option<Subject> {
    subjects(prose, speaker, person).into_iter().next()
}

/// Every party the message could be about, the likeliest first (a topic such as an incident
/// last, when no party is named).
pub fn subjects(prose: &str, speaker: &Speaker, person: &str) -> Vec<Subject> {
    let mut found: Vec<(i32, usize, String)> = Vec::new();
    let mut order = 0;
    for sentence in sentences(prose) {
        // A dash on its own is punctuation: it ends a name ("Hooli - 250 microservices").
        let words: Vec<&str> = sentence.split_whitespace().collect();
        let lows: Vec<String> = words.iter().map(|w| lower(w)).collect();
        let mut named = names(&words);
        // A customer typed in lower case after a strong relation counts as well.
        named.extend(lower_case_customer(&words, &lows));
        named.extend(lower_case_opening(&words, &lows));
        for name in named {
            order += 1;
            let Some(score) = score(&name, &words, &lows, speaker, person) else {
                continue;
            };
            if score < 1 {
                continue;
            }
            match found.iter_mut().find(|(_, _, n)| same_name(n, &name.text)) {
                Some(seen) => seen.0 = seen.0.max(score),
                None => found.push((score, order, name.text.clone())),
            }
        }
    }
    // Highest score first; among equals, the first mentioned.
    found.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    // An incident log ("at 14:05 checkout errors jumped …") is about the incident unless a
    // party is named as such (a relation, a customer word).
    let timed = prose.split_whitespace().any(|w| is_clock(core(w)));
    let first = timed && found.first().is_none_or(|f| f.0 < 5);
    let topic = topic(prose);
    let mut out: Vec<Subject> = Vec::new();
    if first {
        out.extend(topic.clone());
    }
    out.extend(found.into_iter().map(|(_, _, n)| Subject::Customer(n)));
    if !first {
        out.extend(topic);
    }
    out
}

/// "working with acme on …": a lower-case name right after a strong relation.
fn lower_case_customer(words: &[&str], lows: &[String]) -> Option<Name> {
    for (i, w) in lows.iter().enumerate() {
        let strong = matches!(w.as_str(), "customer" | "client" | "prospect")
            || (w == "with"
                && i > 0
                && matches!(
                    lows[i - 1].as_str(),
                    "working"
                        | "call"
                        | "meeting"
                        | "phone"
                        | "met"
                        | "spoke"
                        | "talked"
                        | "chatted"
                        | "workshop"
                        | "session"
                ));
        if !strong {
            continue;
        }
        // Up to three lower-case words ("müller logistik"), to a preposition or punctuation.
        let mut parts: Vec<String> = Vec::new();
        for (k, next) in words.iter().enumerate().skip(i + 1).take(3) {
            let low = lower(next);
            let plain = low.len() > 1 && low.chars().all(|c| c.is_alphanumeric() || c == '-');
            if !plain
                || capitalised(next)
                || NOT_NAMES.contains(&low.as_str())
                || COMMON_NOUNS.contains(&low.as_str())
                || ROLES.contains(&low.as_str())
            {
                break;
            }
            parts.push(capitalise(&low));
            if next.ends_with([',', '.', ';', ':']) || k == i + 3 {
                break;
            }
        }
        if !parts.is_empty() && parts.join("").len() > 2 {
            return Some(Name {
                text: parts.join(" "),
                start: i + 1,
                end: i + 1 + parts.len(),
            });
        }
    }
    None
}

/// "acme logistics wants …": up to three lower-case words opening a sentence, before a verb
/// that only a party does, when they are no pronoun, department or common word.
fn lower_case_opening(words: &[&str], lows: &[String]) -> Option<Name> {
    const VERBS: [&str; 11] = [
        "wants", "needs", "runs", "uses", "has", "plans", "operates", "employs", "signed",
        "requires", "relies",
    ];
    #[rustfmt::skip]
    const GENERIC: &[&str] = &[
        "everyone", "everybody", "someone", "somebody", "nobody", "everything", "something",
        "nothing", "finance", "legal", "security", "management", "leadership", "engineering",
        "sales", "marketing", "ops", "operations", "procurement", "board", "infra",
        "infrastructure", "product", "devops", "sre", "each", "every", "both", "most", "many",
        "none", "people", "users", "customers", "staff", "employees", "company", "business",
        "org", "organisation", "organization", "department", "dept", "group", "he", "she",
        "anyone", "anybody", "platform", "system", "application", "service",
    ];
    let verb = lows
        .iter()
        .take(4)
        .position(|w| VERBS.contains(&w.as_str()))?;
    let opening = &words[..verb];
    let plain = |w: &&str| {
        let low = lower(w);
        !capitalised(w)
            && low.len() > 1
            && low.chars().all(char::is_alphabetic)
            && !w.ends_with([',', '.', ';', ':'])
            && !NOT_NAMES.contains(&low.as_str())
            && !COMMON_NOUNS.contains(&low.as_str())
            && !ROLES.contains(&low.as_str())
            && !GENERIC.contains(&low.as_str())
            && !TECHNOLOGIES.contains(&low.as_str())
    };
    if opening.is_empty() || !opening.iter().all(plain) {
        return None;
    }
    Some(Name {
        text: opening
            .iter()
            .map(|w| capitalise(&lower(w)))
            .collect::<Vec<_>>()
            .join(" "),
        start: 0,
        end: verb,
    })
}

/// Lower-case words after "customer" that are not a customer's name.
#[rustfmt::skip]
const COMMON_NOUNS: &[&str] = &[
    "on", "in", "for", "about", "is", "was", "and", "to", "who", "that", "proposal",
    "requirements", "requirement", "information", "info", "data", "notes", "file", "files",
    "architecture", "memory", "details", "facts", "story", "list", "success", "service", "support",
    "experience", "base", "side", "team", "call", "meeting", "feedback", "request", "requests",
    "names", "name", "needs", "journey", "portal", "account", "accounts", "calls", "wants", "has",
    "had", "will", "would", "said", "asked", "told",
];

/// Verbs that, right after a sentence's first word, make that word its subject ("Globex
/// wants …", "Initech signed …").
#[rustfmt::skip]
const SUBJECT_VERBS: &[&str] = &[
    "wants", "needs", "is", "has", "runs", "uses", "signed", "plans", "operates", "asked",
    "called", "said", "will", "would", "just", "currently", "already", "also", "must", "requires",
    "expects", "hopes", "have", "are", "was", "were", "agreed", "approved", "decided", "moved",
    "relies", "depends", "wants", "employs", "sells", "owns", "builds", "makes", "ships", "serves",
    "opened", "closed", "confirmed", "chose", "picked", "prefers", "likes", "insists", "avoids",
    "cannot", "deploys", "hosts", "keeps", "stores", "now", "still", "recently", "finally",
    "officially",
];

/// A dash standing on its own between words.
fn is_dash(word: &str) -> bool {
    matches!(word, "-" | "–" | "—" | "--")
}

/// "the Hooli kickoff", "our Globex call": a meeting named after the party, at `at`.
fn meeting_after(lows: &[String], at: usize) -> bool {
    lows.get(at).is_some_and(|w| {
        matches!(
            w.trim_end_matches([',', '.', ':', ';']),
            "kickoff"
                | "kick-off"
                | "call"
                | "meeting"
                | "workshop"
                | "visit"
                | "sync"
                | "discovery"
                | "session"
                | "demo"
                | "review"
                | "account"
                | "deal"
                | "team"
        )
    })
}

/// "Initech update: …", "Globex news": news named after the party, at `at` (not "Alice's
/// update", said of a person).
fn news_after(lows: &[String], at: usize) -> bool {
    lows.get(at).is_some_and(|w| {
        matches!(
            w.as_str(),
            "update" | "updates" | "news" | "recap" | "status"
        )
    })
}

/// A verb of the name's own at `at`: a known one, or any past tense ("Initech pushed …",
/// "Globex signed …").
fn verb_after(lows: &[String], at: usize) -> bool {
    lows.get(at).is_some_and(|w| {
        SUBJECT_VERBS.contains(&w.as_str())
            || (w.len() > 4 && w.ends_with("ed") && w.chars().all(char::is_alphabetic))
    })
}

/// How strongly a name is the message's subject; `None` when it cannot be.
fn score(
    name: &Name,
    words: &[&str],
    lows: &[String],
    speaker: &Speaker,
    person: &str,
) -> Option<i32> {
    let key = name_key(&name.text);
    let is = |other: &str| same_name(&name.text, other);
    if is(person)
        || speaker.name.as_deref().is_some_and(is)
        || speaker.company.as_deref().is_some_and(is)
    {
        return None;
    }
    let before = |n: usize| -> Option<&str> {
        name.start
            .checked_sub(n)
            .and_then(|i| lows.get(i))
            .map(String::as_str)
    };
    let multiword = name.text.split_whitespace().count() > 1;
    let has_suffix = key.len() < name.text.split_whitespace().count();
    let after_customer_word = before(1).is_some_and(|w| CUSTOMER_WORDS.contains(&w))
        || (before(1).is_some_and(|w| w == "is" || w == "called" || w == "named")
            && before(2).is_some_and(|w| CUSTOMER_WORDS.contains(&w)))
        || words.get(name.end).is_some_and(|w| {
            w.starts_with('(')
                && CUSTOMER_WORDS.iter().any(|c| {
                    lower(w).contains(c) || words.get(name.end + 1).is_some_and(|n| lower(n) == *c)
                })
        });
    let technology = key.iter().all(|w| TECHNOLOGIES.contains(&w.as_str()))
        || TECHNOLOGIES.contains(&name.text.to_lowercase().as_str());
    if technology && !after_customer_word && !has_suffix {
        return None;
    }
    let possessive = words
        .get(name.end.saturating_sub(1))
        .is_some_and(|w| core(w).ends_with("'s") || core(w).ends_with("’s"));
    if !possessive && !has_suffix && is_person(name, words, lows) {
        return None;
    }
    if before(1).is_some_and(|w| PLACE_WORDS.contains(&w)) && !has_suffix && !after_customer_word {
        return None;
    }
    let mut score = 1;
    if after_customer_word {
        score += 6;
    }
    let relation = RELATIONS.iter().any(|rel| {
        rel.iter()
            .rev()
            .enumerate()
            .all(|(k, w)| before(k + 1) == Some(*w))
    });
    if relation {
        score += 4;
    }
    let news = news_after(lows, name.end) && !possessive && !technology;
    if (meeting_after(lows, name.end) && !technology) || news {
        score += 4;
    }
    if has_suffix {
        score += 2;
    }
    if possessive {
        score += 2;
    }
    // A sentence's first word is capitalised anyway: it names the subject only when a verb
    // follows ("Globex wants …"), or when it is a longer or all-capital name.
    let lead: Vec<usize> = (0..words.len()).filter(|&i| !is_dash(words[i])).collect();
    let opens = lead.first() == Some(&name.start)
        || (lead.get(1) == Some(&name.start)
            && matches!(lows[lead[0]].as_str(), "and" | "also" | "so" | "fyi"));
    if opens {
        let verb_next = verb_after(lows, name.end);
        let all_caps = name.text.len() > 1 && name.text.chars().all(|c| !c.is_lowercase());
        // "Initech: 2 data centres", "Contoso (retail) needs …", "Hooli - 250 services".
        let heading = words[name.end - 1].ends_with(':')
            || words
                .get(name.end)
                .is_some_and(|w| w.starts_with('(') || is_dash(w));
        if verb_next || possessive || heading || news {
            score += 2;
        } else if !(multiword || all_caps || has_suffix || after_customer_word) {
            return Some(0);
        }
    }
    if name.text.len() > 1 && name.text.chars().all(|c| !c.is_lowercase()) {
        score += 1;
    }
    // Typed in lower case: a name only when nothing capitalised says otherwise.
    if words.get(name.start).is_some_and(|w| !capitalised(w)) {
        score -= 1;
    }
    Some(score)
}

/// Next to a role ("their CTO, Dana Ortiz", "Dana Ortiz, CTO"), or said to have one ("Richard
/// Hendricks is the founder"): a person.
fn is_person(name: &Name, words: &[&str], lows: &[String]) -> bool {
    let is_role = |i: usize| lows.get(i).is_some_and(|w| ROLES.contains(&w.as_str()));
    let is_a_role = lows
        .get(name.end)
        .is_some_and(|w| matches!(w.as_str(), "is" | "was"))
        && (name.end + 1..name.end + 4).any(is_role);
    // "Stark Industries - CISO Pepper Potts": a role followed by a name is that name's.
    // Not a role in brackets: "Miles Dyson (VP Engineering)" is the person with that role.
    let role_of_next = |at: usize| {
        !words[at].starts_with('(')
            && words.get(at + 1).is_some_and(|n| {
                capitalised(n) && !n.ends_with(')') && !NOT_NAMES.contains(&lower(n).as_str())
            })
    };
    let role_after = (name.end..name.end + 2)
        .find(|&i| is_role(i))
        .is_some_and(|i| !role_of_next(i));
    // "Jane from Duff Beer", "Jane at Duff Beer": the person from a company named next.
    let of_company = lows
        .get(name.end)
        .is_some_and(|w| matches!(w.as_str(), "from" | "at"))
        && words.get(name.end + 1).is_some_and(|n| {
            let low = lower(n);
            capitalised(n)
                && !NOT_NAMES.contains(&low.as_str())
                && !TECHNOLOGIES.contains(&low.as_str())
        })
        && name.text.split_whitespace().count() <= 2;
    (name.start.saturating_sub(2)..name.start).any(is_role) || role_after || is_a_role || of_company
}

/// A topic without a named party: an incident ("checkout errors", "the payments outage").
fn topic(prose: &str) -> Option<Subject> {
    const EVENTS: [&str; 5] = ["incident", "outage", "errors", "failures", "degradation"];
    const NOT_TOPICS: [&str; 12] = [
        "the", "an", "a", "our", "their", "this", "that", "log:", "log", "of", "its", "major",
    ];
    let lows: Vec<String> = prose
        .split_whitespace()
        .map(|w| core(w).to_lowercase())
        .collect();
    let mentions_event = lows.iter().any(|w| EVENTS.contains(&w.as_str()));
    if !mentions_event {
        return None;
    }
    for (i, w) in lows.iter().enumerate() {
        if !EVENTS.contains(&w.as_str()) || i == 0 {
            continue;
        }
        let before = &lows[i - 1];
        if before.is_empty()
            || NOT_TOPICS.contains(&before.as_str())
            || before.chars().any(|c| c.is_ascii_digit())
            || before.len() < 3
        {
            continue;
        }
        return Some(Subject::Topic(format!("{before} incident")));
    }
    Some(Subject::Topic("incident".to_owned()))
}

/// A lowercased message without the courtesy it opens with (please, can you, could you, let's,
/// now), so that it starts with what it asks for.
pub fn request(lower: &str) -> &str {
    ["please ", "can you ", "could you ", "let's ", "now "]
        .iter()
        .fold(lower.trim_start(), |l, p| l.strip_prefix(p).unwrap_or(l))
}

/// "$500K", "2.4M", "€1.2m", "500k", "$500,000", "USD": money-looking words.
pub fn is_money(word: &str) -> bool {
    let w = word.trim_matches(|c: char| matches!(c, ',' | '.' | ';' | ')' | '('));
    if w.starts_with(['$', '€', '£']) {
        return w.chars().any(|c| c.is_ascii_digit());
    }
    let lowered = w.to_ascii_lowercase();
    let unit = ["bn", "mn", "mm", "k", "m", "b"]
        .iter()
        .find(|u| lowered.ends_with(**u))
        .map_or(0, |u| u.len());
    let digits = &w[..w.len() - unit];
    digits.len() < w.len()
        && !digits.is_empty()
        && digits
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
        && digits.chars().next().is_some_and(|c| c.is_ascii_digit())
}

fn core_money(word: &str) -> &str {
    word.trim_matches(|c: char| matches!(c, ',' | '.' | ';' | ')' | '('))
}

/// An amount of money in a text: its value, the currency sign to print before it and the
/// currency word to print after it ("$2.4M" -> 2.4e6, "$", ""; "3.5 million euros" -> 3.5e6,
/// "€", ""; "750k USD" -> 7.5e5, "", " USD").
pub fn amount(text: &str) -> Option<(f64, String, String)> {
    let ws: Vec<&str> = text.split_whitespace().collect();
    for (i, w) in ws.iter().enumerate() {
        let plain = core_money(w).replace(',', "");
        let number = plain.parse::<f64>().ok();
        let Some(mut value) = money_value(w).filter(|_| is_money(w)).or(number) else {
            continue;
        };
        let mut next = i + 1;
        let scale = ws.get(next).map(|n| lower(n));
        let scaled = match scale.as_deref() {
            Some("million" | "mln" | "mio") => Some(1e6),
            Some("billion" | "bn") => Some(1e9),
            Some("thousand") => Some(1e3),
            _ => None,
        };
        if let Some(k) = scaled {
            value *= k;
            next += 1;
        } else if !is_money(w) {
            continue;
        }
        let mut sign: String = core_money(w)
            .chars()
            .take_while(|c| matches!(c, '$' | '€' | '£'))
            .collect();
        let mut suffix = String::new();
        match ws.get(next).map(|n| lower(n)).as_deref() {
            Some("dollars" | "dollar") if sign.is_empty() => "$".clone_into(&mut sign),
            Some("euros" | "euro") if sign.is_empty() => "€".clone_into(&mut sign),
            Some("pounds" | "pound") if sign.is_empty() => "£".clone_into(&mut sign),
            Some(code @ ("usd" | "eur" | "gbp" | "chf" | "cad" | "aud" | "jpy")) => {
                suffix = format!(" {}", code.to_uppercase());
            }
            _ => {}
        }
        return Some((value, sign, suffix));
    }
    None
}

/// The amount in dollars (or whatever currency) that a money word stands for.
pub fn money_value(word: &str) -> Option<f64> {
    let w = core_money(word);
    let w = w.trim_start_matches(['$', '€', '£']);
    let lowered = w.to_ascii_lowercase();
    let (digits, scale) = [
        ("bn", 1e9),
        ("mn", 1e6),
        ("mm", 1e6),
        ("k", 1e3),
        ("m", 1e6),
        ("b", 1e9),
    ]
    .iter()
    .find(|(u, _)| lowered.ends_with(u))
    .map_or((w, 1.0), |(u, scale)| (&w[..w.len() - u.len()], *scale));
    digits
        .replace(',', "")
        .parse::<f64>()
        .ok()
        .map(|v| v * scale)
}

/// Number words as digits, as a note writes them: "two hundred apps" -> "200 apps", "fifteen
/// million dollars" -> "15 million dollars", "twenty-five sites" -> "25 sites". A lone "one" is
/// left ("one more thing", "one data platform"), as is a number word before no noun.
pub fn numerals(text: &str) -> String {
    const UNITS: [&str; 20] = [
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
    ];
    const TENS: [&str; 8] = [
        "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
    ];
    let value = |w: &str| -> Option<u64> {
        let w = w.to_lowercase();
        if let Some(u) = UNITS.iter().position(|u| *u == w) {
            return u64::try_from(u).ok();
        }
        if let Some(t) = TENS.iter().position(|t| *t == w) {
            return u64::try_from(t * 10 + 20).ok();
        }
        // "twenty-five"
        let (t, u) = w.split_once('-')?;
        let t = TENS.iter().position(|x| *x == t)?;
        let u = UNITS[1..10].iter().position(|x| *x == u)?;
        u64::try_from(t * 10 + 20 + u + 1).ok()
    };
    let ws: Vec<&str> = text.split_whitespace().collect();
    let mut out: Vec<String> = Vec::with_capacity(ws.len());
    let mut i = 0;
    while i < ws.len() {
        let bare = ws[i].trim_end_matches([',', '.', ';', ':']);
        // "zero downtime", "zero trust" say no count.
        let Some(first) = value(bare).filter(|&n| bare == ws[i] && n > 0) else {
            out.push(ws[i].to_owned());
            i += 1;
            continue;
        };
        // "two hundred", "twenty five", "a number and its hundreds".
        let (mut n, mut end) = (first, i + 1);
        if let Some(next) = ws.get(end) {
            let low = next.trim_end_matches([',', '.', ';', ':']).to_lowercase();
            if low == "hundred" {
                n *= 100;
                end += 1;
            } else if (20..100).contains(&n)
                && n % 10 == 0
                && let Some(u) = value(&low).filter(|u| (1..10).contains(u))
            {
                n += u;
                end += 1;
            }
        }
        let last = ws[end - 1];
        let noun_next = !last.ends_with([',', '.', ';', ':'])
            && ws.get(end).is_some_and(|w| {
                let c = core(w);
                // "Two updates: …" is a heading, not a count.
                !w.ends_with(':')
                    && c.chars().next().is_some_and(char::is_lowercase)
                    && value(c).is_none()
                    && !matches!(
                        c,
                        "of" | "or" | "and" | "to" | "more" | "is" | "are" | "was" | "were"
                    )
            });
        if (n == 1 && end == i + 1) || !noun_next {
            out.extend(ws[i..end].iter().map(|w| (*w).to_owned()));
        } else {
            out.push(n.to_string());
        }
        i = end;
    }
    out.join(" ")
}

/// `14:05`, `9:30`, `14:05Z`.
pub fn is_clock(word: &str) -> bool {
    let w = word.trim_end_matches(['Z', 'z']);
    let Some((h, m)) = w.split_once(':') else {
        return false;
    };
    (1..=2).contains(&h.len())
        && m.len() == 2
        && h.chars().all(|c| c.is_ascii_digit())
        && m.chars().all(|c| c.is_ascii_digit())
}

/// First letter in capitals.
pub fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Lower-case words of a text (letters, digits, inner `-`, `.` and `#`), for matching.
pub fn tokens(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || matches!(c, '-' | '#' | '.' | '&')))
        .map(|w| w.trim_matches(['.', '-']).to_lowercase())
        .filter(|w| !w.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_keep_numbers_whole() {
        assert_eq!(
            sentences(
                "The backup provider charges 0.4% more. We use .NET and Node.js. Done at 14:05."
            ),
            [
                "The backup provider charges 0.4% more.",
                "We use .NET and Node.js.",
                "Done at 14:05."
            ]
        );
        assert_eq!(
            sentences("Budget is $2.4M, e.g. for licences. Timeline 14 months"),
            ["Budget is $2.4M, e.g. for licences.", "Timeline 14 months"]
        );
        assert_eq!(
            sentences("Call notes\n- 3 factories\n* budget ~€4M\n2. sponsor: Dana\n• SSO"),
            [
                "Call notes",
                "3 factories",
                "budget ~€4M",
                "sponsor: Dana",
                "SSO"
            ]
        );
    }

    #[test]
    fn the_speaker_and_their_company() {
        let s = speaker("I'm Alice from TechCorp. We're working with ACME Corp.");
        assert_eq!(s.name.as_deref(), Some("Alice"));
        assert_eq!(s.company.as_deref(), Some("TechCorp"));
        let s = speaker("Hi, this is Priya at Contoso Ltd, quick update.");
        assert_eq!(s.company.as_deref(), Some("Contoso Ltd"));
        let s = speaker("We at Northwind are helping Globex.");
        assert_eq!(s.company.as_deref(), Some("Northwind"));
    }

    #[test]
    fn money_values() {
        assert_eq!(money_value("$500K"), Some(500_000.0));
        assert_eq!(money_value("$2.4M,"), Some(2_400_000.0));
        assert_eq!(money_value("$500,000"), Some(500_000.0));
        assert_eq!(money_value("$1.5bn"), Some(1_500_000_000.0));
        assert!(is_money("750k") && !is_money("14:05") && !is_money("50"));
    }

    /// Whom a message is about, in wordings presenters type: contractions of question words
    /// are not names, a name opening the sentence counts before a verb of its own.
    #[test]
    fn the_party_a_message_is_about() {
        let none = Speaker::default();
        for (text, want) in [
            ("What's Stark's budget?", Some("Stark")),
            ("What’s Stark's budget?", Some("Stark")),
            ("Who's Globex's contact?", Some("Globex")),
            ("How's Initech doing?", Some("Initech")),
            ("Initech prefers on-site workshops.", Some("Initech")),
            ("Whats the plan for Umbrella Corp?", Some("Umbrella Corp")),
            ("What's the budget?", None),
            // A heading, an aside or a dash after the opening name.
            (
                "Initech: 2 data centres, 450 VMs, mostly Linux.",
                Some("Initech"),
            ),
            (
                "Contoso (retail, 85 stores in Germany) needs to keep customer data in the EU.",
                Some("Contoso"),
            ),
            ("Hooli - 250 microservices on GKE.", Some("Hooli")),
            ("Deadline: Christmas 2027.", None),
            ("We met Globex at AWS re:Invent.", Some("Globex")),
            (
                "Reunión con Banco Azul: 40 sucursales, presupuesto 1,5 M€.",
                Some("Banco Azul"),
            ),
            (
                "Treffen mit Müller AG: 12 Werke, Budget 2 Mio €.",
                Some("Müller AG"),
            ),
            ("3M wants to move 40 plants to Azure.", Some("3M")),
            ("会議: 予算 5000万円, 2027年Q3までにAWSへ移行", None),
            (
                "Initech update: go-live slipped to Q1 2028 because of the SAP upgrade.",
                Some("Initech"),
            ),
            (
                "Incident log: at 14:05 checkout errors jumped to 30%. Root cause: expired TLS cert.",
                None,
            ),
            (
                "Had coffee with Jane from Duff Beer — they're moving to Shopify.",
                Some("Duff Beer"),
            ),
            (
                "Cyberdyne Systems just signed! Miles Dyson (VP Engineering) is the exec sponsor.",
                Some("Cyberdyne Systems"),
            ),
            (
                "Stark Industries - CISO Pepper Potts. Requirements: SOC 2.",
                Some("Stark Industries"),
            ),
            (
                "Stark Industries, CISO Pepper Potts.",
                Some("Stark Industries"),
            ),
            (
                "Attendees: Dana Ortiz (CTO). Globex wants SSO.",
                Some("Globex"),
            ),
            // A contact named after the customer is a person.
            (
                "new prospect: Tyrell Corp, 40 TB of data. Contact Eldon Tyrell, budget not confirmed yet.",
                Some("Tyrell Corp"),
            ),
            (
                "Met with Müller & Söhne GmbH: 12 plants.",
                Some("Müller & Söhne GmbH"),
            ),
            // Typed in lower case, opening the message before a verb of its own.
            (
                "acme logistics wants to move their warehouse system to gcp",
                Some("Acme Logistics"),
            ),
            ("everyone wants the demo on Friday", None),
            ("finance needs the numbers by Monday", None),
        ] {
            let got = subject(text, &none, "John");
            let got = got.as_ref().and_then(|s| match s {
                Subject::Customer(name) => Some(name.as_str()),
                Subject::Topic(_) => None,
            });
            assert_eq!(got, want, "{text}");
        }
    }

    #[test]
    fn number_words_become_digits_before_a_noun() {
        for (text, want) in [
            ("has two hundred apps", "has 200 apps"),
            (
                "approved fifteen million dollars",
                "approved 15 million dollars",
            ),
            ("within two years", "within 2 years"),
            (
                "twenty-five sites and twenty five stores",
                "25 sites and 25 stores",
            ),
            ("one more thing", "one more thing"),
            ("zero downtime", "zero downtime"),
            ("one data platform", "one data platform"),
            ("two of them, or three.", "two of them, or three."),
            ("Three data centres", "3 data centres"),
            ("Two updates: Globex signed.", "Two updates: Globex signed."),
        ] {
            assert_eq!(numerals(text), want, "{text}");
        }
    }

    #[test]
    fn slugs_and_names() {
        assert_eq!(slug("ACME Corp"), "acme_corp");
        assert_eq!(slug("AT&T"), "at_and_t");
        assert!(same_name("ACME Corp", "Acme"));
        assert!(same_name("acme_corp", "ACME Corporation"));
        assert!(!same_name("Globex", "Acme"));
        assert!(same_name("Müller & Söhne", "müller_and_söhne_gmbh"));
    }
}
