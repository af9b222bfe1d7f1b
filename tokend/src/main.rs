//! tokend: Systembruker's token fast path (tokend/README.md).
//!
//! It listens in front of the Django application and answers `POST /token` itself when the request is an
//! ordinary, good system-user grant: it checks the grant as `maskinporten/grants.py` does (tokend/RULES.md),
//! reads the client key and the system user and spends the `jti` with the usage record in the project's
//! own two statements (compiled by Django into the configuration), and signs the project's access token.
//! Every other request — any other path, a grant that is refused, unusual, replayed, or met while the
//! database or Redis misbehaves — goes to the application unchanged, which answers it as it always has.
//!
//!     tokend CONFIG.json LISTEN UPSTREAM [METRICS]
//!     tokend /etc/systembruker/tokend.json 0.0.0.0:8080 http://127.0.0.1:8000 127.0.0.1:9102

mod config;
mod grant;
mod keys;
mod limits;
mod log;
mod store;

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hyper::client::HttpConnector;
use hyper::header::{HeaderName, HeaderValue};
use hyper::server::conn::AddrStream;
use hyper::service::{make_service_fn, service_fn};
use hyper::body::Bytes;
use hyper::{Body, Client, Method, Request, Response, StatusCode, Uri};
use openssl::bn::BigNum;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Public};
use openssl::rsa::Rsa;
use openssl::sign::{Signer, Verifier};
use serde_json::{json, Value};

use config::{Config, Slot};
use grant::{b64url_encode as b64, Why};
use store::{Json, Store, Text};

/// The connection-level headers a proxy does not pass on (RFC 9110 §7.6.1).
const HOP_BY_HOP: [&str; 8] =
    ["connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade"];

#[derive(Default)]
struct Metrics {
    issued: AtomicU64,
    slow_down: AtomicU64,
    forwarded_token: AtomicU64,
    forwarded_other: AtomicU64,
}

struct App {
    config: Config,
    store: Store,
    limits: limits::Limits,
    keys: Arc<keys::Keys>,
    upstream: Client<HttpConnector>,
    upstream_base: String,
    client_keys: std::sync::Mutex<std::collections::HashMap<(String, String), PKey<Public>>>,
    metrics: Metrics,
    log_forwarded: bool, // TOKEND_LOG_FORWARDED=1: why each token request went to the application
}

/// A request's body on its way to the application: streamed through, or held (sent again if need be).
enum Forwarded {
    Stream(Body),
    Held(Bytes),
}

enum Answer {
    Token(Value),
    SlowDown(u64),
    Unavailable,
}

/// What the request brings besides its body: the client's address and when it arrived, worked out as
/// `config/wsgi.py` and `lib/arrival.py` do for the application.
struct Arrival {
    ip: String,
    arrived: f64,
    request_id: String,
}

fn header<'a>(request: &'a hyper::http::request::Parts, name: &str) -> Option<&'a str> {
    request.headers.get(name).and_then(|v| v.to_str().ok())
}

fn uuid4() -> String {
    let mut b = [0u8; 16];
    openssl::rand::rand_bytes(&mut b).expect("the system's random numbers");
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

impl App {
    /// `client_address`: the entry `proxy_count` places from the right of X-Forwarded-For (tokend counts
    /// itself as the application's last proxy), else the peer.
    fn arrival(&self, request: &hyper::http::request::Parts, peer: IpAddr) -> Arrival {
        let now = log::now_micros() as f64 / 1e6;
        let mut ip = peer.to_string();
        let mut arrived = now;
        let count = self.config.proxy_count;
        if count > 0 {
            if let Some(forwarded) = header(request, "x-forwarded-for").filter(|f| !f.is_empty()) {
                let entries: Vec<&str> = forwarded.split(',').collect();
                if entries.len() >= count {
                    if let Ok(address) = entries[entries.len() - count].trim().parse::<IpAddr>() {
                        ip = address.to_string();
                    }
                }
            }
            if let Some(start) = header(request, "x-request-start").and_then(proxy_start) {
                if now - self.config.max_queue_seconds <= start && start <= now {
                    arrived = start;
                }
            }
        }
        // lib/logs.request_id: a W3C traceparent's trace id, else a plausible X-Request-ID, else a new one.
        let trace = header(request, "traceparent").map(str::trim).and_then(|t| {
            let parts: Vec<&str> = t.split('-').collect();
            let hex = |p: &str, n: usize| p.len() == n && p.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
            (parts.len() == 4 && hex(parts[0], 2) && hex(parts[1], 32) && hex(parts[2], 16) && hex(parts[3], 2))
                .then(|| parts[1].to_owned())
        });
        let given = header(request, "x-request-id")
            .filter(|id| (1..=128).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b)))
            .map(str::to_owned);
        let request_id = trace.or(given).unwrap_or_else(|| uuid4().replace('-', ""));
        Arrival { ip, arrived: arrived.min(now), request_id }
    }

    fn public_key(&self, jwk: &Value) -> Result<PKey<Public>, Why> {
        let (Some(n), Some(e)) = (jwk["n"].as_str(), jwk["e"].as_str()) else { return Err("unusual key") };
        let cache_key = (n.to_owned(), e.to_owned());
        if let Some(key) = self.client_keys.lock().unwrap().get(&cache_key) {
            return Ok(key.clone());
        }
        let n = BigNum::from_slice(&grant::b64url(n)?).map_err(|_| "unusual key")?;
        let e = BigNum::from_slice(&grant::b64url(e)?).map_err(|_| "unusual key")?;
        let key = Rsa::from_public_components(n, e).and_then(PKey::from_rsa).map_err(|_| "unusual key")?;
        let mut keys = self.client_keys.lock().unwrap();
        if keys.len() > 4096 {
            keys.clear();
        }
        keys.insert(cache_key, key.clone());
        Ok(key)
    }

    fn sign(&self, signing: &keys::Signing, claims: &Value) -> Result<String, Why> {
        let header = json!({"alg": "RS256", "kid": signing.kid, "typ": "at+jwt"});
        let input = format!("{}.{}", b64(header.to_string().as_bytes()), b64(claims.to_string().as_bytes()));
        let mut signer = Signer::new(MessageDigest::sha256(), &signing.key).map_err(|_| "signing")?;
        signer.update(input.as_bytes()).map_err(|_| "signing")?;
        Ok(format!("{input}.{}", b64(&signer.sign_to_vec().map_err(|_| "signing")?)))
    }

    /// Django's `validate_host` on the Host header (ALLOWED_HOSTS; none: the application answers).
    fn host_allowed(&self, request: &hyper::http::request::Parts) -> bool {
        let Some(host) = header(request, "host").map(str::to_lowercase) else { return false };
        let domain = match host.strip_prefix('[') {
            Some(rest) => match rest.split_once(']') {
                Some((v6, port)) if port.is_empty() || port.strip_prefix(':').is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit())) => {
                    format!("[{v6}]")
                }
                _ => return false,
            },
            None => match host.split_once(':') {
                Some((domain, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => domain.to_owned(),
                Some(_) => return false,
                None => host.clone(),
            },
        };
        let domain = domain.strip_suffix('.').unwrap_or(&domain);
        if domain.is_empty() || !domain.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b)) {
            return false;
        }
        self.config.allowed_hosts.iter().any(|pattern| {
            pattern == "*"
                || pattern == domain
                || pattern.strip_prefix('.').is_some_and(|bare| domain == bare || domain.ends_with(pattern.as_str()))
        })
    }

    /// SECURE_PROXY_SSL_HEADER: did the request come over HTTPS? Only a proxy in front of tokend can say.
    fn is_secure(&self, request: &hyper::http::request::Parts) -> bool {
        self.config.proxy_count > 0
            && self.config.https_header.as_ref().is_some_and(|(name, value)| header(request, name) == Some(value.as_str()))
    }

    /// The answer to a token request, or why the application must answer it.
    async fn token(&self, request: &hyper::http::request::Parts, body: &[u8], arrival: &Arrival) -> Result<Answer, Why> {
        if !self.host_allowed(request) || (self.config.ssl_redirect && !self.is_secure(request)) {
            return Err("host or scheme"); // the application answers 400 or redirects to HTTPS
        }
        if header(request, "content-type") != Some(self.config.form_type.as_str()) {
            return Err("unusual form");
        }
        let (grant_type, assertion) = grant::form(body)?;
        let signing = self.keys.signing();
        let grant = grant::read(&grant_type, &assertion, &self.config.rules, &signing.own_kids, arrival.arrived)?;
        let external_ref = grant.external_ref.clone().unwrap_or_else(|| grant.orgno.clone());
        let values: Vec<Text> = self
            .config
            .read_slots
            .iter()
            .map(|slot| {
                Text(match slot {
                    Slot::Named(name) => match name.as_str() {
                        "client_id" => grant.client_id.clone(),
                        "kid" => grant.kid.clone(),
                        "owner_orgno" => grant.orgno.clone(),
                        "external_ref" => external_ref.clone(),
                        _ => String::new(), // the configuration names only these (tokend_config checks)
                    },
                    Slot::Literal(value) => value.clone(),
                })
            })
            .collect();
        let row = self.store.read(&values).await.map_err(|_| "database")?.ok_or("refused")?;
        // public_jwk, retired_at, is_active, scopes, owner orgno, owner deleted, system user
        let jwk: Json = row.try_get(0).map_err(|_| "database")?;
        let retired: Option<std::time::SystemTime> = row.try_get(1).map_err(|_| "database")?;
        let is_active: bool = row.try_get(2).map_err(|_| "database")?;
        let scopes: Option<Json> = row.try_get(3).map_err(|_| "database")?;
        let consumer: String = row.try_get(4).map_err(|_| "database")?;
        let owner_deleted: bool = row.try_get(5).map_err(|_| "database")?;
        let system_user: Option<Json> = row.try_get(6).map_err(|_| "database")?;
        if retired.is_some() || !is_active || owner_deleted {
            return Err("refused");
        }
        let system_user: Value = serde_json::from_str(&system_user.ok_or("refused")?.0).map_err(|_| "database")?;
        let jwk: Value = serde_json::from_str(&jwk.0).map_err(|_| "database")?;
        let key = self.public_key(&jwk)?;
        let mut verifier = Verifier::new(MessageDigest::sha256(), &key).map_err(|_| "refused")?;
        verifier.update(grant.signing_input.as_bytes()).map_err(|_| "refused")?;
        if !verifier.verify(&grant.signature).unwrap_or(false) {
            return Err("refused");
        }
        let allowed: Vec<String> = scopes.and_then(|s| serde_json::from_str(&s.0).ok()).unwrap_or_default();
        let scopes = grant::scopes(&grant, &allowed)?;
        let system_user_id = system_user["id"].as_str().ok_or("database")?.to_owned();
        let system_id = system_user["system_id"].clone();
        if let Some(wait) = self.limits.wait(&arrival.ip, &grant.client_id).await {
            return Ok(Answer::SlowDown(wait));
        }
        let micros = log::now_micros();
        let exp = grant.claims["exp"].as_f64().unwrap_or_default();
        let jti = grant.claims["jti"].as_str().unwrap_or_default().to_owned();
        let spend: Vec<Text> = self
            .config
            .spend_parameters
            .iter()
            .map(|name| {
                Text(match name.as_str() {
                    "client_id" => grant.client_id.clone(),
                    "jti" => jti.clone(),
                    "expires_at" => log::timestamp((exp * 1e6) as i64),
                    "system_user" => system_user_id.clone(),
                    "hour" => log::timestamp(micros - micros.rem_euclid(3_600_000_000)),
                    "issued" => "1".to_owned(),
                    "last_at" => log::timestamp(micros),
                    "last_client_id" => grant.client_id.chars().take(200).collect(),
                    _ => grant.kid.chars().take(200).collect(), // "kid" (Config::read refuses any other name)
                })
            })
            .collect();
        let spent = match self.store.spend(&spend).await {
            Ok(spent) => spent,
            // The statement failed or timed out: it may yet commit, so the grant may be spent. Handing it on
            // could get the client a "used before" for a grant it never got a token for: say "try again".
            Err(e) => {
                log::warning(&format!("token not issued, the spend's outcome is unknown: {e}"));
                return Ok(Answer::Unavailable);
            }
        };
        if !spent {
            return Err("replayed");
        }
        let org = |orgno: &str| json!({"authority": self.config.rules.org_authority, "ID": format!("{}:{orgno}", self.config.rules.org_icd)});
        let details = json!([{
            "type": self.config.rules.systemuser_type,
            "systemuser_id": [system_user_id],
            "systemuser_org": org(&grant.orgno),
            "system_id": system_id,
        }]);
        let iat = micros / 1_000_000;
        let scope = scopes.join(" ");
        let token = self.sign(&signing, &json!({
            "iss": self.config.rules.issuer,
            "client_amr": "private_key_jwt",
            "token_type": "Bearer",
            "client_id": grant.client_id,
            "sub": grant.client_id,
            "scope": scope,
            "consumer": org(&consumer),
            "iat": iat,
            "exp": iat + self.config.lifetime as i64,
            "jti": uuid4(),
            "authorization_details": details,
        }))?;
        if self.config.log_info {
            let facts = json!({
                "client_id": grant.client_id, "consumer": consumer, "party": grant.orgno,
                "system_user": system_user_id, "kid": grant.kid, "jti": jti,
                "scope": scope.chars().take(500).collect::<String>(), "ip": arrival.ip,
                "request_id": arrival.request_id,
            });
            let message = format!("token issued: client {}, system user {system_user_id}, jti {jti}", grant.client_id);
            log::line("INFO", &message, Some(("token", facts)));
        }
        Ok(Answer::Token(json!({
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": self.config.lifetime,
            "scope": scope,
            "authorization_details": details,
        })))
    }

    /// The request as the application should see it: tokend is one more proxy, so it adds the address it
    /// was called from to X-Forwarded-For, and when it is the first (the application's PROXY_COUNT is 1),
    /// it sets X-Request-Start to when the request reached it.
    async fn forward(&self, mut parts: hyper::http::request::Parts, body: Forwarded, peer: IpAddr) -> Response<Body> {
        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let Ok(uri) = format!("{}{path}", self.upstream_base).parse::<Uri>() else {
            return plain(StatusCode::BAD_REQUEST, "Bad request");
        };
        parts.uri = uri;
        for name in HOP_BY_HOP {
            parts.headers.remove(name);
        }
        let forwarded = match header(&parts, "x-forwarded-for") {
            Some(before) if self.config.proxy_count > 0 => format!("{before}, {peer}"),
            _ => peer.to_string(),
        };
        if let Ok(value) = HeaderValue::from_str(&forwarded) {
            parts.headers.insert(HeaderName::from_static("x-forwarded-for"), value);
        }
        if self.config.proxy_count == 0 {
            // tokend is the first proxy: what a client says of its scheme is not passed on as a proxy's word.
            if let Some((name, _)) = &self.config.https_header {
                parts.headers.remove(name.as_str());
            }
            let start = format!("t={}", log::now_micros());
            parts.headers.insert(HeaderName::from_static("x-request-start"), HeaderValue::from_str(&start).unwrap());
        }
        let request = |body: Body| {
            let mut request = Request::new(body);
            *request.method_mut() = parts.method.clone();
            *request.uri_mut() = parts.uri.clone();
            *request.headers_mut() = parts.headers.clone();
            request
        };
        let answer = match body {
            Forwarded::Stream(body) => self.upstream.request(request(body)).await,
            // A request whose body tokend holds is sent again once if the connection it went out on was
            // closed under it (the application closed an idle keep-alive connection at that moment).
            Forwarded::Held(bytes) => match self.upstream.request(request(Body::from(bytes.clone()))).await {
                Err(e) if e.is_incomplete_message() || e.is_canceled() || e.is_closed() => {
                    self.upstream.request(request(Body::from(bytes))).await
                }
                answer => answer,
            },
        };
        match answer {
            Ok(mut response) => {
                for name in HOP_BY_HOP {
                    response.headers_mut().remove(name);
                }
                response
            }
            Err(e) => {
                log::warning(&format!("the application did not answer: {e}"));
                plain(StatusCode::BAD_GATEWAY, "The application is unavailable")
            }
        }
    }

    async fn handle(self: Arc<Self>, request: Request<Body>, peer: IpAddr) -> Response<Body> {
        if request.method() != Method::POST || request.uri().path() != "/token" {
            self.metrics.forwarded_other.fetch_add(1, Ordering::Relaxed);
            let (parts, body) = request.into_parts();
            let empty = header(&parts, "content-length").map_or(true, |n| n == "0") && !parts.headers.contains_key("transfer-encoding");
            let bodiless = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) && empty;
            let body = if bodiless { Forwarded::Held(Bytes::new()) } else { Forwarded::Stream(body) };
            return self.forward(parts, body, peer).await;
        }
        let (parts, body) = request.into_parts();
        let length = header(&parts, "content-length").and_then(|n| n.parse::<usize>().ok());
        if !length.is_some_and(|n| n <= self.config.max_body) {
            self.metrics.forwarded_token.fetch_add(1, Ordering::Relaxed);
            return self.forward(parts, Forwarded::Stream(body), peer).await;
        }
        let body = match hyper::body::to_bytes(body).await {
            Ok(body) => body,
            Err(_) => return plain(StatusCode::BAD_REQUEST, "Bad request"),
        };
        let arrival = self.arrival(&parts, peer);
        match self.token(&parts, &body, &arrival).await {
            Ok(Answer::Token(token)) => {
                self.metrics.issued.fetch_add(1, Ordering::Relaxed);
                self.json_answer(&parts, StatusCode::OK, token.to_string(), None)
            }
            Ok(Answer::SlowDown(wait)) => {
                self.metrics.slow_down.fetch_add(1, Ordering::Relaxed);
                self.json_answer(&parts, StatusCode::TOO_MANY_REQUESTS, self.config.limits.slow_down.clone(), Some(wait))
            }
            Ok(Answer::Unavailable) => self.json_answer(
                &parts,
                StatusCode::SERVICE_UNAVAILABLE,
                self.config.unavailable.clone(),
                Some(self.config.unavailable_retry_after),
            ),
            Err(why) => {
                if self.log_forwarded {
                    log::line("DEBUG", &format!("token request handed to the application: {why}"), None);
                }
                self.metrics.forwarded_token.fetch_add(1, Ordering::Relaxed);
                self.forward(parts, Forwarded::Held(body), peer).await
            }
        }
    }

    /// An answer of tokend's own, with the headers the application's answer would have.
    fn json_answer(
        &self,
        request: &hyper::http::request::Parts,
        status: StatusCode,
        body: String,
        retry_after: Option<u64>,
    ) -> Response<Body> {
        let mut response = Response::builder()
            .status(status)
            .header("Content-Type", "application/json")
            .header("Cache-Control", "no-store")
            .header("Pragma", "no-cache");
        if let Some(seconds) = retry_after {
            response = response.header("Retry-After", seconds.to_string());
        }
        for (name, value) in &self.config.headers {
            response = response.header(name.as_str(), value.as_str());
        }
        if let Some(hsts) = self.config.hsts.as_ref().filter(|_| self.is_secure(request)) {
            response = response.header("Strict-Transport-Security", hsts.as_str());
        }
        response.body(Body::from(body)).unwrap()
    }

    fn metrics_text(&self) -> String {
        let m = &self.metrics;
        format!(
            "# HELP systembruker_tokens_issued_total Access tokens issued by /token\n\
             # TYPE systembruker_tokens_issued_total counter\n\
             systembruker_tokens_issued_total{{server=\"tokend\"}} {}\n\
             # HELP systembruker_tokens_refused_total Token requests refused, by OAuth error code\n\
             # TYPE systembruker_tokens_refused_total counter\n\
             systembruker_tokens_refused_total{{error=\"slow_down\",server=\"tokend\"}} {}\n\
             # HELP systembruker_tokend_forwarded_total Requests tokend handed to the application\n\
             # TYPE systembruker_tokend_forwarded_total counter\n\
             systembruker_tokend_forwarded_total{{path=\"/token\"}} {}\n\
             systembruker_tokend_forwarded_total{{path=\"other\"}} {}\n",
            m.issued.load(Ordering::Relaxed),
            m.slow_down.load(Ordering::Relaxed),
            m.forwarded_token.load(Ordering::Relaxed),
            m.forwarded_other.load(Ordering::Relaxed),
        )
    }
}

/// `arrival._proxy_start`: `t=` seconds, milliseconds or microseconds since the epoch.
fn proxy_start(value: &str) -> Option<f64> {
    let value = value.trim();
    let number: f64 = value.strip_prefix("t=").unwrap_or(value).parse().ok()?;
    if !number.is_finite() || number <= 0.0 {
        return None;
    }
    Some(if number > 1e14 { number / 1e6 } else if number > 1e11 { number / 1e3 } else { number })
}


fn plain(status: StatusCode, text: &'static str) -> Response<Body> {
    Response::builder().status(status).header("Content-Type", "text/plain").body(Body::from(text)).unwrap()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("usage: tokend CONFIG.json LISTEN UPSTREAM [METRICS]   (tokend/README.md)");
        std::process::exit(2);
    }
    let threads = std::env::var("TOKEND_THREADS").ok().and_then(|n| n.parse().ok()).unwrap_or(2);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(threads).enable_all().build().unwrap();
    if let Err(e) = runtime.block_on(serve(&args)) {
        log::line("ERROR", &format!("tokend stops: {e}"), None);
        std::process::exit(1);
    }
}

async fn serve(args: &[String]) -> Result<(), Box<dyn std::error::Error>> {
    let config = Config::read(&args[1])?;
    let listen: SocketAddr = args[2].parse()?;
    let upstream_base = args[3].trim_end_matches('/').to_owned();
    upstream_base.parse::<Uri>()?;
    let files = |names: &[String]| names.iter().map(std::path::PathBuf::from).collect();
    let keys = Arc::new(keys::Keys::new(files(&config.token_key_files), files(&config.platform_key_files))?);
    tokio::spawn(keys.clone().watch());
    let store = Store::new(
        config.database.clone(),
        config.read_sql.clone(),
        config.spend_sql.clone(),
        config.purge_sql.clone(),
        config.connections,
    );
    store.open().await.map_err(|e| format!("the database: {e}"))?;
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    let app = Arc::new(App {
        limits: limits::Limits::new(&config.limits)?,
        config,
        store,
        keys,
        // Below gunicorn's keep-alive (2 s): an idle connection is dropped here before the application
        // closes it, rather than reused just as it does.
        upstream: Client::builder().pool_idle_timeout(Duration::from_millis(1500)).build(connector),
        upstream_base,
        client_keys: Default::default(),
        metrics: Metrics::default(),
        log_forwarded: std::env::var("TOKEND_LOG_FORWARDED").is_ok_and(|v| v == "1"),
    });
    let purging = app.clone();
    tokio::spawn(async move {
        let every = Duration::from_secs(purging.config.purge_interval.max(1));
        loop {
            tokio::time::sleep(every).await;
            let cutoff = log::now_micros() - purging.config.purge_interval as i64 * 1_000_000;
            if let Err(e) = purging.store.purge(Text(log::timestamp(cutoff))).await {
                log::warning(&format!("used grants not purged: {e}"));
            }
        }
    });
    if let Some(address) = args.get(4) {
        let address: SocketAddr = address.parse()?;
        let shown = app.clone();
        let make = make_service_fn(move |_| {
            let shown = shown.clone();
            async move {
                Ok::<_, Infallible>(service_fn(move |_request| {
                    let text = shown.metrics_text();
                    async move {
                        Ok::<_, Infallible>(
                            Response::builder()
                                .header("Content-Type", "text/plain; version=0.0.4")
                                .body(Body::from(text))
                                .unwrap(),
                        )
                    }
                }))
            }
        });
        tokio::spawn(hyper::Server::bind(&address).serve(make));
    }
    let make = make_service_fn(move |connection: &AddrStream| {
        let app = app.clone();
        let peer = connection.remote_addr().ip();
        async move {
            Ok::<_, Infallible>(service_fn(move |request| {
                let app = app.clone();
                async move { Ok::<_, Infallible>(app.handle(request, peer).await) }
            }))
        }
    });
    let server = hyper::Server::try_bind(&listen)?
        .tcp_nodelay(true)
        .http1_header_read_timeout(Duration::from_secs(30)) // a client that never finishes its headers
        .serve(make);
    log::line("INFO", &format!("tokend (rules {}) listens on {listen}, hands the rest to {}", config::RULES_VERSION.trim(), args[3]), None);
    let stop = async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM");
        tokio::select! {
            _ = term.recv() => {},
            _ = tokio::signal::ctrl_c() => {},
        }
    };
    server.with_graceful_shutdown(stop).await?;
    Ok(())
}
