//! An event storm (a `git checkout`, an unzip): the panel's view must match the disk afterwards.
//! Kept out of the `watch` binary so that its load never delays those latency tests.
#![allow(clippy::unwrap_used, clippy::pedantic)]

use crate::support::fixture;

use std::fs;
use std::time::{Duration, Instant};

use fixture::Fixture;
use memdeck::memory::{ChangeKind, MemPath, MemoryStore, WatchMode};

#[test]
fn an_event_storm_ends_in_a_consistent_view() {
    use tokio::sync::broadcast::error::TryRecvError;
    let f = Fixture::new();
    f.write("a.md", "first\n");
    assert_eq!(f.store.watch().unwrap(), WatchMode::Events);
    let mut rx = f.store.subscribe();
    for i in 0..3000 {
        fs::write(f.mem.join(format!("s{i:04}.md")), format!("{i}")).unwrap();
    }
    // Follow the changes as the panel does: apply each one, and reload the listing when the
    // channel says we fell behind. Stop once nothing has arrived for a second.
    let root = MemPath::root();
    let mut shown: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    let mut reloads = 0;
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut quiet_since = Instant::now();
    while quiet_since.elapsed() < Duration::from_secs(1) && Instant::now() < deadline {
        match rx.try_recv() {
            Ok(change) => {
                quiet_since = Instant::now();
                assert_eq!(change.kind, ChangeKind::Created);
                shown.insert(change.path);
            }
            Err(TryRecvError::Lagged(_)) => {
                reloads += 1;
                shown = f
                    .store
                    .list(&root, 1)
                    .unwrap()
                    .entries
                    .into_iter()
                    .map(|e| format!("/memories/{}", e.relative))
                    .collect();
            }
            Err(_) => std::thread::sleep(Duration::from_millis(5)),
        }
    }
    shown.remove("/memories/a.md");
    assert_eq!(
        shown.len(),
        3000,
        "the view does not match the disk ({reloads} reloads)"
    );
}
