//! The store on a real PostgreSQL server of the test's own: the conformance suite against the
//! local store, concurrency, a killed server, the watcher catching up, the schema's versions,
//! TLS.
#![allow(clippy::unwrap_used, clippy::pedantic)]

use crate::support::postgres::PgServer;

#[test]
fn every_command_answers_the_same_on_postgres() {
    let server = PgServer::start();
    let store = server.store("conformance");
    crate::conformance::answers_as_the_local_store(&store);
    // A second namespace in the same database starts empty and answers the same.
    let other = server.store("other-team");
    crate::conformance::answers_as_the_local_store(&other);
}
