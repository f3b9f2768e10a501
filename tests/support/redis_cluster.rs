//! A real Redis Cluster of the test's own: three primaries (`redis-server --cluster-enabled
//! yes`) on free loopback ports, joined with `redis-cli --cluster create`, stopped when
//! dropped. Clusters need TCP (their bus is the port + 10000), so unlike `redis.rs` this one
//! listens on 127.0.0.1, bound to loopback only and with no data saved.
#![allow(dead_code, clippy::unwrap_used, clippy::pedantic)]

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{Duration, Instant};

use memdeck::memory::redis::{RedisOptions, RedisStore};

pub struct RedisCluster {
    pub dir: tempfile::TempDir,
    pub ports: Vec<u16>,
    children: Vec<Child>,
    /// The authority clients must trust, when the nodes speak TLS only.
    ca: Option<Vec<u8>>,
}

/// Where the next search for a free port starts (spread by process, so two test binaries
/// running at once rarely try the same ports).
static NEXT_PORT: AtomicU16 = AtomicU16::new(0);

/// A port that is free on loopback, with its cluster bus port (+10000) free too.
pub fn free_port() -> u16 {
    // Both ports stay below 32768, where Linux starts handing out ephemeral ports for outgoing
    // connections (a node's bus port taken by one of them makes it refuse to start).
    let _ = NEXT_PORT.compare_exchange(
        0,
        12_000 + (std::process::id() % 400) as u16 * 25,
        Ordering::SeqCst,
        Ordering::SeqCst,
    );
    loop {
        let port = NEXT_PORT.fetch_add(1, Ordering::SeqCst);
        assert!(port < 22_700, "no free loopback ports for the cluster");
        let free = |p: u16| TcpListener::bind(("127.0.0.1", p)).is_ok();
        if free(port) && free(port + 10_000) {
            return port;
        }
    }
}

impl RedisCluster {
    /// Three primaries holding all 16,384 slots, ready (`cluster_state:ok` on every node).
    pub fn start() -> Self {
        Self::with_replicas(0)
    }

    /// Three primaries, each with `replicas` replicas (`redis-cli` picks which follows which).
    pub fn with_replicas(replicas: usize) -> Self {
        Self::build(replicas, None)
    }

    /// Three primaries speaking TLS only, to clients and on the cluster bus, with `certs`, as
    /// a managed service's cluster does.
    pub fn with_tls(certs: &super::tls::Certs) -> Self {
        Self::build(0, Some(certs))
    }

    fn build(replicas: usize, tls: Option<&super::tls::Certs>) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("memdeck-cluster-")
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .unwrap();
        let mut cluster = Self {
            dir,
            ports: Vec::new(),
            children: Vec::new(),
            ca: tls.map(|c| std::fs::read(&c.ca).unwrap()),
        };
        for _ in 0..3 * (1 + replicas) {
            let port = free_port();
            let node_dir = cluster.dir.path().join(port.to_string());
            std::fs::create_dir_all(&node_dir).unwrap();
            let mut server = Command::new("redis-server");
            match tls {
                None => server.args(["--port", &port.to_string()]),
                Some(certs) => server
                    .args(["--port", "0", "--tls-port", &port.to_string()])
                    .args(["--tls-cluster", "yes", "--tls-replication", "yes"])
                    .args(["--tls-auth-clients", "no", "--tls-cert-file"])
                    .arg(&certs.cert)
                    .arg("--tls-key-file")
                    .arg(&certs.key)
                    .arg("--tls-ca-cert-file")
                    .arg(&certs.ca),
            };
            let child = server
                .args(["--bind", "127.0.0.1"])
                .args(["--cluster-enabled", "yes", "--cluster-config-file"])
                .arg(node_dir.join("nodes.conf"))
                .args(["--cluster-node-timeout", "2000"])
                // Replicas sync at once, and may take over however long their link was down
                // (a test kills primaries soon after the start).
                .args(["--repl-diskless-sync", "no"])
                .args(["--cluster-replica-validity-factor", "0"])
                .args(["--save", "", "--appendonly", "no", "--dir"])
                .arg(&node_dir)
                .args(["--daemonize", "no", "--loglevel", "warning"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| {
                    panic!(
                        "cannot start redis-server ({e}): install the Debian package redis-server"
                    )
                });
            cluster.children.push(child);
            cluster.ports.push(port);
        }
        for &port in &cluster.ports {
            wait_for(&format!("redis-server on port {port}"), || {
                cluster
                    .ask::<String>(port, &mut redis::cmd("PING"))
                    .is_some()
            });
        }
        let mut create = Command::new("redis-cli");
        if let Some(certs) = tls {
            create.arg("--tls").arg("--cacert").arg(&certs.ca);
        }
        create.args(["--cluster", "create"]);
        for port in &cluster.ports {
            create.arg(format!("127.0.0.1:{port}"));
        }
        let out = create
            .args(["--cluster-replicas", &replicas.to_string(), "--cluster-yes"])
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| {
                panic!("cannot run redis-cli ({e}): it comes with the Debian package redis-server")
            });
        assert!(
            out.status.success(),
            "redis-cli --cluster create failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        for &port in &cluster.ports {
            wait_for("the cluster to be ready", || {
                cluster
                    .ask::<String>(port, redis::cmd("CLUSTER").arg("INFO"))
                    .is_some_and(|i| i.contains("cluster_state:ok"))
            });
            // A replica is ready once it has its primary's data.
            wait_for("the replicas to sync", || {
                cluster
                    .ask::<String>(port, redis::cmd("INFO").arg("replication"))
                    .is_some_and(|i| {
                        i.contains("role:master") || i.contains("master_link_status:up")
                    })
            });
        }
        cluster
    }

    /// Kill node `n` at once (no shutdown), as a crash would.
    pub fn kill(&mut self, n: usize) {
        let _ = self.children[n].kill();
        let _ = self.children[n].wait();
    }

    /// Wait (up to 30 s) until a node other than `old` owns `key`'s slot; how long it took.
    pub fn wait_for_new_owner(&self, key: &str, old: usize) -> Duration {
        let started = Instant::now();
        while self.owner_now(key).is_none_or(|n| n == old) {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "no replica took over"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        started.elapsed()
    }

    /// One node's URL.
    pub fn url(&self, node: usize) -> String {
        let scheme = if self.ca.is_some() { "rediss" } else { "redis" };
        format!("{scheme}://127.0.0.1:{}", self.ports[node])
    }

    /// A connection to the node on `port` (over TLS when the cluster speaks it), if it answers
    /// within 200 ms.
    pub fn node(&self, port: u16) -> Option<redis::Connection> {
        let Some(ca) = &self.ca else {
            return connect(port);
        };
        // As the store does: name the crypto provider (more than one is built in).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let certs = redis::TlsCertificates {
            client_tls: None,
            root_cert: Some(ca.clone()),
        };
        redis::Client::build_with_tls(format!("rediss://127.0.0.1:{port}"), certs)
            .ok()?
            .get_connection_with_timeout(Duration::from_millis(200))
            .ok()
    }

    /// `command`'s reply from the node on `port`, if it answers.
    pub fn ask<T: redis::FromRedisValue>(&self, port: u16, command: &mut redis::Cmd) -> Option<T> {
        command.query(&mut self.node(port)?).ok()
    }

    /// Every node's URL, comma-separated.
    pub fn urls(&self) -> String {
        (0..self.ports.len())
            .map(|n| self.url(n))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// A store reaching the cluster through `url` (one node, or several).
    pub fn store_at(&self, url: &str, namespace: &str, host: &str) -> RedisStore {
        RedisStore::open(RedisOptions {
            url: url.to_owned(),
            namespace: namespace.to_owned(),
            max_file_bytes: 100 * 1024,
            history_keep: 10_000,
            host: host.to_owned(),
        })
        .unwrap()
    }

    /// A replica (index) of node `primary`, as the replica itself says (waited for: the
    /// cluster may still be settling who follows whom).
    pub fn replica_of(&self, primary: usize) -> usize {
        let id: String = self
            .ask(self.ports[primary], redis::cmd("CLUSTER").arg("MYID"))
            .unwrap();
        let follows = |n: usize| {
            self.ask::<String>(self.ports[n], redis::cmd("CLUSTER").arg("NODES"))
                .and_then(|nodes| {
                    let mine = nodes.lines().find(|l| l.contains("myself"))?.to_owned();
                    Some(mine.split_whitespace().nth(3) == Some(id.as_str()))
                })
                .unwrap_or(false)
        };
        wait_for("a replica of the primary", || {
            (0..self.ports.len()).any(|n| n != primary && follows(n))
        });
        (0..self.ports.len())
            .find(|&n| n != primary && follows(n))
            .unwrap()
    }

    /// The node (index) whose slots hold `key`.
    pub fn owner(&self, key: &str) -> usize {
        self.owner_now(key).unwrap()
    }

    /// The node (index) whose slots hold `key`, if a node not marked failing holds them now.
    pub fn owner_now(&self, key: &str) -> Option<usize> {
        // Any node that still answers knows the map.
        let mut conn = self.ports.iter().find_map(|&p| self.node(p)).unwrap();
        let slot: u16 = redis::cmd("CLUSTER")
            .arg("KEYSLOT")
            .arg(key)
            .query(&mut conn)
            .unwrap();
        let nodes: String = redis::cmd("CLUSTER").arg("NODES").query(&mut conn).unwrap();
        let line = nodes
            .lines()
            .find(|l| owns(l, slot) && !l.contains("fail"))?;
        let port = node_port(line);
        self.ports.iter().position(|&p| p == port)
    }
}

/// The port of a `CLUSTER NODES` line: `<id> 127.0.0.1:<port>@<bus> …`.
fn node_port(line: &str) -> u16 {
    line.split_whitespace()
        .nth(1)
        .unwrap()
        .split(['@', ':'])
        .nth(1)
        .unwrap()
        .parse()
        .unwrap()
}

/// Whether a `CLUSTER NODES` line lists `slot` among its ranges.
fn owns(line: &str, slot: u16) -> bool {
    line.split_whitespace().skip(8).any(|range| {
        let (from, to) = range.split_once('-').unwrap_or((range, range));
        match (from.parse::<u16>(), to.parse::<u16>()) {
            (Ok(from), Ok(to)) => (from..=to).contains(&slot),
            _ => false,
        }
    })
}

/// A connection to the loopback server on `port`, if it answers within 200 ms.
pub fn connect(port: u16) -> Option<redis::Connection> {
    redis::Client::open(format!("redis://127.0.0.1:{port}"))
        .ok()?
        .get_connection_with_timeout(Duration::from_millis(200))
        .ok()
}

/// `command`'s reply from the server on `port`, if it answers.
pub fn ask<T: redis::FromRedisValue>(port: u16, command: &mut redis::Cmd) -> Option<T> {
    command.query(&mut connect(port)?).ok()
}

/// An `INFO` section of the server on `port`.
pub fn info(port: u16, section: &str) -> Option<String> {
    ask(port, redis::cmd("INFO").arg(section))
}

/// Wait up to 30 s for `ready`.
pub fn wait_for(what: &str, ready: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !ready() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

impl Drop for RedisCluster {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
