//! Expiring memories: a file whose front matter says `expires: 2026-12-31` (or a time) leaves
//! the store when that time passes, and one that says `expires: session` when the session that
//! wrote it ends. Expired files are removed as one history operation (`expire`), so they stay
//! in the history and `restore` brings any of them back; a file restored after its expiry time
//! stays (until its `expires:` is changed or it is written again).
//!
//! A session is alive while it holds the lease `session:<id>` ([`session_subject`]), renewed by
//! the app as it runs: a crashed app's notes go when its lease runs out. Writes through the
//! memory tool stamp a bare `expires: session` with the writer's session id.

use std::time::Duration;

use super::{BatchOp, Expect, MemPath, MemoryStore, StoreError, WriteCtx, front};
use crate::clock::parse_utc;

/// Who expired files are removed as, in the history.
pub const ACTOR: &str = "expiry";
/// The key in a file's front matter.
pub const KEY: &str = "expires";

/// When a file expires.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expiry {
    /// At this time (ms since the epoch).
    At(u64),
    /// When the session ends (`None`: not stamped yet, so no session holds it).
    Session(Option<String>),
}

/// The expiry a file's text declares; `Err` when `expires:` is there but unreadable.
pub fn of(text: &str) -> Result<Option<Expiry>, String> {
    let Some(header) = front::of(text) else {
        return Ok(None);
    };
    let Some((_, value)) = header.other.iter().find(|(k, _)| k == KEY) else {
        return Ok(None);
    };
    parse(value).map(Some)
}

/// Read an `expires:` value.
pub fn parse(value: &str) -> Result<Expiry, String> {
    let value = value.trim();
    if let Some(rest) = value.strip_prefix("session") {
        let id = rest.trim();
        return Ok(Expiry::Session((!id.is_empty()).then(|| id.to_owned())));
    }
    parse_utc(value).map(Expiry::At).ok_or_else(|| {
        format!(
            "`expires: {value}` is not a time: write a UTC date or time (2026-12-31, 2026-12-31 \
             17:30) or `session`"
        )
    })
}

/// The lease a live session holds.
pub fn session_subject(id: &str) -> String {
    format!("session:{id}")
}

/// A new session's id: this machine, this process, now.
pub fn new_session_id() -> String {
    format!(
        "{}-{}-{}",
        super::redis::hostname(),
        std::process::id(),
        crate::clock::now_ms()
    )
}

/// `text` with a bare `expires: session` stamped with `session`; `None` when there is nothing
/// to stamp.
pub fn stamp_session(text: &str, session: &str) -> Option<String> {
    (of(text).ok()?? == Expiry::Session(None)).then(|| set(text, &format!("session {session}")))
}

/// `text` with `expires: value` in its front matter (a header is added to a plain file).
pub fn set(text: &str, value: &str) -> String {
    if front::of(text).is_some() {
        front::with_keys(text, &[(KEY, Some(value.to_owned()))])
    } else {
        format!("---\n{KEY}: {value}\n---\n{text}")
    }
}

/// Read a time to live as people write it: `90s`, `30m`, `2h`, `1d`, `1w` (a bare number is
/// minutes).
pub fn parse_ttl(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let n: u64 = number.parse().ok().filter(|n| *n > 0)?;
    let secs = match unit.trim() {
        "s" | "sec" | "secs" => 1,
        "" | "m" | "min" | "mins" => 60,
        "h" | "hour" | "hours" => 3600,
        "d" | "day" | "days" => 86_400,
        "w" | "week" | "weeks" => 604_800,
        _ => return None,
    };
    n.checked_mul(secs).map(Duration::from_secs)
}

/// One file past its expiry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Due {
    pub path: MemPath,
    pub version: super::Version,
    pub expiry: Expiry,
}

/// The files past their expiry at `now`; `live` tells whether a session is still running. A
/// file restored after its time passed is not due.
pub fn due(
    store: &dyn MemoryStore,
    now: u64,
    live: &dyn Fn(&str) -> bool,
) -> Result<Vec<Due>, StoreError> {
    let mut out = Vec::new();
    for path in store.expiring()? {
        let Ok(file) = store.read(&path) else {
            continue;
        };
        if !front::starts_header(&file.text) {
            continue;
        }
        let Ok(Some(expiry)) = of(&file.text) else {
            continue;
        };
        let gone = match &expiry {
            Expiry::At(at) => *at <= now && !restored_since(store, &path, *at)?,
            Expiry::Session(Some(id)) => !live(id),
            Expiry::Session(None) => false,
        };
        if gone {
            out.push(Due {
                path,
                version: file.version,
                expiry,
            });
        }
    }
    Ok(out)
}

/// Whether the file's last change brought it back (a restore) after `at`: someone wanted it
/// back, so it stays until its expiry is changed.
fn restored_since(store: &dyn MemoryStore, path: &MemPath, at: u64) -> Result<bool, StoreError> {
    let target = path.to_string();
    Ok(store
        .history(Some(path))?
        .iter()
        .rev()
        .find(|e| e.path == target || e.new_path.as_deref() == Some(target.as_str()))
        .is_some_and(|e| e.op == "restore" && e.ts_ms >= at))
}

/// When this process last swept (ms since the epoch), for [`sweep_now_and_then`].
static LAST_SWEEP: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
/// How often a process sweeps before its turns, at most.
pub const SWEEP_EVERY_MS: u64 = 30_000;

/// [`sweep`], unless this process swept less than [`SWEEP_EVERY_MS`] ago (a sweep reads every
/// file that may expire; turns come faster than memories expire).
pub fn sweep_now_and_then(store: &dyn MemoryStore) -> Result<Vec<String>, StoreError> {
    use std::sync::atomic::Ordering;
    let now = crate::clock::now_ms();
    let last = LAST_SWEEP.load(Ordering::Relaxed);
    if now.saturating_sub(last) < SWEEP_EVERY_MS
        || LAST_SWEEP
            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
    {
        return Ok(Vec::new());
    }
    sweep_now(store)
}

/// [`sweep`] now, the live sessions asked of the store.
pub fn sweep_now(store: &dyn MemoryStore) -> Result<Vec<String>, StoreError> {
    let live = live_sessions(store)?;
    sweep(store, crate::clock::now_ms(), &live)
}

/// Say in the log what a sweep removed, or why it failed (the panel hears of the removals as
/// changes; nobody waits on a sweep's result).
pub fn log_sweep(swept: &Result<Vec<String>, StoreError>) {
    match swept {
        Ok(gone) if !gone.is_empty() => tracing::info!("expired: {}", gone.join(", ")),
        Ok(_) => {}
        Err(e) => tracing::warn!("the expiry sweep failed: {e}"),
    }
}

/// Remove the files past their expiry, as one operation; each only if it still holds what was
/// read (one changed meanwhile is left for the next sweep). Returns the paths removed.
pub fn sweep(
    store: &dyn MemoryStore,
    now: u64,
    live: &dyn Fn(&str) -> bool,
) -> Result<Vec<String>, StoreError> {
    let due = due(store, now, live)?;
    if due.is_empty() {
        return Ok(Vec::new());
    }
    let ops: Vec<BatchOp> = due
        .iter()
        .map(|d| BatchOp {
            path: d.path.clone(),
            expect: Expect::Version(d.version.clone()),
            text: None,
        })
        .collect();
    match store.apply_batch(&ops, WriteCtx::new(ACTOR, "expire")) {
        Ok(()) => Ok(due.iter().map(|d| d.path.to_string()).collect()),
        // Someone wrote one of them just now, or holds it: the next sweep looks again.
        Err(StoreError::Conflict { .. } | StoreError::Leased { .. } | StoreError::NotFound(_)) => {
            Ok(Vec::new())
        }
        Err(e) => Err(e),
    }
}

/// The sessions holding a live lease, as a test for [`sweep`].
pub fn live_sessions(store: &dyn MemoryStore) -> Result<impl Fn(&str) -> bool, StoreError> {
    let live: std::collections::BTreeSet<String> = store
        .leases()?
        .into_iter()
        .filter_map(|l| l.subject.strip_prefix("session:").map(str::to_owned))
        .collect();
    Ok(move |id: &str| live.contains(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiries_read_from_front_matter() {
        let at = |t: &str| Ok(Some(Expiry::At(parse_utc(t).unwrap())));
        assert_eq!(of("---\nexpires: 2026-12-31\n---\nx"), at("2026-12-31"));
        assert_eq!(
            of("---\nname: a\nexpires: 2026-12-31 17:30\n---\n"),
            at("2026-12-31 17:30")
        );
        assert_eq!(
            of("---\nexpires: session\n---\n"),
            Ok(Some(Expiry::Session(None)))
        );
        assert_eq!(
            of("---\nexpires: session h-1-2\n---\n"),
            Ok(Some(Expiry::Session(Some("h-1-2".into()))))
        );
        assert_eq!(of("expires: 2026-12-31\n"), Ok(None), "not a header");
        assert!(of("---\nexpires: soon\n---\n").is_err());
    }

    #[test]
    fn session_notes_are_stamped_once() {
        let text = "---\nname: scratch\nexpires: session\n---\nnotes\n";
        let stamped = stamp_session(text, "h-1-2").unwrap();
        assert_eq!(
            stamped,
            "---\nname: scratch\nexpires: session h-1-2\n---\nnotes\n"
        );
        assert_eq!(stamp_session(&stamped, "other"), None);
        assert_eq!(stamp_session("plain\n", "h"), None);
        assert_eq!(
            set("plain\n", "2026-12-31"),
            "---\nexpires: 2026-12-31\n---\nplain\n"
        );
    }

    #[test]
    fn ttls_read_as_people_write_them() {
        for (text, secs) in [
            ("90s", Some(90)),
            ("30m", Some(1800)),
            ("30", Some(1800)),
            ("2h", Some(7200)),
            ("1 d", Some(86_400)),
            ("1w", Some(604_800)),
            ("0h", None),
            ("soon", None),
            ("2y", None),
        ] {
            assert_eq!(parse_ttl(text).map(|d| d.as_secs()), secs, "{text}");
        }
    }
}
