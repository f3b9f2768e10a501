//! Coordination in the app: the live leases (badges in the tree, the editor's own lease), the
//! task board view, and a hands-free team run ([`crate::chat::team::Run`]) whose turns stream in
//! the personas' tabs.
//!
//! Decisions need the board as it is after each event, so an event of the run (a turn ended,
//! the board changed) asks for the board and is settled when it arrives ([`Pending`]).

use super::action::{Effect, MemoryEvent, MemoryJob, RequestId};
use super::dialog::{Dialog, Field, Form, FormKind};
use super::keymap::Intent;
use super::{App, Focus};
use crate::chat::team::{Move, Run, TeamPlan};
use crate::memory::board::Task;
use crate::memory::{Grant, LeaseEvent};

/// A turn of the run that ended, told to the run once the board is read again (`leased`: it
/// was refused a file someone holds).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ended {
    persona: String,
    ok: bool,
    leased: Option<String>,
}

/// A team run in the app.
#[derive(Debug)]
pub struct TeamRunState {
    pub run: Run,
    pending: Vec<Ended>,
    /// The turns the run started (only their ends are the run's), and its messages for tabs
    /// that were busy with a person's own turn, sent when that ends.
    turns: Vec<RequestId>,
    deferred: Vec<(String, String)>,
    /// One line for the status bar: who works, who waits.
    pub status: String,
}

/// How often the editor's lease is renewed (it lasts a minute).
const RENEW_EVERY_MS: u64 = 20_000;

impl App {
    /// Coordination events from the store and the effects runner.
    pub(super) fn on_coordination(&mut self, event: MemoryEvent) -> Vec<Effect> {
        self.dirty = true;
        match event {
            MemoryEvent::Board(result) => return self.on_board(result),
            MemoryEvent::Leases(leases) => self.leases = leases,
            MemoryEvent::LeaseChanged(event) => {
                let mut effects = vec![Effect::Memory(MemoryJob::Leases)];
                if let LeaseEvent::Released { subject, .. } = &event
                    && let Some(team) = &mut self.team_run
                {
                    let moves = team
                        .run
                        .lease_released(subject, &self.panel.board, self.wall_ms);
                    effects.extend(self.team_moves(moves));
                }
                return effects;
            }
            MemoryEvent::Leased { path, result } => {
                let mine = self.editor.as_ref().is_some_and(|e| e.path == path);
                match result {
                    Ok(Grant::Granted(lease)) if mine => {
                        let now = self.wall_ms;
                        if let Some(editor) = &mut self.editor {
                            editor.lease = Some(lease);
                            editor.lease_renewed_ms = now;
                        }
                    }
                    // The editor closed meanwhile: give it back.
                    Ok(Grant::Granted(lease)) => {
                        return vec![Effect::Memory(MemoryJob::Release(lease))];
                    }
                    Ok(Grant::Held(other)) if mine => {
                        let left = crate::memory::lease::seconds(other.left(self.wall_ms));
                        if let Some(editor) = &mut self.editor {
                            editor.message = Some(format!(
                                "{} is changing this file right now ({left} left): a save waits \
                                 until they are done",
                                other.holder
                            ));
                        }
                    }
                    Ok(Grant::Held(_)) => {}
                    Err(e) => tracing::warn!("cannot lease {path}: {e}"),
                }
            }
            MemoryEvent::Renewed { path, lease } => {
                if let Some(editor) = self.editor.as_mut().filter(|e| e.path == path) {
                    if lease.is_none() {
                        editor.message = Some(
                            "your hold on this file ran out; saving still checks for changes"
                                .to_owned(),
                        );
                    }
                    editor.lease = lease;
                }
            }
            _ => {}
        }
        Vec::new()
    }

    /// The board arrived: shown, and whatever of the run waited for it settled.
    fn on_board(&mut self, result: Result<Vec<Task>, String>) -> Vec<Effect> {
        match result {
            Ok(tasks) => {
                self.panel.board = tasks;
                self.panel.board_error = None;
                let last = self.panel.board.len().saturating_sub(1);
                self.panel.board_selected = self.panel.board_selected.min(last);
            }
            Err(e) => {
                self.panel.board_error = Some(e);
                return Vec::new();
            }
        }
        let Some(team) = &mut self.team_run else {
            return Vec::new();
        };
        let now = self.wall_ms;
        let board = self.panel.board.clone();
        let mut moves = Vec::new();
        for ended in std::mem::take(&mut team.pending) {
            moves.extend(match ended.leased {
                Some(path) if ended.ok => team.run.blocked_by_lease(&ended.persona, &path, now),
                _ => team.run.turn_ended(&ended.persona, ended.ok, &board, now),
            });
        }
        // Every fresh board may wake someone: a change can arrive while an earlier read of the
        // board is on its way back, older than the change.
        moves.extend(team.run.board_changed(&board, now));
        self.team_moves(moves)
    }

    /// A tab's turn ended: a team run hears of it once the board is read. A turn the person
    /// sent in a tab of the run is not the run's; a message the run held back for it goes now.
    /// A run's turn cancelled (Esc) stops the run: the presenter took over.
    pub(super) fn team_turn_ended(
        &mut self,
        tab: usize,
        req: RequestId,
        ok: bool,
        cancelled: bool,
    ) -> Vec<Effect> {
        let Some(team) = &mut self.team_run else {
            return Vec::new();
        };
        let Some(t) = self.tabs.get(tab) else {
            return Vec::new();
        };
        if !team.turns.contains(&req) {
            let name = t.persona.name.clone();
            let Some(at) = team.deferred.iter().position(|(p, _)| *p == name) else {
                return Vec::new();
            };
            let (persona, prompt) = team.deferred.remove(at);
            return self.team_moves(vec![Move::Send { persona, prompt }]);
        }
        team.turns.retain(|r| *r != req);
        if cancelled {
            let name = t.persona.name.clone();
            self.team_run = None;
            self.notify(
                format!("team run stopped: {name}'s turn was cancelled (the board stays as it is)"),
                false,
            );
            return Vec::new();
        }
        team.pending.push(Ended {
            persona: t.persona.name.clone(),
            ok,
            leased: leased_in_last_turn(&t.conversation.messages),
        });
        vec![Effect::Memory(MemoryJob::Board)]
    }

    /// Time passed: the editor keeps its file; a team run gives up on waits too long, and
    /// wakes those whose file's holder went away.
    pub(super) fn coordination_tick(&mut self) -> Vec<Effect> {
        let now = self.wall_ms;
        let mut effects = Vec::new();
        // Held files and claims count down on screen, once a second (and go when they end).
        let counting = self.leases.iter().any(|l| l.expires_ms + 1000 > now)
            || self
                .panel
                .board
                .iter()
                .any(|t| t.status.held_at(now.saturating_sub(1000)).is_some());
        if counting && now / 1000 != self.countdown_second {
            self.countdown_second = now / 1000;
            self.dirty = true;
        }
        if let Some(editor) = &mut self.editor
            && let Some(lease) = &editor.lease
            && now.saturating_sub(editor.lease_renewed_ms) >= RENEW_EVERY_MS
        {
            editor.lease_renewed_ms = now;
            effects.push(Effect::Memory(MemoryJob::Renew(lease.clone())));
        }
        let Some(team) = &mut self.team_run else {
            return effects;
        };
        let mut moves = team.run.tick(now);
        let held: Vec<&str> = self
            .leases
            .iter()
            .filter(|l| l.expires_ms > now)
            .map(|l| l.subject.as_str())
            .collect();
        for path in team.run.lease_waits() {
            if !held.contains(&path.as_str()) {
                moves.extend(team.run.lease_released(&path, &self.panel.board, now));
            }
        }
        effects.extend(self.team_moves(moves));
        effects
    }

    /// Alt+R: start a team run of the demo script (the shipped `team` one without `--demo`).
    pub(super) fn start_team_run(&mut self) -> Vec<Effect> {
        if self.team_run.is_some() {
            self.notify("a team run is under way", false);
            return Vec::new();
        }
        let script = match &self.script {
            Some(script) => script.clone(),
            None => match crate::chat::script::find("team") {
                Ok(script) => script,
                Err(e) => {
                    self.notify(e, true);
                    return Vec::new();
                }
            },
        };
        let plan = match TeamPlan::of(&script) {
            Ok(plan) => plan,
            Err(e) => {
                self.notify(format!("no team run: {e}"), true);
                return Vec::new();
            }
        };
        let mut people = vec![plan.lead.clone()];
        people.extend(plan.workers());
        if let Some(busy) = people
            .iter()
            .filter_map(|p| self.tab_for(p))
            .find(|&i| self.tabs[i].is_streaming())
        {
            let name = self.tabs[busy].persona.name.clone();
            self.notify(
                format!("{name}'s tab is answering; start the team run after it"),
                true,
            );
            return Vec::new();
        }
        for person in &people {
            if self.tab_for(person).is_none() {
                let persona = self
                    .team
                    .iter()
                    .find(|p| p.name.eq_ignore_ascii_case(person))
                    .cloned()
                    .unwrap_or_else(|| crate::chat::Persona::named(person));
                self.add_tab(persona);
            }
        }
        self.panel_shown = true;
        self.panel.board_shown = true;
        let mut run = Run::new(plan);
        let moves = run.start();
        self.team_run = Some(TeamRunState {
            run,
            pending: Vec::new(),
            turns: Vec::new(),
            deferred: Vec::new(),
            status: "team run: starting".to_owned(),
        });
        let mut effects = vec![Effect::Memory(MemoryJob::Board)];
        effects.extend(self.team_moves(moves));
        effects
    }

    /// Carry out a run's moves: turns start in the personas' tabs, waits and wake-ups are said
    /// in them, the end is said in the status line.
    fn team_moves(&mut self, moves: Vec<Move>) -> Vec<Effect> {
        let mut effects = Vec::new();
        for m in moves {
            match m {
                Move::Send { persona, prompt } => {
                    let Some(i) = self.tab_for(&persona) else {
                        continue;
                    };
                    if self.tabs[i].is_streaming() {
                        // The person's own turn in that tab: the run's message waits for it.
                        if let Some(team) = &mut self.team_run {
                            team.deferred.push((persona, prompt));
                        }
                        continue;
                    }
                    let started = self.start_turn_in(i, prompt, None);
                    if let Some(team) = &mut self.team_run {
                        team.turns.extend(started.iter().filter_map(|e| match e {
                            Effect::StartTurn { req, .. } => Some(*req),
                            _ => None,
                        }));
                    }
                    effects.extend(started);
                    self.set_team_status(&persona, "working");
                }
                Move::Wait { persona, on } => {
                    if let Some(i) = self.tab_for(&persona) {
                        self.tabs[i]
                            .transcript
                            .push_team(&format!("⏳ waiting for {on}"));
                    }
                    self.set_team_status(&persona, &format!("waits for {on}"));
                }
                Move::Woken { persona, why } => {
                    if let Some(i) = self.tab_for(&persona) {
                        self.tabs[i]
                            .transcript
                            .push_team(&format!("↻ {why}: back to work"));
                    }
                }
                Move::Finished { summary } => {
                    self.team_run = None;
                    self.notify(format!("✓ team run finished: {summary}"), false);
                }
                Move::Stuck { why } => {
                    self.team_run = None;
                    self.notify(format!("the team run stopped: {why}"), true);
                }
            }
        }
        self.dirty = true;
        effects
    }

    fn set_team_status(&mut self, persona: &str, doing: &str) {
        if let Some(team) = &mut self.team_run {
            team.status = format!("team run: {persona} {doing}");
        }
    }

    /// Keys of the panel while it shows the board: select, open, new task, reassign, close.
    pub(super) fn on_board_intent(&mut self, intent: Intent) -> Option<Vec<Effect>> {
        if !self.panel.board_shown || self.focus != Focus::Panel {
            return None;
        }
        let selected = self.panel.board.get(self.panel.board_selected).cloned();
        match intent {
            Intent::Up => self.panel.board_selected = self.panel.board_selected.saturating_sub(1),
            Intent::Down => {
                let last = self.panel.board.len().saturating_sub(1);
                self.panel.board_selected = (self.panel.board_selected + 1).min(last);
            }
            Intent::Activate => {
                let task = selected?;
                self.panel.board_shown = false;
                self.panel.selected = Some(task.path.to_string());
                self.panel.open = Some(super::panel::OpenFile::loading(task.path.to_string()));
                return Some(vec![Effect::Memory(MemoryJob::Open(task.path.to_string()))]);
            }
            Intent::NewFile => {
                let form = Form::new(
                    "New task",
                    vec![
                        Field::new("Title", ""),
                        Field::new("For (who)", ""),
                        Field::new("After (tasks, comma-separated)", ""),
                    ],
                );
                self.dialog = Some(Dialog::Form(FormKind::NewTask, form));
            }
            Intent::RenameFile => {
                let task = selected?;
                let form = Form::new(
                    format!("Give {} to", task.id),
                    vec![Field::suggested(
                        "Who",
                        task.assignee.as_deref().unwrap_or(""),
                    )],
                );
                self.dialog = Some(Dialog::Form(FormKind::Reassign { task: task.id }, form));
            }
            Intent::DeleteFile => {
                let task = selected?;
                return Some(vec![Effect::Memory(MemoryJob::CloseTask(task.id))]);
            }
            _ => return None,
        }
        Some(Vec::new())
    }
}

/// The file a tool result of the conversation's last turn said someone else holds.
fn leased_in_last_turn(messages: &[serde_json::Value]) -> Option<String> {
    messages
        .iter()
        .rev()
        .take_while(|m| !(m["role"] == "user" && m["content"].is_string()))
        .flat_map(|m| m["content"].as_array().into_iter().flatten())
        .filter(|b| b["type"] == "tool_result" && b["is_error"] == true)
        .find_map(|b| crate::chat::team::leased_path(b["content"].as_str().unwrap_or_default()))
}
