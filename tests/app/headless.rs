//! The whole app without a terminal: the real event loop, the real effects, a real memory
//! store on disk and the demo model, with keys sent into the loop's channel and its output
//! played on a terminal model. What the panel does (restore a version from the history, rename,
//! delete and undo, copy) goes through the store and is checked on disk and on screen.
#![allow(clippy::unwrap_used, clippy::pedantic)]

use crate::support::ui;
use crate::support::vt;

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

/// The store, the files and what the app copied, for the checks.
struct World {
    tmp: tempfile::TempDir,
    dir: std::path::PathBuf,
    store: Arc<dyn MemoryStore>,
    journal: std::path::PathBuf,
    copied: Arc<Mutex<Vec<String>>>,
}

impl World {
    fn file(&self, name: &str) -> Option<String> {
        std::fs::read_to_string(self.dir.join(name)).ok()
    }

    /// Who did what to `path`, as `actor op` lines.
    fn history(&self, path: &str) -> Vec<String> {
        self.store
            .history(Some(&MemPath::parse(path).unwrap()))
            .unwrap()
            .into_iter()
            .map(|e| format!("{} {}", e.actor, e.op))
            .collect()
    }
}

/// The app's side: its state, screen, channel and effects, handed to the real loop.
struct Loop {
    app: App,
    screen: Screen<Output>,
    rx: tokio::sync::mpsc::UnboundedReceiver<Action>,
    fx: Effects,
}

/// A store holding /memories/plan.md in two versions (Alice's, then John's), the demo model
/// at full speed, a session journal and an export directory, all in a temp directory.
fn start() -> (World, Loop, Driver) {
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

    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let copied = Arc::new(Mutex::new(Vec::<String>::new()));
    let clipboard = {
        let copied = copied.clone();
        Box::new(move |out| {
            if let memdeck::tui::effects::TerminalOut::Copy(text) = out {
                copied.lock().unwrap().push(text);
            }
        })
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
    let journal = memdeck::chat::session::path(&sessions, "demo");
    fx.save_session(
        memdeck::chat::session::Journal::open(&journal).unwrap(),
        memdeck::tui::effects::SessionFile {
            name: "demo".into(),
            path: journal.clone(),
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
    let screen = Screen::new(output.clone(), size);
    let driver = Driver {
        tx,
        output,
        term: Term::new(usize::from(WIDTH), usize::from(HEIGHT)),
    };
    let world = World {
        tmp,
        dir,
        store,
        journal,
        copied,
    };
    (
        world,
        Loop {
            app,
            screen,
            rx,
            fx,
        },
        driver,
    )
}

/// Run the real loop until `test` (which ends with Ctrl+Q) is done; the session is then
/// written out.
async fn play(mut l: Loop, test: impl std::future::Future<Output = ()>) {
    let mut suspend = NoSuspend;
    let theme = Theme::default();
    let (result, ()) = tokio::join!(
        run(
            &mut l.screen,
            &theme,
            &mut l.app,
            &mut l.rx,
            &mut l.fx,
            &mut suspend
        ),
        test
    );
    result.unwrap();
    l.fx.finish_session();
}

/// Focus the panel and open plan.md.
async fn open_plan(driver: &mut Driver) {
    driver
        .wait_for("the tree", |s| s.contains("plan.md") && s.contains("John"))
        .await;
    driver.keys(&[KeyCode::Tab, KeyCode::Tab, KeyCode::Down, KeyCode::Enter]);
    driver
        .wait_for("the open file", |s| {
            s.contains("─ /memories/plan.md") && s.contains("1 Plan v2")
        })
        .await;
}

/// Send Alice's message about Acme and wait for her turn to end with the memory written.
async fn alice_turn(world: &World, driver: &mut Driver) {
    driver
        .wait_for("the first screen", |s| {
            s.contains("Talk to Claude as Alice")
        })
        .await;
    driver.text("Our customer Acme wants 40 TB migrated by March.");
    driver.keys(&[KeyCode::Enter]);
    wait_for_disk("Alice's memory", || {
        world.file("acme.md").is_some_and(|t| t.contains("40 TB"))
    })
    .await;
    driver
        .wait_for("the end of her turn", |s| {
            s.contains("acme.md")
                && s.contains("• Wants 40 TB migrated")
                && !s.contains("streaming")
        })
        .await;
}

/// The history lists versions newest first; Enter restores the older one, on disk and on
/// screen, and `y` copies the open file.
#[tokio::test]
async fn the_panel_restores_an_older_version_and_copies_it() {
    let (world, l, mut driver) = start();
    let test = async {
        open_plan(&mut driver).await;
        driver.keys(&[KeyCode::Char('h')]);
        driver
            .wait_for("the versions", |s| {
                s.contains("History of /memories/plan.md") && s.contains("Alice      create")
            })
            .await;
        driver.keys(&[KeyCode::Down, KeyCode::Enter]);
        wait_for_disk("the restored version", || {
            world.file("plan.md").as_deref() == Some("Plan v1\n")
        })
        .await;
        driver
            .wait_for("the restored text", |s| s.contains("1 Plan v1"))
            .await;
        driver.keys(&[KeyCode::Char('y')]);
        wait_for_disk("the copy", || !world.copied.lock().unwrap().is_empty()).await;
        assert_eq!(world.copied.lock().unwrap().as_slice(), ["Plan v1\n"]);
        driver.send(ctrl('q'));
    };
    play(l, test).await;
    let history = world.history("/memories/plan.md");
    assert!(
        history.iter().any(|h| h.starts_with("you ")),
        "the restore is recorded as the person's: {history:?}"
    );
}

/// Rename, delete (confirmed) and undo go through the store: each is on disk, on screen, and
/// in the history as the person's.
#[tokio::test]
async fn the_panel_renames_deletes_and_undoes_through_the_store() {
    let (world, l, mut driver) = start();
    let test = async {
        open_plan(&mut driver).await;
        driver.keys(&[KeyCode::Char('r')]);
        for _ in 0.."plan.md".len() {
            driver.keys(&[KeyCode::Backspace]);
        }
        driver.text("roadmap.md");
        driver.keys(&[KeyCode::Enter]);
        wait_for_disk("the rename", || {
            world.file("plan.md").is_none()
                && world.file("roadmap.md").as_deref() == Some("Plan v2\n")
        })
        .await;
        driver
            .wait_for("the open file under its new name", |s| {
                s.contains("─ /memories/roadmap.md") && s.contains("1 Plan v2")
            })
            .await;
        driver.keys(&[KeyCode::Char('d')]);
        driver
            .wait_for("the confirmation", |s| s.contains("roadmap.md?"))
            .await;
        driver.keys(&[KeyCode::Char('y')]);
        wait_for_disk("the delete", || world.file("roadmap.md").is_none()).await;
        driver
            .wait_for("the offer to undo", |s| {
                s.contains("deleted /memories/roadmap.md · u undoes") && s.contains("(empty")
            })
            .await;
        driver.keys(&[KeyCode::Char('u')]);
        wait_for_disk("the undo", || {
            world.file("roadmap.md").as_deref() == Some("Plan v2\n")
        })
        .await;
        driver
            .wait_for("the file back in the tree", |s| s.contains("roadmap.md"))
            .await;
        driver.send(ctrl('q'));
    };
    play(l, test).await;
    let history = world.history("/memories/roadmap.md");
    assert!(
        history.iter().filter(|h| h.starts_with("you ")).count() >= 3,
        "rename, delete and undo are recorded as the person's: {history:?}"
    );
}

/// A turn of the demo model writes through the same store, and Ctrl+E exports the session
/// with the turn and the memory change it made.
#[tokio::test]
async fn a_demo_turn_writes_memory_and_ctrl_e_exports_it() {
    let (world, l, mut driver) = start();
    let test = async {
        alice_turn(&world, &mut driver).await;
        driver.send(ctrl('e'));
        let shown = driver
            .wait_for("the export", |s| s.contains("exported to "))
            .await;
        let exported = std::fs::read_dir(world.tmp.path())
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
        driver.send(ctrl('q'));
    };
    play(l, test).await;
}

/// F6 saves a snapshot, resets the demo (memories cleared, tabs started over, the state
/// before kept as a snapshot of its own) and brings the snapshot back.
#[tokio::test]
async fn f6_saves_a_snapshot_resets_the_demo_and_restores_it() {
    let (world, l, mut driver) = start();
    let test = async {
        alice_turn(&world, &mut driver).await;
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
        wait_for_disk("the memories cleared", || {
            world.file("acme.md").is_none() && world.file("plan.md").is_none()
        })
        .await;
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
            world.file("acme.md").is_some_and(|t| t.contains("40 TB"))
                && world.file("plan.md").as_deref() == Some("Plan v2\n")
        })
        .await;
        driver
            .wait_for("the restore said", |s| {
                s.contains("restored snapshot before-demo")
            })
            .await;
        driver.send(ctrl('q'));
    };
    play(l, test).await;
    let saved = memdeck::chat::session::load(&world.journal).unwrap();
    assert_eq!(saved.tabs.len(), 3);
    assert_eq!(
        saved.tabs[0].turns, 0,
        "after the reset, Alice's tab starts over in the journal"
    );
    assert!(
        saved.tabs.iter().all(|t| t.id > 3),
        "new tabs replaced the old ones"
    );
}
