//! A real `redis-server` of the test's own: on a Unix socket in a temp directory, persistence
//! off, stopped when dropped. Never the machine's own instance. Needs the Debian package
//! `redis-server` (`.ci/run` installs it).
#![allow(dead_code, clippy::unwrap_used, clippy::pedantic)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use memdeck::memory::redis::{RedisOptions, RedisStore};

pub struct RedisServer {
    pub dir: tempfile::TempDir,
    child: Option<Child>,
    /// Every write synced to an append-only file, so a killed server comes back with its data.
    durable: bool,
    /// `redis-server`, or `valkey-server`.
    program: &'static str,
}

impl RedisServer {
    pub fn start() -> Self {
        Self::with(false, "redis-server")
    }

    /// A Valkey server instead (the Redis fork many services run), when `valkey-server` is
    /// installed; `None` (and why, printed) when it is not and `VALKEY_TESTS` is not set. With
    /// `VALKEY_TESTS=1` (set by scripts/test when it found or installed Valkey) it must be.
    pub fn valkey() -> Option<Self> {
        let found = Command::new("valkey-server")
            .arg("--version")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !found {
            assert!(
                std::env::var_os("VALKEY_TESTS").is_none(),
                "VALKEY_TESTS is set but valkey-server cannot be run"
            );
            eprintln!(
                "skipped: valkey-server is not installed (scripts/test installs it where it can)"
            );
            return None;
        }
        Some(Self::with(false, "valkey-server"))
    }

    /// A server that keeps its data across a kill (`appendonly yes`, `appendfsync always`).
    pub fn durable() -> Self {
        Self::with(true, "redis-server")
    }

    fn with(durable: bool, program: &'static str) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("memdeck-redis-")
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .unwrap();
        let mut server = Self {
            dir,
            child: None,
            durable,
            program,
        };
        server.launch();
        server
    }

    pub fn socket(&self) -> PathBuf {
        self.dir.path().join("redis.sock")
    }

    pub fn url(&self) -> String {
        format!("redis+unix://{}", self.socket().display())
    }

    fn launch(&mut self) {
        let _ = std::fs::remove_file(self.socket());
        let child = Command::new(self.program)
            .args(["--port", "0", "--unixsocket"])
            .arg(self.socket())
            .args(["--unixsocketperm", "700", "--save", ""])
            .args(if self.durable {
                ["--appendonly", "yes", "--appendfsync", "always"]
            } else {
                ["--appendonly", "no", "--appendfsync", "everysec"]
            })
            .arg("--dir")
            .arg(self.dir.path())
            .args(["--daemonize", "no", "--loglevel", "warning"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start {} ({e}): the Redis tests need it; install the Debian \
                     package redis-server (.ci/run does)",
                    self.program
                )
            });
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        // Up when it answers PING: the socket exists while a durable server still loads its
        // data (and answers LOADING).
        loop {
            let ready = self.socket().exists()
                && redis::Client::open(self.url())
                    .and_then(|c| c.get_connection())
                    .and_then(|mut c| redis::cmd("PING").query::<String>(&mut c))
                    .is_ok();
            if ready {
                break;
            }
            assert!(Instant::now() < deadline, "{} did not start", self.program);
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Kill the server at once (no shutdown), as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_file(self.socket());
    }

    /// Start it again on the same socket (with its data when durable, else empty).
    pub fn restart(&mut self) {
        self.kill();
        self.launch();
    }

    /// A store on this server.
    pub fn store(&self, namespace: &str, host: &str) -> RedisStore {
        RedisStore::open(self.options(namespace, host)).unwrap()
    }

    pub fn options(&self, namespace: &str, host: &str) -> RedisOptions {
        RedisOptions {
            url: self.url(),
            namespace: namespace.to_owned(),
            max_file_bytes: 100 * 1024,
            history_keep: 10_000,
            host: host.to_owned(),
        }
    }

    /// A raw connection, for looking at keys and for faults.
    pub fn conn(&self) -> redis::Connection {
        redis::Client::open(self.url())
            .unwrap()
            .get_connection()
            .unwrap()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

impl super::outage::Server for RedisServer {
    fn other(&self) -> Box<dyn memdeck::memory::MemoryStore> {
        Box::new(self.store("demo", "johns-laptop"))
    }

    fn kill(&mut self) {
        RedisServer::kill(self);
    }

    fn restart(&mut self) {
        RedisServer::restart(self);
    }
}
