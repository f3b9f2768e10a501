//! The memory store on PostgreSQL, for teams whose one database is Postgres.
//!
//! A namespace is a set of rows in five tables (see `schema.rs`), created and migrated by memdeck
//! itself. Every command is one transaction; a write first locks its namespace's row in
//! `memdeck_ns` (`SELECT … FOR UPDATE`), so writes to one namespace are serialised as on the
//! other stores, the history's numbers follow the order of the commits (a watcher that read up to
//! entry N never meets an N-1 committed later), and the checks a write makes (a parent that is a
//! file, a case twin, a lease) cannot race another writer. Saves carry their precondition
//! (absent, or the version read), which is the panel's compare-and-set; read-modify-writes read
//! without the lock and save under the version read, retried on conflict.
//!
//! Changes reach other clients through the history table: every write sends a `NOTIFY memdeck`
//! with its namespace when it commits, and the watcher (a thread on its own connection, `LISTEN
//! memdeck`) reads the entries after the last one it saw. After a lost connection it reconnects
//! with backoff and reads what it missed the same way. Leases are rows too; grants and releases
//! are told on the same channel.
//!
//! Here: options, the connection, errors and redaction; `schema.rs` the migrations, `tx.rs` the
//! steps of a write inside its transaction, `store.rs` the [`super::MemoryStore`] commands,
//! `watch.rs` the watcher.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::broadcast;

use super::{LeaseEvent, MemoryChange, StoreError};
use crate::clock::now_ms;

mod schema;
mod store;
mod tx;
mod watch;

pub use schema::SCHEMA_VERSION;

/// How long a connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// How long a connection's handshake (TLS, authentication, settings) may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(6);
/// How long one statement may run before the server cancels it (a lock held by a stuck client
/// does not hang every writer).
const STATEMENT_TIMEOUT_MS: u32 = 10_000;
/// Conflicting writers: how many times a read-modify-write is tried.
const MODIFY_ATTEMPTS: u32 = 60;
/// Directories have no size of their own; they list as a disk's would.
const DIR_SIZE: u64 = 4096;
/// The channel every write and lease change is told on.
const CHANNEL: &str = "memdeck";

/// How to reach the database.
#[derive(Clone, Debug)]
pub struct PgOptions {
    /// `postgres://user:password@host:5432/db?sslmode=require`, or with a Unix socket
    /// `postgres://user@/db?host=/var/run/postgresql`; key-value strings (`host=… dbname=…`)
    /// work too.
    pub url: String,
    /// The team's namespace: letters, digits, `.`, `_`, `-`.
    pub namespace: String,
    pub max_file_bytes: u64,
    /// History entries kept, as the local store keeps them.
    pub history_keep: u64,
    /// This machine's name, recorded with every change.
    pub host: String,
}

/// The PostgreSQL store.
pub struct PgStore {
    options: PgOptions,
    config: postgres::Config,
    shown_url: String,
    /// The connection commands use; replaced when it breaks.
    conn: Mutex<Option<Conn>>,
    /// This process's id on the history entries, so that its watcher skips what it already sent.
    cid: String,
    changes: broadcast::Sender<MemoryChange>,
    lease_events: broadcast::Sender<LeaseEvent>,
    stop: Arc<AtomicBool>,
    watching: AtomicBool,
    status: Arc<tokio::sync::watch::Sender<Option<String>>>,
    /// The history as last read (see `store::HistoryCache`).
    history: Mutex<store::HistoryCache>,
}

impl PgStore {
    /// Connect, create or migrate the tables, and make the namespace. Fails when the database
    /// cannot be reached or refuses.
    pub fn open(options: PgOptions) -> Result<Self, StoreError> {
        super::redis::check_namespace(&options.namespace)?;
        let shown_url = redact_url(&options.url);
        let mut config: postgres::Config = options.url.parse().map_err(|e| {
            StoreError::Rejected(format!(
                "{shown_url} is not a PostgreSQL URL ({e}); use postgres://user:password@host:5432/db, \
                 add ?sslmode=require for TLS, or postgres://user@/db?host=/run/postgresql for a \
                 Unix socket"
            ))
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("memdeck");
        }
        config.options(&format!("-c statement_timeout={STATEMENT_TIMEOUT_MS}"));
        // A network that goes silent is noticed in seconds, not in the system's two hours.
        config
            .keepalives_idle(Duration::from_secs(10))
            .keepalives_interval(Duration::from_secs(5))
            .keepalives_retries(3)
            .tcp_user_timeout(Duration::from_secs(15));
        let store = Self {
            cid: format!("{}-{}-{}", options.host, std::process::id(), now_ms()),
            shown_url,
            config,
            options,
            conn: Mutex::new(None),
            changes: broadcast::channel(4096).0,
            lease_events: broadcast::channel(1024).0,
            stop: Arc::new(AtomicBool::new(false)),
            watching: AtomicBool::new(false),
            status: Arc::new(tokio::sync::watch::channel(None).0),
            history: Mutex::new(store::HistoryCache::default()),
        };
        store.with_client(|client| {
            schema::migrate(&mut client.client, &|e| store.error(e))?;
            client
                .execute(
                    "INSERT INTO memdeck_ns (ns) VALUES ($1) ON CONFLICT (ns) DO NOTHING",
                    &[&store.options.namespace],
                )
                .map_err(|e| store.error(&e))
        })?;
        Ok(store)
    }

    /// A new connection, its server checked (UTF-8, so that every name fits). The handshake
    /// runs on a thread of its own and is given up after [`HANDSHAKE_TIMEOUT`]: the client's
    /// own timeout covers only the socket, and a server that takes the connection and never
    /// answers would hang the open.
    fn connect(&self) -> Result<postgres::Client, StoreError> {
        let config = self.config.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("memdeck-pg-connect".to_owned())
            .spawn(move || {
                let _ = tx.send(config.connect(tls()));
            })
            .map_err(|e| StoreError::io("cannot start a thread to connect", e))?;
        let mut client = match rx.recv_timeout(HANDSHAKE_TIMEOUT) {
            Ok(connected) => connected.map_err(|e| self.connect_error(&e))?,
            Err(_) => {
                watch::set_status(&self.status, Some(self.trouble()));
                return Err(StoreError::io(
                    format!(
                        "the shared memory store (PostgreSQL at {}) is unreachable",
                        self.shown_url
                    ),
                    std::io::Error::other(format!(
                        "the server took the connection but did not answer within {} s",
                        HANDSHAKE_TIMEOUT.as_secs()
                    )),
                ));
            }
        };
        let encoding: String = client
            .query_one("SHOW server_encoding", &[])
            .map_err(|e| self.error(&e))?
            .get(0);
        if encoding != "UTF8" {
            return Err(StoreError::Rejected(format!(
                "the database at {} uses the {encoding} encoding; memdeck needs UTF8 (create \
                 the database with ENCODING 'UTF8')",
                self.shown_url
            )));
        }
        Ok(client)
    }

    /// Run `f` on the command connection, connecting first when needed; a broken connection is
    /// dropped (the next command reconnects).
    fn with_client<T: Send>(
        &self,
        f: impl FnOnce(&mut Conn) -> Result<T, StoreError> + Send,
    ) -> Result<T, StoreError> {
        blocking(|| self.with_client_here(f))
    }

    fn with_client_here<T>(
        &self,
        f: impl FnOnce(&mut Conn) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut slot = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.as_ref().is_none_or(|c| c.client.is_closed()) {
            *slot = None;
            *slot = Some(Conn {
                client: self.connect()?,
                statements: HashMap::new(),
            });
        }
        let Some(client) = slot.as_mut() else {
            return Err(StoreError::Rejected("no PostgreSQL connection".to_owned()));
        };
        let result = f(client);
        // A connection that failed is not used again, closed or not yet marked so (a backend
        // being terminated fails the query before the client has seen the socket close).
        if client.client.is_closed() || matches!(result, Err(StoreError::Io { .. })) {
            *slot = None;
        } else if result.is_ok() {
            watch::set_status(&self.status, None);
        }
        result
    }

    /// [`Self::with_client`], tried once more on a fresh connection when the first broke (a
    /// server restart costs a read no error).
    fn read_only<T: Send>(
        &self,
        mut f: impl FnMut(&mut Conn) -> Result<T, StoreError> + Send,
    ) -> Result<T, StoreError> {
        match self.with_client(&mut f) {
            Err(StoreError::Io { .. }) => self.with_client(f),
            other => other,
        }
    }

    /// Start delivering other clients' changes to subscribers (the app calls this; one-shot
    /// commands need not).
    pub fn watch(&self) -> Result<(), StoreError> {
        if self.watching.swap(true, Ordering::Relaxed) {
            return Ok(());
        }
        let last = self.with_client(|c| {
            let row = c
                .query_one(
                    "SELECT seq FROM memdeck_ns WHERE ns = $1",
                    &[&self.options.namespace],
                )
                .map_err(|e| self.error(&e))?;
            Ok(row.get::<_, i64>(0))
        })?;
        let (ready, listening) = std::sync::mpsc::sync_channel(1);
        let watcher = watch::Watcher {
            ready: Some(ready),
            config: self.config.clone(),
            ns: self.options.namespace.clone(),
            cid: self.cid.clone(),
            host: self.options.host.clone(),
            changes: self.changes.clone(),
            lease_events: self.lease_events.clone(),
            stop: self.stop.clone(),
            status: self.status.clone(),
            trouble: self.trouble(),
        };
        std::thread::Builder::new()
            .name("memdeck-pg-watch".to_owned())
            .spawn(move || watcher.run(last))
            .map_err(|e| StoreError::io("cannot start the PostgreSQL watcher", e))?;
        // Lease events are heard only while listening: return once the watcher listens (or,
        // when the server does not answer, go on while it keeps trying).
        let _ = listening.recv_timeout(CONNECT_TIMEOUT);
        Ok(())
    }

    /// The status bar's words while the server cannot be reached.
    fn trouble(&self) -> String {
        format!(
            "shared memory unreachable (PostgreSQL at {}): retrying",
            self.shown_url
        )
    }

    fn connect_error(&self, e: &postgres::Error) -> StoreError {
        if e.as_db_error().is_some() {
            return self.error(e);
        }
        let text = e.to_string();
        let source = std::error::Error::source(e).map(ToString::to_string);
        let detail = source.unwrap_or(text);
        if detail.contains("certificate") || detail.contains("InvalidCertificate") {
            return StoreError::Rejected(format!(
                "PostgreSQL at {} offered a certificate this machine does not trust ({detail}); \
                 add its authority to the system's roots or point SSL_CERT_FILE at it, or use \
                 sslmode=disable on a network you trust",
                self.shown_url
            ));
        }
        watch::set_status(&self.status, Some(self.trouble()));
        StoreError::io(
            format!(
                "the shared memory store (PostgreSQL at {}) is unreachable",
                self.shown_url
            ),
            std::io::Error::other(detail),
        )
    }

    /// A failed statement, in the store's terms: the server unreachable (an I/O error, the
    /// connection closed), or what it refused.
    fn error(&self, e: &postgres::Error) -> StoreError {
        match e.as_db_error() {
            Some(db) => self.refused_db(db),
            None if e.is_closed() || std::error::Error::source(e).is_some() => {
                watch::set_status(&self.status, Some(self.trouble()));
                StoreError::io(
                    format!(
                        "the shared memory store (PostgreSQL at {}) is unreachable",
                        self.shown_url
                    ),
                    std::io::Error::other(e.to_string()),
                )
            }
            None => self.refused_text(&e.to_string()),
        }
    }

    fn refused_db(&self, db: &postgres::error::DbError) -> StoreError {
        use postgres::error::SqlState;
        let code = db.code();
        let shown = &self.shown_url;
        let message = if *code == SqlState::INVALID_PASSWORD
            || *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION
        {
            format!(
                "PostgreSQL at {shown} refused the user name or password in --database-url \
                 ({})",
                db.message()
            )
        } else if *code == SqlState::INSUFFICIENT_PRIVILEGE {
            format!(
                "the PostgreSQL user may not use memdeck's tables ({}); grant it SELECT, \
                 INSERT, UPDATE, DELETE on the memdeck_* tables (and, for the first start or a \
                 newer memdeck's, CREATE on the schema)",
                db.message()
            )
        } else if *code == SqlState::INVALID_CATALOG_NAME {
            format!("PostgreSQL at {shown}: {}; create it first", db.message())
        } else if *code == SqlState::DISK_FULL || *code == SqlState::OUT_OF_MEMORY {
            format!(
                "the shared memory store is full ({}); nothing was written",
                db.message()
            )
        } else if *code == SqlState::READ_ONLY_SQL_TRANSACTION {
            format!(
                "PostgreSQL at {shown} is a read-only standby; point --database-url at the \
                 primary"
            )
        } else if *code == SqlState::QUERY_CANCELED {
            return StoreError::io(
                format!("PostgreSQL at {shown} took too long to answer"),
                std::io::Error::other(db.message().to_owned()),
            );
        } else if code.code().starts_with("57P") || code.code().starts_with("08") {
            // The server shutting down or restarting, or the connection lost: unreachable for
            // now, not refusing.
            watch::set_status(&self.status, Some(self.trouble()));
            return StoreError::io(
                format!("the shared memory store (PostgreSQL at {shown}) is unreachable"),
                std::io::Error::other(db.message().to_owned()),
            );
        } else {
            format!("PostgreSQL refused the command: {}", db.message())
        };
        StoreError::Rejected(message)
    }

    fn refused_text(&self, text: &str) -> StoreError {
        StoreError::Rejected(format!("PostgreSQL at {}: {text}", self.shown_url))
    }

    fn emit(&self, change: MemoryChange) {
        let _ = self.changes.send(change);
    }
}

/// A connection, and the statements prepared on it (each statement is parsed and planned once
/// per connection, not at every call: one round trip per query instead of two).
pub(super) struct Conn {
    pub(super) client: postgres::Client,
    pub(super) statements: HashMap<String, postgres::Statement>,
}

/// `sql` prepared on the connection `client` belongs to (or a transaction on it), once: later
/// calls get the statement from `statements`.
pub(super) fn prepared(
    client: &mut impl postgres::GenericClient,
    statements: &mut HashMap<String, postgres::Statement>,
    sql: &str,
) -> Result<postgres::Statement, postgres::Error> {
    if let Some(statement) = statements.get(sql) {
        return Ok(statement.clone());
    }
    let statement = client.prepare(sql)?;
    statements.insert(sql.to_owned(), statement.clone());
    Ok(statement)
}

impl Conn {
    /// A read-only transaction on one snapshot, for reads made of several statements.
    pub(super) fn snapshot(&mut self) -> Result<postgres::Transaction<'_>, postgres::Error> {
        self.client
            .build_transaction()
            .read_only(true)
            .isolation_level(postgres::IsolationLevel::RepeatableRead)
            .start()
    }

    pub(super) fn statement(&mut self, sql: &str) -> Result<postgres::Statement, postgres::Error> {
        prepared(&mut self.client, &mut self.statements, sql)
    }

    pub(super) fn query(
        &mut self,
        sql: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<Vec<postgres::Row>, postgres::Error> {
        let statement = self.statement(sql)?;
        self.client.query(&statement, params)
    }

    pub(super) fn query_opt(
        &mut self,
        sql: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<Option<postgres::Row>, postgres::Error> {
        let statement = self.statement(sql)?;
        self.client.query_opt(&statement, params)
    }

    pub(super) fn query_one(
        &mut self,
        sql: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<postgres::Row, postgres::Error> {
        let statement = self.statement(sql)?;
        self.client.query_one(&statement, params)
    }

    pub(super) fn execute(
        &mut self,
        sql: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<u64, postgres::Error> {
        let statement = self.statement(sql)?;
        self.client.execute(&statement, params)
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // The client's own runtime may not be dropped on a thread that drives async tasks.
        let client = self
            .conn
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if client.is_some() {
            blocking(move || drop(client));
        }
    }
}

/// Run `f` where the blocking client may block: here, unless this thread belongs to a tokio
/// runtime (an async task calling the store directly, as the CLI's commands do), where the
/// client's own runtime may not start; then on a thread of its own for the call.
fn blocking<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    if tokio::runtime::Handle::try_current().is_err() {
        return f();
    }
    std::thread::scope(|scope| {
        scope
            .spawn(f)
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// TLS through rustls, verified against the system's certificate authorities (or
/// `SSL_CERT_FILE`); used when the URL's `sslmode` asks for it (`prefer`, the default, tries
/// it on TCP connections).
fn tls() -> tokio_postgres_rustls::MakeRustlsConnect {
    // More than one crypto provider is built in (the HTTP clients bring theirs): name one.
    let _ = rustls::crypto::ring::default_provider().install_default();
    match tokio_postgres_rustls::MakeRustlsConnect::with_native_certs() {
        Ok((tls, _)) => tls,
        // No authority found: a TLS connection is then refused with the certificate's error.
        Err(_) => tokio_postgres_rustls::MakeRustlsConnect::new(
            rustls::ClientConfig::builder()
                .with_root_certificates(rustls::RootCertStore::empty())
                .with_no_client_auth(),
        ),
    }
}

/// A database URL (or key-value string) with any password replaced; a URL that does not parse
/// is not echoed at all.
pub fn redact_url(raw: &str) -> String {
    let raw = raw.trim();
    if !raw.starts_with("postgres://") && !raw.starts_with("postgresql://") {
        // key=value pairs: every password value hidden, quoted or not; anything else is not
        // echoed.
        if raw.parse::<postgres::Config>().is_err() {
            return "(a PostgreSQL connection string that cannot be read)".to_owned();
        }
        return redact_pairs(raw);
    }
    // Read by hand: a URL for a Unix socket has no host (`postgres://user@/db?host=/run/pg`),
    // which general URL parsers refuse.
    let Some((scheme, rest)) = raw.split_once("://") else {
        return "(a PostgreSQL URL that cannot be read)".to_owned();
    };
    // The user part ends at the last `@` (a password may hold `@`, `/` or `?`; an `@` in the
    // query hides more than needed, never less).
    let (user, after) = match rest.rfind('@') {
        Some(at) => (Some(&rest[..at]), &rest[at + 1..]),
        None => (None, rest),
    };
    let (place, query) = after
        .split_once('?')
        .map_or((after, None), |(a, q)| (a, Some(q)));
    let mut shown = format!("{scheme}://");
    if let Some(user) = user {
        match user.split_once(':') {
            Some((name, _)) => {
                shown.push_str(name);
                shown.push_str(":<redacted>");
            }
            None => shown.push_str(user),
        }
        shown.push('@');
    }
    shown.push_str(place);
    if let Some(query) = query {
        shown.push('?');
        shown.push_str(&crate::memory::redact_query(query));
    }
    shown
}

/// `host=db password='a b' user=x` with the password's value hidden.
fn redact_pairs(raw: &str) -> String {
    let mut out = String::new();
    let mut rest = raw;
    while let Some(at) = find_key(rest, "password") {
        out.push_str(&rest[..at]);
        out.push_str("password=<redacted>");
        let value = rest[at + "password".len()..].trim_start();
        let value = value.strip_prefix('=').unwrap_or(value).trim_start();
        rest = skip_value(value);
    }
    out.push_str(rest);
    out
}

/// Where `key` starts as a key (at the start or after a space, followed by `=`).
fn find_key(text: &str, key: &str) -> Option<usize> {
    let lower = text.to_ascii_lowercase();
    let mut from = 0;
    while let Some(found) = lower[from..].find(key) {
        let at = from + found;
        let before_ok = at == 0 || lower.as_bytes()[at - 1].is_ascii_whitespace();
        let after = lower[at + key.len()..].trim_start();
        if before_ok && after.starts_with('=') {
            return Some(at);
        }
        from = at + key.len();
    }
    None
}

/// What follows a key-value string's value (quoted with `'`, backslash escapes; or up to a
/// space).
fn skip_value(value: &str) -> &str {
    if let Some(quoted) = value.strip_prefix('\'') {
        let mut escaped = false;
        for (i, c) in quoted.char_indices() {
            match c {
                '\\' if !escaped => escaped = true,
                '\'' if !escaped => return &quoted[i + 1..],
                _ => escaped = false,
            }
        }
        return "";
    }
    value
        .find(char::is_whitespace)
        .map_or("", |end| &value[end..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_show() {
        for (raw, shown) in [
            (
                "postgres://team:hunter2@db.example:5432/memdeck",
                "postgres://team:<redacted>@db.example:5432/memdeck",
            ),
            (
                "postgresql://team:p%40ss@db/memdeck?sslmode=require",
                "postgresql://team:<redacted>@db/memdeck?sslmode=require",
            ),
            (
                "postgres://team@/memdeck?host=/run/postgresql&password=s3cret",
                "postgres://team@/memdeck?host=/run/postgresql&password=<redacted>",
            ),
            // A Unix socket: no host in the URL (the `url` crate refuses those).
            (
                "postgres://memdeck@/postgres?host=/tmp/pg&port=5499",
                "postgres://memdeck@/postgres?host=/tmp/pg&port=5499",
            ),
            (
                "postgresql://team:s3cret@/memdeck?host=/run/postgresql",
                "postgresql://team:<redacted>@/memdeck?host=/run/postgresql",
            ),
            (
                "host=db user=team password=s3cret dbname=m",
                "host=db user=team password=<redacted> dbname=m",
            ),
            (
                "host=db password = 'a b\\' c' dbname=m",
                "host=db password=<redacted> dbname=m",
            ),
            ("host=db dbname=m", "host=db dbname=m"),
        ] {
            assert_eq!(redact_url(raw), shown, "{raw}");
        }
        for raw in [
            "postgres://alice:hunter@2secret@db:5432",
            "postgres://alice:pa/ss@db",
            "postgres://alice:pa?ss=hunter@db/m",
            "password=hunter2",
            "not a url hunter2",
        ] {
            let shown = redact_url(raw);
            assert!(
                !shown.contains("hunter") && !shown.contains("ss@") && !shown.contains("secret"),
                "{shown}"
            );
        }
    }
}
