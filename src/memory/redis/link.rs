//! How the store reaches Redis: one server, or a cluster found from any of its nodes.
//!
//! `redis_url` names one server or several cluster nodes (comma-separated). At open, the first
//! reachable node is asked whether cluster mode is on (`INFO cluster`); if it is, every
//! connection is the `redis` crate's cluster connection seeded with the given nodes, which
//! learns the slot map, follows MOVED and ASK, and refreshes the map after a failover. A
//! namespace's keys share one hash tag, so each script touches one slot and runs on the node
//! that owns it.

use std::time::Duration;

use redis::ConnectionLike;
use redis::cluster::ClusterClient;

/// A connection of either kind, as the commands use it.
pub(super) type Conn = Box<dyn ConnectionLike + Send>;

/// The way to the server or the cluster.
#[derive(Clone)]
pub(super) enum Link {
    Single(Box<redis::Client>),
    /// The nodes named in the URL; each connection learns the rest of the cluster from them.
    Cluster(Vec<String>),
}

/// The URL's parts: one server, or several nodes separated by commas. A comma counts as a
/// separator only when every part starts with a scheme (`redis://`, `rediss://`, ...), so a
/// password that holds a comma keeps its URL whole.
pub(super) fn split_urls(url: &str) -> Vec<String> {
    let parts: Vec<&str> = url
        .split(',')
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .collect();
    let schemed = |u: &&str| {
        u.split_once("://").is_some_and(|(scheme, _)| {
            !scheme.is_empty()
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '+')
        })
    };
    if parts.len() > 1 && parts.iter().all(schemed) {
        parts.into_iter().map(ToOwned::to_owned).collect()
    } else {
        vec![url.trim().to_owned()]
    }
}

impl Link {
    /// Reach the first of `urls` that answers, and ask it whether it is a cluster node: by
    /// `INFO cluster`, or, for a user whose ACL forbids INFO, by whether a read of `probe` (a
    /// key of the namespace) is redirected. Errors are the client's: a bad URL, an unreachable
    /// server, a refused password.
    pub(super) fn open(
        urls: &[String],
        connect: Duration,
        probe: &str,
    ) -> redis::RedisResult<Self> {
        let mut last_error = None;
        for url in urls {
            let client = redis::Client::open(url.as_str())?;
            let mut conn = match client.get_connection_with_timeout(connect) {
                Ok(conn) => conn,
                Err(e) => {
                    last_error = Some(e);
                    continue;
                }
            };
            let cluster = match redis::cmd("INFO").arg("cluster").query::<String>(&mut conn) {
                Ok(info) => info.lines().any(|l| l.trim() == "cluster_enabled:1"),
                Err(e) if e.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::NoPerm) => {
                    match redis::cmd("XLEN").arg(probe).query::<u64>(&mut conn) {
                        Ok(_) => false,
                        Err(e) if e.redirect_node().is_some() => true,
                        Err(e) => return Err(e),
                    }
                }
                Err(e) => return Err(e),
            };
            if cluster {
                return Ok(Self::Cluster(urls.to_vec()));
            }
            if urls.len() > 1 {
                return Err(redis::RedisError::from((
                    redis::ErrorKind::InvalidClientConfig,
                    "several servers were named, but the first that answered is not a cluster \
                     node; name one server, or nodes of one cluster",
                )));
            }
            return Ok(Self::Single(Box::new(client)));
        }
        Err(last_error.unwrap_or_else(|| {
            redis::RedisError::from((redis::ErrorKind::InvalidClientConfig, "no Redis URL"))
        }))
    }

    pub(super) fn is_cluster(&self) -> bool {
        matches!(self, Self::Cluster(_))
    }

    /// A new connection that waits at most `connect` to connect and `response` for a reply.
    pub(super) fn connect(
        &self,
        connect: Duration,
        response: Duration,
    ) -> redis::RedisResult<Conn> {
        match self {
            Self::Single(client) => {
                let conn = client.get_connection_with_timeout(connect)?;
                conn.set_read_timeout(Some(response))?;
                conn.set_write_timeout(Some(response))?;
                Ok(Box::new(conn))
            }
            Self::Cluster(seeds) => {
                let client = ClusterClient::builder(seeds.iter().map(String::as_str))
                    .connection_timeout(connect)
                    .response_timeout(response)
                    .build()?;
                Ok(Box::new(client.get_connection()?))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commas_separate_nodes_only_between_urls() {
        assert_eq!(
            split_urls("redis://a:7000, redis://b:7001,"),
            ["redis://a:7000", "redis://b:7001"]
        );
        assert_eq!(split_urls(" redis://a:7000 "), ["redis://a:7000"]);
        // A password with a comma keeps the URL whole.
        assert_eq!(
            split_urls("redis://u:pa,ss@db:6379"),
            ["redis://u:pa,ss@db:6379"]
        );
    }
}
