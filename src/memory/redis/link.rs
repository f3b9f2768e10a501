//! How the store reaches Redis: one server, a cluster found from any of its nodes, or the
//! primary that Sentinel names.
//!
//! `redis_url` names one server or several cluster nodes (comma-separated). At open, the first
//! reachable node is asked whether cluster mode is on (`INFO cluster`); if it is, every
//! connection is the `redis` crate's cluster connection seeded with the given nodes, which
//! learns the slot map, follows MOVED and ASK, and refreshes the map after a failover. A
//! namespace's keys share one hash tag, so each script touches one slot and runs on the node
//! that owns it.
//!
//! `redis+sentinel://[user:password@]host:26379[,host:26379…]/SERVICE` (or `rediss+sentinel`
//! for TLS to the data nodes) asks the sentinels for SERVICE's primary at every connect, so
//! after a failover the next connection goes to the new primary (Sentinel disconnects the
//! clients of a primary it demotes); the credentials are the data nodes' (the sentinels are
//! asked without them).

use std::time::Duration;

use redis::ConnectionLike;
use redis::cluster::ClusterClient;
use redis::sentinel::{SentinelClient, SentinelNodeConnectionInfo, SentinelServerType};

/// A connection of either kind, as the commands use it.
pub(super) type Conn = Box<dyn ConnectionLike + Send>;

/// The way to the server or the cluster.
#[derive(Clone)]
pub(super) enum Link {
    Single(Box<redis::Client>),
    /// The nodes named in the URL; each connection learns the rest of the cluster from them.
    Cluster(Vec<String>),
    /// The sentinels to ask for the service's primary.
    Sentinel(Box<Sentinels>),
}

/// A `redis+sentinel://` URL, read.
#[derive(Clone)]
pub(super) struct Sentinels {
    /// `redis://host:port` of each sentinel.
    addresses: Vec<String>,
    service: String,
    nodes: SentinelNodeConnectionInfo,
}

/// Whether `url` names sentinels rather than a server.
pub(super) fn is_sentinel_url(url: &str) -> bool {
    url.starts_with("redis+sentinel://") || url.starts_with("rediss+sentinel://")
}

/// A Sentinel URL's parts: its scheme, the user information, the sentinels' list, and what
/// follows the list (`/SERVICE?…`, empty if nothing). The user information ends at the last
/// `@`, so a password holding `/` or `,` stays whole (hosts, services and `db=N` hold no `@`).
fn sentinel_parts(url: &str) -> Option<(&str, Option<&str>, &str, &str)> {
    let (scheme, rest) = url.split_once("://")?;
    if scheme != "redis+sentinel" && scheme != "rediss+sentinel" {
        return None;
    }
    let (userinfo, rest) = match rest.rsplit_once('@') {
        Some((userinfo, rest)) => (Some(userinfo), rest),
        None => (None, rest),
    };
    let hosts_end = rest.find('/').unwrap_or(rest.len());
    let (hosts, tail) = rest.split_at(hosts_end);
    Some((scheme, userinfo, hosts, tail))
}

/// `url` with its password hidden (the sentinels' list does not parse as one URL).
pub(super) fn redact_sentinel_url(url: &str) -> String {
    let Some((scheme, userinfo, hosts, tail)) = sentinel_parts(url) else {
        return "(a Sentinel URL that cannot be read)".to_owned();
    };
    let user = match userinfo {
        Some(userinfo) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{user}:<redacted>@"),
            None => format!("{userinfo}@"),
        },
        None => String::new(),
    };
    format!("{scheme}://{user}{hosts}{tail}")
}

/// Read `redis+sentinel://[user:password@]host[:port][,host[:port]…]/SERVICE[?db=N]`.
pub(super) fn parse_sentinel_url(url: &str) -> Result<Sentinels, String> {
    let Some((scheme, userinfo, hosts, tail)) = sentinel_parts(url) else {
        return Err("a Sentinel URL starts with redis+sentinel:// or rediss+sentinel://".into());
    };
    let tls = scheme == "rediss+sentinel";
    let path = tail.strip_prefix('/').unwrap_or(tail);
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let service = decode(path.trim_end_matches('/'));
    if service.is_empty() {
        return Err(
            "name the service after the sentinels: redis+sentinel://host:26379/mymaster".into(),
        );
    }
    let mut addresses = Vec::new();
    for host in hosts.split(',').map(str::trim).filter(|h| !h.is_empty()) {
        let (name, port) = match host.rsplit_once(':') {
            Some((name, port)) => {
                let port: u16 = port
                    .parse()
                    .map_err(|_| format!("{port:?} is not a port number"))?;
                (name, port)
            }
            None => (host, 26379),
        };
        addresses.push(format!("redis://{name}:{port}"));
    }
    if addresses.is_empty() {
        return Err("name at least one sentinel: redis+sentinel://host:26379/mymaster".into());
    }
    let mut info = redis::RedisConnectionInfo::default();
    if let Some(userinfo) = userinfo {
        let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
        if !user.is_empty() {
            info = info.set_username(decode(user));
        }
        if !password.is_empty() {
            info = info.set_password(decode(password));
        }
    }
    for param in query.split('&').filter(|p| !p.is_empty()) {
        match param.split_once('=') {
            Some(("db", n)) => {
                let db: i64 = n.parse().map_err(|_| format!("db={n} is not a number"))?;
                info = info.set_db(db);
            }
            _ => {
                return Err(format!(
                    "{param:?} is not a Sentinel URL parameter (only db=N is)"
                ));
            }
        }
    }
    let mut nodes = SentinelNodeConnectionInfo::default().set_redis_connection_info(info);
    if tls {
        nodes = nodes.set_tls_mode(redis::TlsMode::Secure);
    }
    Ok(Sentinels {
        addresses,
        service,
        nodes,
    })
}

/// Percent-decoding of a URL part (`%40` -> `@`); a malformed escape stays as written.
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(byte) = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
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
    /// key of the namespace) is redirected. For one server, the connection that asked is
    /// returned too, ready for commands (replies awaited at most `response`), so opening costs
    /// one connection. Errors are the client's: a bad URL, an unreachable server, a refused
    /// password.
    pub(super) fn open(
        urls: &[String],
        connect: Duration,
        response: Duration,
        probe: &str,
    ) -> redis::RedisResult<(Self, Option<Conn>)> {
        if let [url] = urls
            && is_sentinel_url(url)
        {
            let sentinels = parse_sentinel_url(url).map_err(|e| {
                redis::RedisError::from((
                    redis::ErrorKind::InvalidClientConfig,
                    "not a Sentinel URL",
                    e,
                ))
            })?;
            return Ok((Self::Sentinel(Box::new(sentinels)), None));
        }
        let mut last_error = None;
        for url in urls {
            let client = redis::Client::open(url.as_str())?;
            // The probe's replies are waited for no longer than the connection was.
            let mut conn = match timed(&client, connect, connect) {
                Ok(conn) => conn,
                Err(e) => {
                    last_error = Some(e);
                    continue;
                }
            };
            let cluster = match redis::cmd("INFO").arg("cluster").query::<String>(&mut conn) {
                Ok(info) => info.lines().any(|l| l.trim() == "cluster_enabled:1"),
                Err(e) if is_no_perm(&e) => {
                    // The slot map (which a cluster user must be allowed to read), else whether
                    // a read is redirected (right unless this node holds the namespace).
                    match redis::cmd("CLUSTER")
                        .arg("SLOTS")
                        .query::<redis::Value>(&mut conn)
                    {
                        Ok(_) => true,
                        Err(e) if !is_no_perm(&e) => false,
                        Err(_) => match redis::cmd("XLEN").arg(probe).query::<u64>(&mut conn) {
                            Ok(_) => false,
                            Err(e) if e.redirect_node().is_some() => true,
                            Err(e) => return Err(e),
                        },
                    }
                }
                Err(e) => return Err(e),
            };
            if cluster {
                return Ok((Self::Cluster(urls.to_vec()), None));
            }
            if urls.len() > 1 {
                return Err(redis::RedisError::from((
                    redis::ErrorKind::InvalidClientConfig,
                    "several servers were named, but the first that answered is not a cluster \
                     node; name one server, or nodes of one cluster",
                )));
            }
            conn.set_read_timeout(Some(response))?;
            conn.set_write_timeout(Some(response))?;
            return Ok((Self::Single(Box::new(client)), Some(Box::new(conn))));
        }
        Err(last_error.unwrap_or_else(|| {
            redis::RedisError::from((redis::ErrorKind::InvalidClientConfig, "no Redis URL"))
        }))
    }

    pub(super) fn is_sentinel(&self) -> bool {
        matches!(self, Self::Sentinel(_))
    }

    /// What kind of deployment, for `describe`.
    pub(super) fn kind(&self) -> &'static str {
        match self {
            Self::Single(_) => "Redis",
            Self::Cluster(_) => "Redis Cluster",
            Self::Sentinel(_) => "Redis (Sentinel)",
        }
    }

    /// A new connection that waits at most `connect` to connect and `response` for a reply.
    pub(super) fn connect(
        &self,
        connect: Duration,
        response: Duration,
    ) -> redis::RedisResult<Conn> {
        match self {
            Self::Single(client) => Ok(Box::new(timed(client, connect, response)?)),
            Self::Sentinel(sentinels) => {
                let mut asker = SentinelClient::build(
                    sentinels.addresses.clone(),
                    sentinels.service.as_str(),
                    Some(sentinels.nodes.clone()),
                    SentinelServerType::Master,
                )?;
                Ok(Box::new(timed(&asker.get_client()?, connect, response)?))
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

/// A connection to one server that waits at most `connect` to connect and `response` for
/// each reply.
fn timed(
    client: &redis::Client,
    connect: Duration,
    response: Duration,
) -> redis::RedisResult<redis::Connection> {
    let conn = client.get_connection_with_timeout(connect)?;
    conn.set_read_timeout(Some(response))?;
    conn.set_write_timeout(Some(response))?;
    Ok(conn)
}

/// Whether the server refused a command to this user (its ACL).
fn is_no_perm(e: &redis::RedisError) -> bool {
    e.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::NoPerm)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentinel_urls_name_the_sentinels_and_the_service() {
        let s = parse_sentinel_url("redis+sentinel://u:p%40ss@a:26380, b/team?db=2").unwrap();
        assert_eq!(s.addresses, ["redis://a:26380", "redis://b:26379"]);
        assert_eq!(s.service, "team");
        // A password may hold `/` and `,`: the user information ends at the last `@`.
        let s = parse_sentinel_url("redis+sentinel://u:pa/s,s@a:26380/team").unwrap();
        assert_eq!(
            (s.addresses.as_slice(), s.service.as_str()),
            (["redis://a:26380".to_owned()].as_slice(), "team")
        );
        for (bad, says) in [
            ("redis+sentinel://a:26379", "name the service"),
            ("redis+sentinel:///team", "at least one sentinel"),
            ("redis+sentinel://a:x/team", "not a port"),
            (
                "redis+sentinel://a/team?pass=1",
                "not a Sentinel URL parameter",
            ),
        ] {
            let e = parse_sentinel_url(bad).err().unwrap();
            assert!(e.contains(says), "{bad}: {e}");
        }
        assert_eq!(decode("p%40ss%2"), "p@ss%2");
    }

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
