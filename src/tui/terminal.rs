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

use crate::config::Notify;
use crate::tui::effects::TerminalOut;
use crate::tui::screen::Screen;

/// Whether the modes are on (so the panic hook knows whether to undo them).
static ACTIVE: AtomicBool = AtomicBool::new(false);
/// Whether the app takes the mouse (set before `enter`, changed by [`set_mouse`]; a resume after
/// a suspend keeps it).
static MOUSE: AtomicBool = AtomicBool::new(true);
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
        EnableBracketedPaste,
        cursor::Hide
    )?;
    if MOUSE.load(Ordering::SeqCst) {
        execute!(out, EnableMouseCapture)?;
    }
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

/// Whether the app takes the mouse from now on; sent at once while the TUI runs.
pub fn set_mouse(on: bool) {
    MOUSE.store(on, Ordering::SeqCst);
    if ACTIVE.load(Ordering::SeqCst) {
        let mut out = io::stdout();
        let _ = if on {
            execute!(out, EnableMouseCapture)
        } else {
            execute!(out, DisableMouseCapture)
        };
    }
}

/// What goes to the terminal beside the screen: the clipboard, a notification, the mouse.
pub fn send(out: TerminalOut, notify: Notify) {
    match out {
        TerminalOut::Copy(text) => copy_to_clipboard(&text),
        TerminalOut::Notify { title, body } => {
            if let Some(sequence) = notification(notify, &title, &body) {
                emit(&sequence);
            }
        }
        TerminalOut::Mouse(on) => set_mouse(on),
    }
}

/// Put `text` on the clipboard with OSC 52 (works over SSH; inside tmux it is also sent through
/// tmux's passthrough, for when `set-clipboard` is off).
pub fn copy_to_clipboard(text: &str) {
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(text);
    emit(&format!("\x1b]52;c;{encoded}\x07"));
}

/// Write a sequence for the terminal; inside tmux also through its passthrough (`allow-passthrough`),
/// since tmux keeps OSC 52 only with `set-clipboard on` and OSC 9/777 never.
fn emit(sequence: &str) {
    let mut out = io::stdout().lock();
    let _ = out.write_all(sequence.as_bytes());
    if std::env::var_os("TMUX").is_some() && sequence.starts_with("\x1b]") {
        let _ = write!(
            out,
            "\x1bPtmux;{}\x1b\\",
            sequence.replace('\x1b', "\x1b\x1b")
        );
    }
    let _ = out.flush();
}

/// The bytes that say "`title`: `body`" as `notify` asks (none when off). The texts come from
/// names people typed and errors servers sent: control characters are dropped (so nothing can end
/// the sequence early) and `;`, which separates OSC 777's fields, becomes `,`; each is cut at 200
/// characters.
pub fn notification(notify: Notify, title: &str, body: &str) -> Option<String> {
    let clean = |text: &str| -> String {
        text.chars()
            .filter(|c| !c.is_control())
            .map(|c| if c == ';' { ',' } else { c })
            .take(200)
            .collect()
    };
    let (title, body) = (clean(title), clean(body));
    match notify {
        Notify::Off => None,
        Notify::Bell => Some("\x07".to_owned()),
        Notify::Osc9 => Some(format!("\x1b]9;{title}: {body}\x07")),
        Notify::Osc777 => Some(format!("\x1b]777;notify;{title};{body}\x07")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Names and errors cannot end the sequence early or add fields: every control character
    /// (ESC, BEL, C1's ST, newlines) is dropped, `;` becomes `,`, and each text is cut.
    #[test]
    fn notifications_carry_only_printable_text_in_their_fields() {
        let cases: &[(Notify, &str, &str, Option<&str>)] = &[
            (Notify::Off, "memdeck", "Sam finished", None),
            (Notify::Bell, "memdeck", "Sam finished", Some("\x07")),
            (
                Notify::Osc9,
                "memdeck",
                "Sam finished",
                Some("\x1b]9;memdeck: Sam finished\x07"),
            ),
            (
                Notify::Osc777,
                "memdeck",
                "Sam finished",
                Some("\x1b]777;notify;memdeck;Sam finished\x07"),
            ),
            (
                Notify::Osc777,
                "mem;deck",
                "Evil\x07\x1b]52;c;aGk=\x1b\\ name\u{9c}; failed: a\nb",
                Some("\x1b]777;notify;mem,deck;Evil]52,c,aGk=\\ name, failed: ab\x07"),
            ),
            (
                Notify::Osc9,
                "memdeck",
                "\x1b[31mred\x1b[0m",
                Some("\x1b]9;memdeck: [31mred[0m\x07"),
            ),
        ];
        for (notify, title, body, want) in cases {
            assert_eq!(
                notification(*notify, title, body).as_deref(),
                *want,
                "{notify:?} {body:?}"
            );
        }
        let long = "x".repeat(1000);
        let sent = notification(Notify::Osc9, "memdeck", &long).unwrap();
        assert_eq!(sent.chars().filter(|&c| c == 'x').count(), 200);
    }
}
