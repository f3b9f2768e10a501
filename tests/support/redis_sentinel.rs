//! A real Redis Sentinel set-up of the test's own: a primary and a replica (`redis-server` on
//! free loopback ports) watched by three sentinels (`redis-server --sentinel`) that agree, two
//! of three, to promote the replica when the primary has not answered for a second. Stopped
//! when dropped; no data saved.
#![allow(dead_code, clippy::unwrap_used, clippy::pedantic)]

use std::process::{Child, Command, Stdio};

use memdeck::memory::redis::{RedisOptions, RedisStore};

use super::redis_cluster::{ask, free_port, info, wait_for};

/// The service name the sentinels watch.
pub const SERVICE: &str = "team";

pub struct RedisSentinel {
    pub dir: tempfile::TempDir,
    /// The primary's port at the start, then the replica's.
    pub data_ports: Vec<u16>,
    pub sentinel_ports: Vec<u16>,
    children: Vec<Child>,
}

impl RedisSentinel {
    pub fn start() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("memdeck-sentinel-")
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .unwrap();
        let mut set = Self {
            dir,
            data_ports: Vec::new(),
            sentinel_ports: Vec::new(),
            children: Vec::new(),
        };
        let primary = free_port();
        let replica = free_port();
        set.data_ports = vec![primary, replica];
        for (port, follows) in [(primary, None), (replica, Some(primary))] {
            let node_dir = set.dir.path().join(port.to_string());
            std::fs::create_dir_all(&node_dir).unwrap();
            let mut server = Command::new("redis-server");
            server
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(["--save", "", "--appendonly", "no", "--dir"])
                .arg(&node_dir)
                .args(["--repl-diskless-sync", "no"])
                .args(["--daemonize", "no", "--loglevel", "warning"]);
            if let Some(primary) = follows {
                server.args(["--replicaof", "127.0.0.1", &primary.to_string()]);
            }
            set.children.push(spawn(&mut server));
        }
        wait_for("the replica to sync", || {
            info(replica, "replication").is_some_and(|i| i.contains("master_link_status:up"))
        });
        for _ in 0..3 {
            let port = free_port();
            let conf = set.dir.path().join(format!("sentinel-{port}.conf"));
            std::fs::write(
                &conf,
                format!(
                    "port {port}\nbind 127.0.0.1\ndir {dir}\n\
                     sentinel monitor {SERVICE} 127.0.0.1 {primary} 2\n\
                     sentinel down-after-milliseconds {SERVICE} 1000\n\
                     sentinel failover-timeout {SERVICE} 3000\n\
                     sentinel parallel-syncs {SERVICE} 1\n",
                    dir = set.dir.path().display()
                ),
            )
            .unwrap();
            let mut sentinel = Command::new("redis-server");
            sentinel
                .arg(&conf)
                .args(["--sentinel", "--daemonize", "no", "--loglevel", "warning"]);
            set.children.push(spawn(&mut sentinel));
            set.sentinel_ports.push(port);
        }
        // Every sentinel knows the replica and the two other sentinels (a failover needs two
        // to agree and a majority to elect a leader).
        for &port in &set.sentinel_ports.clone() {
            wait_for("the sentinels to know each other and the replica", || {
                sentinel_count(port, "sentinels") == Some(2)
                    && sentinel_count(port, "replicas") == Some(1)
            });
        }
        set
    }

    /// `redis+sentinel://` with every sentinel, for the service.
    pub fn url(&self) -> String {
        let hosts: Vec<String> = self
            .sentinel_ports
            .iter()
            .map(|p| format!("127.0.0.1:{p}"))
            .collect();
        format!("redis+sentinel://{}/{SERVICE}", hosts.join(","))
    }

    pub fn store(&self, namespace: &str, host: &str) -> RedisStore {
        RedisStore::open(RedisOptions {
            url: self.url(),
            namespace: namespace.to_owned(),
            max_file_bytes: 100 * 1024,
            history_keep: 10_000,
            host: host.to_owned(),
        })
        .unwrap()
    }

    /// The primary's port as the sentinels say it now.
    pub fn primary_port(&self) -> Option<u16> {
        self.sentinel_ports.iter().find_map(|&p| {
            let addr: Vec<String> = ask(
                p,
                redis::cmd("SENTINEL")
                    .arg("get-master-addr-by-name")
                    .arg(SERVICE),
            )?;
            addr.get(1)?.parse().ok()
        })
    }

    /// Whether the data node on `port` says it is a replica now.
    pub fn is_replica(&self, port: u16) -> bool {
        info(port, "replication").is_some_and(|i| i.contains("role:slave"))
    }

    /// Kill the data node on `port` at once, as a crash would.
    pub fn kill_data(&mut self, port: u16) {
        let i = self.data_ports.iter().position(|&p| p == port).unwrap();
        let _ = self.children[i].kill();
        let _ = self.children[i].wait();
    }
}

fn spawn(command: &mut Command) -> Child {
    command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot start redis-server ({e}): install the Debian package redis-server")
        })
}

fn sentinel_count(port: u16, what: &str) -> Option<usize> {
    let list: Vec<redis::Value> = ask(port, redis::cmd("SENTINEL").arg(what).arg(SERVICE))?;
    Some(list.len())
}

impl Drop for RedisSentinel {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
