//! The floor of a compiled token service (issue 19; a measurement, not a token endpoint: nothing but
//! `bench/token.py --app compiled` runs it).
//!
//! It does for `POST /token` exactly the work of `bench/token_floor.py`'s Python floor, no more: the
//! form, the grant's two JSON parts, the project's own read of the client key and the system user and
//! its own spend of the `jti` with the usage record (the SQL text is the project's, compiled by Django
//! and handed over in the config file, so both floors send the same statements), the RS256 check of
//! the grant, and an RS256 access token of the project's shape. No claim checks, no rate limits, no
//! log line: a refusal is a bare 400. So its CPU per token is what a compiled service in front of the
//! same database could not go below.
//!
//!     token-floor CONFIG.json        (written by `python -m bench.token_floor CONFIG.json PORT`)

use std::collections::HashMap;
use std::convert::Infallible;
use std::error::Error;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use hyper::service::{make_service_fn, service_fn};
use hyper::{Body, Method, Request, Response, Server, StatusCode};
use openssl::bn::BigNum;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private, Public};
use openssl::rsa::Rsa;
use openssl::sign::{Signer, Verifier};
use serde_json::{json, Value};
use tokio_postgres::types::{FromSql, Format, IsNull, ToSql, Type};
use tokio_postgres::{Client, NoTls, Statement};

type BoxError = Box<dyn Error + Sync + Send>;

/// A parameter sent as text: PostgreSQL parses it as the type it inferred for the placeholder, as it
/// does for psycopg's parameters, so the project's SQL runs unchanged.
#[derive(Debug)]
struct Text(String);

impl ToSql for Text {
    fn to_sql(&self, _: &Type, out: &mut tokio_postgres::types::private::BytesMut) -> Result<IsNull, BoxError> {
        out.extend_from_slice(self.0.as_bytes());
        Ok(IsNull::No)
    }
    fn accepts(_: &Type) -> bool {
        true
    }
    fn encode_format(&self, _: &Type) -> Format {
        Format::Text
    }
    tokio_postgres::types::to_sql_checked!();
}

/// A json or jsonb column as its text.
struct Json(String);

impl<'a> FromSql<'a> for Json {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        let text = if *ty == Type::JSONB { &raw[1..] } else { raw }; // jsonb: a version byte, then text
        Ok(Json(std::str::from_utf8(text)?.to_owned()))
    }
    fn accepts(ty: &Type) -> bool {
        *ty == Type::JSONB || *ty == Type::JSON
    }
}

enum Slot {
    Named(String),
    Literal(String),
}

struct Service {
    databases: Vec<(Client, Statement, Statement)>,
    next: AtomicUsize,
    read_slots: Vec<Slot>,
    signing_key: PKey<Private>,
    kid: String,
    issuer: String,
    lifetime: u64,
    jwks: String,
    client_keys: Mutex<HashMap<String, PKey<Public>>>,
}

fn b64(part: &str) -> Result<Vec<u8>, BoxError> {
    Ok(base64::decode_config(part, base64::URL_SAFE_NO_PAD)?)
}

fn b64_encode(data: &[u8]) -> String {
    base64::encode_config(data, base64::URL_SAFE_NO_PAD)
}

fn form_value(body: &[u8], name: &str) -> Option<String> {
    let body = std::str::from_utf8(body).ok()?;
    let raw = body.split('&').find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))?;
    let mut out = Vec::with_capacity(raw.len());
    let bytes = raw.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                out.push(u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).ok()?, 16).ok()?);
                i += 2;
            }
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// `YYYY-MM-DDTHH:MM:SS.ffffffZ` for PostgreSQL's timestamptz input (Howard Hinnant's civil_from_days).
fn timestamp(micros: i64) -> String {
    let seconds = micros.div_euclid(1_000_000);
    let days = seconds.div_euclid(86_400);
    let of_day = seconds.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + if month <= 2 { 1 } else { 0 };
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}Z",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60,
        micros.rem_euclid(1_000_000)
    )
}

fn uuid4() -> String {
    let mut b = [0u8; 16];
    openssl::rand::rand_bytes(&mut b).expect("random bytes");
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

fn org_identifier(orgno: &str) -> Value {
    json!({"authority": "iso6523-actorid-upis", "ID": format!("0192:{orgno}")})
}

impl Service {
    fn public_key(&self, kid: &str, jwk: &str) -> Result<PKey<Public>, BoxError> {
        if let Some(key) = self.client_keys.lock().unwrap().get(kid) {
            return Ok(key.clone());
        }
        let jwk: Value = serde_json::from_str(jwk)?;
        let n = BigNum::from_slice(&b64(jwk["n"].as_str().ok_or("no n")?)?)?;
        let e = BigNum::from_slice(&b64(jwk["e"].as_str().ok_or("no e")?)?)?;
        let key = PKey::from_rsa(Rsa::from_public_components(n, e)?)?;
        self.client_keys.lock().unwrap().insert(kid.to_owned(), key.clone());
        Ok(key)
    }

    fn sign(&self, claims: &Value) -> Result<String, BoxError> {
        let header = json!({"alg": "RS256", "kid": self.kid, "typ": "at+jwt"});
        let input = format!(
            "{}.{}",
            b64_encode(&serde_json::to_vec(&header)?),
            b64_encode(&serde_json::to_vec(claims)?)
        );
        let mut signer = Signer::new(MessageDigest::sha256(), &self.signing_key)?;
        signer.update(input.as_bytes())?;
        Ok(format!("{input}.{}", b64_encode(&signer.sign_to_vec()?)))
    }

    /// The token: Ok(Some(body)), Ok(None) for a replayed `jti`, Err for anything else malformed.
    async fn token(&self, body: &[u8]) -> Result<Option<Value>, BoxError> {
        let assertion = form_value(body, "assertion").ok_or("no assertion")?;
        let mut parts = assertion.split('.');
        let (head, payload, signature) = match (parts.next(), parts.next(), parts.next()) {
            (Some(h), Some(p), Some(s)) => (h, p, s),
            _ => return Err("not three parts".into()),
        };
        let header: Value = serde_json::from_slice(&b64(head)?)?;
        let claims: Value = serde_json::from_slice(&b64(payload)?)?;
        let org_id = claims["authorization_details"][0]["systemuser_org"]["ID"].as_str().ok_or("no org")?;
        let orgno = org_id.split_once(':').ok_or("no orgno")?.1.to_owned();
        let client_id = claims["iss"].as_str().ok_or("no iss")?.to_owned();
        let kid = header["kid"].as_str().ok_or("no kid")?.to_owned();
        let values: HashMap<&str, &str> = [
            ("client_id", client_id.as_str()),
            ("kid", kid.as_str()),
            ("owner_orgno", orgno.as_str()),
            ("external_ref", orgno.as_str()),
        ]
        .into_iter()
        .collect();
        let params: Vec<Text> = self
            .read_slots
            .iter()
            .map(|slot| match slot {
                Slot::Named(name) => Text(values[name.as_str()].to_owned()),
                Slot::Literal(value) => Text(value.clone()),
            })
            .collect();
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        let (db, read, spend) = &self.databases[self.next.fetch_add(1, Ordering::Relaxed) % self.databases.len()];
        let rows = db.query(read, &refs).await?;
        let row = rows.first().ok_or("no key")?;
        let jwk: Json = row.get(0);
        let owner_orgno: String = row.get(4);
        let system_user: Option<Json> = row.get(6);
        let system_user: Value = serde_json::from_str(&system_user.ok_or("no system user")?.0)?;
        let key = self.public_key(&kid, &jwk.0)?;
        let mut verifier = Verifier::new(MessageDigest::sha256(), &key)?;
        verifier.update(head.as_bytes())?;
        verifier.update(b".")?;
        verifier.update(payload.as_bytes())?;
        if !verifier.verify(&b64(signature)?)? {
            return Err("signature".into());
        }
        let now = SystemTime::now().duration_since(UNIX_EPOCH)?;
        let micros = now.as_micros() as i64;
        let exp = claims["exp"].as_f64().ok_or("no exp")?;
        let system_user_id = system_user["id"].as_str().ok_or("no id")?.to_owned();
        let spend_params = [
            Text(client_id.clone()),
            Text(claims["jti"].as_str().ok_or("no jti")?.to_owned()),
            Text(timestamp((exp * 1_000_000.0) as i64)),
            Text(system_user_id.clone()),
            Text(timestamp(micros - micros.rem_euclid(3_600_000_000))),
            Text("1".to_owned()),
            Text(timestamp(micros)),
            Text(client_id.clone()),
            Text(kid.clone()),
        ];
        let refs: Vec<&(dyn ToSql + Sync)> = spend_params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        let spent: i64 = db.query_one(spend, &refs).await?.get(0);
        if spent != 1 {
            return Ok(None);
        }
        let scope = claims["scope"].as_str().ok_or("no scope")?;
        let details = json!([{
            "type": "urn:altinn:systemuser",
            "systemuser_id": [system_user_id],
            "systemuser_org": org_identifier(&orgno),
            "system_id": system_user["system_id"],
        }]);
        let iat = now.as_secs();
        let token = self.sign(&json!({
            "iss": self.issuer,
            "client_amr": "private_key_jwt",
            "token_type": "Bearer",
            "client_id": client_id,
            "sub": client_id,
            "scope": scope,
            "consumer": org_identifier(&owner_orgno),
            "iat": iat,
            "exp": iat + self.lifetime,
            "jti": uuid4(),
            "authorization_details": details,
        }))?;
        Ok(Some(json!({
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": self.lifetime,
            "scope": scope,
            "authorization_details": details,
        })))
    }
}

fn answer(status: StatusCode, body: String, cache: &'static str) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("Content-Type", "application/json")
        .header("Cache-Control", cache)
        .body(Body::from(body))
        .unwrap()
}

async fn handle(service: Arc<Service>, request: Request<Body>) -> Result<Response<Body>, Infallible> {
    if request.method() == Method::GET && request.uri().path() == "/jwk" {
        return Ok(answer(StatusCode::OK, service.jwks.clone(), "public, max-age=300"));
    }
    if request.method() != Method::POST || request.uri().path() != "/token" {
        return Ok(answer(StatusCode::NOT_FOUND, "{}".to_owned(), "no-store"));
    }
    let body = match hyper::body::to_bytes(request.into_body()).await {
        Ok(body) => body,
        Err(_) => return Ok(answer(StatusCode::BAD_REQUEST, "{}".to_owned(), "no-store")),
    };
    Ok(match service.token(&body).await {
        Ok(Some(token)) => answer(StatusCode::OK, token.to_string(), "no-store"),
        Ok(None) => answer(
            StatusCode::BAD_REQUEST,
            json!({"error": "invalid_grant", "error_description": "Grant is used before"}).to_string(),
            "no-store",
        ),
        Err(why) => answer(
            StatusCode::BAD_REQUEST,
            json!({"error": "invalid_grant", "error_description": why.to_string()}).to_string(),
            "no-store",
        ),
    })
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), BoxError> {
    let path = std::env::args().nth(1).ok_or("usage: token-floor CONFIG.json")?;
    let config: Value = serde_json::from_slice(&std::fs::read(path)?)?;
    let text = |name: &str| config[name].as_str().map(str::to_owned).ok_or(format!("{name} is missing"));
    let mut databases = Vec::new();
    for _ in 0..config["connections"].as_u64().unwrap_or(4) {
        let (client, connection) = tokio_postgres::connect(&text("database")?, NoTls).await?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                eprintln!("database connection: {e}");
            }
        });
        let read = client.prepare(&text("read_sql")?).await?;
        let spend = client.prepare(&text("spend_sql")?).await?;
        databases.push((client, read, spend));
    }
    let read_slots = config["read_slots"]
        .as_array()
        .ok_or("read_slots is missing")?
        .iter()
        .map(|slot| match (slot["name"].as_str(), slot["literal"].as_str()) {
            (Some(name), _) => Slot::Named(name.to_owned()),
            (None, Some(value)) => Slot::Literal(value.to_owned()),
            _ => panic!("a slot is a name or a literal"),
        })
        .collect();
    let service = Arc::new(Service {
        databases,
        next: AtomicUsize::new(0),
        read_slots,
        signing_key: PKey::private_key_from_pem(&std::fs::read(text("signing_key_file")?)?)?,
        kid: text("kid")?,
        issuer: text("issuer")?,
        lifetime: config["lifetime"].as_u64().ok_or("lifetime is missing")?,
        jwks: text("jwks")?,
        client_keys: Mutex::new(HashMap::new()),
    });
    let address = ([127, 0, 0, 1], config["port"].as_u64().ok_or("port is missing")? as u16).into();
    let make = make_service_fn(move |_| {
        let service = service.clone();
        async move { Ok::<_, Infallible>(service_fn(move |request| handle(service.clone(), request))) }
    });
    Server::bind(&address).http1_keepalive(true).serve(make).await?;
    Ok(())
}
