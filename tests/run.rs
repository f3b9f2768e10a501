//! The whole app without a terminal: the real event loop, the real effects, a real memory
//! store on disk and the demo model, with keys sent into the loop's channel and its output
//! played on a terminal model. What the panel does (restore a version from the history, rename,
//! delete and undo, copy) goes through the store and is checked on disk and on screen.
#![allow(clippy::unwrap_used, clippy::pedantic)]

#[path = "support/ui.rs"]
mod ui;
#[path = "support/vt.rs"]
mod vt;

use std::io::{self, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crossterm::event::KeyCode;
use memdeck::app::{Action, App, Labels};
use memdeck::chat::TurnOptions;
use memdeck::chat::persona::default_team;
use memdeck::memory::{Expect, LocalOptions, LocalStore, MemPath, MemoryStore, WriteCtx};
use memdeck::provider::demo::Demo;
use memdeck::tui::effects::Effects;
use memdeck::tui::run::{NoSuspend, run};
use memdeck::tui::screen::Screen;
use memdeck::ui::theme::Theme;
use ratatui::layout::Rect;
use tokio::sync::mpsc::UnboundedSender;
use ui::{ctrl, key};
use vt::Term;

const WIDTH: u16 = 140;
const HEIGHT: u16 = 40;

/// The bytes the app writes, shared with the test.
#[derive(Clone, Default)]
struct Output(Arc<Mutex<Vec<u8>>>);

impl Write for Output {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The test's side: sends keys, reads the screen.
struct Driver {
    tx: UnboundedSender<Action>,
    output: Output,
    term: Term,
}

impl Driver {
    fn send(&self, action: Action) {
        self.tx.send(action).unwrap();
    }

    fn keys(&self, codes: &[KeyCode]) {
        for &code in codes {
            self.send(key(code));
        }
    }

    fn text(&self, text: &str) {
        for c in text.chars() {
            self.send(key(KeyCode::Char(c)));
        }
    }

    fn screen(&mut self) -> String {
        let bytes = std::mem::take(&mut *self.output.0.lock().unwrap());
        self.term.play(&bytes);
        self.term.text()
    }

    /// Let the loop run until the screen satisfies `check`.
    async fn wait_for(&mut self, what: &str, check: impl Fn(&str) -> bool) -> String {
        for _ in 0..1000 {
            let screen = self.screen();
            if check(&screen) {
                return screen;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!(
            "timed out waiting for {what}; the screen:\n{}",
            self.screen()
        );
    }
}

async fn wait_for_disk(what: &str, check: impl Fn() -> bool) {
    for _ in 0..1000 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for {what} on disk");
}

#[tokio::test]
async fn the_panel_works_through_the_real_store_and_loop() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("memories");
    let store = LocalStore::open(&LocalOptions::new(&dir)).unwrap();
    let plan = MemPath::parse("/memories/plan.md").unwrap();
    store
        .save(
            &plan,
            "Plan v1\n",
            Expect::Absent,
            WriteCtx::new("Alice", "create"),
        )
        .unwrap();
    store
        .save(
            &plan,
            "Plan v2\n",
            Expect::Any,
            WriteCtx::new("John", "create"),
        )
        .unwrap();
    let store: Arc<dyn MemoryStore> = Arc::new(store);

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let copied = Arc::new(Mutex::new(Vec::<String>::new()));
    let clipboard = {
        let copied = copied.clone();
        Box::new(move |text: &str| copied.lock().unwrap().push(text.to_owned()))
    };
    let mut fx = Effects::new(
        Arc::new(Demo {
            tokens_per_second: 0.0,
        }),
        store.clone(),
        TurnOptions::default(),
        tx.clone(),
        clipboard,
    );
    fx.snapshots_in(tmp.path().join("snapshots"));
    let sessions = tmp.path().join("sessions");
    let journal_path = memdeck::chat::session::path(&sessions, "demo");
    let journal = memdeck::chat::session::Journal::open(&journal_path).unwrap();
    fx.save_session(
        journal,
        memdeck::tui::effects::SessionFile {
            name: "demo".into(),
            path: journal_path.clone(),
            export_dir: tmp.path().to_owned(),
            pricing: memdeck::chat::cost::Pricing::default(),
        },
    )
    .unwrap();
    let labels = Labels {
        provider: "demo model (offline)".into(),
        store: store.describe(),
    };
    let size = Rect::new(0, 0, WIDTH, HEIGHT);
    let mut app = App::new(default_team(), labels, size);
    app.record_session();
    let output = Output::default();
    let mut screen = Screen::new(output.clone(), size);
    let mut driver = Driver {
        tx,
        output,
        term: Term::new(usize::from(WIDTH), usize::from(HEIGHT)),
    };
    let file = |name: &str| std::fs::read_to_string(dir.join(name)).ok();

    let test = async {
        driver
            .wait_for("the tree", |s| s.contains("plan.md") && s.contains("John"))
            .await;
        // Open the file from the panel.
        driver.keys(&[KeyCode::Tab, KeyCode::Tab, KeyCode::Down, KeyCode::Enter]);
        driver
            .wait_for("the open file", |s| {
                s.contains("─ /memories/plan.md") && s.contains("1 Plan v2")
            })
            .await;

        // History: newest first; the older version is restored.
        driver.keys(&[KeyCode::Char('h')]);
        driver
            .wait_for("the versions", |s| {
                s.contains("History of /memories/plan.md") && s.contains("Alice      create")
            })
            .await;
        driver.keys(&[KeyCode::Down, KeyCode::Enter]);
        wait_for_disk("the restored version", || {
            file("plan.md").as_deref() == Some("Plan v1\n")
        })
        .await;
        driver
            .wait_for("the restored text", |s| s.contains("1 Plan v1"))
            .await;

        // Copy it.
        driver.keys(&[KeyCode::Char('y')]);
        wait_for_disk("the copy", || !copied.lock().unwrap().is_empty()).await;
        assert_eq!(copied.lock().unwrap().as_slice(), ["Plan v1\n"]);

        // Rename.
        driver.keys(&[KeyCode::Char('r')]);
        for _ in 0.."plan.md".len() {
            driver.keys(&[KeyCode::Backspace]);
        }
        driver.text("roadmap.md");
        driver.keys(&[KeyCode::Enter]);
        wait_for_disk("the rename", || {
            file("plan.md").is_none() && file("roadmap.md").as_deref() == Some("Plan v1\n")
        })
        .await;
        driver
            .wait_for("the open file under its new name", |s| {
                s.contains("─ /memories/roadmap.md") && s.contains("1 Plan v1")
            })
            .await;

        // Delete (confirmed), then undo.
        driver.keys(&[KeyCode::Char('d')]);
        driver
            .wait_for("the confirmation", |s| s.contains("roadmap.md?"))
            .await;
        driver.keys(&[KeyCode::Char('y')]);
        wait_for_disk("the delete", || file("roadmap.md").is_none()).await;
        driver
            .wait_for("the offer to undo", |s| {
                s.contains("deleted /memories/roadmap.md · u undoes") && s.contains("(empty")
            })
            .await;
        driver.keys(&[KeyCode::Char('u')]);
        wait_for_disk("the undo", || {
            file("roadmap.md").as_deref() == Some("Plan v1\n")
        })
        .await;
        driver
            .wait_for("the file back in the tree", |s| s.contains("roadmap.md"))
            .await;

        // A turn of the demo model writes through the same store.
        driver.keys(&[KeyCode::Tab]);
        driver.text("Our customer Acme wants 40 TB migrated by March.");
        driver.keys(&[KeyCode::Enter]);
        wait_for_disk("Alice's memory", || {
            file("acme.md").is_some_and(|t| t.contains("40 TB"))
        })
        .await;
        driver
            .wait_for("the end of her turn", |s| {
                s.contains("acme.md")
                    && s.contains("• Wants 40 TB migrated")
                    && !s.contains("streaming")
            })
            .await;
        // Ctrl+E writes the session, this turn included, with the memory changes.
        driver.send(ctrl('e'));
        let shown = driver
            .wait_for("the export", |s| s.contains("exported to "))
            .await;
        let exported = std::fs::read_dir(tmp.path())
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|x| x == "md"))
            .unwrap_or_else(|| panic!("no export file; the screen:\n{shown}"));
        let text = std::fs::read_to_string(&exported).unwrap();
        assert!(
            text.contains("**Alice:** Our customer Acme wants 40 TB"),
            "{text}"
        );
        assert!(text.contains("Alice created /memories/acme.md"), "{text}");
        assert!(
            text.contains("+- Wants 40 TB migrated (from Alice)"),
            "{text}"
        );
        // F6: save a snapshot, reset the demo, bring the snapshot back.
        driver.keys(&[KeyCode::F(6)]);
        driver
            .wait_for("the snapshots dialog", |s| {
                s.contains("Memory snapshots") && s.contains("no snapshots yet")
            })
            .await;
        driver.keys(&[KeyCode::Char('s')]);
        driver
            .wait_for("the name form", |s| s.contains("snapshot-"))
            .await;
        for _ in 0..20 {
            driver.keys(&[KeyCode::Backspace]);
        }
        driver.text("before-demo");
        driver.keys(&[KeyCode::Enter]);
        driver
            .wait_for("the snapshot saved", |s| {
                s.contains("saved snapshot before-demo")
            })
            .await;
        driver.keys(&[KeyCode::F(6), KeyCode::Char('r')]);
        driver
            .wait_for("the reset question", |s| s.contains("Reset the demo"))
            .await;
        driver.keys(&[KeyCode::Char('y')]);
        driver
            .wait_for("the reset", |s| {
                s.contains("then cleared") && s.contains("Talk to Claude as Alice")
            })
            .await;
        wait_for_disk("the memories cleared", || file("acme.md").is_none()).await;
        driver.keys(&[KeyCode::F(6)]);
        driver
            .wait_for("both snapshots", |s| {
                s.contains("before-demo") && s.contains("before-reset-")
            })
            .await;
        // Newest first: the reset's snapshot, then ours.
        driver.keys(&[KeyCode::Down, KeyCode::Enter]);
        driver
            .wait_for("the restore question", |s| {
                s.contains("what before-demo holds")
            })
            .await;
        driver.keys(&[KeyCode::Char('y')]);
        wait_for_disk("the memories back", || {
            file("acme.md").is_some_and(|t| t.contains("40 TB"))
        })
        .await;
        driver
            .wait_for("the restore said", |s| {
                s.contains("restored snapshot before-demo")
            })
            .await;
        driver.send(ctrl('q'));
    };
    let mut suspend = NoSuspend;
    let theme = Theme::default();
    let (result, ()) = tokio::join!(
        run(
            &mut screen,
            &theme,
            &mut app,
            &mut rx,
            &mut fx,
            &mut suspend
        ),
        test
    );
    result.unwrap();
    fx.finish_session();
    let saved = memdeck::chat::session::load(&journal_path).unwrap();
    assert_eq!(saved.tabs.len(), 3);
    assert_eq!(
        saved.tabs[0].turns, 0,
        "after the reset, Alice's tab starts over in the journal"
    );
    assert!(
        saved.tabs.iter().all(|t| t.id > 3),
        "new tabs replaced the old ones"
    );
    let history: Vec<String> = store
        .history(Some(&MemPath::parse("/memories/roadmap.md").unwrap()))
        .unwrap()
        .into_iter()
        .map(|e| format!("{} {}", e.actor, e.op))
        .collect();
    assert!(
        history.iter().filter(|h| h.starts_with("you ")).count() >= 3,
        "restore, rename, delete and undo are recorded as the person's: {history:?}"
    );
}
