//! The demo model on the team's task board (`memory::board`): opening the tasks a person asks
//! for, and working the board — look at it, claim the task meant for this persona once what it
//! comes after is done, do the work the task describes (the same work the message would ask
//! for), and mark it done with where the result is. Like every demo turn, each call plans again
//! from the calls made so far.

use serde_json::json;

use super::plan::{Done, Plan, PlannedBlock, Step, carry_out, viewed};
use super::{compose, words};
use crate::memory::board::{self, NewTask, Status, Task};
use crate::memory::{FileText, MemPath, Version};
use crate::provider::Request;

/// The board turn `prompt` asks for, if it asks about the board.
pub(super) fn plan(
    request: &Request,
    person: &str,
    prompt: &str,
    done: &[Done],
    earlier: &[String],
) -> Option<Plan> {
    let lower = prompt.to_lowercase();
    if let Some(tasks) = asked_to_open(prompt, &lower) {
        return Some(open(person, &tasks, done));
    }
    if asked_to_work(&lower) {
        return Some(work(request, person, prompt, done, earlier));
    }
    None
}

/// A task a message asks to open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Asked {
    pub title: String,
    pub assignee: Option<String>,
    pub after: Option<String>,
    pub notes: String,
}

/// The tasks a message asks to open: `None` when it does not ask to open any.
fn asked_to_open(prompt: &str, lower: &str) -> Option<Vec<Asked>> {
    // The message starts by asking for it: "Open ...", "Please add ...", "Can you put ...".
    let ask = words::request(lower);
    let verb = ["open ", "add ", "create ", "put ", "file "]
        .iter()
        .any(|v| ask.starts_with(v));
    let first = lower.split(['\n', '.']).next().unwrap_or_default();
    let about = first.contains("task") || first.contains("on the board");
    if !(verb && about) {
        return None;
    }
    // One task per list item, or per `;`-separated part of a single line.
    let items: Vec<&str> = if prompt.lines().any(|l| l.trim_start().starts_with("- ")) {
        prompt
            .lines()
            .filter_map(|l| l.trim_start().strip_prefix("- "))
            .collect()
    } else {
        let body = prompt
            .split_once(':')
            .filter(|(head, _)| !head.contains('"'))
            .map_or(prompt, |(_, rest)| rest);
        body.split(';').flat_map(and_then_more).collect()
    };
    let mut tasks: Vec<Asked> = items.iter().filter_map(|i| one_task(i)).collect();
    // "… and open a task "Proposal" for Sam after it": after the task before.
    for i in 1..tasks.len() {
        let refers = tasks[i].after.as_deref().is_some_and(|a| {
            matches!(
                a.to_lowercase().as_str(),
                "it" | "that"
                    | "that one"
                    | "this"
                    | "the first"
                    | "the first one"
                    | "the previous one"
            )
        });
        if refers {
            tasks[i].after = Some(tasks[i - 1].title.clone());
        }
    }
    (!tasks.is_empty()).then_some(tasks)
}

/// One sentence asking for several tasks, split where "and" starts the next: "add a task for
/// John to …, and open a task "…" for Sam" (an "and" inside a title or a task stays).
fn and_then_more(text: &str) -> Vec<&str> {
    let starts = [
        "open ",
        "add ",
        "create ",
        "put ",
        "file ",
        "a task",
        "another task",
        "\"",
        "\u{201c}",
    ];
    let mut parts = Vec::new();
    let mut from = 0;
    let mut search = 0;
    while let Some(at) = text[search..].find(" and ").map(|i| i + search) {
        let next = text[at + " and ".len()..].trim_start();
        let next = next.strip_prefix("then ").unwrap_or(next);
        let inside_quotes = text[..at].matches(['"', '\u{201c}', '\u{201d}']).count() % 2 == 1;
        if !inside_quotes && starts.iter().any(|s| next.to_lowercase().starts_with(s)) {
            parts.push(text[from..at].trim_end_matches([',', ' ']));
            from = at + " and ".len();
        }
        search = at + " and ".len();
    }
    parts.push(&text[from..]);
    parts
}

/// One task from an item: a quoted title (or "a task for NAME to DO"), `for NAME`, `after
/// "TITLE"` (or `after TITLE`), and notes after a colon.
fn one_task(item: &str) -> Option<Asked> {
    let item = item.trim().trim_end_matches(['.', ';']);
    let (head, notes) = match split_outside_quotes(item, ": ") {
        Some((head, notes)) if quoted(head).is_some() || head.contains(" for ") => {
            (head, notes.trim().to_owned())
        }
        _ => (item, String::new()),
    };
    let (title, rest) = match quoted(head) {
        Some((title, rest)) => (title, rest),
        None => {
            // "a task for Sam to draft the pricing sheet"
            let lower = head.to_ascii_lowercase();
            let at = lower.find(" to ")?;
            let title = head[at + 4..].trim();
            let mut chars = title.chars();
            let first = chars.next()?.to_uppercase().collect::<String>();
            (format!("{first}{}", chars.as_str()), head[..at].to_owned())
        }
    };
    let assignee =
        word_after(&rest, "for ").filter(|w| w.chars().next().is_some_and(char::is_uppercase));
    let after = rest.split_once("after ").map(|(_, a)| {
        quoted(a).map_or_else(
            || a.trim().trim_end_matches(['.', ',']).to_owned(),
            |(t, _)| t,
        )
    });
    Some(Asked {
        title: title.trim().to_owned(),
        assignee,
        after: after.filter(|a| !a.is_empty()),
        notes,
    })
}

/// `text` split at the first `sep` that is not inside quotes (a title may hold a colon).
fn split_outside_quotes<'a>(text: &'a str, sep: &str) -> Option<(&'a str, &'a str)> {
    let mut inside = false;
    for (i, c) in text.char_indices() {
        match c {
            '"' => inside = !inside,
            '\u{201c}' => inside = true,
            '\u{201d}' => inside = false,
            _ => {}
        }
        if !inside && text[i..].starts_with(sep) {
            return Some((&text[..i], &text[i + sep.len()..]));
        }
    }
    None
}

/// The first quoted text (straight or curly quotes) and everything after it.
fn quoted(text: &str) -> Option<(String, String)> {
    let (open, close) = [('"', '"'), ('\u{201c}', '\u{201d}')]
        .into_iter()
        .filter_map(|(o, c)| text.find(o).map(|at| (at, o, c)))
        .min()
        .map(|(_, o, c)| (o, c))?;
    let (_, rest) = text.split_once(open)?;
    let (title, after) = rest.split_once(close)?;
    (!title.trim().is_empty()).then(|| (title.trim().to_owned(), after.to_owned()))
}

/// The name after `marker` ("for John, after ..."): its words up to a comma or a lowercase one.
fn word_after(text: &str, marker: &str) -> Option<String> {
    let (_, rest) = text.split_once(marker)?;
    let words: Vec<&str> = rest
        .split(|c: char| c == ',' || c.is_whitespace())
        .take_while(|w| w.chars().next().is_some_and(char::is_uppercase))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

/// Whether a message asks to work the board.
fn asked_to_work(lower: &str) -> bool {
    let board = lower.contains("task board")
        || lower.contains("the board")
        || lower.contains("my task")
        || lower.contains("your task")
        || lower.contains("next task");
    let act = ["work", "claim", "pick up", "take", "do "]
        .iter()
        .any(|v| lower.contains(v));
    board && act
}

/// Open the tasks, one `create` per call; `after` names another task by its title or its name.
fn open(person: &str, asked: &[Asked], done: &[Done]) -> Plan {
    let id_of = |title: &str| {
        asked
            .iter()
            .find(|a| a.title.eq_ignore_ascii_case(title))
            .map_or_else(|| board::slug(title), |a| board::slug(&a.title))
    };
    let mut opened = Vec::new();
    for (i, task) in asked.iter().enumerate() {
        let id = board::slug(&task.title);
        let after: Vec<String> = task.after.iter().map(|a| id_of(a)).collect();
        let text = board::render(
            &NewTask {
                title: &task.title,
                assignee: task.assignee.as_deref(),
                after: &after,
                notes: &task.notes,
                id: None,
            },
            person,
        );
        let path = format!("{}/{id}.md", board::DIR);
        let call = json!({"command": "create", "path": path, "file_text": text});
        match done.iter().find(|d| d.input == call) {
            None => {
                let mut blocks = Vec::new();
                if i == 0 {
                    blocks.push(PlannedBlock::Text(format!(
                        "I'll put {} on the team's task board.",
                        count(asked.len(), "task")
                    )));
                }
                blocks.push(PlannedBlock::Tool(call));
                return Plan { blocks };
            }
            Some(d) if d.is_error => {
                return say(format!(
                    "I could not open \"{}\": {}",
                    task.title,
                    d.result.trim()
                ));
            }
            Some(_) => opened.push(match &task.assignee {
                Some(who) => format!("- **{}** for {who}{}", task.title, after_note(&after)),
                None => format!("- **{}**{}", task.title, after_note(&after)),
            }),
        }
    }
    say(format!(
        "The board has {} now (in /memories/tasks/):\n{}\nEach of you can claim yours: the \
         first claim wins, and a task waits until what it comes after is done.",
        count(opened.len(), "new task"),
        opened.join("\n")
    ))
}

fn after_note(after: &[String]) -> String {
    if after.is_empty() {
        String::new()
    } else {
        format!(", after {}", after.join(", "))
    }
}

fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

fn say(text: String) -> Plan {
    Plan {
        blocks: vec![PlannedBlock::Text(text)],
    }
}

fn tool(lead: Option<&str>, call: serde_json::Value) -> Plan {
    let mut blocks = Vec::new();
    if let Some(lead) = lead {
        blocks.push(PlannedBlock::Text(lead.to_owned()));
    }
    blocks.push(PlannedBlock::Tool(call));
    Plan { blocks }
}

/// Work the board: look, claim, work, mark done.
fn work(request: &Request, person: &str, prompt: &str, done: &[Done], earlier: &[String]) -> Plan {
    let Some(listing) = viewed(done, board::DIR) else {
        return tool(
            Some("Let me look at the team's task board."),
            json!({"command": "view", "path": board::DIR}),
        );
    };
    if listing.is_error {
        return say("The task board is empty: there is nothing for me to pick up.".to_owned());
    }
    let paths: Vec<String> = listing
        .result
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once('\t').map(|(_, p)| p.to_owned()))
        .filter(|p| board::is_task(p))
        .take(20)
        .collect();
    let mut tasks = Vec::new();
    for path in &paths {
        let Some(view) = viewed(done, path) else {
            return tool(None, json!({"command": "view", "path": path}));
        };
        if let Some(task) = read_task(path, &view.result).filter(|_| !view.is_error) {
            tasks.push(task);
        }
    }
    next_move(
        &Here {
            request,
            person,
            prompt,
            done,
            earlier,
        },
        &tasks,
    )
}

/// The turn a board move is planned in.
struct Here<'a> {
    request: &'a Request,
    person: &'a str,
    /// The person's message (a team run's carries the task's brief).
    prompt: &'a str,
    done: &'a [Done],
    earlier: &'a [String],
}

/// With the board read: go on with a claim, claim, wait, or say there is nothing to do.
fn next_move(here: &Here<'_>, tasks: &[Task]) -> Plan {
    let (person, done) = (here.person, here.done);
    let now = crate::clock::now_ms();
    // A claim made this turn, or an earlier one of mine not done.
    let claimed = done.iter().rev().find(|d| {
        d.input["command"] == "str_replace"
            && d.input["new_str"] == format!("status: claimed by {person}")
    });
    if let Some(claim) = claimed {
        let path = claim.input["path"].as_str().unwrap_or_default();
        let title = tasks
            .iter()
            .find(|t| t.path.to_string() == path)
            .map_or_else(|| path.to_owned(), |t| t.title.clone());
        if claim.is_error {
            return say(format!(
                "I could not claim \"{title}\": {}\nI'll leave it and look again when the board \
                 changes.",
                claim.result.trim()
            ));
        }
        let task = tasks.iter().find(|t| t.path.to_string() == path);
        return do_task(here, path, &title, task, &claim.result);
    }
    let mine = |t: &&Task| {
        t.assignee
            .as_deref()
            .is_some_and(|a| a.eq_ignore_ascii_case(person))
    };
    let unassigned = |t: &&Task| t.assignee.is_none();
    let open_now = |t: &&Task| !t.status.is_done() && t.status.held_at(now).is_none();
    let waiting = |t: &Task| -> Vec<String> {
        t.after
            .iter()
            .filter_map(|id| match tasks.iter().find(|o| &o.id == id) {
                Some(o) if o.status.is_done() => None,
                Some(o) => Some(format!("\"{}\" ({})", o.title, o.status)),
                None => Some(format!("{id} (not on the board)")),
            })
            .collect()
    };
    // Work already mine: claimed by me earlier and not finished.
    if let Some(task) = tasks.iter().find(
        |t| matches!(&t.status, Status::Claimed { by, .. } if by.eq_ignore_ascii_case(person)),
    ) {
        let status_line = format!("status: {}", task.status);
        return do_task(
            here,
            &task.path.to_string(),
            &task.title,
            Some(task),
            &status_line,
        );
    }
    let candidates: Vec<&Task> = tasks
        .iter()
        .filter(mine)
        .chain(tasks.iter().filter(unassigned))
        .filter(open_now)
        .collect();
    if let Some(task) = candidates.iter().find(|t| waiting(t).is_empty()) {
        let old = format!("status: {}", task.status);
        return tool(
            Some(&format!(
                "\"{}\" is mine and ready: I'll claim it.",
                task.title
            )),
            json!({"command": "str_replace", "path": task.path.to_string(), "old_str": old, "new_str": format!("status: claimed by {person}")}),
        );
    }
    if let Some(task) = candidates.first() {
        return say(format!(
            "My next task, \"{}\", comes after {}. I'll wait for it and pick it up as soon as it is \
             done.",
            task.title,
            waiting(task).join(" and ")
        ));
    }
    let held: Vec<String> = tasks
        .iter()
        .filter(mine)
        .filter(|t| !t.status.is_done())
        .map(|t| format!("\"{}\" is {}", t.title, t.status))
        .collect();
    if !held.is_empty() {
        return say(format!("{}. I'll wait until it is free.", held.join("; ")));
    }
    let done_count = tasks.iter().filter(|t| t.status.is_done()).count();
    say(format!(
        "Nothing on the board is waiting for me: {} of {} done, the rest belong to others.",
        done_count,
        count(tasks.len(), "task")
    ))
}

/// A task read from a view of its file.
fn read_task(path: &str, view: &str) -> Option<Task> {
    let text = compose::file_text(view);
    let path = MemPath::parse(path).ok()?;
    board::parse(
        &path,
        &FileText {
            version: Version::of(text.as_bytes()),
            text,
        },
    )
    .ok()
}

/// Do a claimed task's work (what its notes, or title, ask for), then mark it done.
fn do_task(
    here: &Here<'_>,
    path: &str,
    title: &str,
    task: Option<&Task>,
    claim_result: &str,
) -> Plan {
    // The work is what the brief in the message asks (a team run's), else the task's notes,
    // else its title.
    let notes = board::brief_in(here.prompt, title)
        .map(str::to_owned)
        .or_else(|| {
            task?;
            let text = compose::file_text(&viewed(here.done, path)?.result);
            let body = crate::memory::front::body(&text).trim().to_owned();
            (!body.is_empty()).then_some(body)
        })
        .unwrap_or_else(|| title.to_owned());
    let (person, done) = (here.person, here.done);
    let (text, wrote) = match carry_out(here.request, &notes, person, done, here.earlier) {
        Step::Next(plan) => return plan,
        Step::Finished {
            text,
            wrote,
            answer,
        } => {
            // Work that should have produced something and did not (nothing to build on, a
            // question back) leaves the task claimed, not done.
            if wrote.is_empty() && !answer {
                return say(format!(
                    "{text}\n\nI'll keep \"{title}\" claimed and not mark it done until I can do it."
                ));
            }
            (text, wrote)
        }
    };
    // The status line as the claim left it (the store adds when the claim runs out).
    let status = claim_result
        .lines()
        .filter_map(|l| l.split_once('\t').map_or(Some(l), |(_, t)| Some(t)))
        .find(|l| l.starts_with("status: claimed by"))
        .unwrap_or("status: claimed by")
        .to_owned();
    let result = wrote.iter().find(|w| !w.starts_with(board::DIR));
    let mut new_str = format!("status: done by {person}");
    if let Some(result) = result {
        new_str = format!("{new_str}\nresult: {result}");
    }
    let mark =
        json!({"command": "str_replace", "path": path, "old_str": status, "new_str": new_str});
    match done.iter().find(|d| d.input == mark) {
        None => tool(None, mark),
        Some(d) if d.is_error => say(format!(
            "{text}\n\nI could not mark \"{title}\" done: {}",
            d.result.trim()
        )),
        Some(_) => say(format!(
            "{text}\n\nMarked \"{title}\" done on the board{}.",
            result.map_or_else(String::new, |r| format!("; the result is in {r}"))
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Row = (String, Option<String>, Option<String>);

    fn asked(prompt: &str) -> Vec<Row> {
        asked_to_open(prompt, &prompt.to_lowercase())
            .unwrap_or_default()
            .into_iter()
            .map(|a| (a.title, a.assignee, a.after))
            .collect()
    }

    fn t(
        title: &str,
        who: Option<&str>,
        after: Option<&str>,
    ) -> (String, Option<String>, Option<String>) {
        (
            title.to_owned(),
            who.map(str::to_owned),
            after.map(str::to_owned),
        )
    }

    #[test]
    fn tasks_asked_for_in_many_wordings() {
        let cases: Vec<(&str, Vec<Row>)> = vec![
            (
                "Open these tasks on the team's task board:\n- \"Architecture for Globex\" for John: Propose an architecture.\n- \"Proposal\" for Sam, after \"Architecture for Globex\": Draft a proposal.",
                vec![
                    t("Architecture for Globex", Some("John"), None),
                    t("Proposal", Some("Sam"), Some("Architecture for Globex")),
                ],
            ),
            (
                "Open a task \"Security review\" for John.",
                vec![t("Security review", Some("John"), None)],
            ),
            (
                "Add a task for Sam to draft the pricing sheet.",
                vec![t("Draft the pricing sheet", Some("Sam"), None)],
            ),
            (
                "Put \u{201c}Call Dana back\u{201d} on the board for Alice, after \"Security review\".",
                vec![t("Call Dana back", Some("Alice"), Some("Security review"))],
            ),
            (
                "Create tasks: \"Load test\" for John; \"Write the runbook\" for Mary Ann after \"Load test\"",
                vec![
                    t("Load test", Some("John"), None),
                    t("Write the runbook", Some("Mary Ann"), Some("Load test")),
                ],
            ),
            (
                "Please add a task for whoever is free to check the SLA numbers.",
                vec![t("Check the SLA numbers", None, None)],
            ),
            (
                "Please add a task for John to design the POS rollout architecture, and open a task \"Rollout proposal\" for Sam after it.",
                vec![
                    t("Design the POS rollout architecture", Some("John"), None),
                    t(
                        "Rollout proposal",
                        Some("Sam"),
                        Some("Design the POS rollout architecture"),
                    ),
                ],
            ),
            (
                "Open a task \"Test and fix the scanner\" for Li and then add a task for Ana to write the guide.",
                vec![
                    t("Test and fix the scanner", Some("Li"), None),
                    t("Write the guide", Some("Ana"), None),
                ],
            ),
            (
                "Open these tasks on the team's task board:\n- \"Write the review: timeline, impact\" for Sam, after \"Take over: what is left\": Write the post-incident review: timeline, impact.",
                vec![t(
                    "Write the review: timeline, impact",
                    Some("Sam"),
                    Some("Take over: what is left"),
                )],
            ),
            ("What tasks are open?", vec![]),
            ("Work the team's task board.", vec![]),
            ("Open the Acme file and tell me the budget.", vec![]),
        ];
        for (prompt, want) in cases {
            assert_eq!(asked(prompt), want, "{prompt}");
        }
    }

    #[test]
    fn working_the_board_is_recognised() {
        for (prompt, want) in [
            (
                "Work the team's task board in /memories/tasks: claim ...",
                true,
            ),
            ("Check the board and pick up your next task.", true),
            ("Claim my task.", true),
            ("What is on the board at the conference?", false),
            ("Open a task \"x\" for John.", false),
        ] {
            assert_eq!(asked_to_work(&prompt.to_lowercase()), want, "{prompt}");
        }
    }
}
