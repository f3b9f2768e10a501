//! A real PostgreSQL server of the test's own: `initdb` into a temp directory, `postgres` on a
//! Unix socket there (no TCP port unless asked), stopped when dropped. Never the machine's own
//! cluster. Needs Debian's `postgresql` package (scripts/test installs it); its programs are
//! found on the PATH or under /usr/lib/postgresql/VERSION/bin. As root (CI) the server runs as
//! the `postgres` user, which initdb requires.
#![allow(dead_code, clippy::unwrap_used, clippy::pedantic)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use memdeck::memory::postgres::{PgOptions, PgStore};

pub struct PgServer {
    pub dir: tempfile::TempDir,
    child: Option<Child>,
    /// A TCP port (with TLS) when asked for, besides the socket.
    tcp: Option<u16>,
}

/// Where the server programs are.
fn bindir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        if let Some(dir) = std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .find(|d| d.join("initdb").is_file() && d.join("postgres").is_file())
        }) {
            return dir;
        }
        let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .map(|dirs| dirs.flatten().map(|d| d.path().join("bin")).collect())
            .unwrap_or_default();
        found.retain(|d| d.join("initdb").is_file());
        found.sort_by_key(|d| {
            d.parent()
                .and_then(|v| v.file_name())
                .and_then(|v| v.to_str())
                .and_then(|v| v.parse::<u32>().ok())
                .unwrap_or(0)
        });
        found.pop().unwrap_or_else(|| {
            panic!(
                "PostgreSQL's server programs (initdb, postgres) were not found on the PATH or \
                 under /usr/lib/postgresql: the PostgreSQL tests need them; install the Debian \
                 package postgresql (scripts/test does)"
            )
        })
    })
    .clone()
}

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// A command run as the server's user: `postgres` when the tests run as root.
fn as_server(program: &str) -> Command {
    let path = bindir().join(program);
    if is_root() {
        let mut cmd = Command::new("setpriv");
        cmd.args([
            "--reuid=postgres",
            "--regid=postgres",
            "--init-groups",
            "--",
        ])
        .arg(path);
        cmd
    } else {
        Command::new(path)
    }
}

fn give_to_server(path: &Path) {
    if is_root() {
        let status = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(path)
            .status()
            .unwrap();
        assert!(status.success(), "chown {}", path.display());
    }
}

/// A data directory made once (initdb takes seconds) and copied for each server: kept in the
/// temp directory under a name that says which PostgreSQL made it, shared by test processes
/// (made aside, then moved into place; a process that loses the race uses the winner's).
fn template() -> PathBuf {
    static TEMPLATE: OnceLock<PathBuf> = OnceLock::new();
    TEMPLATE
        .get_or_init(|| {
            let tag: String = bindir()
                .to_string_lossy()
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                .collect();
            let home = std::env::temp_dir().join(format!("memdeck-pg-template{tag}"));
            if home.join("PG_VERSION").is_file() {
                return home;
            }
            let aside = tempfile::Builder::new()
                .prefix("memdeck-pg-initdb-")
                .tempdir()
                .unwrap();
            give_to_server(aside.path());
            let data = aside.path().join("data");
            let out = as_server("initdb")
                .arg("-D")
                .arg(&data)
                .args([
                    "-A",
                    "trust",
                    "-U",
                    "memdeck",
                    "-E",
                    "UTF8",
                    "--locale=C",
                    "--no-sync",
                ])
                .stdin(Stdio::null())
                .output()
                .unwrap_or_else(|e| {
                    panic!("cannot run initdb ({e}): install the Debian package postgresql")
                });
            assert!(
                out.status.success(),
                "initdb failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            if std::fs::rename(&data, &home).is_err() {
                assert!(
                    home.join("PG_VERSION").is_file(),
                    "cannot keep the template cluster"
                );
            }
            home
        })
        .clone()
}

impl PgServer {
    pub fn start() -> Self {
        Self::with_tcp(None)
    }

    /// A server that also listens on loopback `port` with TLS (the certificate and key given
    /// as PEM files).
    pub fn with_tls(cert: &Path, key: &Path) -> Self {
        let port = free_port();
        let server = Self::prepare();
        let data = server.data();
        std::fs::copy(cert, data.join("server.crt")).unwrap();
        std::fs::copy(key, data.join("server.key")).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            data.join("server.key"),
            std::fs::Permissions::from_mode(0o600),
        )
        .unwrap();
        give_to_server(&data);
        let mut server = server;
        server.tcp = Some(port);
        server.launch();
        server
    }

    fn with_tcp(port: Option<u16>) -> Self {
        let mut server = Self::prepare();
        server.tcp = port;
        server.launch();
        server
    }

    fn prepare() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("memdeck-pg-")
            .tempdir()
            .unwrap();
        let status = Command::new("cp")
            .arg("-a")
            .arg(template())
            .arg(dir.path().join("data"))
            .status()
            .unwrap();
        assert!(status.success(), "cannot copy the template cluster");
        give_to_server(dir.path());
        Self {
            dir,
            child: None,
            tcp: None,
        }
    }

    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The URL of the server's Unix socket, database `postgres`.
    pub fn url(&self) -> String {
        format!(
            "postgres://memdeck@/postgres?host={}",
            self.dir.path().display()
        )
    }

    /// The URL over TCP on loopback, TLS required (see [`PgServer::with_tls`]).
    pub fn tls_url(&self, host: &str) -> String {
        format!(
            "postgres://memdeck@{host}:{}/postgres?sslmode=require",
            self.tcp.expect("a server started with_tls")
        )
    }

    fn launch(&mut self) {
        let mut cmd = as_server("postgres");
        cmd.arg("-D")
            .arg(self.data())
            .arg("-k")
            .arg(self.dir.path())
            .args(["-c", "fsync=off", "-c", "max_connections=60"]);
        match self.tcp {
            Some(port) => {
                cmd.args(["-c", "listen_addresses=127.0.0.1", "-c", "ssl=on"])
                    .arg("-p")
                    .arg(port.to_string());
            }
            None => {
                cmd.args(["-c", "listen_addresses=", "-p", "5432"]);
            }
        }
        use std::os::unix::process::CommandExt;
        let child = cmd
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(
                std::fs::File::create(self.dir.path().join("server.log")).unwrap(),
            ))
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start postgres ({e}): install the Debian package postgresql")
            });
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if postgres::Client::connect(&self.url_now(), postgres::NoTls).is_ok() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "postgres did not start: {}",
                std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The socket URL for the port the server runs on.
    fn url_now(&self) -> String {
        match self.tcp {
            Some(port) => format!(
                "postgres://memdeck@/postgres?host={}&port={port}",
                self.dir.path().display()
            ),
            None => self.url(),
        }
    }

    /// Kill the server and every backend at once (SIGKILL to its process group), as a crash.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let pid = child.id() as i32;
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{pid}")])
                .status();
            let _ = child.wait();
            // The backends are in the group too; give them a moment to go.
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Start it again on the same data (crash recovery runs).
    pub fn restart(&mut self) {
        self.kill();
        let _ = std::fs::remove_file(self.data().join("postmaster.pid"));
        self.launch();
    }

    pub fn store(&self, ns: &str) -> PgStore {
        store_at(&self.url_now(), ns)
    }

    /// A plain client, for looking at the tables.
    pub fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.url_now(), postgres::NoTls).unwrap()
    }
}

pub fn store_at(url: &str, ns: &str) -> PgStore {
    PgStore::open(options(url, ns)).unwrap()
}

pub fn options(url: &str, ns: &str) -> PgOptions {
    PgOptions {
        url: url.to_owned(),
        namespace: ns.to_owned(),
        max_file_bytes: 100 * 1024,
        history_keep: 10_000,
        host: "test-host".to_owned(),
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Drop for PgServer {
    fn drop(&mut self) {
        self.kill();
    }
}

impl super::outage::Server for PgServer {
    fn other(&self) -> Box<dyn memdeck::memory::MemoryStore> {
        let mut options = options(&self.url(), "demo");
        options.host = "johns-laptop".to_owned();
        Box::new(PgStore::open(options).unwrap())
    }

    fn kill(&mut self) {
        PgServer::kill(self);
    }

    fn restart(&mut self) {
        PgServer::restart(self);
    }
}
