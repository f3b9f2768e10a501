//! The tables, created and migrated by memdeck itself: numbered migrations, each applied once
//! in a transaction that holds an advisory lock (two memdecks starting at once do not both
//! migrate), the schema's version recorded in `memdeck_schema`. A database a newer memdeck
//! migrated is refused, not written.
//!
//! Every table is keyed by the namespace first: one database holds many teams. Paths are `text
//! COLLATE "C"` so that a folder's contents are one range of the primary key (`/memories/a/` up
//! to `/memories/a0`, `0` being the character after `/`); texts are `bytea` (a memory may hold a
//! NUL, which `text` refuses).

use crate::memory::StoreError;

/// The migrations, in order; the schema's version is how many have been applied.
pub(super) const MIGRATIONS: &[&str] = &[
    // 1: the store: namespaces (their history counter and lease tokens, which also serve as the
    // lock every write takes), files and folders, the history, the versions' texts.
    r#"
    CREATE TABLE memdeck_ns (
        ns text PRIMARY KEY,
        seq bigint NOT NULL DEFAULT 0,
        tokens bigint NOT NULL DEFAULT 0
    );
    CREATE TABLE memdeck_nodes (
        ns text NOT NULL,
        path text COLLATE "C" NOT NULL,
        parent text COLLATE "C" NOT NULL,
        name text COLLATE "C" NOT NULL,
        depth integer NOT NULL,
        is_dir boolean NOT NULL,
        body bytea,
        sha text,
        size bigint NOT NULL DEFAULT 0,
        ts_ms bigint NOT NULL,
        actor text NOT NULL,
        host text NOT NULL,
        PRIMARY KEY (ns, path)
    );
    CREATE INDEX memdeck_nodes_parent ON memdeck_nodes (ns, parent, name);
    CREATE TABLE memdeck_history (
        ns text NOT NULL,
        seq bigint NOT NULL,
        ts_ms bigint NOT NULL,
        actor text NOT NULL,
        host text NOT NULL,
        cid text NOT NULL,
        op text NOT NULL,
        path text COLLATE "C" NOT NULL,
        new_path text COLLATE "C",
        old_sha text,
        new_sha text,
        is_dir boolean NOT NULL,
        grp bigint,
        PRIMARY KEY (ns, seq)
    );
    CREATE INDEX memdeck_history_path ON memdeck_history (ns, path, seq);
    CREATE TABLE memdeck_versions (
        ns text NOT NULL,
        sha text NOT NULL,
        body bytea NOT NULL,
        PRIMARY KEY (ns, sha)
    );
    "#,
    // 2: leases. A row stays after its lease ends (released: `expires_ms` 0) so that its token
    // fences late writers; it is forgotten two days after its grant.
    r#"
    CREATE TABLE memdeck_leases (
        ns text NOT NULL,
        subject text COLLATE "C" NOT NULL,
        token bigint NOT NULL,
        holder text NOT NULL,
        host text NOT NULL,
        granted_ms bigint NOT NULL,
        expires_ms bigint NOT NULL,
        PRIMARY KEY (ns, subject)
    );
    "#,
];

/// The schema version this memdeck writes.
#[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)] // a handful
pub const SCHEMA_VERSION: i32 = MIGRATIONS.len() as i32;

/// The advisory lock key migrations take ("memdeck" in ASCII).
pub(super) const MIGRATION_LOCK: i64 = 0x006d_656d_6465_636b;

/// Create or migrate the tables: the version found before, or why not (`db` says a failed
/// statement in the store's terms). A database already at this version is only read: a user
/// allowed to read and write the tables, not to create any, opens it.
pub(super) fn migrate(
    client: &mut postgres::Client,
    db: &dyn Fn(&postgres::Error) -> StoreError,
) -> Result<i32, StoreError> {
    let exists = client
        .query_one("SELECT to_regclass('memdeck_schema') IS NOT NULL", &[])
        .map_err(|e| db(&e))?
        .get::<_, bool>(0);
    if exists {
        let found: i32 = client
            .query_one("SELECT COALESCE(max(version), 0) FROM memdeck_schema", &[])
            .map_err(|e| db(&e))?
            .get(0);
        if found == SCHEMA_VERSION {
            return Ok(found);
        }
        if found > SCHEMA_VERSION {
            return Err(StoreError::Rejected(newer(found)));
        }
    }
    let mut tx = client.transaction().map_err(|e| db(&e))?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .map_err(|e| db(&e))?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS memdeck_schema (
             version integer PRIMARY KEY,
             applied_ms bigint NOT NULL
         )",
    )
    .map_err(|e| db(&e))?;
    // Read again under the lock: another memdeck may have migrated meanwhile.
    let found: i32 = tx
        .query_one("SELECT COALESCE(max(version), 0) FROM memdeck_schema", &[])
        .map_err(|e| db(&e))?
        .get(0);
    if found > SCHEMA_VERSION {
        return Err(StoreError::Rejected(newer(found)));
    }
    let now = i64::try_from(crate::clock::now_ms()).unwrap_or(i64::MAX);
    for (i, sql) in MIGRATIONS
        .iter()
        .enumerate()
        .skip(usize::try_from(found).unwrap_or(0))
    {
        let version = i32::try_from(i + 1).unwrap_or(i32::MAX);
        tx.batch_execute(sql).map_err(|e| db(&e))?;
        tx.execute(
            "INSERT INTO memdeck_schema (version, applied_ms) VALUES ($1, $2)",
            &[&version, &now],
        )
        .map_err(|e| db(&e))?;
        tracing::info!("memdeck's PostgreSQL schema migrated to version {version}");
    }
    tx.commit().map_err(|e| db(&e))?;
    Ok(found)
}

fn newer(found: i32) -> String {
    format!(
        "the database's memdeck tables are at schema version {found}, newer than this memdeck \
         knows ({SCHEMA_VERSION}); nothing was changed: run the newer memdeck (or the same \
         version on every machine that shares it)"
    )
}
