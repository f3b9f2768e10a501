//! The event loop: terminal events and background results in, at most one frame per
//! [`FRAME_BUDGET`] out, and only when something changed.
//!
//! Terminal events arrive on the same channel as everything else (see
//! [`spawn_input_thread`]), so the loop sleeps in one place and a streamed delta costs one
//! wake-up. It is generic over the screen's writer, so tests drive it headless with a
//! `Screen<Vec<u8>>` (or any writer) and actions sent into the channel.

use std::io::{self, Write};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};

use super::effects::{Effects, Flow};
use crate::app::{Action, App};
use crate::tui::screen::Screen;
use crate::ui::theme::Theme;

/// The shortest time between two frames (60 frames a second at most).
pub const FRAME_BUDGET: Duration = Duration::from_millis(16);
/// The time between two frames while answers stream and nothing else happens (15 frames a
/// second): text arriving every few milliseconds is shown in steady steps, and the process
/// wakes once per frame instead of once per network packet. Keys still draw at once.
pub const STREAM_FRAME: Duration = Duration::from_millis(66);
/// How often time-driven things (spinners, countdowns, flashes) are redrawn.
pub const TICK: Duration = Duration::from_millis(100);
/// Actions applied before a frame is drawn, at most; a flood cannot starve the screen.
const BATCH: usize = 4096;

/// What the terminal must do around a suspend (Ctrl+Z): give the terminal back, stop, and take
/// it again. The headless tests pass a no-op.
pub trait Suspend {
    /// Returns the terminal's size after the resume, when known: the window may have been
    /// resized while the app was stopped, and no resize event reports that.
    fn suspend(&mut self) -> io::Result<Option<(u16, u16)>>;
}

/// For tests: suspending does nothing.
pub struct NoSuspend;

impl Suspend for NoSuspend {
    fn suspend(&mut self) -> io::Result<Option<(u16, u16)>> {
        Ok(None)
    }
}

/// Set the app's clocks before an update.
fn stamp(app: &mut App) {
    app.now = std::time::Instant::now();
    app.wall_ms = crate::clock::now_ms();
}

/// Block the thread for `length`, or until something arrives in the channel while resting
/// (the input thread wakes the resting thread after every event it sends).
fn rest(length: Duration, rx: &mpsc::UnboundedReceiver<Action>) {
    let until = std::time::Instant::now() + length;
    loop {
        let now = std::time::Instant::now();
        if now >= until || !rx.is_empty() {
            return;
        }
        std::thread::park_timeout(until - now);
    }
}

/// Read the terminal's events on a thread of their own and send them into the action channel
/// as [`Action::Term`]. Blocking in `read` costs nothing while idle, and the event loop has no
/// second source to poll on every wake-up. A read error ends the app through its normal exit.
///
/// Call it from the thread that runs the event loop.
pub fn spawn_input_thread(tx: mpsc::UnboundedSender<Action>) -> io::Result<()> {
    let looping = std::thread::current();
    std::thread::Builder::new()
        .name("memdeck-input".into())
        .spawn(move || {
            loop {
                match crossterm::event::read() {
                    Ok(event) => {
                        if tx.send(Action::Term(event)).is_err() {
                            return;
                        }
                        // End the event loop's rest between streamed frames, if it is resting.
                        looping.unpark();
                    }
                    Err(e) => {
                        tracing::error!("cannot read the terminal: {e}");
                        let _ = tx.send(Action::Terminate);
                        return;
                    }
                }
            }
        })
        .map(drop)
}

/// Draw one frame in `theme`'s colours. The size comes from the terminal's resize events (the app's `size`); a
/// new size or a screen someone else drew on (after a suspend) is cleared and written whole.
fn draw<W: Write>(screen: &mut Screen<W>, theme: &Theme, app: &mut App) -> io::Result<()> {
    if std::mem::take(&mut app.clear) || screen.size() != app.size {
        screen.clear(app.size)?;
    }
    let began = std::time::Instant::now();
    screen.draw(|buf| crate::ui::draw(buf, app, theme))?;
    tracing::trace!(micros = began.elapsed().as_micros(), "frame");
    Ok(())
}

/// When the tick after one due at `due` falls, handled at `now`: a period later, or a period
/// from now when the loop fell behind (the first tick after an idle spell is due since the
/// spell began). Missed ticks are not replayed: each would be ready at once, and a loop that
/// is always ready never lets the runtime run the tasks it carries (a turn stalled for seconds
/// after the app had been idle).
fn tick_after(due: Instant, now: Instant) -> Instant {
    let next = due + TICK;
    if next <= now { now + TICK } else { next }
}

/// Run until the app quits or every sender of the channel is gone, drawing on `screen` in
/// `theme`'s colours.
pub async fn run<W: Write>(
    screen: &mut Screen<W>,
    theme: &Theme,
    app: &mut App,
    rx: &mut mpsc::UnboundedReceiver<Action>,
    fx: &mut Effects,
    suspend: &mut dyn Suspend,
) -> io::Result<()> {
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
            draw(screen, theme, app)?;
            app.dirty = false;
            if app.is_streaming() {
                // Rest outside the runtime until the next frame is due. While the thread is
                // not waiting on the sockets, packets queue up in the kernel and are read in
                // one go afterwards: one wake-up per frame, not one per delta (each costs tens
                // of microseconds of kernel time). A key ends the rest at once.
                rest(STREAM_FRAME, rx);
                next_frame = Instant::now();
            } else {
                next_frame = Instant::now() + FRAME_BUDGET;
            }
        }
        let ticking = app.needs_ticks();
        if !ticking {
            next_tick = Instant::now() + TICK;
        }
        let effects = tokio::select! {
            // Whatever is waiting is applied before a due frame is drawn.
            biased;
            action = rx.recv() => {
                let Some(action) = action else { return Ok(()) };
                stamp(app);
                let mut effects = app.update(action);
                for _ in 0..BATCH {
                    match rx.try_recv() {
                        Ok(more) => effects.extend(app.update(more)),
                        Err(_) => break,
                    }
                }
                effects
            }
            () = sleep_until(next_frame), if app.dirty => Vec::new(),
            () = sleep_until(next_tick), if ticking => {
                next_tick = tick_after(next_tick, Instant::now());
                stamp(app);
                app.update(Action::Tick)
            }
        };
        match fx.execute(effects) {
            Flow::Continue => {}
            Flow::Quit => return Ok(()),
            Flow::Suspend => {
                if let Some((width, height)) = suspend.suspend()? {
                    app.update(Action::Term(crossterm::event::Event::Resize(width, height)));
                }
                app.update(Action::Resumed);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_keep_their_pace_and_missed_ones_are_not_replayed() {
        let start = Instant::now();
        // On time: one period after the last.
        assert_eq!(tick_after(start, start + TICK / 2), start + TICK);
        // After half a minute idle, the next tick is a period away, not the one after the
        // stale one (which would be due already, for the next three hundred ticks).
        let later = start + Duration::from_secs(30);
        let next = tick_after(start, later);
        assert_eq!(next, later + TICK);
        assert!(tick_after(next, later + TICK) > later + TICK);
    }
}
