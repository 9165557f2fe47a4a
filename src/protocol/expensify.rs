//! Expensify partner credentials and Integration Server requests.
//!
//! A credential is a name, a description, an Integration Server URL (default
//! `https://integrations.expensify.com`; the API path is appended here), a `partnerUserID` and a
//! `partnerUserSecret`. Every request is an HTTPS POST of one form field, `requestJobDescription`,
//! holding the job as JSON with the credentials inside. The server answers HTTP 200 for most
//! failures: the `responseCode` in the body decides.

#[allow(unused_imports)]
use crate::prelude::*;

use alloc::collections::VecDeque;

use super::decimal::parse_digits;
use super::encoding::form_encode;
use super::error::{untrusted_text, Error, Result};
use super::json::{self, write_str, Fields, FromJson, Obj, Value};
use super::secret::{PartnerSecret, Secret};
use super::text::{char_count, concat, split_byte, trim_end_byte};
use super::url::Url;

/// The default Integration Server.
pub const DEFAULT_SERVER: &str = "https://integrations.expensify.com";
/// The API path appended to the server URL.
pub const API_PATH: &str = "/Integration-Server/ExpensifyIntegrations";
/// The largest Integration Server response parsed as JSON, in bytes.
pub const MAX_RESPONSE: usize = 1024 * 1024;

/// The largest file (`file` and `download` jobs) read, in bytes.
pub const MAX_FILE_RESPONSE: usize = 64 * 1024 * 1024;

/// A credential as a caller writes it.
#[derive(Debug, Default)]
pub struct CredentialInput {
    /// Required display name.
    pub name: String,
    /// Optional description.
    pub description: Option<String>,
    /// Integration Server URL (default `https://integrations.expensify.com`).
    pub server_url: Option<String>,
    /// The partnerUserID.
    pub partner_user_id: String,
    /// The partnerUserSecret: treated like a password.
    pub partner_user_secret: PartnerSecret,
}

impl FromJson for CredentialInput {
    /// Reads the JavaScript `ExpensifyCredentialInput`: `name`, `description`, `serverUrl`,
    /// `partnerUserId`, `partnerUserSecret`.
    fn take_from(f: &mut Fields) -> Self {
        CredentialInput {
            name: f.string("name").unwrap_or_default(),
            description: f.string("description"),
            server_url: f.string("serverUrl"),
            partner_user_id: f.string("partnerUserId").unwrap_or_default(),
            partner_user_secret: PartnerSecret::new(f.string("partnerUserSecret").unwrap_or_default()),
        }
    }
}

/// A validated credential. `Debug` redacts the secret; nothing returns it but
/// [`Credential::build_request`], which puts it in the request body.
#[derive(Debug)]
pub struct Credential {
    name: String,
    description: String,
    server_url: String,
    endpoint: String,
    partner_user_id: String,
    secret: PartnerSecret,
}

fn invalid(field: &'static str, reason: &'static str) -> Error {
    Error::InvalidCredential { field, reason }
}

/// Normalises an Integration Server URL to its base: HTTPS (loopback HTTP for development), no
/// user info, query or fragment, trailing slashes and a pasted API path removed.
///
/// # Errors
/// [`Error::InsecureUrl`] or [`Error::InvalidCredential`] for `serverUrl`.
pub fn normalize_server_url(value: &str) -> Result<String> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(DEFAULT_SERVER.to_owned());
    }
    let url = Url::parse(value, "serverUrl").map_err(|e| invalid("serverUrl", e.reason))?;
    url.require_secure("serverUrl")?;
    if url.query().is_some() {
        return Err(invalid("serverUrl", "must not have a query"));
    }
    if url.fragment().is_some() {
        return Err(invalid("serverUrl", "must not have a fragment"));
    }
    let path = trim_end_byte(url.path(), b'/');
    // Checked slicing (`get`): an indexing panic would bring its message formatting into the wasm.
    let at = path.len().saturating_sub(API_PATH.len());
    let path = match (path.get(..at), path.get(at..)) {
        (Some(head), Some(tail)) if tail.eq_ignore_ascii_case(API_PATH) => head,
        _ => path,
    };
    Ok(url.origin() + trim_end_byte(path, b'/'))
}

/// `value` without surrounding white space, checked (borrowed: a refused credential has nothing
/// of its own to free).
fn trimmed<'a>(value: &'a str, field: &'static str, max: usize) -> Result<&'a str> {
    let v = value.trim();
    if v.is_empty() {
        return Err(invalid(field, "is required"));
    }
    if char_count(v) > max || v.chars().any(char::is_control) {
        return Err(invalid(field, "is too long or has control characters"));
    }
    Ok(v)
}

impl Credential {
    /// Validates every field, naming the first bad one.
    ///
    /// # Errors
    /// [`Error::InvalidCredential`] (with `field`) or [`Error::InsecureUrl`].
    pub fn new(input: CredentialInput) -> Result<Self> {
        let name = trimmed(&input.name, "name", 200)?;
        let description = input.description.as_deref().map_or("", str::trim);
        if char_count(description) > 2000 {
            return Err(invalid("description", "is longer than 2000 characters"));
        }
        let server_url = normalize_server_url(input.server_url.as_deref().unwrap_or(""))?;
        let partner_user_id = trimmed(&input.partner_user_id, "partnerUserId", 256)?;
        let secret = trimmed(input.partner_user_secret.expose(), "partnerUserSecret", 1024)?;
        Ok(Credential {
            endpoint: concat(&[&*server_url, API_PATH]),
            name: name.to_owned(),
            description: description.to_owned(),
            server_url,
            partner_user_id: partner_user_id.to_owned(),
            secret: PartnerSecret::new(secret),
        })
    }

    /// The display name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The description (may be empty).
    pub fn description(&self) -> &str {
        &self.description
    }
    /// The normalised server URL, without the API path.
    pub fn server_url(&self) -> &str {
        &self.server_url
    }
    /// The full endpoint requests go to.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }
    /// The partnerUserID (an identifier, not a secret).
    pub fn partner_user_id(&self) -> &str {
        &self.partner_user_id
    }
    /// The secret, for the encrypted store only.
    pub fn secret(&self) -> &PartnerSecret {
        &self.secret
    }

    /// Builds the HTTPS POST for `job`: `requestJobDescription` is the job with
    /// `credentials: {partnerUserID, partnerUserSecret}` inserted after `type`, plus `extra`
    /// form fields (such as `template`).
    ///
    /// # Errors
    /// [`Error::InvalidJob`] when the job is not an object with a string `type`, or carries its
    /// own `credentials` (refused, never merged), or an extra field is named
    /// `requestJobDescription`.
    pub fn build_request(&self, job: &Value, extra: &[(String, String)]) -> Result<ExpensifyRequest> {
        let obj = job.as_object().ok_or(Error::InvalidJob { reason: "the job must be a JSON object" })?;
        let kind = job.get_str("type").filter(|t| !t.is_empty()).ok_or(Error::InvalidJob { reason: "the job needs a string type" })?;
        if obj.iter().any(|(k, _)| k == "credentials") {
            return Err(Error::InvalidJob { reason: "the job must not carry credentials: the library inserts them" });
        }
        if extra.iter().any(|(k, _)| k == "requestJobDescription" || k.is_empty()) {
            return Err(Error::InvalidJob { reason: "extra form fields cannot be empty or named requestJobDescription" });
        }
        let mut desc = String::from("{\"type\":");
        write_str(&mut desc, kind);
        desc.push_str(",\"credentials\":{\"partnerUserID\":");
        write_str(&mut desc, &self.partner_user_id);
        desc.push_str(",\"partnerUserSecret\":");
        write_str(&mut desc, self.secret.expose());
        desc.push('}');
        for (k, v) in obj.iter().filter(|(k, _)| k != "type") {
            desc.push(',');
            write_str(&mut desc, k);
            desc.push(':');
            v.write(&mut desc);
        }
        desc.push('}');
        let body = form_encode(
            core::iter::once(("requestJobDescription", desc.as_str())).chain(extra.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
        );
        Ok(ExpensifyRequest { url: self.endpoint.clone(), body: Secret::new(body), expects: Expect::for_type(kind) })
    }
}

/// What a job's successful answer looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// A JSON body with `responseCode`.
    Json,
    /// A file name as plain text (`file` exports).
    FileName,
    /// File contents (`download`).
    File,
}

impl Expect {
    /// The largest body read for this kind of answer, in bytes.
    pub fn max_bytes(self) -> usize {
        match self {
            Expect::Json => MAX_RESPONSE,
            Expect::FileName | Expect::File => MAX_FILE_RESPONSE,
        }
    }

    fn for_type(kind: &str) -> Self {
        match kind {
            "file" => Expect::FileName,
            "download" => Expect::File,
            _ => Expect::Json,
        }
    }
}

/// An Integration Server request. `Debug` hides the body (it holds the secret).
#[derive(Debug)]
pub struct ExpensifyRequest {
    /// The endpoint.
    pub url: String,
    /// `requestJobDescription=...` form-encoded.
    pub body: Secret,
    /// How to read the answer.
    pub expects: Expect,
}

/// The `Content-Type` of every Integration Server request.
pub const CONTENT_TYPE: &str = "application/x-www-form-urlencoded";

/// A parsed successful answer.
#[derive(Debug, PartialEq)]
pub enum ExpensifyResponse {
    /// The JSON body of a `responseCode` 200 answer.
    Json(Value),
    /// Text (a file name for `file` jobs, the contents for `download`).
    Text(String),
}

/// Reads an Integration Server answer: HTTP 429 is [`Error::RateLimited`]; a JSON body's
/// `responseCode` decides (200 success, 401 [`Error::InvalidCredentials`], 410
/// [`Error::MissingOrNotFound`], others [`Error::ExpensifyError`] with the untrusted
/// `responseMessage`); a non-JSON body is [`Error::InvalidResponse`] where JSON is expected.
///
/// # Errors
/// As above.
pub fn parse_response(status: u16, body: &str, retry_after_ms: Option<u64>, expects: Expect) -> Result<ExpensifyResponse> {
    if status == 429 {
        return Err(Error::RateLimited { retry_after_ms });
    }
    if !(200..300).contains(&status) {
        return Err(Error::InvalidResponse { status, reason: "the Integration Server answered with an HTTP error" });
    }
    let parsed = if body.len() <= MAX_RESPONSE && body.trim_start().starts_with('{') { json::parse(body) } else { None };
    match (parsed, expects) {
        (Some(v), _) if v.get("responseCode").is_some() => {
            let code = v
                .get("responseCode")
                .and_then(Value::as_u64)
                .ok_or(Error::InvalidResponse { status, reason: "responseCode is not a number" })?;
            let message = v.get_str("responseMessage").map(untrusted_text).unwrap_or_default();
            match code {
                200 if expects == Expect::Json => Ok(ExpensifyResponse::Json(v)),
                200 => Ok(ExpensifyResponse::Text(body.to_owned())),
                401 => Err(Error::InvalidCredentials),
                410 => Err(Error::MissingOrNotFound { message }),
                other => Err(Error::ExpensifyError { response_code: other.min(u64::from(u32::MAX)) as u32, message }),
            }
        }
        (_, Expect::Json) => Err(Error::InvalidResponse { status, reason: "the body is not a JSON object with a responseCode" }),
        (_, _) if body.len() > MAX_FILE_RESPONSE => Err(Error::InvalidResponse { status, reason: "the body is too large" }),
        (_, _) => Ok(ExpensifyResponse::Text(body.to_owned())),
    }
}

/// Builders for the common jobs of the Integration Server reference.
pub mod jobs {
    use crate::prelude::*;
    use crate::protocol::json::{object, Value};

    /// `get` / `policyList`: the policies the credential can see.
    pub fn policy_list(admin_only: bool) -> Value {
        object([("type", "get".into()), ("inputSettings", object([("type", "policyList".into()), ("adminOnly", admin_only.into())]))])
    }

    /// `get` / `policy`: details (`fields`, e.g. `["categories","tags"]`) of some policies.
    pub fn policy_details(policy_ids: &[String], fields: &[String]) -> Value {
        object([
            ("type", "get".into()),
            ("inputSettings", object([("type", "policy".into()), ("fields", fields.into()), ("policyIDList", policy_ids.into())])),
        ])
    }

    /// `file`: export reports with a FreeMarker `template` (sent as its own form field); the
    /// answer is the generated file name.
    pub fn report_export(filters: Value, file_extension: &str) -> Value {
        object([
            ("type", "file".into()),
            ("onReceive", object([("immediateResponse", Value::Array(vec!["returnRandomFileName".into()]))])),
            ("inputSettings", object([("type", "combinedReportData".into()), ("filters", filters)])),
            ("outputSettings", object([("fileExtension", file_extension.into())])),
        ])
    }

    /// `download`: fetch a file produced by an export.
    pub fn download(file_name: &str) -> Value {
        object([("type", "download".into()), ("fileName", file_name.into()), ("fileSystem", "integrationServer".into())])
    }

    /// `create` / `expenses`: create expenses for an employee.
    pub fn create_expenses(employee_email: &str, transactions: Value) -> Value {
        object([
            ("type", "create".into()),
            (
                "inputSettings",
                object([("type", "expenses".into()), ("employeeEmail", employee_email.into()), ("transactionList", transactions)]),
            ),
        ])
    }

    /// `create` / `report`: create a report with expenses on a policy.
    pub fn create_report(employee_email: &str, policy_id: &str, title: &str, expenses: Value) -> Value {
        object([
            ("type", "create".into()),
            (
                "inputSettings",
                object([
                    ("type", "report".into()),
                    ("employeeEmail", employee_email.into()),
                    ("policyID", policy_id.into()),
                    ("report", object([("title", title.into())])),
                    ("expenses", expenses),
                ]),
            ),
        ])
    }
}

/// Parses a caller's job from JSON text, refusing non-objects.
///
/// # Errors
/// [`Error::InvalidJob`].
pub fn job_from_json(text: &str) -> Result<Value> {
    match json::parse(text) {
        Some(v @ Value::Object(_)) => Ok(v),
        _ => Err(Error::InvalidJob { reason: "the job must be a JSON object" }),
    }
}

/// What to do when the client-side limit is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnLimit {
    /// Wait until a request may go (the default).
    #[default]
    Wait,
    /// Fail at once with `rate_limited` and the delay.
    Refuse,
}

/// The default timeout of an Integration Server request, ms.
pub const DEFAULT_TIMEOUT_MS: u64 = 30_000;
/// The longest timeout accepted, ms; longer ones are cut to it.
pub const MAX_TIMEOUT_MS: u64 = 600_000;
/// Expensify's published limits: 5 requests per 10 s and 20 per minute, per partnerUserID.
pub const DEFAULT_RATE_LIMITS: [(usize, u64); 2] = [(5, 10_000), (20, 60_000)];

/// How a credential sends its requests: timeout, client-side rate limits, and what to do at the
/// limit. The JavaScript `ExpensifyOptions` (`timeoutMs`, `rateLimits`, `onRateLimit`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendOptions {
    /// Timeout of each request, ms (1 to [`MAX_TIMEOUT_MS`]).
    pub timeout_ms: u64,
    /// Requests per window: `(count, window_ms)` pairs.
    pub limits: Vec<(usize, u64)>,
    /// Wait or refuse at the limit.
    pub on_limit: OnLimit,
}

impl Default for SendOptions {
    fn default() -> Self {
        SendOptions { timeout_ms: DEFAULT_TIMEOUT_MS, limits: DEFAULT_RATE_LIMITS.to_vec(), on_limit: OnLimit::Wait }
    }
}

impl FromJson for SendOptions {
    /// Reads `ExpensifyOptions`; absent fields take their defaults, and the timeout is clamped to
    /// 1 ms .. [`MAX_TIMEOUT_MS`].
    fn take_from(f: &mut Fields) -> Self {
        let pair = |v: &Value| match v {
            Value::Array(p) if p.len() == 2 => Some((usize::try_from(p[0].as_u64()?).ok()?, p[1].as_u64()?)),
            _ => None,
        };
        let mut limits = DEFAULT_RATE_LIMITS.to_vec();
        match f.take("rateLimits") {
            None => {}
            Some(Value::Array(items)) => {
                limits.clear();
                for item in &items {
                    match pair(item) {
                        Some(p) => limits.push(p),
                        None => f.wrong("rateLimits"),
                    }
                }
            }
            Some(_) => f.wrong("rateLimits"),
        }
        let on_limit = f.one_of("onRateLimit", &[("wait", OnLimit::Wait), ("refuse", OnLimit::Refuse)]).unwrap_or_default();
        let timeout_ms = f.u64("timeoutMs").unwrap_or(DEFAULT_TIMEOUT_MS).clamp(1, MAX_TIMEOUT_MS);
        SendOptions { timeout_ms, limits, on_limit }
    }
}

/// `testConnection`'s verdict on a `policyList` request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connection {
    /// The credentials work.
    Valid,
    /// Expensify rejected them (`responseCode` 401).
    InvalidCredentials,
    /// No answer: network, CORS or timeout.
    Unreachable,
    /// Any other failure.
    Error,
}

impl Connection {
    /// The verdict for a request's outcome.
    pub fn of<T>(result: &Result<T>) -> Self {
        Self::of_code(result.as_ref().err().map(Error::code))
    }

    /// The verdict for a request that failed with the error code `code` (`None`: it succeeded).
    pub fn of_code(code: Option<&str>) -> Self {
        match code {
            None => Self::Valid,
            Some("invalid_credentials") => Self::InvalidCredentials,
            Some("network" | "timeout") => Self::Unreachable,
            Some(_) => Self::Error,
        }
    }

    /// `valid`, `invalid_credentials`, `unreachable` or `error`, as JavaScript sees it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Valid => "valid",
            Self::InvalidCredentials => "invalid_credentials",
            Self::Unreachable => "unreachable",
            Self::Error => "error",
        }
    }
}

/// A client-side limiter for Expensify's published limits (by default 5 requests per 10 s and
/// 20 per 60 s). Pure: the caller passes the time. Expensify counts per partnerUserID, so the
/// pages and workers of an origin share one limiter's state: each [`RateLimiter::restore`]s the
/// send times they keep together (the package keeps them in IndexedDB), [`RateLimiter::take`]s
/// its verdict, and keeps [`RateLimiter::sent`] for the next one.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    limits: Vec<(usize, u64)>,
    sent: VecDeque<u64>,
}

impl Default for RateLimiter {
    fn default() -> Self {
        RateLimiter::new(vec![(5, 10_000), (20, 60_000)])
    }
}

impl RateLimiter {
    /// A limiter allowing `count` requests per `window_ms` for each pair.
    pub fn new(limits: Vec<(usize, u64)>) -> Self {
        RateLimiter { limits: limits.into_iter().filter(|(c, w)| *c > 0 && *w > 0).collect(), sent: VecDeque::new() }
    }

    /// How long to wait before the next request may go at `now_ms` (0 = now).
    pub fn delay(&mut self, now_ms: u64) -> u64 {
        let longest = self.limits.iter().map(|(_, w)| *w).max().unwrap_or(0);
        while self.sent.front().is_some_and(|t| now_ms.saturating_sub(*t) >= longest) {
            self.sent.pop_front();
        }
        let mut wait = 0;
        for (count, window) in &self.limits {
            let in_window: Vec<u64> = self.sent.iter().copied().filter(|t| now_ms.saturating_sub(*t) < *window).collect();
            if in_window.len() >= *count {
                // The oldest request that must leave the window before another may go.
                let oldest = in_window[in_window.len() - count];
                wait = wait.max((oldest + window).saturating_sub(now_ms));
            }
        }
        wait
    }

    /// Records a request sent at `now_ms`.
    pub fn record(&mut self, now_ms: u64) {
        self.sent.push_back(now_ms);
    }

    /// The verdict on a request about to go at `now_ms`: how long to wait first ([`delay`]);
    /// when 0, the request is recorded as sent.
    ///
    /// [`delay`]: RateLimiter::delay
    pub fn take(&mut self, now_ms: u64) -> u64 {
        let wait = self.delay(now_ms);
        if wait == 0 {
            self.record(now_ms);
        }
        wait
    }

    /// Replaces the recorded send times with `sent`: the times that every page of the origin
    /// recorded for this partnerUserID, as [`RateLimiter::sent`] wrote them (ms, oldest first,
    /// in decimal, separated by commas). A time after `now_ms` (left before the clock was set
    /// back) is dropped rather than counted until the clock catches up with it, and so is a time
    /// older than the one before it (a list no limiter wrote); of the others, the newest are
    /// kept, as many as the largest count of a window (the older ones cannot change a verdict).
    /// `None` when `sent` is not such a list; the limiter's own times are then left as they were.
    pub fn restore(&mut self, sent: &str, now_ms: u64) -> Option<()> {
        let keep = self.limits.iter().map(|(c, _)| *c).max().unwrap_or(0);
        let mut times = VecDeque::new();
        for item in split_byte(sent, b',').filter(|_| !sent.is_empty()) {
            let t = parse_digits(item.as_bytes())?;
            if t <= now_ms && !times.back().is_some_and(|last| t < *last) {
                times.push_back(t);
                if times.len() > keep {
                    times.pop_front();
                }
            }
        }
        self.sent = times;
        Some(())
    }

    /// The recorded send times, ms, oldest first, in decimal and separated by commas: what the
    /// pages keep for the next [`RateLimiter::restore`].
    pub fn sent(&self) -> String {
        let mut out = String::new();
        for t in &self.sent {
            if !out.is_empty() {
                out.push(',');
            }
            super::decimal::write_u64(&mut out, *t);
        }
        out
    }
}

/// The stored record format: 2 authenticates every field (1 sealed only the secret).
pub const RECORD_VERSION: u64 = 2;

/// Metadata of a stored credential: everything but the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialInfo {
    /// Store id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Server URL.
    pub server_url: String,
    /// partnerUserID.
    pub partner_user_id: String,
    /// When it was saved (ms since the epoch).
    pub created_at: u64,
}

impl CredentialInfo {
    /// The metadata of `c` under `id`.
    pub fn of(c: &Credential, id: &str, created_at: u64) -> Self {
        CredentialInfo {
            id: id.to_owned(),
            name: c.name.clone(),
            description: c.description.clone(),
            server_url: c.server_url.clone(),
            partner_user_id: c.partner_user_id.clone(),
            created_at,
        }
    }

    /// The record fields as JSON (camelCase, as the app sees them); never the secret.
    pub fn to_json(&self) -> String {
        Obj::new()
            .str("id", &self.id)
            .str("name", &self.name)
            .str("description", &self.description)
            .str("serverUrl", &self.server_url)
            .str("partnerUserId", &self.partner_user_id)
            .u64("createdAt", self.created_at)
            .finish()
    }

    /// The additional data the record's AES-GCM seal authenticates: the format version and
    /// every stored field, in one fixed encoding. Changing any of them (the server URL above
    /// all: the secret would be sent there) makes the record fail to open.
    pub fn sealed_data(&self) -> String {
        let mut out = String::from("expensicat-auth credential v2\n");
        out.push_str(&self.to_json());
        out
    }

    /// Reads a stored record's metadata (an object with the fields and `v` equal to
    /// [`RECORD_VERSION`]); `None` when corrupt. Only [`CredentialInfo::sealed_data`], checked
    /// when the secret is opened, proves the fields unchanged.
    pub fn from_record(v: &Value) -> Option<Self> {
        if v.get("v").and_then(Value::as_u64) != Some(RECORD_VERSION) {
            return None;
        }
        let s = |k: &str| v.get_str(k).map(str::to_owned);
        let info = CredentialInfo {
            id: s("id")?,
            name: s("name")?,
            description: s("description").unwrap_or_default(),
            server_url: s("serverUrl")?,
            partner_user_id: s("partnerUserId")?,
            created_at: v.get("createdAt").and_then(Value::as_u64)?,
        };
        Some(info)
    }

    /// The credential stored under `id`, from this metadata (read from the record under `id`)
    /// and the secret its seal opened to.
    ///
    /// # Errors
    /// [`Error::CorruptRecord`] when the record names another id (a record copied under
    /// another key) or the fields no longer validate.
    pub fn open(self, id: &str, secret: PartnerSecret) -> Result<Credential> {
        if self.id != id {
            return Err(Error::CorruptRecord);
        }
        self.into_credential(secret).map_err(|_| Error::CorruptRecord)
    }

    /// Rebuilds the credential from this metadata and a decrypted secret.
    ///
    /// # Errors
    /// Validation errors, if the stored fields no longer validate (a corrupt record).
    pub fn into_credential(self, secret: PartnerSecret) -> Result<Credential> {
        Credential::new(CredentialInput {
            name: self.name,
            description: Some(self.description),
            server_url: Some(self.server_url),
            partner_user_id: self.partner_user_id,
            partner_user_secret: secret,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn send_options_defaults_clamps_and_shape() {
        assert_eq!(SendOptions::from_json("{}").unwrap(), SendOptions::default());
        assert_eq!(SendOptions::default().limits, vec![(5, 10_000), (20, 60_000)]);
        assert_eq!(SendOptions::default().timeout_ms, 30_000);
        let o = SendOptions::from_json(r#"{"timeoutMs":0,"rateLimits":[[1,1000]],"onRateLimit":"refuse"}"#).unwrap();
        assert_eq!(o, SendOptions { timeout_ms: 1, limits: vec![(1, 1000)], on_limit: OnLimit::Refuse });
        assert_eq!(SendOptions::from_json(r#"{"timeoutMs":99999999}"#).unwrap().timeout_ms, MAX_TIMEOUT_MS);
        for bad in [
            r#"{"rateLimits":5}"#,
            r#"{"rateLimits":[[1]]}"#,
            r#"{"rateLimits":[[1,2,3]]}"#,
            r#"{"rateLimits":[[-1,2]]}"#,
            r#"{"rateLimits":[["1",2]]}"#,
            r#"{"onRateLimit":"later"}"#,
            r#"{"timeoutMs":"5"}"#,
            r#"{"timeoutMs":1.5}"#,
            r#"{"other":1}"#,
        ] {
            assert!(SendOptions::from_json(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn connection_verdicts() {
        assert_eq!(Connection::of(&Ok(())), Connection::Valid);
        assert_eq!(Connection::of::<()>(&Err(Error::InvalidCredentials)), Connection::InvalidCredentials);
        for e in [Error::Network, Error::ExpensifyNetwork, Error::Timeout] {
            assert_eq!(Connection::of::<()>(&Err(e)), Connection::Unreachable);
        }
        for e in [
            Error::RateLimited { retry_after_ms: None },
            Error::CorruptRecord,
            Error::ExpensifyError { response_code: 500, message: String::new() },
        ] {
            assert_eq!(Connection::of::<()>(&Err(e)), Connection::Error);
        }
        let names: Vec<_> =
            [Connection::Valid, Connection::InvalidCredentials, Connection::Unreachable, Connection::Error].map(Connection::as_str).into();
        assert_eq!(names, ["valid", "invalid_credentials", "unreachable", "error"]);
    }

    const SECRET: &str = "s3cr3t-partner-password";

    fn j(text: &str) -> Value {
        json::parse(text).unwrap()
    }

    fn input(server: Option<&str>) -> CredentialInput {
        CredentialInput {
            name: "  Acme Expensify ".into(),
            description: Some("Nightly sync".into()),
            server_url: server.map(str::to_owned),
            partner_user_id: " aa_api_acme ".into(),
            partner_user_secret: PartnerSecret::new(format!(" {SECRET}\n")),
        }
    }

    #[test]
    fn validation_table_every_field() {
        let ok = Credential::new(input(None)).unwrap();
        assert_eq!(ok.name(), "Acme Expensify");
        assert_eq!(ok.partner_user_id(), "aa_api_acme");
        assert_eq!(ok.secret().expose(), SECRET);
        assert_eq!(ok.endpoint(), "https://integrations.expensify.com/Integration-Server/ExpensifyIntegrations");
        let cases: Vec<(CredentialInput, &str, &str)> = vec![
            (CredentialInput { name: "  ".into(), ..input(None) }, "invalid_credential", "name"),
            (CredentialInput { name: "a\u{0}b".into(), ..input(None) }, "invalid_credential", "name"),
            (CredentialInput { name: "n".repeat(201), ..input(None) }, "invalid_credential", "name"),
            (CredentialInput { description: Some("d".repeat(2001)), ..input(None) }, "invalid_credential", "description"),
            (CredentialInput { partner_user_id: " \t".into(), ..input(None) }, "invalid_credential", "partnerUserId"),
            (CredentialInput { partner_user_secret: PartnerSecret::new("   "), ..input(None) }, "invalid_credential", "partnerUserSecret"),
            (input(Some("http://integrations.expensify.com")), "insecure_url", "serverUrl"),
            (input(Some("https://user:pw@integrations.expensify.com")), "invalid_credential", "serverUrl"),
            (input(Some("https://integrations.expensify.com?x=1")), "invalid_credential", "serverUrl"),
            (input(Some("https://integrations.expensify.com#top")), "invalid_credential", "serverUrl"),
            (input(Some("integrations.expensify.com")), "invalid_credential", "serverUrl"),
            (input(Some("ftp://integrations.expensify.com")), "invalid_credential", "serverUrl"),
            (input(Some("https://integrations expensify.com")), "invalid_credential", "serverUrl"),
        ];
        for (bad, code, field) in cases {
            let e = Credential::new(bad).unwrap_err();
            assert_eq!(e.code(), code, "{field}");
            match &e {
                Error::InvalidCredential { field: f, .. } | Error::InsecureUrl { field: f } => assert_eq!(*f, field),
                other => panic!("{other:?}"),
            }
            assert!(!format!("{e} {e:?}").contains(SECRET));
        }
    }

    #[test]
    fn server_url_is_normalised_without_doubling_the_path() {
        for (given, want) in [
            ("", "https://integrations.expensify.com"),
            ("https://integrations.expensify.com", "https://integrations.expensify.com"),
            ("https://integrations.expensify.com/", "https://integrations.expensify.com"),
            ("https://integrations.expensify.com/Integration-Server/ExpensifyIntegrations", "https://integrations.expensify.com"),
            ("https://INTEGRATIONS.expensify.com/integration-server/expensifyintegrations/", "https://integrations.expensify.com"),
            ("https://proxy.example:8443/expensify/", "https://proxy.example:8443/expensify"),
            ("http://127.0.0.1:4000", "http://127.0.0.1:4000"),
        ] {
            assert_eq!(normalize_server_url(given).unwrap(), want, "{given}");
        }
    }

    #[test]
    fn exact_request_bytes_for_each_helper() {
        let c = Credential::new(input(None)).unwrap();
        let cred = format!(r#""credentials":{{"partnerUserID":"aa_api_acme","partnerUserSecret":"{SECRET}"}}"#);
        let expect = |job: Value, extra: &[(String, String)], json: String| {
            let req = c.build_request(&job, extra).unwrap();
            assert_eq!(req.url, "https://integrations.expensify.com/Integration-Server/ExpensifyIntegrations");
            let mut want = form_encode([("requestJobDescription", json.as_str())]);
            for (k, v) in extra {
                want.push('&');
                want.push_str(&form_encode([(k.as_str(), v.as_str())]));
            }
            assert_eq!(req.body.expose(), want);
            assert!(!format!("{req:?}").contains(SECRET));
            req.expects
        };
        assert_eq!(
            expect(
                jobs::policy_list(true),
                &[],
                format!(r#"{{"type":"get",{cred},"inputSettings":{{"type":"policyList","adminOnly":true}}}}"#)
            ),
            Expect::Json
        );
        expect(
            jobs::policy_details(&["F1".into()], &["categories".into()]),
            &[],
            format!(r#"{{"type":"get",{cred},"inputSettings":{{"type":"policy","fields":["categories"],"policyIDList":["F1"]}}}}"#),
        );
        let template = vec![("template".to_string(), "<#list reports as r>${r.reportName}</#list>".to_string())];
        assert_eq!(
            expect(
                jobs::report_export(j(r#"{"startDate":"2026-01-01"}"#), "csv"),
                &template,
                format!(
                    r#"{{"type":"file",{cred},"onReceive":{{"immediateResponse":["returnRandomFileName"]}},"inputSettings":{{"type":"combinedReportData","filters":{{"startDate":"2026-01-01"}}}},"outputSettings":{{"fileExtension":"csv"}}}}"#
                ),
            ),
            Expect::FileName
        );
        assert_eq!(
            expect(
                jobs::download("exp.csv"),
                &[],
                format!(r#"{{"type":"download",{cred},"fileName":"exp.csv","fileSystem":"integrationServer"}}"#)
            ),
            Expect::File
        );
        expect(
            jobs::create_expenses("e@x.com", j(r#"[{"amount":450}]"#)),
            &[],
            format!(
                r#"{{"type":"create",{cred},"inputSettings":{{"type":"expenses","employeeEmail":"e@x.com","transactionList":[{{"amount":450}}]}}}}"#
            ),
        );
        expect(
            jobs::create_report("e@x.com", "P1", "Trip", j(r#"[]"#)),
            &[],
            format!(
                r#"{{"type":"create",{cred},"inputSettings":{{"type":"report","employeeEmail":"e@x.com","policyID":"P1","report":{{"title":"Trip"}},"expenses":[]}}}}"#
            ),
        );
    }

    #[test]
    fn jobs_that_are_refused() {
        let c = Credential::new(input(None)).unwrap();
        for (job, extra) in [
            (j(r#"[]"#), vec![]),
            (j(r#"{"inputSettings":{}}"#), vec![]),
            (j(r#"{"type":""}"#), vec![]),
            (j(r#"{"type":5}"#), vec![]),
            (j(r#"{"type":"get","credentials":{"partnerUserID":"evil"}}"#), vec![]),
            (j(r#"{"type":"get"}"#), vec![("requestJobDescription".to_string(), "x".to_string())]),
        ] {
            let e = c.build_request(&job, &extra).unwrap_err();
            assert_eq!(e.code(), "invalid_job", "{}", job.to_json());
        }
        assert_eq!(job_from_json("[1]").unwrap_err().code(), "invalid_job");
        assert_eq!(job_from_json("{").unwrap_err().code(), "invalid_job");
    }

    #[test]
    fn response_code_in_the_body_decides() {
        let ok = parse_response(200, r#"{"responseCode":200,"policyList":[]}"#, None, Expect::Json).unwrap();
        assert_eq!(ok, ExpensifyResponse::Json(j(r#"{"responseCode":200,"policyList":[]}"#)));
        let cases = [
            (200, r#"{"responseCode":401,"responseMessage":"Authentication error"}"#, "invalid_credentials"),
            (200, r#"{"responseCode":410,"responseMessage":"Missing argument: policyIDList"}"#, "missing_or_not_found"),
            (200, r#"{"responseCode":500,"responseMessage":"<script>x</script>\r\n"}"#, "expensify_error"),
            (200, r#"{"responseCode":"200"}"#, "invalid_response"),
            (200, "<html>maintenance</html>", "invalid_response"),
            (200, r#"{"responseCode":200"#, "invalid_response"),
            (200, "", "invalid_response"),
            (429, "Too Many Requests", "rate_limited"),
            (502, "Bad gateway", "invalid_response"),
        ];
        for (status, body, code) in cases {
            assert_eq!(parse_response(status, body, Some(10_000), Expect::Json).unwrap_err().code(), code, "{body}");
        }
        match parse_response(200, r#"{"responseCode":500,"responseMessage":"<script>x</script>\r\n"}"#, None, Expect::Json).unwrap_err() {
            Error::ExpensifyError { response_code, message } => {
                assert_eq!(response_code, 500);
                assert_eq!(message, "<script>x</script>  ");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            parse_response(200, "exportedReport_1.csv", None, Expect::FileName).unwrap(),
            ExpensifyResponse::Text("exportedReport_1.csv".into())
        );
        assert_eq!(parse_response(200, "a,b\n1,2\n", None, Expect::File).unwrap(), ExpensifyResponse::Text("a,b\n1,2\n".into()));
        assert_eq!(parse_response(200, r#"{"responseCode":410}"#, None, Expect::File).unwrap_err().code(), "missing_or_not_found");
    }

    #[test]
    fn rate_limiter_keeps_to_5_per_10s_and_20_per_60s() {
        let mut l = RateLimiter::default();
        let mut t = 0;
        for _ in 0..5 {
            assert_eq!(l.delay(t), 0);
            l.record(t);
            t += 100;
        }
        assert_eq!(l.delay(t), 10_000 - 500);
        // 20 requests spread so the 10 s window never binds, then the 60 s window binds.
        let mut l = RateLimiter::default();
        for i in 0..20u64 {
            let now = i * 2_500;
            assert_eq!(l.delay(now), 0, "request {i}");
            l.record(now);
        }
        assert_eq!(l.delay(50_000), 60_000 - 50_000);
        assert_eq!(l.delay(60_000), 0);
        let mut custom = RateLimiter::new(vec![(1, 1000), (0, 5)]);
        custom.record(0);
        assert_eq!(custom.delay(400), 600);
    }

    #[test]
    fn limiters_that_share_their_send_times_keep_one_limit_together() {
        // Two pages, each with a limiter of its own, sharing the send times between decisions
        // (as the package does through IndexedDB): 5 per 10 s together, not 5 each.
        let mut shared = String::new();
        let mut pages = [RateLimiter::default(), RateLimiter::default()];
        let mut sent_at = Vec::new();
        let mut t = 1_000_000;
        while sent_at.len() < 12 {
            for page in &mut pages {
                page.restore(&shared, t).unwrap();
                if page.take(t) == 0 {
                    sent_at.push(t);
                    shared = page.sent();
                }
            }
            t += 250;
        }
        for (i, start) in sent_at.iter().enumerate() {
            assert!(sent_at[i..].iter().filter(|s| **s - start < 10_000).count() <= 5, "{sent_at:?}");
        }
        assert_eq!(sent_at[5] - sent_at[0], 10_000);
        // Kept: the newest, as many as the largest count; a time after now, or older than the
        // one before it, is dropped.
        let mut l = RateLimiter::default();
        let thirty: Vec<String> = (0..30).map(|i| i.to_string()).collect();
        l.restore(&thirty.join(","), 100).unwrap();
        assert_eq!(l.sent(), thirty[10..].join(","));
        l.restore("5,500,7,6,8", 100).unwrap();
        assert_eq!(l.sent(), "5,7,8");
        l.restore("", 100).unwrap();
        assert_eq!(l.sent(), "");
        l.restore("7,8", 100).unwrap();
        for bad in [",", "1,,2", "1,", "x", "-1", "1.5", " 1", "[1]", "99999999999999999999"] {
            assert_eq!(l.restore(bad, 100), None, "{bad}");
            assert_eq!(l.sent(), "7,8", "{bad}: the limiter's own times are kept");
        }
        // A restored limiter decides as the one that recorded the times.
        let mut a = RateLimiter::default();
        for i in 0..5 {
            assert_eq!(a.take(i * 10), 0);
        }
        let mut b = RateLimiter::default();
        b.restore(&a.sent(), 50).unwrap();
        assert_eq!(b.sent(), "0,10,20,30,40");
        assert_eq!(b.take(50), a.take(50));
        assert_eq!(b.take(50), 10_000 - 50);
    }

    #[test]
    fn store_metadata_round_trip_without_secret() {
        let c = Credential::new(input(Some("http://127.0.0.1:4000/"))).unwrap();
        let info = CredentialInfo::of(&c, "id1", 42);
        let record = |v: u64| json::parse(&info.to_json().replacen('{', &format!("{{\"v\":{v},"), 1)).unwrap();
        assert!(!info.to_json().contains(SECRET));
        assert_eq!(CredentialInfo::from_record(&record(RECORD_VERSION)), Some(info.clone()));
        // A record of the first format (only the secret sealed) is not trusted.
        assert_eq!(CredentialInfo::from_record(&record(1)), None);
        assert_eq!(CredentialInfo::from_record(&json::parse(&info.to_json()).unwrap()), None);
        assert_eq!(info.clone().open("another-id", PartnerSecret::new(SECRET)).unwrap_err(), Error::CorruptRecord);
        let moved = CredentialInfo { server_url: "http://evil.example".into(), ..info.clone() };
        assert_eq!(moved.clone().open(&moved.id, PartnerSecret::new(SECRET)).unwrap_err(), Error::CorruptRecord);
        assert_eq!(info.clone().open(&info.id, PartnerSecret::new(SECRET)).unwrap().partner_user_id(), info.partner_user_id);
        let back = info.into_credential(PartnerSecret::new(SECRET)).unwrap();
        assert_eq!(back.endpoint(), "http://127.0.0.1:4000/Integration-Server/ExpensifyIntegrations");
        assert_eq!(CredentialInfo::from_record(&json::parse(r#"{"id":"x"}"#).unwrap()), None);
    }

    #[test]
    fn the_seal_covers_every_stored_field() {
        let c = Credential::new(input(Some("https://integrations.expensify.com"))).unwrap();
        let info = CredentialInfo::of(&c, "id1", 42);
        let sealed = info.sealed_data();
        let changes: [fn(&mut CredentialInfo); 6] = [
            |i| i.id.push('x'),
            |i| i.name.push('x'),
            |i| i.description.push('x'),
            |i| i.server_url = "http://127.0.0.1:9".into(),
            |i| i.partner_user_id.push('x'),
            |i| i.created_at += 1,
        ];
        for change in changes {
            let mut other = info.clone();
            change(&mut other);
            assert_ne!(other.sealed_data(), sealed);
        }
        // Field boundaries are unambiguous: moving text from one field to the next changes it.
        let mut shifted = info.clone();
        shifted.name.push('"');
        shifted.description.insert(0, '"');
        assert_ne!(shifted.sealed_data(), sealed);
    }
}
