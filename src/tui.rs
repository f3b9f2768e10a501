//! `memdeck` with no subcommand: the full-screen app. Opens the store and the provider, sets up
//! logging and the terminal, and runs the event loop until the user quits or a signal ends it.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::app::effects::Effects;
use crate::app::{Action, App, Labels};
use crate::chat::persona::default_team;
use crate::config::{MemoryArgs, ModelArgs};
use crate::memory::{LocalStore, MemoryStore, WatchMode};
use crate::terminal::{TerminalGuard, copy_to_clipboard};

/// Run the TUI. Errors before the screen starts are returned for the caller to print; the
/// terminal is restored before this returns, whatever happened.
pub fn run(memory: &MemoryArgs, model: &ModelArgs) -> Result<(), String> {
    let (provider, note) = model.provider().map_err(|e| e.to_string())?;
    let store = LocalStore::open(&memory.local_options()).map_err(|e| e.to_string())?;
    let watch_note = match store.watch() {
        Ok(WatchMode::Events) => None,
        Ok(WatchMode::Polling) => Some("watching the memory directory by polling"),
        Err(e) => {
            tracing::warn!("no watcher: {e}");
            Some("changes by other programs are not watched (see the log)")
        }
    };
    let store: Arc<dyn MemoryStore> = Arc::new(store);
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
    let options = model.turn_options();
    let result = runtime.block_on(async move {
        let (tx, mut rx) = mpsc::unbounded_channel();
        forward_signals(&tx);
        let (mut guard, mut screen) =
            TerminalGuard::enter().map_err(|e| format!("cannot set up the terminal: {e}"))?;
        let mut app = App::new(default_team(), labels, screen.size());
        if let Some(note) = note.or(watch_note) {
            app.notify(note, false);
        }
        crate::app::run::spawn_input_thread(tx.clone())
            .map_err(|e| format!("cannot start reading the terminal: {e}"))?;
        let mut fx = Effects::new(provider, store, options, tx, Box::new(copy_to_clipboard));
        let result =
            crate::app::run::run(&mut screen, &mut app, &mut rx, &mut fx, &mut guard).await;
        drop(guard);
        result.map_err(|e| format!("the terminal failed: {e}"))
    });
    runtime.shutdown_timeout(Duration::from_millis(500));
    tracing::info!("the TUI ended");
    result
}

/// SIGTERM, SIGHUP and SIGINT end the app through its normal exit (which restores the
/// terminal).
fn forward_signals(tx: &mpsc::UnboundedSender<Action>) {
    use tokio::signal::unix::{SignalKind, signal};
    for kind in [
        SignalKind::terminate(),
        SignalKind::hangup(),
        SignalKind::interrupt(),
    ] {
        let tx = tx.clone();
        match signal(kind) {
            Ok(mut stream) => {
                tokio::spawn(async move {
                    if stream.recv().await.is_some() {
                        let _ = tx.send(Action::Terminate);
                    }
                });
            }
            Err(e) => tracing::warn!("cannot listen for {kind:?}: {e}"),
        }
    }
}
