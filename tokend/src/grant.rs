//! Reading a system-user grant the way `maskinporten/assertion.py` and `maskinporten/grants.py` accept
//! one — or more strictly. Every check here answers `Err(why)` where the Python endpoint would refuse,
//! and also wherever a grant is merely unusual (another algorithm, a header member beyond alg/kid/typ,
//! authorization_details spelt in another case, a scope with other whitespace, a plain client token):
//! tokend then hands the request to the Django application unchanged, which answers it as it always
//! has. So tokend never refuses anything itself, and what it accepts is a subset of what the Python
//! endpoint accepts. tokend/RULES.md maps each rule to its Python original.

use std::collections::BTreeMap;
use std::fmt;

use regex::Regex;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use crate::config::Rules;

/// Why tokend does not answer a request itself (a metrics label and a debug log, never sent).
pub type Why = &'static str;

/// JSON parsed as `assertion.strict_json` does: a duplicate member, NUL or a lone surrogate is refused
/// (serde_json refuses lone surrogates and NaN itself).
struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

fn storable<E: de::Error>(text: &str) -> Result<(), E> {
    if text.contains('\0') {
        return Err(E::custom("NUL in the JSON"));
    }
    Ok(())
}

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("JSON")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v).map(Value::Number).ok_or_else(|| E::custom("not a finite number"))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        storable(v)?;
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        storable(&v)?;
        Ok(Value::String(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Strict(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut members = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            storable(&key)?;
            let Strict(value) = map.next_value()?;
            if members.insert(key, value).is_some() {
                return Err(de::Error::custom("duplicate JSON member"));
            }
        }
        Ok(Value::Object(members))
    }
}

fn object(data: &[u8]) -> Result<Map<String, Value>, Why> {
    match serde_json::from_slice::<Strict>(data) {
        Ok(Strict(Value::Object(members))) => Ok(members),
        _ => Err("malformed"),
    }
}

/// base64url without padding, canonical (trailing bits zero): stricter than Python's decoder.
pub fn b64url(segment: &str) -> Result<Vec<u8>, Why> {
    if segment.len() % 4 == 1 || !segment.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Err("malformed");
    }
    base64::decode_config(segment, base64::URL_SAFE_NO_PAD).map_err(|_| "malformed")
}

/// base64url without padding, as JWTs and JWKs write it.
pub fn b64url_encode(data: &[u8]) -> String {
    base64::encode_config(data, base64::URL_SAFE_NO_PAD)
}

/// A grant that passed every check but the signature and the database's.
pub struct Grant<'a> {
    pub signing_input: &'a str,
    pub signature: Vec<u8>,
    pub kid: String,
    pub client_id: String,
    pub claims: Map<String, Value>,
    pub orgno: String,
    pub external_ref: Option<String>,
}

fn chars(text: &str) -> usize {
    text.chars().count() // Python's len(): code points
}

fn is_valid_orgno(orgno: &str) -> bool {
    if orgno.len() != 9 || !orgno.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let digits: Vec<u32> = orgno.bytes().map(|b| (b - b'0') as u32).collect();
    let sum: u32 = digits[..8].iter().zip([3, 2, 7, 6, 5, 4, 3, 2]).map(|(d, w)| d * w).sum();
    let check = match sum % 11 {
        0 => 0,
        1 => return false,
        remainder => 11 - remainder,
    };
    check == digits[8]
}

/// `grants.parse_authorization_details`, for the one spelling tokend answers: exactly `type`,
/// `systemuser_org` and, optionally, `externalRef`.
fn authorization_details(value: &Value, rules: &Rules) -> Result<(String, Option<String>), Why> {
    let entries = value.as_array().ok_or("refused")?;
    let [entry] = entries.as_slice() else { return Err("refused") };
    let entry = entry.as_object().ok_or("refused")?;
    if !entry.keys().all(|k| k == "type" || k == "systemuser_org" || k == "externalRef") {
        return Err("unusual authorization_details");
    }
    if entry.get("type").and_then(Value::as_str) != Some(rules.systemuser_type.as_str()) {
        return Err("refused");
    }
    let org = entry.get("systemuser_org").and_then(Value::as_object).ok_or("refused")?;
    if org.len() != 2 || org.get("authority").and_then(Value::as_str) != Some(rules.org_authority.as_str()) {
        return Err("refused");
    }
    let id = org.get("ID").and_then(Value::as_str).ok_or("refused")?;
    let (icd, orgno) = id.split_once(':').ok_or("refused")?;
    if icd != rules.org_icd || !is_valid_orgno(orgno) {
        return Err("refused");
    }
    let external_ref = match entry.get("externalRef") {
        None => None,
        Some(Value::String(text)) if (1..=rules.max_id_length).contains(&chars(text)) => Some(text.clone()),
        Some(_) => return Err("refused"),
    };
    Ok((orgno.to_owned(), external_ref))
}

/// The form of `POST /token`: exactly `grant_type` and `assertion`, once each, nothing else.
pub fn form(body: &[u8]) -> Result<(String, String), Why> {
    let body = std::str::from_utf8(body).map_err(|_| "unusual form")?;
    let mut fields: BTreeMap<&str, String> = BTreeMap::new();
    for pair in body.split('&') {
        let (name, value) = pair.split_once('=').ok_or("unusual form")?;
        if (name != "grant_type" && name != "assertion") || fields.contains_key(name) {
            return Err("unusual form");
        }
        fields.insert(name, percent_decode(value)?);
    }
    match (fields.remove("grant_type"), fields.remove("assertion")) {
        (Some(grant_type), Some(assertion)) => Ok((grant_type, assertion)),
        _ => Err("unusual form"),
    }
}

fn percent_decode(value: &str) -> Result<String, Why> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
                let byte = hex.and_then(|h| u8::from_str_radix(h, 16).ok()).ok_or("unusual form")?;
                if !hex.unwrap().bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err("unusual form"); // from_str_radix takes a sign
                }
                out.push(byte);
                i += 2;
            }
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| "unusual form")
}

fn number(value: Option<&Value>) -> Option<f64> {
    value.and_then(Value::as_f64).filter(|n| n.is_finite())
}

/// Everything `grants._exchange` checks before it reads the database, in one pass: the grant type, the
/// assertion's shape and header, the claims and authorization_details.
pub fn read<'a>(
    grant_type: &str,
    assertion: &'a str,
    rules: &Rules,
    own_kids: &[String],
    now: f64,
) -> Result<Grant<'a>, Why> {
    if grant_type != rules.grant_type {
        return Err("refused");
    }
    if assertion.is_empty() || !assertion.is_ascii() {
        return Err("refused");
    }
    let mut parts = assertion.split('.');
    let (Some(head), Some(body), Some(signature), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("refused");
    };
    let header = object(&b64url(head)?)?;
    let claims = object(&b64url(body)?)?;
    let signature = b64url(signature)?;
    // The header: RS256 only, nothing beyond alg, kid and typ; typ, if any, JWT.
    if !header.keys().all(|k| k == "alg" || k == "kid" || k == "typ") {
        return Err("unusual header");
    }
    if header.get("alg").and_then(Value::as_str) != Some("RS256") {
        return Err("unusual header");
    }
    if header.get("typ").is_some_and(|typ| typ.as_str() != Some("JWT")) {
        return Err("unusual header");
    }
    let kid = header.get("kid").and_then(Value::as_str).ok_or("refused")?;
    if !rules.kid_pattern.is_match(kid) || own_kids.iter().any(|own| own == kid) {
        return Err("refused");
    }
    // The claims (grants._check_claims, ._client_key's iss, ._check_scopes).
    if !claims.keys().all(|k| rules.allowed_claims.contains(k)) {
        return Err("refused");
    }
    let client_id = claims.get("iss").and_then(Value::as_str).ok_or("refused")?;
    if !(1..=rules.max_id_length).contains(&chars(client_id)) {
        return Err("refused");
    }
    if claims.get("aud").and_then(Value::as_str) != Some(rules.issuer.as_str()) {
        return Err("refused");
    }
    if claims.get("sub").is_some_and(|sub| sub.as_str() != Some(client_id)) {
        return Err("refused");
    }
    let (Some(exp), Some(iat)) = (number(claims.get("exp")), number(claims.get("iat"))) else {
        return Err("refused");
    };
    if exp <= now || (iat - now).abs() > rules.iat_skew || exp - iat > rules.max_grant_lifetime {
        return Err("refused");
    }
    if let Some(nbf) = claims.get("nbf") {
        if !number(Some(nbf)).is_some_and(|nbf| nbf <= now + rules.iat_skew) {
            return Err("refused");
        }
    }
    let jti = claims.get("jti").and_then(Value::as_str).ok_or("refused")?;
    if !(1..=rules.max_id_length).contains(&chars(jti)) {
        return Err("refused");
    }
    let scope = claims.get("scope").and_then(Value::as_str).ok_or("refused")?;
    if !scope.split(' ').filter(|s| !s.is_empty()).all(|s| rules.scope_token.is_match(s)) {
        return Err("unusual scope"); // other whitespace, or a malformed scope
    }
    if scope.trim_matches(' ').is_empty() {
        return Err("refused");
    }
    let details = claims.get("authorization_details").ok_or("not a system-user grant")?;
    let (orgno, external_ref) = authorization_details(details, rules)?;
    Ok(Grant {
        signing_input: &assertion[..head.len() + 1 + body.len()],
        signature,
        kid: kid.to_owned(),
        client_id: client_id.to_owned(),
        claims,
        orgno,
        external_ref,
    })
}

/// The scopes asked for, each once, in order, if the client may have them all (`grants._check_scopes`).
pub fn scopes(grant: &Grant, allowed: &[String]) -> Result<Vec<String>, Why> {
    let mut scopes: Vec<String> = Vec::new();
    let scope = grant.claims["scope"].as_str().unwrap_or_default();
    for s in scope.split(' ').filter(|s| !s.is_empty()) {
        if !allowed.iter().any(|a| a == s) {
            return Err("refused");
        }
        if !scopes.iter().any(|seen| seen == s) {
            scopes.push(s.to_owned());
        }
    }
    Ok(scopes)
}

pub fn anchored(pattern: &str) -> Regex {
    Regex::new(&format!("^(?:{pattern})$")).expect("a pattern from maskinporten/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_members_nul_and_lone_surrogates_are_refused() {
        assert!(object(br#"{"a":1,"a":2}"#).is_err());
        assert!(object(br#"{"a":"x\u0000"}"#).is_err());
        assert!(object(br#"{"a":"\ud800"}"#).is_err());
        assert!(object(br#"{"a":NaN}"#).is_err());
        assert!(object(br#"{"a":[{"b":1,"b":1}]}"#).is_err());
        assert_eq!(object(br#"{"a":"\u00e6"}"#).unwrap()["a"], "æ");
    }

    #[test]
    fn base64url_is_canonical() {
        assert!(b64url("YQ").is_ok());
        assert!(b64url("YR").is_err()); // trailing bits
        assert!(b64url("YQ==").is_err());
        assert!(b64url("Y").is_err());
    }

    #[test]
    fn the_form_has_two_fields_once_each() {
        assert_eq!(form(b"grant_type=a%3Ab&assertion=x.y.z").unwrap(), ("a:b".into(), "x.y.z".into()));
        assert!(form(b"grant_type=a&assertion=x&assertion=y").is_err());
        assert!(form(b"grant_type=a&assertion=x&scope=s").is_err());
        assert!(form(b"grant_type=a&assertion=%zz").is_err());
        assert!(form(b"grant_type=a&assertion=%+1").is_err());
        assert!(form(b"grant_type=a&assertion=%ff").is_err()); // not UTF-8
    }

    #[test]
    fn orgno_mod11() {
        let valid: Vec<&str> = ["974760673", "991825827"].into_iter().filter(|o| is_valid_orgno(o)).collect();
        assert_eq!(valid, ["974760673", "991825827"]);
        assert!(!is_valid_orgno("974760674"));
        assert!(!is_valid_orgno("97476067"));
    }
}
