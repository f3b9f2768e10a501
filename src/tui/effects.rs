//! Carries out what `update` asks for: turns run as tasks, memory work on blocking threads,
//! results back to the loop as [`Action`]s. With the input thread (`run.rs`), the only place
//! that spawns.

use std::collections::HashMap;
use std::io::Write as _;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{broadcast, mpsc};
use tokio_util::sync::CancellationToken;

use crate::app::HUMAN_ACTOR;
use crate::app::action::{
    Action, Effect, MemoryEvent, MemoryJob, Report, RequestId, SaveError, SnapshotJob, TreeRow,
};
use crate::chat::extract::{self, Extract};
use crate::chat::session::{Journal, Record};
use crate::chat::{Agent, TurnOptions};
use crate::memory::{MemPath, MemoryStore, NodeKind, StoreError, WriteCtx, board};
use crate::provider::{Provider, known_models};

/// What the loop must do after a batch of effects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Suspend,
    Quit,
}

/// What the app sends the terminal itself, outside the drawn screen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TerminalOut {
    /// Text for the clipboard.
    Copy(String),
    /// A tab in the background finished or failed.
    Notify { title: String, body: String },
    /// Mouse reporting on or off.
    Mouse(bool),
}

/// The side-effect runner.
pub struct Effects {
    provider: Arc<dyn Provider>,
    store: Arc<dyn MemoryStore>,
    options: TurnOptions,
    tx: mpsc::UnboundedSender<Action>,
    turns: Arc<Mutex<HashMap<RequestId, CancellationToken>>>,
    terminal: Box<dyn FnMut(TerminalOut) + Send>,
    /// The session journal's writer thread, when the session is saved.
    session: Option<SessionWriter>,
    /// Where memory snapshots are kept (none: the dialog says so).
    snapshots_dir: Option<std::path::PathBuf>,
    /// Where the demo script's speaker notes go (`--notes`), if anywhere.
    notes: Option<Box<dyn std::io::Write + Send>>,
    /// The model extraction asks (`None`: the chat's).
    extraction_model: Option<String>,
    /// This app's session lease (`session:<id>`) while it runs: notes that expire with the
    /// session live as long as it does.
    session_lease: Arc<Mutex<Option<crate::memory::Lease>>>,
}

/// Appends records on a thread of its own, in order, each synced before the next: the event
/// loop never waits for the disk. Exports run there too, after every record sent before them.
struct SessionWriter {
    jobs: std::sync::mpsc::Sender<Job>,
    thread: std::thread::JoinHandle<()>,
}

enum Job {
    Record(Record),
    Export,
}

/// Which session is saved, and where.
#[derive(Clone, Debug)]
pub struct SessionFile {
    pub name: String,
    pub path: std::path::PathBuf,
    /// Where exports are written.
    pub export_dir: std::path::PathBuf,
    /// The prices for the export's cost section.
    pub pricing: crate::chat::cost::Pricing,
}

impl Effects {
    pub fn new(
        provider: Arc<dyn Provider>,
        store: Arc<dyn MemoryStore>,
        options: TurnOptions,
        tx: mpsc::UnboundedSender<Action>,
        terminal: Box<dyn FnMut(TerminalOut) + Send>,
    ) -> Self {
        Self {
            provider,
            store,
            options,
            tx,
            turns: Arc::default(),
            terminal,
            session: None,
            snapshots_dir: None,
            notes: None,
            extraction_model: None,
            session_lease: Arc::new(Mutex::new(None)),
        }
    }

    /// Ask `model` for extraction after turns (see [`crate::chat::extract`]).
    pub fn extract_with(&mut self, model: Option<String>) {
        self.extraction_model = model;
    }

    /// Write the speaker notes of the steps typed from now on to `out` (a file, another
    /// terminal, or standard error redirected away from the screen).
    pub fn notes_to(&mut self, out: Box<dyn std::io::Write + Send>) {
        self.notes = Some(out);
    }

    /// One note, on a line of its own; a failed write is logged once and stops the notes.
    fn speaker_note(&mut self, note: &str) {
        let Some(out) = &mut self.notes else {
            return;
        };
        let line = crate::ui::text::sanitize(note);
        if let Err(e) = writeln!(out, "{line}").and_then(|()| out.flush()) {
            tracing::warn!(error = %e, "cannot write the speaker notes; no more are written");
            self.notes = None;
        }
    }

    /// Keep memory snapshots in `dir`.
    pub fn snapshots_in(&mut self, dir: std::path::PathBuf) {
        self.snapshots_dir = Some(dir);
    }

    /// Save the session to `journal` from now on. A failure to write is said once in the
    /// status bar (and logged); the app goes on.
    pub fn save_session(&mut self, mut journal: Journal, file: SessionFile) -> std::io::Result<()> {
        let (jobs, rx) = std::sync::mpsc::channel::<Job>();
        let tx = self.tx.clone();
        let store = self.store.clone();
        let thread = std::thread::Builder::new()
            .name("memdeck-session".into())
            .spawn(move || {
                let mut failed = false;
                for job in rx {
                    match job {
                        Job::Record(record) => {
                            if let Err(e) = journal.append(&record) {
                                tracing::error!("cannot save the session: {e}");
                                if !failed {
                                    failed = true;
                                    let _ = tx
                                        .send(Action::Report(Report::SessionFailed(e.to_string())));
                                }
                            }
                        }
                        Job::Export => {
                            let result = export_file(&file, store.as_ref());
                            let _ = tx.send(Action::Report(Report::Exported(result)));
                        }
                    }
                }
            })?;
        self.session = Some(SessionWriter { jobs, thread });
        Ok(())
    }

    /// Write what is still queued for the journal, then stop its thread.
    pub fn finish_session(&mut self) {
        if let Some(writer) = self.session.take() {
            drop(writer.jobs);
            let _ = writer.thread.join();
        }
    }

    /// Run as session `id`: its turns stamp session notes with it, it holds `session:<id>` (a
    /// crashed app's lease runs out by itself), and memories past their expiry are swept
    /// every half minute.
    pub fn hold_session(&mut self) -> String {
        let id = crate::memory::expiry::new_session_id();
        self.options.session = Some(id.clone());
        let store = self.store.clone();
        let slot = self.session_lease.clone();
        let subject = crate::memory::expiry::session_subject(&id);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(SESSION_RENEW);
            let mut rounds = 0u32;
            loop {
                tick.tick().await;
                let (store, slot, subject) = (store.clone(), slot.clone(), subject.clone());
                let sweep = rounds.is_multiple_of(2);
                rounds = rounds.wrapping_add(1);
                let _ = tokio::task::spawn_blocking(move || {
                    keep_session(store.as_ref(), &slot, &subject);
                    if sweep {
                        sweep_expired(store.as_ref());
                    }
                })
                .await;
            }
        });
        id
    }

    /// The session ends: its lease is given back and its notes swept.
    pub fn end_session(&self) {
        let lease = self
            .session_lease
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(lease) = lease {
            let _ = self.store.release(&lease);
            sweep_expired(self.store.as_ref());
        }
    }

    /// Forward the store's changes to the loop for as long as the loop listens.
    pub fn watch_store(&self) {
        let mut changes = self.store.subscribe();
        let tx = self.tx.clone();
        tokio::spawn(async move {
            loop {
                let event = match changes.recv().await {
                    Ok(change) => MemoryEvent::Changed(change),
                    Err(broadcast::error::RecvError::Lagged(_)) => MemoryEvent::Lagged,
                    Err(broadcast::error::RecvError::Closed) => return,
                };
                if tx.send(Action::Memory(event)).is_err() {
                    return;
                }
            }
        });
        let mut leases = self.store.lease_events();
        let tx = self.tx.clone();
        tokio::spawn(async move {
            loop {
                let event = match leases.recv().await {
                    Ok(event) => event,
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => return,
                };
                if tx
                    .send(Action::Memory(MemoryEvent::LeaseChanged(event)))
                    .is_err()
                {
                    return;
                }
            }
        });
        if let Some(mut status) = self.store.status() {
            let tx = self.tx.clone();
            tokio::spawn(async move {
                while status.changed().await.is_ok() {
                    let now = status.borrow_and_update().clone();
                    if tx.send(Action::Memory(MemoryEvent::Status(now))).is_err() {
                        return;
                    }
                }
            });
        }
    }

    /// Run a turn as a task: its events and its end go to the loop; then, when the tab
    /// extracts, what is worth keeping from it.
    fn start_turn(&mut self, effect: Effect) {
        let Effect::StartTurn {
            tab,
            req,
            persona,
            mut conversation,
            text,
            model,
            context_editing,
            max_tokens,
            thinking,
            note,
            extract,
        } = effect
        else {
            return;
        };
        let mut options = self.options.clone();
        options.model = model;
        options.context_editing = context_editing;
        options.max_tokens = max_tokens;
        options.thinking = thinking;
        options.note = note;
        let agent = Agent {
            provider: self.provider.clone(),
            store: self.store.clone(),
            persona,
            options,
        };
        let extraction_model = self.extraction_model.clone();
        let token = CancellationToken::new();
        self.lock_turns().insert(req, token.clone());
        let turns = self.turns.clone();
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let events = tx.clone();
            let mut on_event = move |event| {
                let _ = events.send(Action::Agent { tab, req, event });
            };
            let start = conversation.messages.len();
            let result = agent
                .run_turn(&mut conversation, &text, &token, &mut on_event)
                .await
                .map(|_| ());
            turns
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&req);
            let look = result.is_ok() && extract != Extract::Off;
            let turn = conversation.messages[start.min(conversation.messages.len())..].to_vec();
            let _ = tx.send(Action::TurnEnded {
                tab,
                req,
                conversation,
                result,
            });
            if look {
                let result = extract::propose(
                    agent.provider.as_ref(),
                    &agent.store,
                    &agent.persona.name,
                    &turn,
                    extraction_model,
                )
                .await;
                let _ = tx.send(Action::Extracted { tab, result });
            }
        });
    }

    /// Run a batch; says whether the loop goes on.
    pub fn execute(&mut self, effects: Vec<Effect>) -> Flow {
        let mut flow = Flow::Continue;
        for effect in effects {
            match effect {
                Effect::Quit => flow = Flow::Quit,
                Effect::Suspend if flow == Flow::Continue => flow = Flow::Suspend,
                Effect::Suspend => {}
                Effect::Copy(text) => (self.terminal)(TerminalOut::Copy(text)),
                Effect::Notify { title, body } => {
                    (self.terminal)(TerminalOut::Notify { title, body });
                }
                Effect::Mouse(on) => (self.terminal)(TerminalOut::Mouse(on)),
                Effect::SpeakerNote(note) => self.speaker_note(&note),
                Effect::Cancel(req) => {
                    let token = self.lock_turns().remove(&req);
                    if let Some(token) = token {
                        token.cancel();
                    }
                }
                start @ Effect::StartTurn { .. } => self.start_turn(start),
                Effect::Record(record) => {
                    if let Some(writer) = &self.session {
                        let _ = writer.jobs.send(Job::Record(record));
                    }
                }
                Effect::Snapshot(job) => self.snapshot(job),
                Effect::Export => match &self.session {
                    Some(writer) => {
                        let _ = writer.jobs.send(Job::Export);
                    }
                    None => {
                        let _ = self.tx.send(Action::Report(Report::Exported(Err(
                            "this session is not saved, so there is nothing to export".to_owned(),
                        ))));
                    }
                },
                Effect::ListModels => {
                    let provider = self.provider.clone();
                    let tx = self.tx.clone();
                    tokio::spawn(async move {
                        let (models, note) = match provider.models().await {
                            Ok(models) if !models.is_empty() => (models, None),
                            Ok(_) => (
                                known_models(),
                                Some("the backend listed no models".to_owned()),
                            ),
                            Err(e) => (
                                known_models(),
                                Some(format!("cannot list the models ({e})")),
                            ),
                        };
                        let _ = tx.send(Action::Models { models, note });
                    });
                }
                Effect::Memory(job) => self.memory(job),
            }
        }
        flow
    }

    fn lock_turns(&self) -> std::sync::MutexGuard<'_, HashMap<RequestId, CancellationToken>> {
        self.turns.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Memory effects run on a blocking thread; the result comes back as an action.
    /// Snapshot work, on a blocking thread.
    fn snapshot(&self, job: SnapshotJob) {
        let store = self.store.clone();
        let tx = self.tx.clone();
        let dir = self.snapshots_dir.clone();
        tokio::task::spawn_blocking(move || {
            use crate::memory::snapshot;
            let Some(dir) = dir else {
                let _ = tx.send(Action::Report(Report::SnapshotDone(Err(
                    "snapshots are not set up".to_owned(),
                ))));
                return;
            };
            let now = crate::clock::now_ms();
            let action = match job {
                SnapshotJob::List => Action::Report(Report::Snapshots(snapshot::list(&dir).map(|all| {
                    all.into_iter()
                        .map(|s| crate::app::dialog::SnapshotInfo {
                            name: s.name,
                            created_ms: s.created_ms,
                            files: s.files.len(),
                        })
                        .collect()
                }))),
                SnapshotJob::Save(name) => Action::Report(Report::SnapshotDone(
                    snapshot::take(store.as_ref(), &name, now)
                        .map_err(|e| e.to_string())
                        .and_then(|s| {
                            snapshot::save(&dir, &s, false)?;
                            let skipped = if s.skipped.is_empty() {
                                String::new()
                            } else {
                                format!("; not saved: {}", s.skipped.join(", "))
                            };
                            Ok(format!("saved snapshot {name} ({} files){skipped}", s.files.len()))
                        }),
                )),
                SnapshotJob::Restore(name) => Action::Report(Report::SnapshotDone(
                    snapshot::load(&dir, &name).and_then(|s| {
                        let done = snapshot::restore(store.as_ref(), &s, HUMAN_ACTOR)
                            .map_err(|e| e.to_string())?;
                        let skipped = if done.skipped.is_empty() {
                            String::new()
                        } else {
                            format!("; left alone: {}", done.skipped.join(", "))
                        };
                        Ok(format!(
                            "restored snapshot {name}: {} written, {} deleted (the history keeps what was there){skipped}",
                            done.written, done.deleted
                        ))
                    }),
                )),
                SnapshotJob::ClearMemories => Action::Report(Report::SnapshotDone(
                    snapshot::reset(store.as_ref(), &dir, HUMAN_ACTOR, now).map(|(name, done)| {
                        let n = done.deleted;
                        format!(
                            "memories cleared ({n} entr{}), conversations kept; snapshot {name} has what was there{}",
                            if n == 1 { "y" } else { "ies" },
                            done.notes()
                        )
                    }),
                )),
                SnapshotJob::ResetDemo => Action::Report(Report::ResetDone(
                    snapshot::reset(store.as_ref(), &dir, HUMAN_ACTOR, now).map(|(name, _)| name),
                )),
            };
            let _ = tx.send(action);
        });
    }

    fn memory(&self, job: MemoryJob) {
        let store = self.store.clone();
        let tx = self.tx.clone();
        tokio::task::spawn_blocking(move || {
            let _ = tx.send(Action::Memory(run_memory(store.as_ref(), job)));
        });
    }
}

fn parse(path: &str) -> Result<MemPath, String> {
    MemPath::parse(path).map_err(|e| e.to_string())
}

fn run_memory(store: &dyn MemoryStore, job: MemoryJob) -> MemoryEvent {
    let ctx = |op| WriteCtx::new(HUMAN_ACTOR, op);
    let text = |e: StoreError| e.to_string();
    match job {
        MemoryJob::List => MemoryEvent::Listed(tree(store)),
        MemoryJob::Refresh(paths) => MemoryEvent::Refreshed {
            paths: paths
                .into_iter()
                .map(|path| {
                    let rows = parse(&path).and_then(|p| subtree(store, &p));
                    (path, rows)
                })
                .collect(),
            at_ms: crate::clock::now_ms(),
        },
        MemoryJob::Open(path) => MemoryEvent::Opened {
            result: parse(&path).and_then(|p| store.read(&p).map_err(text)),
            path,
        },
        MemoryJob::Save {
            path,
            text,
            expect,
            lease,
        } => MemoryEvent::Saved {
            result: save(store, &path, &text, expect, lease.as_ref()),
            path,
        },
        MemoryJob::Rename { from, to } => done((|| {
            store
                .rename(&parse(&from)?, &parse(&to)?, ctx("rename"))
                .map_err(text)?;
            Ok(format!("renamed {from} to {to}"))
        })()),
        MemoryJob::Delete(path) => done((|| {
            let kept = store.delete(&parse(&path)?, ctx("delete")).map_err(text)?;
            Ok(match kept.len() {
                0 => format!("deleted {path} · u undoes"),
                n => format!(
                    "deleted {path} except {n} hidden or unnamed item{} left in the folder · u \
                     undoes",
                    if n == 1 { "" } else { "s" }
                ),
            })
        })()),
        MemoryJob::Restore { path, version } => done((|| {
            use crate::memory::history::{Restored, restore_path};
            let restored = restore_path(store, &parse(&path)?, version.as_deref(), ctx("restore"))
                .map_err(text)?;
            Ok(match restored {
                Restored::File(v) => format!("restored {path} (version {})", v.short()),
                Restored::Folder { files } => {
                    format!("restored the folder {path} ({files} file(s))")
                }
            })
        })()),
        job @ (MemoryJob::Board
        | MemoryJob::AddTask { .. }
        | MemoryJob::Reassign { .. }
        | MemoryJob::CloseTask(_)
        | MemoryJob::Leases
        | MemoryJob::Lease(_)
        | MemoryJob::Renew(_)
        | MemoryJob::Release(_)) => run_coordination(store, job),
        job @ (MemoryJob::Search(_) | MemoryJob::History(_)) => run_read(store, job),
        MemoryJob::Consolidate => MemoryEvent::ConsolidationProposed(
            crate::memory::consolidate::propose(store).map_err(text),
        ),
        MemoryJob::ApplyConsolidation(plan) => {
            let (changes, stopped) = crate::memory::consolidate::apply(store, &plan);
            MemoryEvent::Consolidated { changes, stopped }
        }
        MemoryJob::UndoConsolidation(changes) => MemoryEvent::ConsolidationUndone(
            crate::memory::consolidate::undo(store, &changes, HUMAN_ACTOR)
                .unwrap_or_else(|why| format!("not undone: {why}")),
        ),
        MemoryJob::WriteProposal {
            tab,
            item,
            proposal,
            actor,
        } => MemoryEvent::ProposalWritten {
            tab,
            item,
            result: extract::write(store, &proposal, &actor),
        },
        MemoryJob::UndoTurn { tab, item, changes } => {
            let undone = crate::memory::receipt::undo(store, &changes, HUMAN_ACTOR);
            MemoryEvent::TurnUndone {
                tab,
                item,
                summary: undone.summary(changes.len()),
                complete: undone.left.is_empty(),
            }
        }
    }
}

fn save(
    store: &dyn MemoryStore,
    path: &str,
    text: &str,
    expect: crate::memory::Expect,
    lease: Option<&crate::memory::Lease>,
) -> Result<crate::memory::Version, SaveError> {
    let p = parse(path).map_err(SaveError::Failed)?;
    let ctx = WriteCtx::new(HUMAN_ACTOR, "save").fenced(lease);
    match store.save(&p, text, expect, ctx) {
        Ok(version) => Ok(version),
        Err(StoreError::Conflict { .. } | StoreError::Exists(_)) => match store.read(&p) {
            Ok(now) => Err(SaveError::Conflict(Some(now))),
            Err(StoreError::NotFound(_)) => Err(SaveError::Conflict(None)),
            Err(e) => Err(SaveError::Failed(e.to_string())),
        },
        Err(e) => Err(SaveError::Failed(e.to_string())),
    }
}

/// A create, rename, delete, restore or board change: what happened, or why not.
fn done(result: Result<String, String>) -> MemoryEvent {
    match result {
        Ok(what) => MemoryEvent::Done {
            what,
            result: Ok(()),
        },
        Err(e) => MemoryEvent::Done {
            what: String::new(),
            result: Err(e),
        },
    }
}

/// The panel's reads beyond a file: a path's history, the search.
fn run_read(store: &dyn MemoryStore, job: MemoryJob) -> MemoryEvent {
    match job {
        MemoryJob::Search(query) => MemoryEvent::Found {
            result: search(store, &query),
            query,
        },
        MemoryJob::History(path) => MemoryEvent::History {
            result: parse(&path).and_then(|p| store.history(Some(&p)).map_err(|e| e.to_string())),
            path,
        },
        _ => MemoryEvent::Done {
            what: String::new(),
            result: Err("not a read".to_owned()),
        },
    }
}

/// The board's and the leases' jobs.
fn run_coordination(store: &dyn MemoryStore, job: MemoryJob) -> MemoryEvent {
    let text = |e: StoreError| e.to_string();
    match job {
        MemoryJob::Board => MemoryEvent::Board(board::list(store).map_err(text)),
        MemoryJob::AddTask {
            title,
            assignee,
            after,
        } => done((|| {
            let task = board::NewTask {
                title: &title,
                assignee: assignee.as_deref(),
                after: &after,
                notes: "",
                id: None,
            };
            let task = board::add(store, &task, HUMAN_ACTOR).map_err(text)?;
            Ok(format!("opened the task {}", task.id))
        })()),
        MemoryJob::Reassign { task, to } => done(
            board::reassign(store, &task, &to, HUMAN_ACTOR)
                .map(|t| format!("{} is open again, for {to}", t.id))
                .map_err(text),
        ),
        MemoryJob::CloseTask(task) => done(
            board::complete(store, &task, HUMAN_ACTOR, None)
                .map(|t| format!("{}: {}", t.id, t.status))
                .map_err(text),
        ),
        MemoryJob::Leases => MemoryEvent::Leases(store.leases().unwrap_or_default()),
        MemoryJob::Lease(path) => MemoryEvent::Leased {
            result: store
                .acquire(&path, HUMAN_ACTOR, EDITOR_LEASE)
                .map_err(text),
            path,
        },
        MemoryJob::Renew(lease) => MemoryEvent::Renewed {
            path: lease.subject.clone(),
            lease: store.renew(&lease, EDITOR_LEASE).ok().flatten(),
        },
        MemoryJob::Release(lease) => {
            let _ = store.release(&lease);
            MemoryEvent::Leases(store.leases().unwrap_or_default())
        }
        _ => MemoryEvent::Leases(Vec::new()),
    }
}

/// How often the session's lease is renewed (it lasts three times as long).
const SESSION_RENEW: std::time::Duration = std::time::Duration::from_secs(20);

/// Hold (or renew) the session's lease.
fn keep_session(
    store: &dyn MemoryStore,
    slot: &Mutex<Option<crate::memory::Lease>>,
    subject: &str,
) {
    let mut held = slot.lock().unwrap_or_else(PoisonError::into_inner);
    let ttl = SESSION_RENEW * 3;
    let renewed = held
        .as_ref()
        .and_then(|lease| store.renew(lease, ttl).ok().flatten());
    *held = match renewed {
        Some(lease) => Some(lease),
        None => match store.acquire(subject, "memdeck", ttl) {
            Ok(crate::memory::Grant::Granted(lease)) => Some(lease),
            Ok(crate::memory::Grant::Held(_)) | Err(_) => None,
        },
    };
}

/// Remove what has expired (logged; the panel hears of it as changes).
fn sweep_expired(store: &dyn MemoryStore) {
    crate::memory::expiry::log_sweep(&crate::memory::expiry::sweep_now(store));
}

/// How long the editor holds its file between renewals (the app renews it while editing).
pub const EDITOR_LEASE: std::time::Duration = std::time::Duration::from_secs(60);

/// How deep the panel's tree goes below /memories (the deepest a memory path may be).
const TREE_DEPTH: usize = 8;

/// The whole store as rows, each with who changed it last according to the history.
pub fn tree(store: &dyn MemoryStore) -> Result<Vec<TreeRow>, String> {
    let root = MemPath::root();
    let listing = store.list(&root, TREE_DEPTH).map_err(|e| e.to_string())?;
    let mut last: HashMap<String, (String, u64)> = HashMap::new();
    // A history that cannot be read only costs the "who" column.
    for entry in store.history(None).unwrap_or_default() {
        let target = entry.new_path.clone().unwrap_or_else(|| entry.path.clone());
        last.insert(target, (entry.actor, entry.ts_ms));
    }
    Ok(listing
        .entries
        .into_iter()
        .map(|entry| {
            let path = format!("/memories/{}", entry.relative);
            let who = last.get(&path).cloned();
            TreeRow {
                is_dir: entry.kind == NodeKind::Dir,
                size: entry.size,
                actor: who.as_ref().map(|(a, _)| a.clone()),
                changed_ms: who.map(|(_, t)| t),
                path,
            }
        })
        .collect())
}

/// The panel's search: every file of the tree read, its path and lines matched against `query`.
fn search(
    store: &dyn MemoryStore,
    query: &str,
) -> Result<Vec<crate::app::find::FoundFile>, String> {
    let listing = store
        .list(&MemPath::root(), TREE_DEPTH)
        .map_err(|e| e.to_string())?;
    let mut found = Vec::new();
    for entry in listing.entries {
        if entry.kind == NodeKind::Dir {
            continue;
        }
        let path = format!("/memories/{}", entry.relative);
        // A file deleted since the listing, or unreadable, is left out.
        let text = MemPath::parse(&path)
            .ok()
            .and_then(|p| store.read(&p).ok())
            .map(|f| f.text)
            .unwrap_or_default();
        found.extend(crate::app::find::search_file(&path, &text, query));
    }
    Ok(found)
}

/// What one path holds now, as the tree's rows: its own and those below it (a folder is listed
/// as deep as the whole tree is); none when it is gone. Who changed them is left to the panel.
pub fn subtree(store: &dyn MemoryStore, path: &MemPath) -> Result<Vec<TreeRow>, String> {
    let row = |path: String, is_dir, size| TreeRow {
        path,
        is_dir,
        size,
        actor: None,
        changed_ms: None,
    };
    match store.node(path).map_err(|e| e.to_string())? {
        None => Ok(Vec::new()),
        Some((NodeKind::File, size)) => Ok(vec![row(path.to_string(), false, size)]),
        Some((NodeKind::Dir, size)) => {
            let depth = path.to_string().matches('/').count().saturating_sub(1);
            let mut rows = vec![row(path.to_string(), true, size)];
            if depth < TREE_DEPTH {
                let listing = store
                    .list(path, TREE_DEPTH - depth)
                    .map_err(|e| e.to_string())?;
                rows.extend(listing.entries.into_iter().map(|e| {
                    row(
                        format!("{path}/{}", e.relative),
                        e.kind == NodeKind::Dir,
                        e.size,
                    )
                }));
            }
            Ok(rows)
        }
    }
}

/// Write the session as Markdown to a new file in the export directory; its path.
fn export_file(file: &SessionFile, store: &dyn MemoryStore) -> Result<std::path::PathBuf, String> {
    let saved = crate::chat::session::load(&file.path)
        .map_err(|e| format!("cannot read the session {}: {e}", file.path.display()))?;
    let history = store.history(None).map_err(|e| e.to_string())?;
    let now = crate::clock::now_ms();
    let text = crate::chat::export::document(
        &file.name,
        &saved,
        &history,
        store,
        &file.pricing,
        crate::chat::export::Format::Md,
        now,
    );
    let stamp = crate::clock::compact_utc(now);
    let path = file
        .export_dir
        .join(format!("memdeck-{}-{stamp}.md", file.name));
    std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path)
}
