//! `memdeck` with no subcommand: the full-screen app. Opens the store and the provider, sets up
//! logging and the terminal, and runs the event loop until the user quits or a signal ends it.

pub mod effects;
pub mod prefs;
pub mod run;
pub mod screen;
pub mod terminal;

use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Duration;

use tokio::sync::mpsc;

use self::effects::Effects;
use self::terminal::TerminalGuard;
use crate::app::{Action, App, Labels};
use crate::chat::session::{self, Journal};
use crate::config::{Config, MemoryBackend};
use crate::memory::{LocalStore, MemoryStore, WatchMode};

/// The memory store, watched for changes made by others, and a note when watching is degraded.
fn open_store(config: &Config) -> Result<(Arc<dyn MemoryStore>, Option<&'static str>), String> {
    match config.memory.backend {
        MemoryBackend::Redis => {
            let store = config.redis_store().map_err(|e| e.to_string())?;
            return Ok(shared(store, crate::memory::redis::RedisStore::watch));
        }
        MemoryBackend::Postgres => {
            let store = config.postgres_store().map_err(|e| e.to_string())?;
            return Ok(shared(store, crate::memory::postgres::PgStore::watch));
        }
        MemoryBackend::Local => {}
    }
    let store = LocalStore::open(&config.local_options()).map_err(|e| e.to_string())?;
    let note = match store.watch() {
        Ok(WatchMode::Events) => None,
        Ok(WatchMode::Polling) => Some("watching the memory directory by polling"),
        Err(e) => {
            tracing::warn!("no watcher: {e}");
            Some("changes by other programs are not watched (see the log)")
        }
    };
    Ok((Arc::new(store), note))
}

/// A store on a server with its watcher started by `watch`, and a note when it cannot follow
/// other clients' changes.
fn shared<S: MemoryStore + 'static>(
    store: S,
    watch: fn(&S) -> Result<(), crate::memory::StoreError>,
) -> (Arc<dyn MemoryStore>, Option<&'static str>) {
    let note = match watch(&store) {
        Ok(()) => None,
        Err(e) => {
            tracing::warn!("no watcher on {}: {e}", store.describe());
            Some("changes by other clients are not followed (see the log)")
        }
    };
    (Arc::new(store), note)
}

/// Run the TUI with `prefs`' keys and colours. Errors before the screen starts are returned for the caller to print; the
/// terminal is restored before this returns, whatever happened. Returns the signal that ended
/// the app, if one did (the caller exits with 128 + its number, as a shell expects).
pub fn run(config: &Config, prefs: &prefs::Prefs) -> Result<Option<i32>, String> {
    let (provider, note) = config.provider().map_err(|e| e.to_string())?;
    let (store, watch_note) = open_store(config)?;
    let labels = Labels {
        provider: provider.label(),
        store: store.describe(),
    };
    tracing::info!(provider = %labels.provider, store = %labels.store, "starting the TUI");
    // One thread runs the event loop and every network stream: a streamed delta is read,
    // decoded and applied without waking another thread. Memory work goes to blocking threads.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let options = config.turn_options();
    let team = config.personas.clone();
    let script = config
        .demo
        .as_deref()
        .map(crate::chat::script::find)
        .transpose()?;
    let notes = config.notes.as_deref().map(open_notes).transpose()?;
    let session_path = session::path(&config.sessions_dir, &config.session);
    let saved = session::load(&session_path)
        .map_err(|e| format!("cannot read the session {}: {e}", session_path.display()))?;
    let journal = Journal::open(&session_path)
        .map_err(|e| format!("cannot write the session {}: {e}", session_path.display()))?;
    tracing::info!(session = %session_path.display(), tabs = saved.tabs.len(), "session");
    let ended_by = Arc::new(AtomicI32::new(0));
    let signal = ended_by.clone();
    let result = runtime.block_on(async move {
        let (tx, mut rx) = mpsc::unbounded_channel();
        forward_signals(&tx, &ended_by);
        #[cfg(debug_assertions)]
        panic_on_request();
        terminal::set_mouse(config.mouse);
        let (mut guard, mut screen) =
            TerminalGuard::enter().map_err(|e| format!("cannot set up the terminal: {e}"))?;
        let mut app = App::new(team, labels, screen.size());
        if let Some(note) = note.or(watch_note.map(str::to_owned)) {
            app.notify(note, false);
        }
        if saved.unreadable > 0 {
            app.notify(
                format!(
                    "{} unreadable line(s) in the saved session were skipped (see the log)",
                    saved.unreadable
                ),
                true,
            );
            tracing::warn!(lines = saved.unreadable, "unreadable session lines skipped");
        }
        app.restore(saved);
        app.record_session();
        app.script = script;
        configure(&mut app, config, prefs);
        run::spawn_input_thread(tx.clone())
            .map_err(|e| format!("cannot start reading the terminal: {e}"))?;
        let notify = config.notify;
        let mut fx = Effects::new(
            provider,
            store,
            options,
            tx,
            Box::new(move |out| terminal::send(out, notify)),
        );
        let file = effects::SessionFile {
            name: config.session.clone(),
            path: session_path.clone(),
            export_dir: std::env::current_dir().unwrap_or_else(|_| ".".into()),
            pricing: config.pricing(),
        };
        app.session_id = Some(fx.hold_session());
        fx.snapshots_in(config.snapshots_dir.clone());
        fx.extract_with(config.extraction_model());
        if let Some(out) = notes {
            fx.notes_to(out);
        }
        fx.save_session(journal, file)
            .map_err(|e| format!("cannot start saving the session: {e}"))?;
        let result = run::run(
            &mut screen,
            &prefs.theme,
            &mut app,
            &mut rx,
            &mut fx,
            &mut guard,
        )
        .await;
        fx.finish_session();
        fx.end_session();
        drop(guard);
        result.map_err(|e| format!("the terminal failed: {e}"))
    });
    runtime.shutdown_timeout(Duration::from_millis(500));
    let signal = Some(signal.load(Ordering::SeqCst)).filter(|&n| n != 0);
    tracing::info!(?signal, "the TUI ended");
    result.map(|()| signal)
}

/// The app's settings from the configuration and the preferences.
fn configure(app: &mut App, config: &Config, prefs: &prefs::Prefs) {
    app.set_context_editing(config.context_editing);
    app.extract = config.extract;
    app.turn_defaults = (config.max_tokens, config.thinking);
    app.consolidate_after = config.consolidate_after;
    app.tell_changes = config.tell_changes;
    app.mouse = config.mouse;
    // The configured model's limits come from the models list, asked for at start (on
    // the Anthropic API; offline the request fails quietly and nothing is fitted). Not
    // while recording or replaying: a recording holds the model calls only.
    let anthropic = config.provider_kind() == crate::config::ProviderKind::Anthropic
        && config.replay.is_none()
        && config.record.is_none();
    app.list_models_at_start = anthropic;
    app.configured_model = anthropic.then(|| config.model.clone());
    app.pricing = config.pricing();
    app.keymap = prefs.keymap.clone();
    app.set_hint_style(prefs.theme.dim);
}

/// SIGTERM, SIGHUP and SIGINT end the app through its normal exit (which cancels the turns
/// and restores the terminal); the first one is recorded in `ended_by`.
fn forward_signals(tx: &mpsc::UnboundedSender<Action>, ended_by: &Arc<AtomicI32>) {
    use tokio::signal::unix::{SignalKind, signal};
    for kind in [
        SignalKind::terminate(),
        SignalKind::hangup(),
        SignalKind::interrupt(),
    ] {
        let tx = tx.clone();
        let ended_by = ended_by.clone();
        match signal(kind) {
            Ok(mut stream) => {
                tokio::spawn(async move {
                    if stream.recv().await.is_some() {
                        tracing::info!("ending on signal {}", kind.as_raw_value());
                        let _ = ended_by.compare_exchange(
                            0,
                            kind.as_raw_value(),
                            Ordering::SeqCst,
                            Ordering::SeqCst,
                        );
                        let _ = tx.send(Action::Terminate);
                    }
                });
            }
            Err(e) => tracing::warn!("cannot listen for {kind:?}: {e}"),
        }
    }
}

/// Debug builds only, for the tests of the panic path: with `MEMDECK_TEST_PANIC` set, SIGUSR1
/// makes a task on the event loop's thread panic, in the middle of whatever the app is doing.
#[cfg(debug_assertions)]
fn panic_on_request() {
    use tokio::signal::unix::{SignalKind, signal};
    if std::env::var_os("MEMDECK_TEST_PANIC").is_none() {
        return;
    }
    if let Ok(mut stream) = signal(SignalKind::user_defined1()) {
        tokio::spawn(async move {
            assert!(
                stream.recv().await.is_none(),
                "a test asked for this panic (SIGUSR1 with MEMDECK_TEST_PANIC set)"
            );
        });
    }
}

/// Where `--notes` sends the speaker notes: `-` is standard error, which must not be the
/// terminal the app draws on; anything else is a file (or a terminal's device) appended to.
fn open_notes(target: &str) -> Result<Box<dyn std::io::Write + Send>, String> {
    use std::io::IsTerminal as _;
    if target == "-" {
        if std::io::stderr().is_terminal() {
            return Err(
                "--notes -: standard error is this terminal, so the notes would land on the \
                 audience's screen; redirect it (2>notes.txt, or 2>/dev/pts/N for another \
                 terminal) or give a file"
                    .to_owned(),
            );
        }
        return Ok(Box::new(std::io::stderr()));
    }
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(target)
        .map(|f| Box::new(f) as Box<dyn std::io::Write + Send>)
        .map_err(|e| format!("--notes {target}: cannot open it for writing: {e}"))
}
