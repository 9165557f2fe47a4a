//! Expensify in the browser: sending jobs through `fetch` within the client-side rate limits,
//! and the encrypted credential store (IndexedDB + a non-extractable AES-GCM key).

#[allow(unused_imports)]
use crate::prelude::*;

use js_sys::{Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::http::{post, sleep};
use super::{now_ms, random_bytes, to_js, to_json_value};
use crate::protocol::encoding::base64url;
use crate::protocol::error::{Error, Result};
use crate::protocol::expensify::{
    parse_response, Credential, CredentialInfo, ExpensifyResponse, OnLimit, RateLimiter, SendOptions, CONTENT_TYPE, RECORD_VERSION,
};
use crate::protocol::json::Value;
use crate::protocol::retry_after::parse_retry_after;
use crate::protocol::secret::PartnerSecret;

/// One limiter per partnerUserID, shared by every credential object in the page (not with other
/// tabs: the package's JavaScript client shares its limiter's send times through IndexedDB).
static LIMITERS: crate::web::local::PageLocal<Vec<(String, RateLimiter)>> = crate::web::local::PageLocal::new(Vec::new());

/// Sends `job` with `cred`, keeping to the rate limits, and parses the answer.
///
/// # Errors
/// [`Error::RateLimited`], [`Error::Timeout`], [`Error::Network`], the job and response errors
/// of [`crate::protocol::expensify`].
pub async fn send(cred: &Credential, job: &Value, extra: &[(String, String)], opts: &SendOptions) -> Result<ExpensifyResponse> {
    let request = cred.build_request(job, extra)?;
    loop {
        let now = now_ms();
        let delay = LIMITERS.with(|m| {
            let mut m = m.borrow_mut();
            let id = cred.partner_user_id();
            let i = match m.iter().position(|(k, _)| k == id) {
                Some(i) => i,
                None => {
                    m.push((id.to_owned(), RateLimiter::new(opts.limits.clone())));
                    m.len() - 1
                }
            };
            m[i].1.take(now)
        });
        if delay == 0 {
            break;
        }
        if opts.on_limit == OnLimit::Refuse {
            return Err(Error::RateLimited { retry_after_ms: Some(delay) });
        }
        sleep(delay).await;
    }
    let res =
        post(&request.url, CONTENT_TYPE, request.body.expose(), opts.timeout_ms, request.expects.max_bytes()).await.map_err(
            |e| match e {
                // In a browser the likeliest cause is an answer without CORS headers: say so.
                Error::Network => Error::ExpensifyNetwork,
                other => other,
            },
        )?;
    parse_response(res.status, res.body.expose(), res.retry_after.as_deref().and_then(|v| parse_retry_after(v, now_ms())), request.expects)
}

#[wasm_bindgen(module = "/js/credential-db.js")]
extern "C" {
    #[wasm_bindgen(js_name = idbOpen)]
    fn idb_open(name: &str) -> Promise;
    #[wasm_bindgen(js_name = idbGetAll)]
    fn idb_get_all(db: &JsValue) -> Promise;
    #[wasm_bindgen(js_name = idbGet)]
    fn idb_get(db: &JsValue, id: &str) -> Promise;
    #[wasm_bindgen(js_name = idbPut)]
    fn idb_put(db: &JsValue, record: &JsValue) -> Promise;
    #[wasm_bindgen(js_name = idbDelete)]
    fn idb_delete(db: &JsValue, id: &str) -> Promise;
    #[wasm_bindgen(js_name = masterKey)]
    fn master_key(db: &JsValue) -> Promise;
    fn seal(key: &JsValue, plain: &Uint8Array, aad: &Uint8Array) -> Promise;
    fn unseal(key: &JsValue, iv: &JsValue, ct: &JsValue, aad: &Uint8Array) -> Promise;
}

async fn wait(p: Promise) -> Result<JsValue> {
    JsFuture::from(p).await.map_err(|_| Error::Storage { reason: "IndexedDB or WebCrypto failed" })
}

/// One entry of [`CredentialStore::list`]: metadata, or the id of a record that cannot be read.
pub enum Listed {
    /// A readable record.
    Ok(CredentialInfo),
    /// A corrupt record (missing fields), reported instead of crashing the listing.
    Corrupt(String),
}

/// Credentials in IndexedDB, the secret sealed with AES-GCM under a non-extractable key that
/// never leaves the browser's key store; every stored field (id, name, description, server
/// URL, partnerUserID, creation time, format version) is the additional data, so a ciphertext
/// cannot be moved to another record and a rewritten field makes the record `corrupt_record`.
pub struct CredentialStore {
    db: JsValue,
}

impl CredentialStore {
    /// Opens (creating if needed) the database `name`.
    ///
    /// # Errors
    /// [`Error::Storage`] when IndexedDB is unavailable.
    pub async fn open(name: &str) -> Result<Self> {
        Ok(CredentialStore { db: wait(idb_open(name)).await? })
    }

    /// Saves `cred`; returns its new id.
    ///
    /// # Errors
    /// [`Error::Storage`].
    pub async fn save(&self, cred: &Credential) -> Result<String> {
        let id = base64url(&random_bytes::<16>()?);
        let info = CredentialInfo::of(cred, &id, now_ms());
        let key = wait(master_key(&self.db)).await?;
        let aad = Uint8Array::from(info.sealed_data().as_bytes());
        let sealed = wait(seal(&key, &Uint8Array::from(cred.secret().expose().as_bytes()), &aad)).await?;
        let record = to_js(&info.to_json());
        let parts = js_sys::Array::from(&sealed);
        js_sys::Reflect::set(&record, &"iv".into(), &parts.get(0)).map_err(|_| Error::Storage { reason: "cannot build the record" })?;
        js_sys::Reflect::set(&record, &"secret".into(), &parts.get(1)).map_err(|_| Error::Storage { reason: "cannot build the record" })?;
        js_sys::Reflect::set(&record, &"v".into(), &(RECORD_VERSION as f64).into())
            .map_err(|_| Error::Storage { reason: "cannot build the record" })?;
        wait(idb_put(&self.db, &record)).await?;
        Ok(id)
    }

    /// Every record's metadata (never a secret); corrupt records are listed as such.
    ///
    /// # Errors
    /// [`Error::Storage`].
    pub async fn list(&self) -> Result<Vec<Listed>> {
        let all = js_sys::Array::from(&wait(idb_get_all(&self.db)).await?);
        // Oldest first, corrupt records last; inserted in order (a handful of records, and no
        // generic sort routine linked into the package for it).
        let order = |l: &Listed| match l {
            Listed::Ok(i) => (0, i.created_at, i.id.clone()),
            Listed::Corrupt(id) => (1, 0, id.clone()),
        };
        let mut out: Vec<Listed> = Vec::new();
        let key = wait(master_key(&self.db)).await?;
        for record in all.iter() {
            // Listed only when the seal opens: a rewritten field is reported, not shown.
            let item = match self.open_record(&key, &record).await {
                Ok((info, secret)) => {
                    drop(secret);
                    Listed::Ok(info)
                }
                Err(_) => {
                    let id = js_sys::Reflect::get(&record, &"id".into()).ok().and_then(|v| v.as_string()).unwrap_or_default();
                    Listed::Corrupt(id)
                }
            };
            let k = order(&item);
            let at = out.iter().position(|o| order(o) > k).unwrap_or(out.len());
            out.insert(at, item);
        }
        Ok(out)
    }

    /// Opens a raw record: its metadata, and its secret decrypted with every stored field as
    /// the additional data, so a record whose fields were rewritten does not open.
    async fn open_record(&self, key: &JsValue, record: &JsValue) -> Result<(CredentialInfo, PartnerSecret)> {
        let info = to_json_value(record).as_ref().and_then(CredentialInfo::from_record).ok_or(Error::CorruptRecord)?;
        let iv = js_sys::Reflect::get(record, &"iv".into()).map_err(|_| Error::CorruptRecord)?;
        let ct = js_sys::Reflect::get(record, &"secret".into()).map_err(|_| Error::CorruptRecord)?;
        let aad = Uint8Array::from(info.sealed_data().as_bytes());
        let plain = JsFuture::from(unseal(key, &iv, &ct, &aad)).await.map_err(|_| Error::CorruptRecord)?;
        let plain = Uint8Array::new(&plain);
        let bytes = plain.to_vec();
        plain.fill(0, 0, u32::MAX);
        let secret = PartnerSecret::from_utf8(bytes).ok_or(Error::CorruptRecord)?;
        Ok((info, secret))
    }

    /// Loads and decrypts one credential into wasm memory.
    ///
    /// # Errors
    /// [`Error::CredentialNotFound`], [`Error::CorruptRecord`] (missing fields, a rewritten
    /// field, wrong key, tampered ciphertext, a record of the first format), [`Error::Storage`].
    pub async fn get(&self, id: &str) -> Result<(Credential, CredentialInfo)> {
        let record = wait(idb_get(&self.db, id)).await?;
        if record.is_undefined() || record.is_null() {
            return Err(Error::CredentialNotFound);
        }
        let key = wait(master_key(&self.db)).await?;
        let (info, secret) = self.open_record(&key, &record).await?;
        let cred = info.clone().open(id, secret)?;
        Ok((cred, info))
    }

    /// Deletes a credential (no error when it does not exist).
    ///
    /// # Errors
    /// [`Error::Storage`].
    pub async fn delete(&self, id: &str) -> Result<()> {
        wait(idb_delete(&self.db, id)).await.map(|_| ())
    }
}
