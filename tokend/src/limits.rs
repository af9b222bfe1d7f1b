//! /token's rate limits (`maskinporten/limits.py`, CONTRACT §7) on the same counters as the Django
//! application: the same keys in the same Redis, counted the way `lib/counters.count_and_read` does (one
//! MULTI/EXEC: SET NX EX and INCR per counter, GET of the refusals). Without Redis, counters in this
//! process, as the application keeps them in its own memory then. If Redis is unreachable the limits
//! are skipped and logged, as there: issuing tokens matters more.

use std::collections::HashMap;

use openssl::sha::sha256;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufStream};
use tokio::net::TcpStream;
use tokio::sync::Mutex;

use crate::config;

type BoxError = Box<dyn std::error::Error + Sync + Send>;

enum Counters {
    Local(Mutex<HashMap<String, i64>>),
    Redis { address: String, password: Option<String>, db: u32, idle: Mutex<Vec<BufStream<TcpStream>>> },
}

pub struct Limits {
    counters: Counters,
    prefix: String,
    window: u64,
    per_address: i64,
    per_client: i64,
    refusals_per_address: i64,
}

fn now() -> u64 {
    (crate::log::now_micros() / 1_000_000) as u64
}

/// redis://[:password@]host[:port][/db]
fn parse_redis_url(url: &str) -> Result<(String, Option<String>, u32), String> {
    let rest = url.strip_prefix("redis://").ok_or(format!("tokend speaks plain redis:// only, not {url:?}"))?;
    let (credentials, rest) = match rest.rsplit_once('@') {
        Some((credentials, rest)) => (Some(credentials), rest),
        None => (None, rest),
    };
    let password = credentials.map(|c| c.rsplit_once(':').map_or(c, |(_, p)| p).to_owned()).filter(|p| !p.is_empty());
    let (host, db) = match rest.split_once('/') {
        Some((host, db)) if !db.is_empty() => (host, db.parse().map_err(|_| format!("bad database in {url:?}"))?),
        Some((host, _)) => (host, 0),
        None => (rest, 0),
    };
    let address = if host.contains(':') { host.to_owned() } else { format!("{host}:6379") };
    Ok((address, password, db))
}

fn command(out: &mut Vec<u8>, args: &[&str]) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for arg in args {
        out.extend_from_slice(format!("${}\r\n{arg}\r\n", arg.len()).as_bytes());
    }
}

#[derive(Debug, PartialEq)]
enum Reply {
    Status,
    Integer(i64),
    Bulk(Option<Vec<u8>>),
    Array(Option<Vec<Reply>>),
}

async fn reply(stream: &mut BufStream<TcpStream>) -> Result<Reply, BoxError> {
    let mut line = String::new();
    stream.read_line(&mut line).await?;
    let line = line.strip_suffix("\r\n").ok_or("Redis closed the connection")?;
    let (kind, rest) = line.split_at(1);
    Ok(match kind {
        "+" => Reply::Status,
        "-" => return Err(format!("Redis: {rest}").into()),
        ":" => Reply::Integer(rest.parse()?),
        "$" => match rest.parse::<i64>()? {
            -1 => Reply::Bulk(None),
            n => {
                let mut data = vec![0; n as usize + 2];
                stream.read_exact(&mut data).await?;
                data.truncate(n as usize);
                Reply::Bulk(Some(data))
            }
        },
        "*" => match rest.parse::<i64>()? {
            -1 => Reply::Array(None),
            n => {
                let mut items = Vec::new();
                for _ in 0..n {
                    items.push(Box::pin(reply(stream)).await?);
                }
                Reply::Array(Some(items))
            }
        },
        _ => return Err("not a Redis reply".into()),
    })
}

impl Limits {
    pub fn new(config: &config::Limits) -> Result<Limits, String> {
        let counters = match &config.redis_url {
            Some(url) => {
                let (address, password, db) = parse_redis_url(url)?;
                Counters::Redis { address, password, db, idle: Mutex::new(Vec::new()) }
            }
            None => Counters::Local(Mutex::new(HashMap::new())),
        };
        Ok(Limits {
            counters,
            prefix: config.key_prefix.clone(),
            window: config.window,
            per_address: config.per_address,
            per_client: config.per_client,
            refusals_per_address: config.refusals_per_address,
        })
    }

    /// `counters.window_key` with the cache's own key prefix (Django's `make_key`).
    fn key(&self, name: &str, at: u64) -> String {
        format!("{}rate:{name}:{}", self.prefix, at / self.window * self.window)
    }

    fn retry_after(&self, at: u64) -> u64 {
        (self.window - at % self.window).max(1)
    }

    /// Count a request from `ip` for `client_id`: the seconds to wait when the address or the client made
    /// too many requests this minute, or the address had too many refused; else None.
    pub async fn wait(&self, ip: &str, client_id: &str) -> Option<u64> {
        let at = now();
        let client = sha256(client_id.as_bytes()).iter().map(|b| format!("{b:02x}")).collect::<String>();
        let added = [self.key(&format!("token-address:{ip}"), at), self.key(&format!("token-client:{client}"), at)];
        let refused = self.key(&format!("token-refused:{ip}"), at);
        let counts = match self.count(&added, &refused).await {
            Ok(counts) => counts,
            Err(e) => {
                crate::log::warning(&format!("token rate limit not checked: the cache is unreachable: {e}"));
                return None;
            }
        };
        let (requests, client_requests, refusals) = counts;
        let limited = requests > self.per_address
            || refusals >= self.refusals_per_address
            || client_requests > self.per_client;
        limited.then(|| self.retry_after(at))
    }

    async fn count(&self, added: &[String; 2], read: &str) -> Result<(i64, i64, i64), BoxError> {
        match &self.counters {
            Counters::Local(counts) => {
                let mut counts = counts.lock().await;
                if counts.len() > 100_000 {
                    counts.clear(); // old windows; the current one starts again (a generous limit for a moment)
                }
                let mut bump = |key: &String| {
                    let count = counts.entry(key.clone()).or_insert(0);
                    *count += 1;
                    *count
                };
                let (a, b) = (bump(&added[0]), bump(&added[1]));
                Ok((a, b, counts.get(read).copied().unwrap_or(0)))
            }
            Counters::Redis { address, password, db, idle } => {
                let taken = idle.lock().await.pop();
                let mut stream = match taken {
                    Some(stream) => stream,
                    None => {
                        let mut stream = BufStream::new(TcpStream::connect(address).await?);
                        let mut hello = Vec::new();
                        if let Some(password) = password {
                            command(&mut hello, &["AUTH", password]);
                        }
                        command(&mut hello, &["SELECT", &db.to_string()]);
                        stream.write_all(&hello).await?;
                        stream.flush().await?;
                        for _ in 0..(1 + password.is_some() as usize) {
                            reply(&mut stream).await?;
                        }
                        stream
                    }
                };
                let ttl = (self.window + 1).to_string();
                let mut out = Vec::new();
                command(&mut out, &["MULTI"]);
                for key in added {
                    command(&mut out, &["SET", key, "0", "EX", &ttl, "NX"]);
                    command(&mut out, &["INCR", key]);
                }
                command(&mut out, &["GET", read]);
                command(&mut out, &["EXEC"]);
                let replies = tokio::time::timeout(std::time::Duration::from_secs(1), async {
                    stream.write_all(&out).await?;
                    stream.flush().await?;
                    for _ in 0..6 {
                        reply(&mut stream).await?; // +OK, then +QUEUED for each command
                    }
                    reply(&mut stream).await
                })
                .await
                .map_err(|_| "Redis timed out")??;
                let Reply::Array(Some(items)) = replies else { return Err("the transaction was not run".into()) };
                let integer = |reply: &Reply| match reply {
                    Reply::Integer(n) => Ok(*n),
                    Reply::Bulk(None) => Ok(0),
                    Reply::Bulk(Some(data)) => Ok(std::str::from_utf8(data)?.parse()?),
                    _ => Err::<i64, BoxError>("not a count".into()),
                };
                let counts = (integer(&items[1])?, integer(&items[3])?, integer(&items[4])?);
                idle.lock().await.push(stream);
                Ok(counts)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redis_urls() {
        assert_eq!(parse_redis_url("redis://127.0.0.1:6379/9").unwrap(), ("127.0.0.1:6379".into(), None, 9));
        assert_eq!(parse_redis_url("redis://:s3cret@cache/2").unwrap(), ("cache:6379".into(), Some("s3cret".into()), 2));
        assert_eq!(parse_redis_url("redis://cache").unwrap(), ("cache:6379".into(), None, 0));
        assert!(parse_redis_url("rediss://cache").is_err());
    }
}
