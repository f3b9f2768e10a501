//! The vocabulary of the event loop: what goes into [`super::App::update`] ([`Action`]) and the
//! side effects it asks for ([`Effect`]).
//!
//! Every result of background work names the tab and the request it answers, so a late event
//! from a cancelled turn, or for a tab that was closed, is recognised and dropped.

use crossterm::event::Event;

use crate::chat::{AgentEvent, Conversation, Persona, TurnError};
use crate::memory::board::Task;
use crate::memory::{
    Expect, FileText, Grant, HistoryEntry, Lease, LeaseEvent, MemoryChange, Version,
};
use crate::provider::{ContextEditing, ModelInfo};

/// A tab's identity for its whole life (indexes shift when tabs close; ids never do).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TabId(pub u64);

/// One turn of one tab.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RequestId(pub u64);

/// Everything `update` consumes.
#[derive(Debug)]
pub enum Action {
    /// Input from the terminal.
    Term(Event),
    /// An event of a running turn.
    Agent {
        tab: TabId,
        req: RequestId,
        event: AgentEvent,
    },
    /// A turn ended; the conversation comes back to the tab.
    TurnEnded {
        tab: TabId,
        req: RequestId,
        conversation: Conversation,
        result: Result<(), TurnError>,
    },
    /// Results of memory operations and changes to the store.
    Memory(MemoryEvent),
    /// Time passed (spinners, countdowns, flashes, undo windows).
    Tick,
    /// The process was asked to end (SIGTERM, SIGHUP).
    Terminate,
    /// The process came back from a suspend: everything must be drawn again.
    Resumed,
    /// A result the app only reports (and a reset, which also starts the chats over).
    Report(Report),
    /// What extraction found after a turn of `tab`.
    Extracted {
        tab: TabId,
        result: Result<crate::chat::extract::Extracted, String>,
    },
    /// The models to pick from; `note` says why it is the built-in list, when it is.
    Models {
        models: Vec<ModelInfo>,
        note: Option<String>,
    },
}

/// Results of background work the app reports in its status line.
#[derive(Debug)]
pub enum Report {
    /// The session journal could not be written.
    SessionFailed(String),
    /// The session was exported to a file, or why not.
    Exported(Result<std::path::PathBuf, String>),
    /// The snapshots, newest first.
    Snapshots(Result<Vec<super::dialog::SnapshotInfo>, String>),
    /// A snapshot was saved or restored: what to say, or why not.
    SnapshotDone(Result<String, String>),
    /// The demo was reset (memories cleared after a snapshot): the conversations start over.
    ResetDone(Result<String, String>),
}

/// One row of the store's tree, with who last changed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TreeRow {
    /// The virtual path, `/memories/...`.
    pub path: String,
    pub is_dir: bool,
    pub size: u64,
    /// From the history: who changed it last and when (ms since the epoch).
    pub actor: Option<String>,
    pub changed_ms: Option<u64>,
}

/// What a memory operation started by a [`Effect`] produced, or a change to the store.
#[derive(Debug)]
pub enum MemoryEvent {
    /// The whole tree (after start, after a lag, after the store was unreachable).
    Listed(Result<Vec<TreeRow>, String>),
    /// Changed paths looked at again ([`MemoryJob::Refresh`]): for each, the rows at and below
    /// it now (none: it is gone), or why it could not be read; `at_ms` is when.
    Refreshed {
        paths: Vec<(String, Result<Vec<TreeRow>, String>)>,
        at_ms: u64,
    },
    Changed(MemoryChange),
    /// The change stream fell behind; the tree must be listed again.
    Lagged,
    /// The store's server became unreachable (what is wrong), or reachable again (`None`).
    Status(Option<String>),
    Opened {
        path: String,
        result: Result<FileText, String>,
    },
    /// The panel's search: the files found for `query`.
    Found {
        query: String,
        result: Result<Vec<crate::app::find::FoundFile>, String>,
    },
    /// The editor's save: a conflict carries the file as it is now.
    Saved {
        path: String,
        result: Result<Version, SaveError>,
    },
    /// A create, rename, delete or restore finished.
    Done {
        what: String,
        result: Result<(), String>,
    },
    History {
        path: String,
        result: Result<Vec<HistoryEntry>, String>,
    },
    /// A consolidation proposal, or why none could be made.
    ConsolidationProposed(Result<crate::memory::consolidate::Plan, String>),
    /// A consolidation was applied: what was written, and why it stopped, if it did.
    Consolidated {
        changes: Vec<crate::memory::receipt::Change>,
        stopped: Option<String>,
    },
    /// A consolidation was undone: what happened.
    ConsolidationUndone(String),
    /// A proposed memory was written, or why not.
    ProposalWritten {
        tab: TabId,
        item: usize,
        result: Result<String, String>,
    },
    /// The task board as it is now ([`MemoryJob::Board`]).
    Board(Result<Vec<Task>, String>),
    /// The live leases ([`MemoryJob::Leases`]).
    Leases(Vec<Lease>),
    /// A lease was granted or given back, here or by another client.
    LeaseChanged(LeaseEvent),
    /// The editor asked for the file it edits ([`MemoryJob::Lease`]).
    Leased {
        path: String,
        result: Result<Grant, String>,
    },
    /// The editor's lease was renewed (`None`: it was lost).
    Renewed {
        path: String,
        lease: Option<Lease>,
    },
    /// A turn's changes were undone ([`MemoryJob::UndoTurn`]).
    TurnUndone {
        tab: TabId,
        item: usize,
        summary: String,
        complete: bool,
    },
}

/// Memory snapshots: list them, save the store under a name, restore one, or reset the demo
/// (a snapshot, then every memory cleared).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SnapshotJob {
    List,
    Save(String),
    Restore(String),
    ResetDemo,
    /// Snapshot, then clear the memory store only: the conversations stay.
    ClearMemories,
}

/// The panel's work on the memory store.
#[derive(Clone, Debug, PartialEq)]
pub enum MemoryJob {
    /// List the whole store (and its history, for who changed what).
    List,
    /// Look again at changed paths only: each one's file, or its folder with everything below.
    Refresh(Vec<String>),
    Open(String),
    Save {
        path: String,
        text: String,
        expect: Expect,
        /// The editor's lease on the file, carried by the write.
        lease: Option<Lease>,
    },
    Rename {
        from: String,
        to: String,
    },
    Delete(String),
    /// Bring back a version (`None`: the newest that differs from now).
    Restore {
        path: String,
        version: Option<String>,
    },
    History(String),
    /// Propose a consolidation of the store.
    Consolidate,
    /// Apply a consolidation plan.
    ApplyConsolidation(crate::memory::consolidate::Plan),
    /// Undo what a consolidation wrote.
    UndoConsolidation(Vec<crate::memory::receipt::Change>),
    /// Write a proposed memory (item `item` of tab `tab`) as `actor`.
    WriteProposal {
        tab: TabId,
        item: usize,
        proposal: crate::chat::extract::Proposal,
        actor: String,
    },
    /// Read the task board.
    Board,
    /// Find the files whose name or text holds the query (the panel's search).
    Search(String),
    /// Put a task on the board, as the person.
    AddTask {
        title: String,
        assignee: Option<String>,
        after: Vec<String>,
    },
    /// Give a task to someone (open again, meant for them).
    Reassign {
        task: String,
        to: String,
    },
    /// Close a task (done, by the person).
    CloseTask(String),
    /// List the live leases.
    Leases,
    /// Hold the file the editor edits.
    Lease(String),
    Renew(Lease),
    Release(Lease),
    /// Undo a turn's memory changes (its receipt, item `item` of tab `tab`).
    UndoTurn {
        tab: TabId,
        item: usize,
        changes: Vec<crate::memory::receipt::Change>,
    },
}

/// Why the editor's save did not happen.
#[derive(Debug, PartialEq, Eq)]
pub enum SaveError {
    /// The file changed since it was opened: what is there now (`None`: it was deleted).
    Conflict(Option<FileText>),
    Failed(String),
}

/// A side effect `update` asks the loop to perform.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    StartTurn {
        tab: TabId,
        req: RequestId,
        persona: Persona,
        conversation: Conversation,
        text: String,
        /// The tab's model, when it is not the configured one.
        model: Option<String>,
        /// Context editing as switched in the app (fitted to the tab's model).
        context_editing: ContextEditing,
        /// The configured `max_tokens` and thinking, fitted to the tab's model.
        max_tokens: u32,
        thinking: crate::provider::Thinking,
        /// What others changed in memory this tab read, told to the model before the message.
        note: Option<String>,
        /// Whether memories worth keeping are looked for after the turn.
        extract: crate::chat::extract::Extract,
    },
    /// Ask the backend which models it offers (for the picker).
    ListModels,
    /// Append a record to the session journal.
    Record(crate::chat::session::Record),
    /// Write the session as a document (after every record already sent).
    Export,
    /// Work on memory snapshots, on a blocking thread.
    Snapshot(SnapshotJob),
    Cancel(RequestId),
    /// Work on the memory store, on a blocking thread; the result comes back as a
    /// [`MemoryEvent`].
    Memory(MemoryJob),
    /// Put text on the clipboard (OSC 52).
    Copy(String),
    /// Tell the person something happened out of sight (a tab in the background finished or
    /// failed): the terminal's bell or a desktop notification, as configured.
    Notify {
        title: String,
        body: String,
    },
    /// Turn the terminal's mouse reporting on or off (off: the terminal selects text itself).
    Mouse(bool),
    /// A demo script step's speaker note, for the presenter's notes file (`--notes`).
    SpeakerNote(String),
    Suspend,
    Quit,
}
