//! Our signing keys, read from the same files as the application's (`lib/tokens/keys.py`) and read again
//! when they change (looked at every 5 seconds, as there), so a key rotation needs no restart of tokend
//! either: the first file of the token ring signs; every existing file of both rings is one of "our kids",
//! which never pass as a grant's key. A `kid` is the key's RFC 7638 thumbprint, as the application's.

use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use openssl::pkey::{PKey, Private};
use openssl::sha::sha256;

use crate::grant::b64url_encode as b64;

pub struct Signing {
    pub key: PKey<Private>,
    pub kid: String,
    pub own_kids: Vec<String>,
}

pub struct Keys {
    token_files: Vec<PathBuf>,
    platform_files: Vec<PathBuf>,
    current: RwLock<(Vec<Option<(u64, SystemTime, u64)>>, Arc<Signing>)>,
}

/// The RFC 7638 thumbprint of an RSA key (`keys.jwk_thumbprint`).
pub fn thumbprint(key: &PKey<Private>) -> Result<String, String> {
    let rsa = key.rsa().map_err(|_| "a signing key must be RSA".to_owned())?;
    let canonical = format!(r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#, b64(&rsa.e().to_vec()), b64(&rsa.n().to_vec()));
    Ok(b64(&sha256(canonical.as_bytes())))
}

/// A file's identity: a `mv` or `ln -f` over it changes the inode, an edit its time or size.
fn identity(path: &PathBuf) -> Option<(u64, SystemTime, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.ino(), meta.modified().ok()?, meta.len()))
}

fn read(path: &PathBuf) -> Result<PKey<Private>, String> {
    let pem = std::fs::read(path).map_err(|e| format!("the signing key {}: {e}", path.display()))?;
    PKey::private_key_from_pem(&pem).map_err(|e| format!("the signing key {}: {e}", path.display()))
}

impl Keys {
    pub fn new(token_files: Vec<PathBuf>, platform_files: Vec<PathBuf>) -> Result<Keys, String> {
        let files: Vec<PathBuf> = token_files.iter().chain(&platform_files).cloned().collect();
        let identities = files.iter().map(identity).collect();
        let signing = Self::load(&token_files, &platform_files)?;
        Ok(Keys { token_files, platform_files, current: RwLock::new((identities, Arc::new(signing))) })
    }

    fn load(token_files: &[PathBuf], platform_files: &[PathBuf]) -> Result<Signing, String> {
        let first = token_files.first().ok_or("no signing key file")?;
        let key = read(first)?;
        let kid = thumbprint(&key)?;
        let mut own_kids = vec![kid.clone()];
        for path in token_files.iter().skip(1).chain(platform_files) {
            if path.exists() {
                own_kids.push(thumbprint(&read(path)?)?);
            }
        }
        Ok(Signing { key, kid, own_kids })
    }

    pub fn signing(&self) -> Arc<Signing> {
        self.current.read().unwrap().1.clone()
    }

    /// Read the files again if any changed; a file that can not be read keeps the keys in use (and says so).
    pub fn refresh(&self) {
        let files: Vec<PathBuf> = self.token_files.iter().chain(&self.platform_files).cloned().collect();
        let identities: Vec<_> = files.iter().map(identity).collect();
        if identities == self.current.read().unwrap().0 {
            return;
        }
        match Self::load(&self.token_files, &self.platform_files) {
            Ok(signing) => {
                crate::log::line("INFO", &format!("signing keys read again: signing with {}", signing.kid), None);
                *self.current.write().unwrap() = (identities, Arc::new(signing));
            }
            Err(e) => crate::log::warning(&format!("signing keys not read again, the old ones stay: {e}")),
        }
    }

    pub async fn watch(self: Arc<Self>) {
        loop {
            tokio::time::sleep(Duration::from_secs(5)).await;
            self.refresh();
        }
    }
}
