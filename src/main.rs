//! The `memdeck` command: parse the flags, open the store, run the subcommand.
//!
//! Failures reach the user as one `memdeck: error: ...` line on stderr, plus a hint where one
//! helps, and an exit code: 0 success, 1 failure (for `memory exec`: the tool result is an
//! error), 2 usage error; the TUI also ends with 128 + N on signal N (SIGTERM, SIGHUP, SIGINT)
//! and 101 on a panic (after restoring the terminal).

use std::io::{Read, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use memdeck::chat::ask::{Io, Output, ask_in};
use memdeck::chat::{Agent, TurnError};
use memdeck::clock::format_utc;
use memdeck::config::{self, Config, Environment, Flags, MemoryBackend};
use memdeck::logging;
use memdeck::memory::{self, MemPath, MemoryStore, WriteCtx};
use memdeck::provider::ProviderError;
use memdeck::tui::prefs::Prefs;
use tokio_util::sync::CancellationToken;

#[derive(Parser, Debug)]
#[command(name = "memdeck", version, about)]
struct Cli {
    #[command(flatten)]
    flags: Flags,

    /// Print text as it is: without it, control and invisible characters in what memdeck
    /// prints (model text, file names, file contents) are shown visibly, as the app does
    #[arg(long, global = true)]
    raw: bool,

    #[command(subcommand)]
    command: Option<CliCommand>,
}

#[derive(Subcommand, Debug)]
enum CliCommand {
    /// Print the effective configuration and where each value came from (secrets hidden)
    Config,
    /// Check the terminal, the configuration, the memory directory and the provider
    Doctor,
    /// Saved sessions: list them, show one, remove one
    #[command(subcommand)]
    Sessions(SessionsCommand),
    /// Write a whole session (--session, default "default") as one document: every turn in
    /// time order, every memory change interleaved with its diff
    Export {
        /// md (Markdown) or html (one self-contained page)
        #[arg(long, value_enum, default_value = "md")]
        format: memdeck::chat::export::Format,
        /// Write to this file instead of standard output
        #[arg(long, short, value_name = "FILE")]
        output: Option<std::path::PathBuf>,
    },
    /// Work on the memory store directly, as the model would
    #[command(subcommand)]
    Memory(MemoryCommand),
    /// The team's task board, and a hands-free run of a script by the personas themselves
    #[command(subcommand)]
    Team(team_cli::TeamCommand),
    /// Demo scripts without the app: play one through the configured backend, or record it
    /// for the venue
    #[command(subcommand)]
    Demo(DemoCommand),
    /// One message, answered with the memory tool on the shared store, streamed to stdout
    Ask {
        /// Who is speaking (Alice, John and Sam have roles; anyone else is a team member)
        #[arg(long, default_value = "Alice")]
        persona: String,
        /// Print the events, tool results and messages as JSON lines
        #[arg(long)]
        json: bool,
        /// The message
        message: String,
    },
}

#[derive(Subcommand, Debug)]
enum DemoCommand {
    /// Play every step of a script in order (one conversation per persona) on the memory
    /// store, printing each turn as `ask` does; with --replay FILE, from a recording
    Run {
        /// A shipped script (team, code-review, incident) or a script file
        #[arg(value_name = "NAME|FILE")]
        script: String,
    },
    /// Play a script through the configured backend (Claude) from empty memory and save every
    /// call to FILE; at the venue, `memdeck --demo NAME --replay FILE` answers from it offline
    Record {
        /// A shipped script (team, code-review, incident) or a script file
        #[arg(value_name = "NAME|FILE")]
        script: String,
        /// The recording to write (it must not exist yet)
        #[arg(long, short, value_name = "FILE")]
        output: std::path::PathBuf,
    },
}

#[derive(Subcommand, Debug)]
enum SessionsCommand {
    /// Every saved session: its tabs, turns and when it was last used
    List,
    /// One session's conversations, tab by tab, as Markdown
    Show {
        /// The session's name
        name: String,
    },
    /// Delete a saved session (its memories are not touched)
    Rm {
        /// The session's name
        name: String,
    },
}

#[derive(Subcommand, Debug)]
enum SnapshotCommand {
    /// Save the whole memory store under a name
    Save {
        /// The snapshot's name
        name: String,
    },
    /// The saved snapshots, newest first
    List,
    /// Make the store what the snapshot holds (what is there now stays in the history)
    Restore {
        /// The snapshot's name
        name: String,
        /// Do it without asking (needed when not in a terminal)
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Subcommand, Debug)]
enum MemoryCommand {
    /// Run one memory tool command and print what the model would receive
    Exec {
        /// Print one JSON line with `content` and `is_error` instead of the text
        #[arg(long)]
        json: bool,
        /// Who the change is recorded as in the history
        #[arg(long, default_value = "cli", value_name = "NAME")]
        actor: String,
        /// The tool input, e.g. '{"command":"view","path":"/memories"}'; - reads it from stdin
        input: String,
    },
    /// Show the history of every change, or of one path and what is below it
    Log {
        /// A path such as /memories/notes.md
        path: Option<String>,
        /// One JSON object per line
        #[arg(long)]
        json: bool,
    },
    /// Print the memory index exactly as requests carry it: the store's files, newest and most
    /// used first, with type, who last wrote each and when, and a one-line description
    Index {
        /// One JSON object per file instead of the text
        #[arg(long)]
        json: bool,
    },
    /// Propose a tidier store (repeated lines and contradicted facts dropped, the same memory
    /// in several files merged) and print it as a diff; --apply writes it, --undo takes the
    /// last run back
    Consolidate {
        /// Write the proposal (each file only if it has not changed since)
        #[arg(long, conflicts_with = "undo")]
        apply: bool,
        /// Undo the last consolidation (what has not changed since)
        #[arg(long)]
        undo: bool,
    },
    /// Snapshots of the whole store: save, list, restore
    #[command(subcommand)]
    Snapshot(SnapshotCommand),
    /// Copy the whole store, with its history, from one backend to the other (the local
    /// directory of --memory-dir, the Redis store of --redis-url and --namespace); the
    /// destination must be empty
    Migrate {
        /// Where the memories are now: local (or file) or redis
        #[arg(long, value_name = "local|redis|postgres", value_parser = MemoryBackend::parse)]
        from: MemoryBackend,
        /// Where they go: local (or file) or redis
        #[arg(long, value_name = "local|redis|postgres", value_parser = MemoryBackend::parse)]
        to: MemoryBackend,
    },
    /// Reset a demo: snapshot the store, then clear every memory and the session's
    /// conversations (both can be brought back)
    Reset {
        /// Do it without asking (needed when not in a terminal)
        #[arg(long)]
        yes: bool,
    },
    /// Hold a lease on a file (or any subject) until interrupted: others' writes to it are
    /// refused meanwhile, naming the holder; renewed while held, released on Ctrl+C or SIGTERM
    Lease {
        /// The file, such as /memories/notes.md, or another subject (session:..., task:...)
        subject: String,
        /// How long the lease lasts between renewals (90s, 2m, 1h)
        #[arg(long, default_value = "60s", value_parser = parse_ttl_arg)]
        ttl: std::time::Duration,
        /// Who holds it, as others see it
        #[arg(long = "as", default_value = "cli", value_name = "NAME")]
        holder: String,
    },
    /// The live leases: what is held, by whom, on which machine, for how long
    Leases {
        /// One JSON object per line
        #[arg(long)]
        json: bool,
    },
    /// Remove the memories past their expiry now (front matter `expires:`; also done before
    /// every turn); they stay in the history
    Expire {
        /// Only list what would go
        #[arg(long)]
        dry_run: bool,
    },
    /// Bring back an earlier version of a file (also one that was deleted or renamed away)
    Restore {
        /// The file to restore, such as /memories/notes.md
        path: String,
        /// The version, as a hash or its first digits from `memdeck memory log` [default: the
        /// newest version that differs from the current content]
        #[arg(long, value_name = "HASH")]
        version: Option<String>,
        /// Who the restore is recorded as in the history
        #[arg(long, default_value = "cli", value_name = "NAME")]
        actor: String,
    },
}

/// A failure to report: the message, a hint, and the exit code.
struct Failure {
    code: u8,
    message: String,
    hint: Option<String>,
}

impl Failure {
    fn new(code: u8, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            hint: None,
        }
    }

    fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl From<memory::StoreError> for Failure {
    fn from(err: memory::StoreError) -> Self {
        Self::new(1, err.to_string())
    }
}

/// `println!` through [`memdeck::safe`]: what memdeck prints never drives the terminal.
macro_rules! outln {
    () => { outln!("") };
    ($($arg:tt)*) => {{
        let _ = writeln!(memdeck::safe::stdout(), $($arg)*);
    }};
}

/// `print!` through [`memdeck::safe`].
macro_rules! out {
    ($($arg:tt)*) => {{
        let _ = write!(memdeck::safe::stdout(), $($arg)*);
    }};
}

/// `eprintln!` through [`memdeck::safe`].
macro_rules! errln {
    ($($arg:tt)*) => {{
        let _ = writeln!(memdeck::safe::stderr(), $($arg)*);
    }};
}

/// `eprint!` through [`memdeck::safe`].
macro_rules! err {
    ($($arg:tt)*) => {{
        let _ = write!(memdeck::safe::stderr(), $($arg)*);
    }};
}

mod team_cli;

/// A `--ttl` value: 90s, 30m, 2h, 1d.
fn parse_ttl_arg(text: &str) -> Result<std::time::Duration, String> {
    memory::expiry::parse_ttl(text)
        .ok_or_else(|| format!("{text:?} is not a duration: write 90s, 30m, 2h or 1d"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    memdeck::safe::set_raw(cli.raw);
    match run(&cli) {
        Ok(code) => code,
        Err(failure) => {
            let mut stderr = memdeck::safe::stderr();
            let _ = writeln!(stderr, "memdeck: error: {}", failure.message);
            if let Some(hint) = failure.hint {
                let _ = writeln!(stderr, "hint: {hint}");
            }
            ExitCode::from(failure.code)
        }
    }
}

fn run(cli: &Cli) -> Result<ExitCode, Failure> {
    let env = Environment::from_process();
    // The keys and the theme are checked with the rest, so a bad one stops every command.
    let loaded = config::load(&cli.flags, &env).and_then(|mut config| {
        let prefs = Prefs::resolve(&mut config)?;
        Ok((config, prefs))
    });
    if let Some(CliCommand::Doctor) = &cli.command {
        return run_doctor(&loaded.map(|(config, _)| config), &env);
    }
    let (config, prefs) =
        loaded.map_err(|e| Failure::new(2, e.0).hint("`memdeck doctor` checks the whole setup"))?;
    match &cli.command {
        Some(CliCommand::Doctor) => unreachable!("handled above"),
        Some(CliCommand::Sessions(command)) => run_sessions(&config, command),
        Some(CliCommand::Export { format, output }) => {
            run_export(&config, *format, output.as_deref())
        }
        Some(CliCommand::Config) => {
            out!("{}", config.describe());
            Ok(ExitCode::SUCCESS)
        }
        None => {
            use std::io::IsTerminal;
            if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
                return Err(Failure::new(2, "the full-screen app needs a terminal")
                    .hint("run it in a terminal, or use `memdeck ask` and `memdeck memory` in scripts"));
            }
            let log_file = config
                .log_file
                .clone()
                .unwrap_or_else(logging::default_path);
            if let Err(e) = logging::init(&log_file, &config.log_level) {
                errln!("memdeck: warning: {e}; logging is off");
            }
            let signal = memdeck::tui::run(&config, &prefs).map_err(|e| {
                Failure::new(1, e).hint("check --memory-dir, the provider flags and the log file")
            })?;
            // Ended by a signal: 128 + its number, as a shell reports a process it killed.
            Ok(signal
                .and_then(|n| u8::try_from(128 + n).ok())
                .map_or(ExitCode::SUCCESS, ExitCode::from))
        }
        Some(CliCommand::Demo(command)) => {
            log_if_asked(&config);
            run_demo(&config, command)
        }
        Some(CliCommand::Ask {
            persona,
            json,
            message,
        }) => {
            log_if_asked(&config);
            run_ask(
                &config,
                cli.flags.session.as_deref(),
                persona,
                *json,
                message,
            )
        }
        Some(CliCommand::Team(command)) => {
            log_if_asked(&config);
            team_cli::run(&config, command)
        }
        Some(CliCommand::Memory(MemoryCommand::Migrate { from, to })) => {
            run_migrate(&config, *from, *to)
        }
        Some(CliCommand::Memory(command)) => {
            let store = config
                .open_store()
                .map_err(|e| Failure::from(e).hint(config.store_hint()))?;
            run_memory(&config, store.as_ref(), command)
        }
    }
}

/// `memory migrate`: dump one backend, fill the other.
fn run_migrate(
    config: &Config,
    from: MemoryBackend,
    to: MemoryBackend,
) -> Result<ExitCode, Failure> {
    if from == to {
        return Err(Failure::new(2, "--from and --to name the same backend"));
    }
    let open = |backend: MemoryBackend| -> Result<std::sync::Arc<dyn MemoryStore>, Failure> {
        let mut c = config.clone();
        c.memory.backend = backend;
        let store = c
            .open_store()
            .map_err(|e| Failure::from(e).hint(c.store_hint()))?;
        Ok(store)
    };
    let (source, target) = (open(from)?, open(to)?);
    let dump = source.dump()?;
    target.import(&dump)?;
    if !dump.refused.is_empty() {
        errln!(
            "memdeck: left out {} entr{} whose path is not a valid memory path (nothing was \
             written for them):",
            dump.refused.len(),
            if dump.refused.len() == 1 { "y" } else { "ies" }
        );
        for (path, why) in &dump.refused {
            errln!("  {path}: {why}");
        }
    }
    outln!(
        "copied {} files, {} directories, {} history entries and {} versions\n  from {}\n  to   {}",
        dump.files.len(),
        dump.dirs.len(),
        dump.history.len(),
        dump.versions.len(),
        source.describe(),
        target.describe()
    );
    Ok(ExitCode::SUCCESS)
}

/// `memdeck memory consolidate`: the proposal as a diff; applied, or the last run undone.
fn run_consolidate(store: &dyn MemoryStore, apply: bool, undo: bool) -> Result<ExitCode, Failure> {
    use memdeck::memory::consolidate;
    let mut out = memdeck::safe::stdout();
    let write = |out: &mut memdeck::safe::SafeWriter<std::io::Stdout>, line: &str| {
        writeln!(out, "{line}").map_err(|e| Failure::new(1, format!("cannot write: {e}")))
    };
    if undo {
        let changes = consolidate::last_run(store)?;
        if changes.is_empty() {
            write(&mut out, "no consolidation to undo")?;
            return Ok(ExitCode::SUCCESS);
        }
        let undone =
            consolidate::undo(store, &changes, "cli").map_err(|why| Failure::new(1, why))?;
        write(&mut out, &undone)?;
        return Ok(ExitCode::SUCCESS);
    }
    let plan = consolidate::propose(store)?;
    if plan.is_empty() {
        write(
            &mut out,
            "nothing to consolidate: no repeated lines, contradicted facts or duplicate files",
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    for (mark, line) in plan.diff() {
        match mark {
            '#' => write(&mut out, &line)?,
            mark => write(&mut out, &format!("{mark} {line}"))?,
        }
    }
    if !apply {
        write(
            &mut out,
            &format!("proposed: {} (--apply writes it)", plan.summary()),
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let (_, stopped) = consolidate::apply(store, &plan);
    match stopped {
        None => {
            write(
                &mut out,
                &format!(
                    "applied as one operation: {} as \"{}\" (memdeck memory consolidate --undo \
                     takes it back)",
                    plan.summary(),
                    consolidate::ACTOR
                ),
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Some(why) => Err(Failure::new(1, why)
            .hint("run memdeck memory consolidate again to see a fresh proposal")),
    }
}

/// `memdeck memory index`: the index as requests carry it, or one JSON object per file.
fn run_index(config: &Config, store: &dyn MemoryStore, json: bool) -> Result<ExitCode, Failure> {
    let limits = config.memory.index.unwrap_or_default();
    if config.memory.index.is_none() {
        errln!(
            "memdeck: the index is off for requests (memory.index = off); this is what \
             it would say"
        );
    }
    let index = memory::index::build(store, limits, memdeck::clock::now_ms())?;
    let mut out = safe_out(json);
    let printed = if json {
        index.entries.iter().try_for_each(|entry| {
            let line = serde_json::json!({
                "path": entry.path,
                "type": entry.kind.map(memory::front::MemoryType::as_str),
                "description": entry.description,
                "actor": entry.actor,
                "changed_ms": entry.changed_ms,
                "uses": entry.uses,
            });
            writeln!(out, "{line}")
        })
    } else {
        writeln!(out, "{}", index.text)
    };
    printed.map_err(|e| Failure::new(1, format!("cannot write the index: {e}")))?;
    Ok(ExitCode::SUCCESS)
}

/// Standard output made safe: JSON lines escaped, or text with control characters shown.
fn safe_out(json: bool) -> memdeck::safe::SafeWriter<std::io::StdoutLock<'static>> {
    let mode = if json {
        memdeck::safe::Mode::Json
    } else {
        memdeck::safe::Mode::Text
    };
    memdeck::safe::SafeWriter::new(std::io::stdout().lock(), mode)
}

/// `memdeck memory exec`: one tool call, printed as the model would receive it.
fn run_exec(
    store: &dyn MemoryStore,
    json: bool,
    actor: &str,
    input: &str,
) -> Result<ExitCode, Failure> {
    check_actor(actor)?;
    let text = if input == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| Failure::new(2, format!("cannot read the tool input from stdin: {e}")))?;
        text
    } else {
        input.to_owned()
    };
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        Failure::new(2, format!("the tool input is not valid JSON: {e}")).hint(
            "quote it for the shell: memdeck memory exec '{\"command\":\"view\",\"path\":\"/memories\"}'",
        )
    })?;
    let result = memory::execute(store, &value, actor);
    let mut out = safe_out(json);
    let printed = if json {
        serde_json::to_string(&result)
            .map_err(std::io::Error::other)
            .and_then(|line| writeln!(out, "{line}"))
    } else {
        writeln!(out, "{}", result.content)
    };
    printed.map_err(|e| Failure::new(1, format!("cannot write the result: {e}")))?;
    Ok(if result.is_error {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn run_memory(
    config: &Config,
    store: &dyn MemoryStore,
    command: &MemoryCommand,
) -> Result<ExitCode, Failure> {
    match command {
        MemoryCommand::Snapshot(command) => run_snapshot(config, store, command),
        MemoryCommand::Migrate { from, to } => run_migrate(config, *from, *to),
        MemoryCommand::Reset { yes } => run_reset(config, store, *yes),
        MemoryCommand::Exec { json, actor, input } => run_exec(store, *json, actor, input),
        MemoryCommand::Index { json } => run_index(config, store, *json),
        MemoryCommand::Consolidate { apply, undo } => run_consolidate(store, *apply, *undo),
        MemoryCommand::Log { path, json } => {
            let path = path.as_deref().map(parse_path).transpose()?;
            let entries = store.history(path.as_ref())?;
            let mut out = safe_out(*json);
            if entries.is_empty() && !*json {
                let what = path.map_or_else(|| "the store".to_owned(), |p| p.to_string());
                errln!("no history yet for {what}");
            }
            let mut lines = Vec::new();
            if *json {
                for entry in &entries {
                    lines.push(
                        serde_json::to_string(entry).map_err(|e| Failure::new(1, e.to_string()))?,
                    );
                }
            } else {
                for op in memory::history::operations(&entries) {
                    lines.extend(format_operation(op));
                }
            }
            for line in lines {
                writeln!(out, "{line}")
                    .map_err(|e| Failure::new(1, format!("cannot write: {e}")))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        MemoryCommand::Lease {
            subject,
            ttl,
            holder,
        } => {
            check_actor(holder)?;
            team_cli::hold_lease(store, subject, holder, *ttl)
        }
        MemoryCommand::Leases { json } => team_cli::list_leases(store, *json),
        MemoryCommand::Expire { dry_run } => team_cli::expire(store, *dry_run),
        MemoryCommand::Restore {
            path,
            version,
            actor,
        } => {
            check_actor(actor)?;
            let path = parse_path(path)?;
            let restored = memory::history::restore_path(
                store,
                &path,
                version.as_deref(),
                WriteCtx::new(actor, "restore"),
            )
            .map_err(|e| {
                Failure::from(e).hint(format!("`memdeck memory log {path}` lists its versions"))
            })?;
            match restored {
                memory::history::Restored::File(v) => {
                    outln!("Restored {path} to version {}", v.short());
                }
                memory::history::Restored::Folder { files } => {
                    outln!("Restored the folder {path}: {files} file(s)");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Log to the configured file, when there is one (`ask`, `demo`: stdout is the output).
fn log_if_asked(config: &Config) {
    if let Some(path) = &config.log_file
        && let Err(e) = logging::init(path, &config.log_level)
    {
        errln!("memdeck: warning: {e}; logging is off");
    }
}

/// The backend of a command-line turn; its note (such as "using the demo model") on stderr.
fn cli_provider(
    config: &Config,
) -> Result<std::sync::Arc<dyn memdeck::provider::Provider>, Failure> {
    let (provider, note) = config
        .provider()
        .map_err(|e| Failure::new(2, e.to_string()))?;
    if let Some(note) = note {
        errln!("memdeck: {note}");
    }
    Ok(provider)
}

/// The runtime of a command-line turn (`ask`, `demo`): two workers, as the machine has.
fn cli_runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure::new(1, format!("cannot start the async runtime: {e}")))
}

/// A token that Ctrl+C cancels (the turn keeps what arrived); call inside the runtime.
fn cancel_on_ctrl_c() -> CancellationToken {
    let cancel = CancellationToken::new();
    let on_ctrl_c = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_ctrl_c.cancel();
        }
    });
    cancel
}

/// `memdeck demo run|record`.
fn run_demo(config: &Config, command: &DemoCommand) -> Result<ExitCode, Failure> {
    let (name, record) = match command {
        DemoCommand::Run { script } => (script, None),
        DemoCommand::Record { script, output } => (script, Some(output)),
    };
    let script = memdeck::chat::script::find(name).map_err(|e| Failure::new(2, e))?;
    let mut config = config.clone();
    if let Some(output) = record {
        if config.replay.is_some() || config.record.is_some() {
            return Err(Failure::new(
                2,
                "demo record makes its own recording: leave out --record and --replay",
            ));
        }
        if output.exists() {
            return Err(Failure::new(
                2,
                format!("{} exists already; record to a new file", output.display()),
            ));
        }
        config.record = Some(output.clone());
    }
    let store = config
        .open_store()
        .map_err(|e| Failure::from(e).hint(config.store_hint()))?;
    if record.is_some() && !store.list(&MemPath::root(), 1)?.entries.is_empty() {
        return Err(Failure::new(
            2,
            "the memory store is not empty: a recording made on it would not match the venue's",
        )
        .hint("record from empty memory: `memdeck memory reset --yes` (a snapshot keeps what was there), or --memory-dir a new directory"));
    }
    let provider = cli_provider(&config)?;
    let agent_for = |persona: &str| Agent {
        provider: provider.clone(),
        store: store.clone(),
        persona: config.persona(persona),
        options: config.turn_options(),
    };
    let steps: Vec<memdeck::chat::play::Step<'_>> = script
        .steps
        .iter()
        .map(|s| memdeck::chat::play::Step {
            persona: &s.persona,
            prompt: &s.prompt,
        })
        .collect();
    let runtime = cli_runtime()?;
    let result = runtime.block_on(async {
        let cancel = cancel_on_ctrl_c();
        memdeck::chat::play::play(
            &steps,
            &agent_for,
            &cancel,
            Output::Text,
            &mut memdeck::safe::stdout(),
            &mut memdeck::safe::stderr(),
        )
        .await
    });
    drop(provider);
    if let Err(stopped) = result {
        let message = format!(
            "step {} ({}) did not complete: {}",
            stopped.step, stopped.persona, stopped.error
        );
        return Err(match stopped.error {
            TurnError::Provider(ProviderError::Cancelled) => Failure::new(130, "cancelled"),
            _ => Failure::new(1, message),
        });
    }
    if let Some(output) = record {
        let shown = output.display();
        errln!(
            "memdeck: recorded {} step(s) to {shown}; at the venue, from empty memory: memdeck --demo {name} --replay {shown}",
            steps.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn run_ask(
    config: &Config,
    session: Option<&str>,
    persona: &str,
    json: bool,
    message: &str,
) -> Result<ExitCode, Failure> {
    check_actor(persona)?;
    // With --session, the turn continues that session's tab for the persona and is saved there.
    let mut continued = match session {
        Some(name) => {
            let path = memdeck::chat::session::path(&config.sessions_dir, name);
            let tab = memdeck::chat::session::Continued::open(&path, config.persona(persona))
                .map_err(|e| {
                    Failure::new(
                        1,
                        format!("cannot open the session {}: {e}", path.display()),
                    )
                })?;
            Some(tab)
        }
        None => None,
    };
    let provider = cli_provider(config)?;
    let store = config
        .open_store()
        .map_err(|e| Failure::from(e).hint(config.store_hint()))?;
    let agent = Agent {
        provider,
        store,
        persona: continued
            .as_ref()
            .map_or_else(|| config.persona(persona), |c| c.persona.clone()),
        options: {
            let mut options = config.turn_options();
            options.model = continued.as_ref().and_then(|c| c.model.clone());
            // This command is a session of its own: a note that expires with the session
            // goes at the next sweep after it ends.
            options.session = Some(memory::expiry::new_session_id());
            options
        },
    };
    let runtime = cli_runtime()?;
    let output = if json { Output::Json } else { Output::Text };
    let result = runtime.block_on(async {
        let cancel = cancel_on_ctrl_c();
        let mode = match output {
            Output::Json => memdeck::safe::Mode::Json,
            Output::Text => memdeck::safe::Mode::Text,
        };
        let mut out = memdeck::safe::SafeWriter::new(std::io::stdout(), mode);
        let mut notes = memdeck::safe::stderr();
        match continued.as_mut() {
            None => {
                let io = Io {
                    output,
                    out: &mut out,
                    notes: &mut notes,
                    extraction: Some((config.extract, config.extraction_model())),
                };
                let mut conversation = memdeck::chat::Conversation::default();
                ask_in(&agent, &mut conversation, message, &cancel, io, &mut |_| {}).await
            }
            Some(tab) => {
                tab.transcript.push_user(message);
                let io = Io {
                    output,
                    out: &mut out,
                    notes: &mut notes,
                    extraction: Some((config.extract, config.extraction_model())),
                };
                let transcript = &mut tab.transcript;
                let result = ask_in(
                    &agent,
                    &mut tab.conversation,
                    message,
                    &cancel,
                    io,
                    &mut |event| transcript.on_event(event, std::time::Instant::now()),
                )
                .await;
                tab.transcript.on_turn_end(result.as_ref().copied());
                result
            }
        }
    });
    if let Some(tab) = continued {
        tab.finish(memdeck::clock::now_ms())
            .map_err(|e| Failure::new(1, format!("the turn ran but could not be saved: {e}")))?;
    }
    match result {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(TurnError::Provider(ProviderError::Cancelled)) => Err(Failure::new(130, "cancelled")),
        Err(
            e @ TurnError::Provider(
                ProviderError::Http { .. } | ProviderError::Setup(_) | ProviderError::Replay(_),
            ),
        ) => Err(Failure::new(1, e.to_string())),
        Err(e) => Err(Failure::new(1, e.to_string())
            .hint("what arrived before the failure was kept; ask again to continue")),
    }
}

/// Ask before something drastic: `--yes`, or a "y" typed at a terminal.
fn confirm(question: &str, yes: bool) -> Result<(), Failure> {
    use std::io::IsTerminal;
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(Failure::new(2, "this needs confirmation").hint("add --yes"));
    }
    err!("{question} [y/N] ");
    let mut answer = String::new();
    let _ = std::io::stdin().read_line(&mut answer);
    if matches!(answer.trim(), "y" | "Y" | "yes") {
        Ok(())
    } else {
        Err(Failure::new(1, "nothing was changed"))
    }
}

fn run_snapshot(
    config: &Config,
    store: &dyn MemoryStore,
    command: &SnapshotCommand,
) -> Result<ExitCode, Failure> {
    use memdeck::memory::snapshot;
    let dir = &config.snapshots_dir;
    match command {
        SnapshotCommand::Save { name } => {
            snapshot::check_name(name).map_err(|e| Failure::new(2, e))?;
            let taken = snapshot::take(store, name, memdeck::clock::now_ms())?;
            let path = snapshot::save(dir, &taken, false).map_err(|e| Failure::new(1, e))?;
            outln!(
                "saved {} file(s) as snapshot {name} ({})",
                taken.files.len(),
                path.display()
            );
            for skipped in &taken.skipped {
                errln!("memdeck: not saved, not a memory file: {skipped}");
            }
        }
        SnapshotCommand::List => {
            let all = snapshot::list(dir).map_err(|e| Failure::new(1, e))?;
            if all.is_empty() {
                outln!("no snapshots in {}", dir.display());
            }
            for s in all {
                outln!(
                    "{:<32} {}  {} file(s)",
                    s.name,
                    format_utc(s.created_ms),
                    s.files.len()
                );
            }
        }
        SnapshotCommand::Restore { name, yes } => {
            let snap = snapshot::load(dir, name).map_err(|e| Failure::new(1, e))?;
            confirm(
                &format!(
                    "Make the memory store what snapshot {name} holds ({} files)? What is there now stays in the history.",
                    snap.files.len()
                ),
                *yes,
            )?;
            let done = snapshot::restore(store, &snap, "snapshot")?;
            outln!(
                "restored snapshot {name}: {} written, {} deleted, {} unchanged",
                done.written,
                done.deleted,
                done.unchanged
            );
            for skipped in &done.skipped {
                errln!("memdeck: left alone: {skipped}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Snapshot, then clear the memories and start the session over (its journal is kept under
/// another name, so `sessions list` still has it).
fn run_reset(config: &Config, store: &dyn MemoryStore, yes: bool) -> Result<ExitCode, Failure> {
    use memdeck::chat::session;
    use memdeck::memory::snapshot;
    confirm(
        &format!(
            "Reset the demo: snapshot the memory store, then clear every memory and the conversations of session {}?",
            config.session
        ),
        yes,
    )?;
    let (name, cleared) = snapshot::reset(
        store,
        &config.snapshots_dir,
        "reset",
        memdeck::clock::now_ms(),
    )
    .map_err(|e| Failure::new(1, e))?;
    let journal = session::path(&config.sessions_dir, &config.session);
    if journal.exists() {
        let kept = session::path(&config.sessions_dir, &format!("{}-{name}", config.session));
        std::fs::rename(&journal, &kept)
            .map_err(|e| Failure::new(1, format!("cannot move {}: {e}", journal.display())))?;
    }
    outln!(
        "saved snapshot {name}, cleared {} memory entr{}, and started session {} over",
        cleared.deleted,
        if cleared.deleted == 1 { "y" } else { "ies" },
        config.session
    );
    for left in &cleared.left {
        errln!("memdeck: left in place (no memory path can name it): {left}");
    }
    for unsaved in &cleared.unsaved {
        errln!("memdeck: not in the snapshot (the history keeps it): {unsaved}");
    }
    Ok(ExitCode::SUCCESS)
}

fn run_export(
    config: &Config,
    format: memdeck::chat::export::Format,
    output: Option<&std::path::Path>,
) -> Result<ExitCode, Failure> {
    use memdeck::chat::session;
    let path = session::path(&config.sessions_dir, &config.session);
    if !path.exists() {
        return Err(Failure::new(
            1,
            format!(
                "there is no session {:?} in {}",
                config.session,
                config.sessions_dir.display()
            ),
        )
        .hint("`memdeck sessions list` shows the saved sessions; --session NAME picks one"));
    }
    let saved = session::load(&path)
        .map_err(|e| Failure::new(1, format!("cannot read {}: {e}", path.display())))?;
    let store = config
        .open_store()
        .map_err(|e| Failure::from(e).hint(config.store_hint()))?;
    let history = store.history(None)?;
    let text = memdeck::chat::export::document(
        &config.session,
        &saved,
        &history,
        store.as_ref(),
        &config.pricing(),
        format,
        memdeck::clock::now_ms(),
    );
    match output {
        Some(file) => {
            std::fs::write(file, text)
                .map_err(|e| Failure::new(1, format!("cannot write {}: {e}", file.display())))?;
            errln!("memdeck: wrote {}", file.display());
        }
        None => out!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}

fn run_sessions(config: &Config, command: &SessionsCommand) -> Result<ExitCode, Failure> {
    use memdeck::chat::session;
    let dir = &config.sessions_dir;
    let named = |name: &str| -> Result<std::path::PathBuf, Failure> {
        session::check_name(name).map_err(|e| Failure::new(2, e))?;
        let path = session::path(dir, name);
        if path.exists() {
            Ok(path)
        } else {
            Err(Failure::new(
                1,
                format!("there is no session {name:?} in {}", dir.display()),
            )
            .hint("`memdeck sessions list` shows the saved sessions"))
        }
    };
    match command {
        SessionsCommand::List => {
            let sessions = session::list(dir)
                .map_err(|e| Failure::new(1, format!("cannot read {}: {e}", dir.display())))?;
            if sessions.is_empty() {
                outln!("no saved sessions in {}", dir.display());
            } else {
                outln!(
                    "{:<24} {:>4} {:>6}  last turn (UTC)",
                    "NAME",
                    "TABS",
                    "TURNS"
                );
                for (name, saved) in sessions {
                    let turns: usize = saved.tabs.iter().map(|t| t.turns).sum();
                    let last = match saved.last_ms() {
                        0 => "-".to_owned(),
                        ms => format_utc(ms),
                    };
                    outln!("{name:<24} {:>4} {turns:>6}  {last}", saved.tabs.len());
                }
            }
        }
        SessionsCommand::Show { name } => {
            let path = named(name)?;
            let saved = session::load(&path)
                .map_err(|e| Failure::new(1, format!("cannot read {}: {e}", path.display())))?;
            outln!("# Session {name}\n");
            let usage: Vec<_> = saved.tabs.iter().map(session::SavedTab::usage).collect();
            outln!("## Cost\n");
            for line in config.pricing().report(&usage) {
                outln!("- {line}");
            }
            outln!();
            for tab in &saved.tabs {
                out!("{}", session::tab_markdown(tab));
            }
            if saved.unreadable > 0 {
                errln!("memdeck: {} unreadable line(s) skipped", saved.unreadable);
            }
        }
        SessionsCommand::Rm { name } => {
            let path = named(name)?;
            std::fs::remove_file(&path)
                .map_err(|e| Failure::new(1, format!("cannot remove {}: {e}", path.display())))?;
            outln!("removed session {name}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn run_doctor(
    loaded: &Result<Config, config::ConfigError>,
    env: &Environment,
) -> Result<ExitCode, Failure> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::new(1, format!("cannot start the async runtime: {e}")))?;
    let terminal = memdeck::doctor::TerminalInfo::detect();
    let findings = runtime.block_on(memdeck::doctor::examine(loaded, env, &terminal));
    let (text, failed) = memdeck::doctor::report(&findings);
    out!("{text}");
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn parse_path(raw: &str) -> Result<MemPath, Failure> {
    MemPath::parse(raw)
        .map_err(|e| Failure::new(2, e.to_string()).hint("paths look like /memories/notes.md"))
}

fn check_actor(actor: &str) -> Result<(), Failure> {
    if actor.is_empty() || actor.len() > 64 || actor.chars().any(memory::path::is_control_or_format)
    {
        return Err(Failure::new(
            2,
            "--actor must be 1 to 64 bytes of visible text",
        ));
    }
    Ok(())
}

/// One history entry as a line: sequence, time, actor, command, path, versions.
/// One operation of the history as lines: a file's change on one line; a folder's as the
/// folder's line (with how many files) and one indented line per file.
fn format_operation(op: &[memory::HistoryEntry]) -> Vec<String> {
    let short =
        |v: &Option<memory::Version>| v.as_ref().map_or("-".to_owned(), |v| v.short().to_owned());
    let target = |entry: &memory::HistoryEntry| match &entry.new_path {
        Some(to) => format!("{} -> {to}", entry.path),
        None => entry.path.clone(),
    };
    let Some((entry, members)) = op.split_first() else {
        return Vec::new();
    };
    let line = if entry.group == Some(entry.seq) {
        let n = members.len();
        // A batch names the whole store; a folder operation its folder.
        let what = if entry.path == "/memories" {
            "several files"
        } else {
            "folder"
        };
        format!(
            "#{:<5} {}  {:<10} {:<11} {}  ({what}, {n} file{})",
            entry.seq,
            format_utc(entry.ts_ms),
            entry.actor,
            entry.op,
            target(entry),
            if n == 1 { "" } else { "s" },
        )
    } else {
        format!(
            "#{:<5} {}  {:<10} {:<11} {}  {} -> {}",
            entry.seq,
            format_utc(entry.ts_ms),
            entry.actor,
            entry.op,
            target(entry),
            short(&entry.old),
            short(&entry.new),
        )
    };
    let mut lines = vec![printable(&line)];
    for member in members {
        lines.push(printable(&format!(
            "{:28}└ {}  {} -> {}",
            "",
            target(member),
            short(&member.old),
            short(&member.new),
        )));
    }
    lines
}

/// One line, every control or format character in it shown as the screen shows it (a newline
/// too: paths and actors were checked on the way in, but a log edited by hand could hold them).
fn printable(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    for c in line.chars() {
        memdeck::safe::push_visible(&mut out, c);
    }
    out
}
