//! The event loop: terminal events and background results in, at most one frame per
//! [`FRAME_BUDGET`] out, and only when something changed.
//!
//! It is generic over the ratatui backend and the event stream, so tests drive it headless
//! with a `TestBackend` and scripted events.

use std::io;
use std::time::Duration;

use crossterm::event::Event;
use futures_util::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};

use super::effects::{Effects, Flow};
use super::{Action, App};

/// The shortest time between two frames (60 frames a second at most).
pub const FRAME_BUDGET: Duration = Duration::from_millis(16);
/// How often time-driven things (spinners, countdowns, flashes) are redrawn.
pub const TICK: Duration = Duration::from_millis(100);
/// Actions applied before a frame is drawn, at most; a flood cannot starve the screen.
const BATCH: usize = 4096;

/// What the terminal must do around a suspend (Ctrl+Z): give the terminal back, stop, and take
/// it again. The headless tests pass a no-op.
pub trait Suspend {
    fn suspend(&mut self) -> io::Result<()>;
}

/// For tests: suspending does nothing.
pub struct NoSuspend;

impl Suspend for NoSuspend {
    fn suspend(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Set the app's clocks before an update.
fn stamp(app: &mut App) {
    app.now = std::time::Instant::now();
    app.wall_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
}

/// Run until the app quits or the terminal's events end.
pub async fn run<B, S>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    mut events: S,
    rx: &mut mpsc::UnboundedReceiver<Action>,
    fx: &mut Effects,
    suspend: &mut dyn Suspend,
) -> io::Result<()>
where
    B: Backend,
    B::Error: std::error::Error + Send + Sync + 'static,
    S: Stream<Item = io::Result<Event>> + Unpin,
{
    fx.watch_store();
    stamp(app);
    let start = app.start();
    fx.execute(start);
    let mut next_frame = Instant::now();
    let mut next_tick = Instant::now() + TICK;
    loop {
        if app.should_quit() {
            return Ok(());
        }
        if app.dirty && Instant::now() >= next_frame {
            if std::mem::take(&mut app.clear) {
                terminal.clear().map_err(io::Error::other)?;
            }
            terminal
                .draw(|frame| crate::ui::draw(frame, app))
                .map_err(io::Error::other)?;
            app.dirty = false;
            next_frame = Instant::now() + FRAME_BUDGET;
        }
        let ticking = app.needs_ticks();
        if !ticking {
            next_tick = Instant::now() + TICK;
        }
        let commands = tokio::select! {
            event = events.next() => match event {
                Some(Ok(event)) => {
                    stamp(app);
                    app.update(Action::Term(event))
                }
                Some(Err(e)) => return Err(e),
                None => return Ok(()),
            },
            Some(action) = rx.recv() => {
                stamp(app);
                let mut commands = app.update(action);
                for _ in 0..BATCH {
                    match rx.try_recv() {
                        Ok(more) => commands.extend(app.update(more)),
                        Err(_) => break,
                    }
                }
                commands
            }
            () = sleep_until(next_frame), if app.dirty => Vec::new(),
            () = sleep_until(next_tick), if ticking => {
                next_tick += TICK;
                stamp(app);
                app.update(Action::Tick)
            }
        };
        match fx.execute(commands) {
            Flow::Continue => {}
            Flow::Quit => return Ok(()),
            Flow::Suspend => {
                suspend.suspend()?;
                app.update(Action::Resumed);
            }
        }
    }
}
