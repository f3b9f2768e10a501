//! A hands-free team run: the personas work a script's tasks themselves, through the shared
//! task board (`memory::board`).
//!
//! The script's first persona is the lead: their opening steps are said as written (the
//! customer's facts go to memory), then they are asked to open one task per later step on the
//! board, each meant for that step's persona and coming after the one before. Every other
//! persona is then asked, all at once, to work the board: claim the task meant for them once
//! what it comes after is done, do it, mark it done with where the result is. A persona whose
//! task is waiting (on another task, or on a file someone holds) waits for the board or the
//! lease to change — a notification, not a poll — and is asked again.
//!
//! [`Run`] decides, as a pure state machine fed with the board as it is after each event;
//! the app and `memdeck team run` carry out its [`Move`]s.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::script::Script;
use crate::memory::board::{self, Status, Task};

/// What a worker is asked each time it should look at the board (followed by its next task's
/// brief, [`board::BRIEF`]).
pub const WORK_PROMPT: &str = "Work the team's task board in /memories/tasks: claim the open \
task meant for you once the tasks it comes after are done, do it, then mark it done with \
where the result is. If your task is waiting on another one, say so and stop.";

/// The message that asks `task`'s persona to work the board.
pub fn work_prompt(task: &PlannedTask) -> String {
    format!(
        "{WORK_PROMPT}\n\n{} \"{}\"\n\n{}",
        board::BRIEF,
        task.title,
        task.prompt
    )
}

/// How many times a worker is asked to work the board, per task it has, before the run gives
/// up on it (a model that never claims would otherwise be asked forever).
const TURNS_PER_TASK: usize = 3;
/// How long a worker waits for a task or a lease before the run gives up, by default.
pub const WAIT_LIMIT_MS: u64 = 10 * 60 * 1000;

/// One task the lead is asked to open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedTask {
    /// The task's file name on the board (from its title).
    pub id: String,
    pub title: String,
    pub persona: String,
    /// The step's words: what the worker does.
    pub prompt: String,
    pub after: Option<String>,
}

/// A script as a team run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TeamPlan {
    pub title: String,
    pub lead: String,
    /// What the lead says first, in order.
    pub lead_prompts: Vec<String>,
    pub tasks: Vec<PlannedTask>,
}

impl TeamPlan {
    /// The run of `script`: refused when it has no step for anyone but the lead.
    pub fn of(script: &Script) -> Result<Self, String> {
        let lead = script
            .steps
            .first()
            .map(|s| s.persona.clone())
            .ok_or("the script has no steps")?;
        let opening = script
            .steps
            .iter()
            .take_while(|s| s.persona.eq_ignore_ascii_case(&lead))
            .count();
        let mut tasks: Vec<PlannedTask> = Vec::new();
        for step in &script.steps[opening..] {
            let title = title_of(&step.prompt);
            let mut id = board::slug(&title);
            if tasks.iter().any(|t| t.id == id) {
                id = format!("{id}-{}", tasks.len() + 1);
            }
            tasks.push(PlannedTask {
                after: tasks.last().map(|t| t.id.clone()),
                id,
                title,
                persona: step.persona.clone(),
                prompt: step.prompt.clone(),
            });
        }
        if tasks.is_empty() {
            return Err(format!(
                "every step of the script is {lead}'s: a team run needs steps for others to work"
            ));
        }
        Ok(Self {
            title: script.title.clone(),
            lead,
            lead_prompts: script.steps[..opening]
                .iter()
                .map(|s| s.prompt.clone())
                .collect(),
            tasks,
        })
    }

    /// What the lead is asked to open the tasks: each title in quotes, who it is for, what it
    /// comes after, and the step's words as its notes.
    pub fn open_prompt(&self) -> String {
        let mut text = String::from("Open these tasks on the team's task board:\n");
        for task in &self.tasks {
            let _ = write!(text, "- \"{}\" for {}", task.title, task.persona);
            if let Some(after) = self
                .tasks
                .iter()
                .find(|t| Some(&t.id) == task.after.as_ref())
            {
                let _ = write!(text, ", after \"{}\"", after.title);
            }
            let _ = writeln!(text, ": {}", notes_of(&task.prompt));
        }
        text
    }

    /// The personas who work tasks, in the order of their first task.
    pub fn workers(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for task in &self.tasks {
            if !out.iter().any(|p| p.eq_ignore_ascii_case(&task.persona)) {
                out.push(task.persona.clone());
            }
        }
        out
    }
}

/// A task's notes on the board: the step's first paragraph on one line (attached code stays
/// out; the worker gets the whole step with its work prompt), at most 300 characters.
fn notes_of(prompt: &str) -> String {
    let first = prompt.split("\n\n").next().unwrap_or(prompt);
    crate::memory::front::clip(&board::one_line(first), 300)
}

/// A task's title from a step's words: its first sentence that is not a question (else the
/// first), without the final stop, at most 120 characters.
fn title_of(prompt: &str) -> String {
    let text = board::one_line(prompt);
    let sentences: Vec<&str> = text
        .split_inclusive(['.', '?', '!'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let chosen = sentences
        .iter()
        .find(|s| !s.ends_with('?'))
        .or(sentences.first())
        .copied()
        .unwrap_or(&text);
    let chosen = chosen.trim_end_matches(['.', '!']).trim();
    // "Write the review: timeline, impact, ..." is titled by what comes before the colon.
    let chosen = match chosen.split_once(": ") {
        Some((head, _)) if head.split_whitespace().count() >= 3 => head,
        _ => chosen,
    };
    crate::memory::front::clip(chosen, 120)
}

/// What a run asks of whoever carries it out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Move {
    /// Send `prompt` to `persona`'s tab (its turn streams there).
    Send { persona: String, prompt: String },
    /// `persona` waits: for `on` (a task, or a file someone holds).
    Wait { persona: String, on: String },
    /// `persona` was waiting and is asked again: `why`.
    Woken { persona: String, why: String },
    /// The run is over: every task done.
    Finished { summary: String },
    /// The run cannot go on.
    Stuck { why: String },
}

/// Where one persona is.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Worker {
    Idle,
    Busy,
    /// Waiting on a task (its id) or a file (`/memories/...`) since a time (ms).
    Waiting {
        on: String,
        since: u64,
    },
    Finished,
}

/// Where the run is.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Phase {
    /// The lead is saying opening prompt `n`.
    Lead(usize),
    /// The lead is opening the tasks.
    Opening,
    Working,
    Over,
}

/// A team run in progress.
#[derive(Clone, Debug)]
pub struct Run {
    pub plan: TeamPlan,
    phase: Phase,
    workers: BTreeMap<String, Worker>,
    turns: BTreeMap<String, usize>,
    wait_limit_ms: u64,
}

impl Run {
    pub fn new(plan: TeamPlan) -> Self {
        let workers = plan
            .workers()
            .into_iter()
            .map(|p| (p, Worker::Idle))
            .collect();
        Self {
            plan,
            phase: Phase::Lead(0),
            workers,
            turns: BTreeMap::new(),
            wait_limit_ms: WAIT_LIMIT_MS,
        }
    }

    /// Give up on a wait after `ms` (tests use short ones).
    #[must_use]
    pub fn wait_limit(mut self, ms: u64) -> Self {
        self.wait_limit_ms = ms;
        self
    }

    pub fn is_over(&self) -> bool {
        self.phase == Phase::Over
    }

    /// The first moves.
    pub fn start(&mut self) -> Vec<Move> {
        self.phase = Phase::Lead(0);
        self.lead_next(0)
    }

    fn lead_next(&mut self, n: usize) -> Vec<Move> {
        let lead = self.plan.lead.clone();
        match self.plan.lead_prompts.get(n) {
            Some(prompt) => {
                self.phase = Phase::Lead(n);
                vec![Move::Send {
                    persona: lead,
                    prompt: prompt.clone(),
                }]
            }
            None => {
                self.phase = Phase::Opening;
                vec![Move::Send {
                    persona: lead,
                    prompt: self.plan.open_prompt(),
                }]
            }
        }
    }

    /// `persona`'s turn ended (`ok`: without an error); `board` as it is now, `now` in ms.
    pub fn turn_ended(&mut self, persona: &str, ok: bool, board: &[Task], now: u64) -> Vec<Move> {
        match self.phase.clone() {
            Phase::Lead(n) if persona.eq_ignore_ascii_case(&self.plan.lead) => {
                if !ok {
                    return self.stuck(format!("{persona}'s opening turn failed"));
                }
                self.lead_next(n + 1)
            }
            Phase::Opening if persona.eq_ignore_ascii_case(&self.plan.lead) => {
                let missing: Vec<&str> = self
                    .plan
                    .tasks
                    .iter()
                    .filter(|t| !board.iter().any(|b| b.id == t.id))
                    .map(|t| t.id.as_str())
                    .collect();
                if !ok || !missing.is_empty() {
                    return self.stuck(format!(
                        "{persona} did not open every task (missing: {})",
                        missing.join(", ")
                    ));
                }
                self.phase = Phase::Working;
                let workers: Vec<String> = self.workers.keys().cloned().collect();
                workers
                    .iter()
                    .flat_map(|w| self.consider(w, board, now))
                    .collect()
            }
            Phase::Working => {
                if let Some(key) = self.key(persona) {
                    self.workers.insert(key.clone(), Worker::Idle);
                    return self.consider(&key, board, now);
                }
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    /// A worker's turn was refused a file someone holds: it waits for the lease.
    pub fn blocked_by_lease(&mut self, persona: &str, path: &str, now: u64) -> Vec<Move> {
        let Some(key) = self.key(persona) else {
            return Vec::new();
        };
        self.workers.insert(
            key.clone(),
            Worker::Waiting {
                on: path.to_owned(),
                since: now,
            },
        );
        vec![Move::Wait {
            persona: key,
            on: format!("{path} (someone is editing it)"),
        }]
    }

    /// The board changed: wake the workers whose task can go on.
    pub fn board_changed(&mut self, board: &[Task], now: u64) -> Vec<Move> {
        if self.phase != Phase::Working {
            return Vec::new();
        }
        let waiting: Vec<(String, String)> = self
            .workers
            .iter()
            .filter_map(|(k, w)| match w {
                Worker::Waiting { on, .. } if !on.starts_with('/') => Some((k.clone(), on.clone())),
                _ => None,
            })
            .collect();
        let mut moves = Vec::new();
        for (key, on) in waiting {
            if self.blocker(&key, board, now).is_none() {
                moves.extend(self.wake(&key, format!("{on} changed on the board"), board, now));
            }
        }
        moves.extend(self.finish_if_done(board));
        moves
    }

    /// A lease was given back: wake whoever waits on it.
    pub fn lease_released(&mut self, subject: &str, board: &[Task], now: u64) -> Vec<Move> {
        let waiting: Vec<String> = self
            .workers
            .iter()
            .filter(|(_, w)| matches!(w, Worker::Waiting { on, .. } if on == subject))
            .map(|(k, _)| k.clone())
            .collect();
        waiting
            .iter()
            .flat_map(|key| self.wake(key, format!("{subject} is free again"), board, now))
            .collect()
    }

    /// Time passed: a wait past the limit ends the run; a lease wait past the lease's end
    /// wakes.
    pub fn tick(&mut self, now: u64) -> Vec<Move> {
        let late = self.workers.iter().find_map(|(k, w)| match w {
            Worker::Waiting { on, since } if now.saturating_sub(*since) > self.wait_limit_ms => {
                Some(format!("{k} waited too long for {on}"))
            }
            _ => None,
        });
        late.map_or_else(Vec::new, |why| self.stuck(why))
    }

    fn wake(&mut self, key: &str, why: String, board: &[Task], now: u64) -> Vec<Move> {
        self.workers.insert(key.to_owned(), Worker::Idle);
        let mut moves = vec![Move::Woken {
            persona: key.to_owned(),
            why,
        }];
        moves.extend(self.consider(key, board, now));
        moves
    }

    fn key(&self, persona: &str) -> Option<String> {
        self.workers
            .keys()
            .find(|k| k.eq_ignore_ascii_case(persona))
            .cloned()
    }

    fn stuck(&mut self, why: String) -> Vec<Move> {
        self.phase = Phase::Over;
        vec![Move::Stuck { why }]
    }

    /// Every planned task is done: the run is over.
    fn finish_if_done(&mut self, board: &[Task]) -> Vec<Move> {
        if self.phase == Phase::Over {
            return Vec::new();
        }
        let all_done = self
            .plan
            .tasks
            .iter()
            .all(|p| board.iter().any(|t| t.id == p.id && t.status.is_done()));
        let busy = self.workers.values().any(|w| *w == Worker::Busy);
        if !all_done || busy {
            return Vec::new();
        }
        self.phase = Phase::Over;
        let done: Vec<String> = self
            .plan
            .tasks
            .iter()
            .filter_map(|p| board.iter().find(|t| t.id == p.id))
            .map(|t| match (&t.status, &t.result) {
                (Status::Done { by: Some(by) }, Some(result)) => {
                    format!("{} by {by} ({result})", t.id)
                }
                (Status::Done { by: Some(by) }, None) => format!("{} by {by}", t.id),
                _ => t.id.clone(),
            })
            .collect();
        vec![Move::Finished {
            summary: format!("every task is done: {}", done.join("; ")),
        }]
    }

    /// `key`'s tasks on the board, and the first of them not done.
    fn next_task<'b>(&self, key: &str, board: &'b [Task]) -> (usize, Option<&'b Task>) {
        let mine: Vec<&Task> = self
            .plan
            .tasks
            .iter()
            .filter(|p| p.persona.eq_ignore_ascii_case(key))
            .filter_map(|p| board.iter().find(|t| t.id == p.id))
            .collect();
        let next = mine.iter().find(|t| !t.status.is_done()).copied();
        (mine.len(), next)
    }

    /// What `key`'s next task waits for: a task before it not done yet, or itself while
    /// someone else holds it.
    fn blocker(&self, key: &str, board: &[Task], now: u64) -> Option<String> {
        let task = self.next_task(key, board).1?;
        let before = task.after.iter().find_map(|id| {
            let before = board.iter().find(|t| &t.id == id)?;
            (!before.status.is_done()).then(|| before.id.clone())
        });
        let held_by_other = task
            .status
            .held_at(now)
            .filter(|by| !by.eq_ignore_ascii_case(key))
            .map(|_| task.id.clone());
        before.or(held_by_other)
    }

    /// What `key` should do now.
    fn consider(&mut self, key: &str, board: &[Task], now: u64) -> Vec<Move> {
        let (count, next) = self.next_task(key, board);
        let Some(task) = next else {
            self.workers.insert(key.to_owned(), Worker::Finished);
            return self.finish_if_done(board);
        };
        if let Some(on) = self.blocker(key, board, now) {
            self.workers.insert(
                key.to_owned(),
                Worker::Waiting {
                    on: on.clone(),
                    since: now,
                },
            );
            let status = board
                .iter()
                .find(|t| t.id == on)
                .map_or_else(String::new, |t| format!(", {}", t.status));
            return vec![Move::Wait {
                persona: key.to_owned(),
                on: format!("{on}{status}"),
            }];
        }
        let turns = self.turns.entry(key.to_owned()).or_default();
        *turns += 1;
        let turns = *turns;
        if turns > TURNS_PER_TASK * count.max(1) + 1 {
            let why = format!(
                "{key} was asked {} times and {} is still not done",
                turns - 1,
                task.id
            );
            return self.stuck(why);
        }
        let prompt = self
            .plan
            .tasks
            .iter()
            .find(|p| p.id == task.id)
            .map_or_else(|| WORK_PROMPT.to_owned(), work_prompt);
        self.workers.insert(key.to_owned(), Worker::Busy);
        vec![Move::Send {
            persona: key.to_owned(),
            prompt,
        }]
    }
}

impl Run {
    /// The files workers wait on (someone held them).
    pub fn lease_waits(&self) -> Vec<String> {
        self.workers
            .values()
            .filter_map(|w| match w {
                Worker::Waiting { on, .. } if on.starts_with('/') => Some(on.clone()),
                _ => None,
            })
            .collect()
    }
}

/// The file a tool result says someone else holds (a lease refusal), if it says so.
pub fn leased_path(result: &str) -> Option<String> {
    let (path, _) = result.split_once(" is being edited by ")?;
    path.starts_with("/memories/").then(|| path.to_owned())
}

/// How a headless run ended.
#[derive(Debug)]
pub enum Ended {
    Finished(String),
    Stuck(String),
    Cancelled,
}

/// A turn of the headless run that ended: its persona, conversation, printed output, whether it
/// went well, and a file it found held by someone else.
struct TurnDone {
    persona: String,
    conversation: super::Conversation,
    output: Vec<u8>,
    ok: bool,
    leased: Option<String>,
}

/// Carry out a run without the app (`memdeck team run`): turns run at once where the run says
/// so, each printed whole when it ends (so that concurrent turns do not interleave), waits and
/// wake-ups said as they happen. `agent_for` gives each persona's agent.
pub async fn drive(
    mut run: Run,
    agent_for: &dyn Fn(&str) -> super::Agent,
    store: std::sync::Arc<dyn crate::memory::MemoryStore>,
    cancel: &tokio_util::sync::CancellationToken,
    out: &mut (dyn std::io::Write + Send),
) -> Ended {
    use tokio::sync::broadcast::error::RecvError;

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<TurnDone>();
    let mut conversations: BTreeMap<String, super::Conversation> = BTreeMap::new();
    let mut changes = store.subscribe();
    let mut lease_events = store.lease_events();
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(500));
    let mut busy = 0usize;
    let mut ended: Option<Ended> = None;
    let mut turn_no = 0usize;
    let moves = run.start();
    let _ = writeln!(out, "── team run · {} ──", run.plan.title);
    let mut pending = moves;
    loop {
        for m in std::mem::take(&mut pending) {
            let Move::Send { persona, prompt } = m else {
                ended = said(&m, out).or(ended);
                continue;
            };
            turn_no += 1;
            let first = prompt.lines().next().unwrap_or_default();
            let _ = writeln!(
                out,
                "▶ {persona} (turn {turn_no}): {}",
                crate::safe::printable(&crate::memory::front::clip(first, 100))
            );
            let agent = agent_for(&persona);
            let conversation = conversations
                .remove(&persona.to_lowercase())
                .unwrap_or_default();
            busy += 1;
            tokio::spawn(one_turn(
                agent,
                conversation,
                prompt,
                cancel.clone(),
                tx.clone(),
            ));
        }
        if busy == 0 && (ended.is_some() || run.is_over()) {
            return ended.unwrap_or(Ended::Stuck("the run stopped".to_owned()));
        }
        let now = crate::clock::now_ms;
        tokio::select! {
            Some(done) = rx.recv() => {
                busy -= 1;
                let _ = out.write_all(&done.output);
                let _ = writeln!(out);
                conversations.insert(done.persona.to_lowercase(), done.conversation);
                let board = board_now(&store).await;
                pending = match done.leased {
                    Some(path) if done.ok => run.blocked_by_lease(&done.persona, &path, now()),
                    _ => run.turn_ended(&done.persona, done.ok, &board, now()),
                };
            }
            change = changes.recv() => {
                let about_board = match &change {
                    Ok(c) => c.path.starts_with(crate::memory::board::DIR),
                    Err(RecvError::Lagged(_)) => true,
                    Err(RecvError::Closed) => false,
                };
                if about_board {
                    let board = board_now(&store).await;
                    pending = run.board_changed(&board, now());
                }
            }
            event = lease_events.recv() => {
                if let Ok(crate::memory::LeaseEvent::Released { subject, .. }) = event {
                    let board = board_now(&store).await;
                    pending = run.lease_released(&subject, &board, now());
                }
            }
            _ = tick.tick() => {
                pending = run.tick(now());
                // A holder that went away without giving the file back: its lease ran out.
                let waits = run.lease_waits();
                if !waits.is_empty() {
                    let held = leases_now(&store).await;
                    let board = board_now(&store).await;
                    for path in waits.iter().filter(|p| !held.contains(p)) {
                        pending.extend(run.lease_released(path, &board, now()));
                    }
                }
            }
            () = cancel.cancelled(), if ended.is_none() => {
                ended = Some(Ended::Cancelled);
            }
        }
    }
}

/// Print a move that is not a turn; how the run ended, when it says so.
fn said(m: &Move, out: &mut (dyn std::io::Write + Send)) -> Option<Ended> {
    match m {
        Move::Wait { persona, on } => {
            let _ = writeln!(out, "⏳ {persona} waits for {}", crate::safe::printable(on));
        }
        Move::Woken { persona, why } => {
            let _ = writeln!(out, "↻ {persona} wakes: {}", crate::safe::printable(why));
        }
        Move::Finished { summary } => return Some(Ended::Finished(summary.clone())),
        Move::Stuck { why } => return Some(Ended::Stuck(why.clone())),
        Move::Send { .. } => {}
    }
    None
}

async fn one_turn(
    agent: super::Agent,
    mut conversation: super::Conversation,
    prompt: String,
    cancel: tokio_util::sync::CancellationToken,
    tx: tokio::sync::mpsc::UnboundedSender<TurnDone>,
) {
    let mut output = Vec::new();
    let mut notes = Vec::new();
    let mut leased = None;
    let io = super::ask::Io {
        output: super::ask::Output::Text,
        out: &mut output,
        notes: &mut notes,
        extraction: None,
    };
    let persona = agent.persona.name.clone();
    let result = super::ask::ask_in(&agent, &mut conversation, &prompt, &cancel, io, &mut |e| {
        if let super::AgentEvent::ToolFinished { result, .. } = e
            && result.is_error
            && let Some(path) = leased_path(&result.content)
        {
            leased = Some(path);
        }
    })
    .await;
    let mut output = [format!("── {persona} ──\n").into_bytes(), output].concat();
    if let Err(e) = &result {
        output.extend(format!("({persona}'s turn failed: {e})\n").into_bytes());
    }
    let _ = tx.send(TurnDone {
        persona,
        conversation,
        output,
        ok: result.is_ok(),
        leased,
    });
}

/// The board as it is now (empty when it cannot be read).
pub async fn board_now(store: &std::sync::Arc<dyn crate::memory::MemoryStore>) -> Vec<Task> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || board::list(store.as_ref()).unwrap_or_default())
        .await
        .unwrap_or_default()
}

async fn leases_now(store: &std::sync::Arc<dyn crate::memory::MemoryStore>) -> Vec<String> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || {
        store
            .leases()
            .map(|l| l.into_iter().map(|l| l.subject).collect())
            .unwrap_or_default()
    })
    .await
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::board::{NewTask, parse, render, task_path};
    use crate::memory::{FileText, Version};

    fn plan() -> TeamPlan {
        let script = crate::chat::script::find("team").unwrap();
        TeamPlan::of(&script).unwrap()
    }

    fn task(planned: &PlannedTask, status: &str) -> Task {
        let after: Vec<String> = planned.after.iter().cloned().collect();
        let text = render(
            &NewTask {
                title: &planned.title,
                assignee: Some(&planned.persona),
                after: &after,
                notes: "",
                id: Some(&planned.id),
            },
            "Alice",
        )
        .replace("status: open", &format!("status: {status}"));
        let path = task_path(&planned.id).unwrap();
        let file = FileText {
            version: Version::of(text.as_bytes()),
            text,
        };
        parse(&path, &file).unwrap()
    }

    #[test]
    fn the_team_script_becomes_a_chain_of_tasks() {
        let plan = plan();
        assert_eq!(plan.lead, "Alice");
        assert_eq!(plan.lead_prompts.len(), 2);
        let ids: Vec<(&str, &str, Option<&str>)> = plan
            .tasks
            .iter()
            .map(|t| (t.id.as_str(), t.persona.as_str(), t.after.as_deref()))
            .collect();
        assert_eq!(
            ids,
            [
                ("propose-an-architecture-for-their-migration", "John", None),
                (
                    "record-the-architecture-decisions-we-just-made",
                    "John",
                    Some("propose-an-architecture-for-their-migration")
                ),
                (
                    "draft-a-one-page-proposal-for-acme-from",
                    "Sam",
                    Some("record-the-architecture-decisions-we-just-made")
                ),
            ]
        );
        let open = plan.open_prompt();
        assert!(
            open.contains("- \"Draft a one-page proposal for Acme from everything the team has stored\" for Sam, after \"Record the architecture decisions"),
            "{open}"
        );
        assert_eq!(plan.workers(), ["John", "Sam"]);
    }

    #[test]
    fn workers_wait_for_what_comes_first_and_wake_when_it_is_done() {
        let plan = plan();
        let t = plan.tasks.clone();
        let mut run = Run::new(plan);
        assert!(matches!(&run.start()[..], [Move::Send { persona, .. }] if persona == "Alice"));
        assert!(
            matches!(&run.turn_ended("Alice", true, &[], 0)[..], [Move::Send { persona, .. }] if persona == "Alice")
        );
        let opening = run.turn_ended("Alice", true, &[], 0);
        assert!(
            matches!(&opening[..], [Move::Send { prompt, .. }] if prompt.starts_with("Open these tasks"))
        );
        // Alice forgot one: the run says so.
        let mut forgetful = run.clone();
        let partial = [task(&t[0], "open")];
        assert!(
            matches!(&forgetful.turn_ended("Alice", true, &partial, 0)[..], [Move::Stuck { why }] if why.contains("missing"))
        );
        let board = [
            task(&t[0], "open"),
            task(&t[1], "open"),
            task(&t[2], "open"),
        ];
        let moves = run.turn_ended("Alice", true, &board, 0);
        assert_eq!(
            moves,
            [
                Move::Send {
                    persona: "John".into(),
                    prompt: work_prompt(&t[0])
                },
                Move::Wait {
                    persona: "Sam".into(),
                    on: format!("{}, open", t[1].id)
                },
            ]
        );
        // John finishes his first task: still his second to do; Sam still waits.
        let board = [
            task(&t[0], "done by John"),
            task(&t[1], "open"),
            task(&t[2], "open"),
        ];
        assert!(run.board_changed(&board, 10).is_empty());
        assert_eq!(
            run.turn_ended("John", true, &board, 10),
            [Move::Send {
                persona: "John".into(),
                prompt: work_prompt(&t[1])
            }]
        );
        let board = [
            task(&t[0], "done by John"),
            task(&t[1], "done by John"),
            task(&t[2], "open"),
        ];
        let woke = run.board_changed(&board, 20);
        assert!(
            matches!(&woke[..], [Move::Woken { persona, .. }, Move::Send { persona: p2, .. }] if persona == "Sam" && p2 == "Sam"),
            "{woke:?}"
        );
        assert!(run.turn_ended("John", true, &board, 20).is_empty());
        let board = [
            task(&t[0], "done by John"),
            task(&t[1], "done by John"),
            task(&t[2], "done by Sam"),
        ];
        let end = run.turn_ended("Sam", true, &board, 30);
        assert!(matches!(&end[..], [Move::Finished { .. }]), "{end:?}");
        assert!(run.is_over());
    }

    /// `run` with the lead's turns done and every task open on the board.
    fn at_work(mut run: Run) -> (Run, Vec<Task>) {
        run.start();
        run.turn_ended("Alice", true, &[], 0);
        run.turn_ended("Alice", true, &[], 0);
        let board: Vec<Task> = run.plan.tasks.iter().map(|p| task(p, "open")).collect();
        run.turn_ended("Alice", true, &board, 0);
        (run, board)
    }

    #[test]
    fn a_worker_that_never_claims_and_a_wait_too_long_end_the_run() {
        let (mut run, _) = at_work(Run::new(plan()).wait_limit(1000));
        assert!(run.tick(500).is_empty());
        assert!(
            matches!(&run.tick(1500)[..], [Move::Stuck { why }] if why.contains("Sam waited too long"))
        );
        let (mut run, board) = at_work(Run::new(plan()));
        let mut last = Vec::new();
        for _ in 0..12 {
            last = run.turn_ended("John", true, &board, 0);
            if run.is_over() {
                break;
            }
        }
        assert!(
            matches!(&last[..], [Move::Stuck { why }] if why.contains("John was asked")),
            "{last:?}"
        );
    }

    #[test]
    fn a_worker_refused_a_held_file_waits_for_its_release() {
        let (mut run, board) = at_work(Run::new(plan()));
        let path = "/memories/acme_corp.md";
        assert_eq!(
            run.blocked_by_lease("john", path, 5),
            [Move::Wait {
                persona: "John".into(),
                on: format!("{path} (someone is editing it)")
            }]
        );
        assert_eq!(run.lease_waits(), [path]);
        assert!(
            run.lease_released("/memories/other.md", &board, 6)
                .is_empty()
        );
        let woke = run.lease_released(path, &board, 7);
        assert!(
            matches!(&woke[..], [Move::Woken { persona, .. }, Move::Send { .. }] if persona == "John"),
            "{woke:?}"
        );
        assert!(run.lease_waits().is_empty());
        assert_eq!(
            leased_path("/memories/a.md is being edited by Alice on vm (lease, 5 s left); nothing"),
            Some("/memories/a.md".into())
        );
        assert_eq!(leased_path("No replacement was performed"), None);
    }

    #[test]
    fn titles_are_the_first_sentence_that_asks_for_work() {
        assert_eq!(
            title_of("What do we know? Propose an architecture."),
            "Propose an architecture"
        );
        assert_eq!(title_of("Why?"), "Why?");
        assert_eq!(title_of("  Do\nthis "), "Do this");
    }
}
