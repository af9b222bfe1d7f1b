//! tokend's configuration: the JSON file `manage.py tokend_config` writes from the Django settings and
//! the project's own code (its statements, rule constants and patterns), so that nothing here is a
//! second copy of a setting. tokend reads it once at start.

use std::collections::HashSet;

use regex::Regex;
use serde_json::Value;

use crate::grant::anchored;

pub struct Rules {
    pub grant_type: String,
    pub systemuser_type: String,
    pub org_authority: String,
    pub org_icd: String,
    pub issuer: String,
    pub allowed_claims: HashSet<String>,
    pub iat_skew: f64,
    pub max_grant_lifetime: f64,
    pub max_id_length: usize,
    pub kid_pattern: Regex,
    pub scope_token: Regex,
}

pub struct Limits {
    pub redis_url: Option<String>,
    pub key_prefix: String,
    pub window: u64,
    pub per_address: i64,
    pub per_client: i64,
    pub refusals_per_address: i64,
    pub slow_down: String,
}

pub struct Config {

    pub database: String,
    pub connections: usize,
    pub read_sql: String,
    pub read_slots: Vec<Slot>,
    pub spend_sql: String,
    pub spend_parameters: Vec<String>,
    pub purge_sql: String,
    pub purge_interval: u64,
    pub token_key_files: Vec<String>,
    pub platform_key_files: Vec<String>,
    pub lifetime: u64,
    pub max_body: usize,
    pub form_type: String,
    pub proxy_count: usize,
    pub max_queue_seconds: f64,
    pub log_info: bool,
    pub allowed_hosts: Vec<String>,
    pub https_header: Option<(String, String)>,
    pub ssl_redirect: bool,
    pub headers: Vec<(String, String)>,
    pub hsts: Option<String>,
    pub unavailable: String,
    pub unavailable_retry_after: u64,
    pub rules: Rules,
    pub limits: Limits,
}

/// A parameter of the read: the value of a name, or a literal the compiled query carries.
pub enum Slot {
    Named(String),
    Literal(String),
}

fn text(value: &Value, name: &str) -> Result<String, String> {
    value[name].as_str().map(str::to_owned).ok_or(format!("{name} is missing from the configuration"))
}

fn integer(value: &Value, name: &str) -> Result<u64, String> {
    value[name].as_u64().ok_or(format!("{name} is missing from the configuration"))
}

fn strings(value: &Value, name: &str) -> Result<Vec<String>, String> {
    let items = value[name].as_array().ok_or(format!("{name} is missing from the configuration"))?;
    Ok(items.iter().filter_map(Value::as_str).map(str::to_owned).collect())
}

/// The values tokend fills in the spend-and-record statement (`maskinporten/tokend.SPEND_PARAMETERS`).
pub const SPEND_PARAMETERS: [&str; 9] =
    ["client_id", "jti", "expires_at", "system_user", "hour", "issued", "last_at", "last_client_id", "kid"];

/// The version of the Python rules this build of tokend mirrors (`maskinporten.tokend.rules_version`).
pub const RULES_VERSION: &str = include_str!("rules_version.txt");

impl Config {
    pub fn read(path: &str) -> Result<Config, String> {
        let data = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
        let c: Value = serde_json::from_slice(&data).map_err(|e| format!("{path}: {e}"))?;
        let version = text(&c, "version")?;
        if version != RULES_VERSION.trim() {
            return Err(format!(
                "the application's grant rules are version {version}, this tokend mirrors {}: the Python code \
                 tokend mirrors has changed (maskinporten/tokend.py, RULE_SOURCES); carry the change to tokend \
                 (tokend/RULES.md) and rebuild it, or run without tokend until then",
                RULES_VERSION.trim()
            ));
        }
        let r = &c["rules"];
        let l = &c["limits"];
        let slots = c["read_slots"].as_array().ok_or("read_slots is missing from the configuration")?;
        let read_slots = slots
            .iter()
            .map(|slot| match (slot["name"].as_str(), slot["literal"].as_str()) {
                (Some(name), _) => Ok(Slot::Named(name.to_owned())),
                (None, Some(value)) => Ok(Slot::Literal(value.to_owned())),
                _ => Err("a read slot is a name or a literal".to_owned()),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Config {

            database: text(&c, "database")?,
            connections: integer(&c, "connections")? as usize,
            read_sql: text(&c, "read_sql")?,
            read_slots,
            spend_sql: text(&c, "spend_sql")?,
            spend_parameters: {
                let names = strings(&c, "spend_parameters")?;
                if let Some(unknown) = names.iter().find(|n| !SPEND_PARAMETERS.contains(&n.as_str())) {
                    return Err(format!("the spend statement takes {unknown:?}, which this tokend does not fill"));
                }
                names
            },
            purge_sql: text(&c, "purge_sql")?,
            purge_interval: integer(&c, "purge_interval")?,
            token_key_files: strings(&c, "token_key_files")?,
            platform_key_files: strings(&c, "platform_key_files")?,
            lifetime: integer(&c, "lifetime")?,
            max_body: integer(&c, "max_body")? as usize,
            form_type: text(&c, "form_type")?,
            proxy_count: integer(&c, "proxy_count")? as usize,
            max_queue_seconds: integer(&c, "max_queue_seconds")? as f64,
            log_info: c["log_info"].as_bool().unwrap_or(true),
            allowed_hosts: strings(&c, "allowed_hosts")?.into_iter().map(|h| h.to_lowercase()).collect(),
            https_header: match c["https_header"].as_array().map(Vec::as_slice) {
                Some([Value::String(name), Value::String(value)]) => Some((name.clone(), value.clone())),
                _ => None,
            },
            ssl_redirect: c["ssl_redirect"].as_bool().unwrap_or(true),
            headers: c["headers"]
                .as_object()
                .ok_or("headers is missing from the configuration")?
                .iter()
                .filter_map(|(name, value)| Some((name.clone(), value.as_str()?.to_owned())))
                .collect(),
            hsts: c["hsts"].as_str().map(str::to_owned),
            unavailable: text(&c, "unavailable")?,
            unavailable_retry_after: integer(&c, "unavailable_retry_after")?,
            rules: Rules {
                grant_type: text(r, "grant_type")?,
                systemuser_type: text(r, "systemuser_type")?,
                org_authority: text(r, "org_authority")?,
                org_icd: text(r, "org_icd")?,
                issuer: text(r, "issuer")?,
                allowed_claims: strings(r, "allowed_claims")?.into_iter().collect(),
                iat_skew: integer(r, "iat_skew")? as f64,
                max_grant_lifetime: integer(r, "max_grant_lifetime")? as f64,
                max_id_length: integer(r, "max_id_length")? as usize,
                kid_pattern: anchored(&text(r, "kid_pattern")?),
                scope_token: anchored(&text(r, "scope_token")?),
            },
            limits: Limits {
                redis_url: l["redis_url"].as_str().map(str::to_owned),
                key_prefix: text(l, "key_prefix")?,
                window: integer(l, "window")?,
                per_address: integer(l, "per_address")? as i64,
                per_client: integer(l, "per_client")? as i64,
                refusals_per_address: integer(l, "refusals_per_address")? as i64,
                slow_down: text(l, "slow_down")?,
            },
        })
    }
}
