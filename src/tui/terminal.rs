//! The terminal's modes: turned on when the TUI starts, and every one of them turned off again
//! on exit, on panic (then the process exits with 101, the message printed after the restore),
//! on SIGTERM/SIGHUP (through the normal exit) and around a suspend.
//!
//! The only module that sends terminal mode commands.

use std::io::{self, Stdout, Write};
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
    KeyboardEnhancementFlags, PopKeyboardEnhancementFlags, PushKeyboardEnhancementFlags,
};
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use crossterm::{cursor, execute};
use ratatui::layout::Rect;

use crate::tui::screen::Screen;

/// Whether the modes are on (so the panic hook knows whether to undo them).
static ACTIVE: AtomicBool = AtomicBool::new(false);
/// Whether keyboard enhancement flags were pushed (and must be popped).
static KEYBOARD_FLAGS: AtomicBool = AtomicBool::new(false);
static HOOK: Once = Once::new();

/// Owns the terminal's modes; dropping it restores the terminal.
pub struct TerminalGuard {
    _private: (),
}

impl TerminalGuard {
    /// Raw mode, the alternate screen, mouse, bracketed paste and (where the terminal knows
    /// them) keyboard flags that report Shift+Enter. Installs the panic hook once.
    pub fn enter() -> io::Result<(Self, Screen<Stdout>)> {
        HOOK.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                // Restore first, so the message lands on the normal screen.
                let was_set_up = restore();
                tracing::error!("{info}");
                previous(info);
                if was_set_up {
                    // Whichever thread panicked, the app cannot go on: the terminal is no
                    // longer set up for it, and a task that panicked never reports back (its
                    // tab would spin for ever). Memory files are written atomically, so
                    // stopping here loses no memory.
                    std::process::exit(101);
                }
            }));
        });
        setup()?;
        let (width, height) = crossterm::terminal::size()?;
        let mut screen = Screen::new(io::stdout(), Rect::new(0, 0, width, height));
        screen.clear(Rect::new(0, 0, width, height))?;
        Ok((Self { _private: () }, screen))
    }

    /// Give the terminal back, stop the process (as Ctrl+Z does in a shell), and take the
    /// terminal again when `fg` continues it. Returns the terminal's size then.
    pub fn suspend(&mut self) -> io::Result<(u16, u16)> {
        restore();
        rustix::process::kill_process(rustix::process::getpid(), rustix::process::Signal::TSTP)
            .map_err(io::Error::from)?;
        setup()?;
        crossterm::terminal::size()
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

impl crate::tui::run::Suspend for TerminalGuard {
    fn suspend(&mut self) -> io::Result<Option<(u16, u16)>> {
        TerminalGuard::suspend(self).map(Some)
    }
}

fn setup() -> io::Result<()> {
    enable_raw_mode()?;
    ACTIVE.store(true, Ordering::SeqCst);
    let mut out = io::stdout();
    execute!(
        out,
        EnterAlternateScreen,
        EnableMouseCapture,
        EnableBracketedPaste,
        cursor::Hide
    )?;
    if matches!(
        crossterm::terminal::supports_keyboard_enhancement(),
        Ok(true)
    ) {
        execute!(
            out,
            PushKeyboardEnhancementFlags(KeyboardEnhancementFlags::DISAMBIGUATE_ESCAPE_CODES)
        )?;
        KEYBOARD_FLAGS.store(true, Ordering::SeqCst);
    }
    Ok(())
}

/// Undo every mode `setup` turned on; safe to call more than once and from the panic hook.
/// Returns whether there was anything to undo.
pub fn restore() -> bool {
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return false;
    }
    let mut out = io::stdout();
    if KEYBOARD_FLAGS.swap(false, Ordering::SeqCst) {
        let _ = execute!(out, PopKeyboardEnhancementFlags);
    }
    let _ = execute!(
        out,
        DisableBracketedPaste,
        DisableMouseCapture,
        LeaveAlternateScreen,
        cursor::Show
    );
    let _ = disable_raw_mode();
    let _ = out.flush();
    true
}

/// Put `text` on the clipboard with OSC 52 (works over SSH; inside tmux it is also sent through
/// tmux's passthrough, for when `set-clipboard` is off).
pub fn copy_to_clipboard(text: &str) {
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(text);
    let mut out = io::stdout().lock();
    let _ = write!(out, "\x1b]52;c;{encoded}\x07");
    if std::env::var_os("TMUX").is_some() {
        let _ = write!(out, "\x1bPtmux;\x1b\x1b]52;c;{encoded}\x07\x1b\\");
    }
    let _ = out.flush();
}
