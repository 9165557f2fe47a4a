//! The Expensify entry point's WebAssembly half: `ExpensifyClient` (a validated credential that
//! builds each job's request and reads the answers), `ExpensifyLimiter` (the client-side rate
//! limits), the stored-record checks, `parseExpensifyResponse`, and the entry's errors. All
//! synchronous: the package's `ExpensifyCredential` and `ExpensifyCredentialStore`
//! (js/expensify.js) run `fetch`, the timers, IndexedDB and WebCrypto over these exports, and
//! every decision (validation, the job JSON, the limits, what an answer means, whether a record
//! is intact) is made here.

#[allow(unused_imports)]
use crate::prelude::*;

use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;

use super::*;
use crate::protocol::error::Error;
use crate::protocol::expensify::{
    job_from_json, jobs, parse_response, Connection, Credential, CredentialInfo, CredentialInput, Expect, ExpensifyRequest,
    ExpensifyResponse, OnLimit, RateLimiter, SendOptions, CONTENT_TYPE, RECORD_VERSION,
};
use crate::protocol::json::{Fields, ShapeError, Value};
use crate::protocol::retry_after::parse_retry_after;
use crate::protocol::secret::PartnerSecret;

#[wasm_bindgen(typescript_custom_section)]
const TS_EXPENSIFY_TYPES: &str = include_str!("expensify.d.ts");

fn send_options(value: Option<JsValue>) -> Result<SendOptions, JsValue> {
    from_js_or_default(value, "options")
}

/// A `Record<string, string>` argument as name-value pairs.
pub(crate) fn string_map(value: &JsValue, field: &'static str) -> Result<Vec<(String, String)>, JsValue> {
    let members = Fields::parse(&json_text(value, field)?).map_err(|e| shape_error(e, field))?.into_members();
    let mut out = Vec::new();
    for (k, v) in members {
        out.push((k, v.into_string().ok_or_else(|| shape_error(ShapeError::WrongType(field), field))?));
    }
    Ok(out)
}

/// A JSON argument (an object or an array): `invalid_parameter` naming `field` when it is not
/// an object or cannot be written as JSON ([`json_text`]), `invalid_job` (`reason`) when the
/// core cannot read what it wrote.
fn json_arg(value: &JsValue, field: &'static str, reason: &'static str) -> Result<Value, JsValue> {
    crate::protocol::json::parse(&json_text(value, field)?).ok_or_else(|| js_error(&Error::InvalidJob { reason }))
}

fn expects_str(e: Expect) -> &'static str {
    match e {
        Expect::Json => "json",
        Expect::FileName => "fileName",
        Expect::File => "file",
    }
}

/// `{ url, contentType, body, expects, maxBytes }`: the POST to send.
fn request_to_js(r: crate::Result<ExpensifyRequest>) -> Result<JsValue, JsValue> {
    let r = js(r)?;
    Ok(crate::web::js::expensify_http(&r.url, CONTENT_TYPE, r.body.expose(), expects_str(r.expects), r.expects.max_bytes() as f64))
}

/// A validated Expensify partner credential: the low-level half of the package's
/// `ExpensifyCredential`, which keeps one in a private field. It builds the HTTPS POST of each
/// job (the secret goes only into that body) and the sealed store record. No property,
/// `toString` or `toJSON` returns the secret.
#[wasm_bindgen]
pub struct ExpensifyClient {
    cred: Credential,
    opts: SendOptions,
}

#[wasm_bindgen]
impl ExpensifyClient {
    /// Validates the credential (name required; HTTPS server URL, loopback allowed for
    /// development, no user info, query or fragment; IDs and secret trimmed and non-empty) and
    /// the options. Errors carry the offending `field`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "ExpensifyCredentialInput")] input: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "ExpensifyOptions")] options: Option<JsValue>,
    ) -> Result<ExpensifyClient, JsValue> {
        let input: CredentialInput = from_js(&input, "credential")?;
        let opts = send_options(options)?;
        Ok(ExpensifyClient { cred: js(Credential::new(input))?, opts })
    }

    /// Credential Name.
    #[wasm_bindgen(getter, unchecked_return_type = "string")]
    pub fn name(&self) -> JsValue {
        JsValue::from_str(self.cred.name())
    }
    /// Credential Description.
    #[wasm_bindgen(getter, unchecked_return_type = "string")]
    pub fn description(&self) -> JsValue {
        JsValue::from_str(self.cred.description())
    }
    /// The normalised Integration Server URL (without the API path).
    #[wasm_bindgen(getter, js_name = serverUrl, unchecked_return_type = "string")]
    pub fn server_url(&self) -> JsValue {
        JsValue::from_str(self.cred.server_url())
    }
    /// The endpoint requests go to: `serverUrl` + `/Integration-Server/ExpensifyIntegrations`.
    #[wasm_bindgen(getter, unchecked_return_type = "string")]
    pub fn endpoint(&self) -> JsValue {
        JsValue::from_str(self.cred.endpoint())
    }
    /// The partnerUserID.
    #[wasm_bindgen(getter, js_name = partnerUserId, unchecked_return_type = "string")]
    pub fn partner_user_id(&self) -> JsValue {
        JsValue::from_str(self.cred.partner_user_id())
    }
    /// The timeout per request, ms (option `timeoutMs`, default 30000).
    #[wasm_bindgen(getter, js_name = timeoutMs)]
    pub fn timeout_ms(&self) -> f64 {
        self.opts.timeout_ms as f64
    }
    /// Whether a request over the client-side limits is refused (`onRateLimit: "refuse"`)
    /// instead of waiting.
    #[wasm_bindgen(getter, js_name = refusesAtLimit)]
    pub fn refuses_at_limit(&self) -> bool {
        self.opts.on_limit == OnLimit::Refuse
    }
    /// A limiter with this credential's `rateLimits` (one per partnerUserID is what Expensify
    /// counts: the package keeps one per ID for the page).
    pub fn limiter(&self) -> ExpensifyLimiter {
        ExpensifyLimiter(RateLimiter::new(self.opts.limits.clone()))
    }

    /// Any job (a caller-supplied `credentials` key is refused); `extraFields` are added as form
    /// fields (e.g. `template`).
    #[wasm_bindgen(js_name = jobRequest, unchecked_return_type = "ExpensifyHttpRequest")]
    pub fn job_request(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ExpensifyJob")] job: JsValue,
        #[wasm_bindgen(js_name = extraFields, unchecked_optional_param_type = "Record<string, string>")] extra_fields: Option<JsValue>,
    ) -> Result<JsValue, JsValue> {
        // Not an object, or not JSON: `invalid_parameter`; an array fails in `job_from_json`.
        let job = js(job_from_json(&json_text(&job, "job")?))?;
        let extra = optional(extra_fields, |v| string_map(v, "extraFields"))?.unwrap_or_default();
        request_to_js(self.cred.build_request(&job, &extra))
    }

    /// `get`/`policyList`.
    #[wasm_bindgen(js_name = policyListRequest, unchecked_return_type = "ExpensifyHttpRequest")]
    pub fn policy_list_request(
        &self,
        #[wasm_bindgen(js_name = adminOnly, unchecked_optional_param_type = "boolean")] admin_only: Option<JsValue>,
    ) -> Result<JsValue, JsValue> {
        let admin_only = optional(admin_only, |v| bool_arg(v, "adminOnly"))?.unwrap_or(false);
        request_to_js(self.cred.build_request(&jobs::policy_list(admin_only), &[]))
    }

    /// `get`/`policy`: `fields` (default `["categories","tags"]`) of `policyIds`.
    #[wasm_bindgen(js_name = policyDetailsRequest, unchecked_return_type = "ExpensifyHttpRequest")]
    pub fn policy_details_request(
        &self,
        #[wasm_bindgen(js_name = policyIds, unchecked_param_type = "string[]")] policy_ids: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "string[]")] fields: Option<JsValue>,
    ) -> Result<JsValue, JsValue> {
        let ids = strings_arg(&policy_ids, "policyIds")?;
        let fields = optional(fields, |v| strings_arg(v, "fields"))?.unwrap_or_else(|| vec!["categories".into(), "tags".into()]);
        request_to_js(self.cred.build_request(&jobs::policy_details(&ids, &fields), &[]))
    }

    /// `file`: reports matching `filters` through a FreeMarker `template`.
    #[wasm_bindgen(js_name = exportReportsRequest, unchecked_return_type = "ExpensifyHttpRequest")]
    pub fn export_reports_request(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Record<string, unknown>")] filters: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] template: JsValue,
        #[wasm_bindgen(js_name = fileExtension, unchecked_optional_param_type = "string")] file_extension: Option<JsValue>,
    ) -> Result<JsValue, JsValue> {
        let template = string_arg(&template, "template")?;
        let ext = optional(file_extension, |v| string_arg(v, "fileExtension"))?.unwrap_or_else(|| "csv".into());
        let filters = json_arg(&filters, "filters", "filters must be a JSON object")?;
        request_to_js(self.cred.build_request(&jobs::report_export(filters, &ext), &[("template".into(), template)]))
    }

    /// `download`: a file produced by an export.
    #[wasm_bindgen(js_name = downloadRequest, unchecked_return_type = "ExpensifyHttpRequest")]
    pub fn download_request(
        &self,
        #[wasm_bindgen(js_name = fileName, unchecked_param_type = "string")] file_name: JsValue,
    ) -> Result<JsValue, JsValue> {
        let name = string_arg(&file_name, "fileName")?;
        request_to_js(self.cred.build_request(&jobs::download(&name), &[]))
    }

    /// `create`/`expenses` for `employeeEmail`.
    #[wasm_bindgen(js_name = createExpensesRequest, unchecked_return_type = "ExpensifyHttpRequest")]
    pub fn create_expenses_request(
        &self,
        #[wasm_bindgen(js_name = employeeEmail, unchecked_param_type = "string")] employee_email: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Record<string, unknown>[]")] transactions: JsValue,
    ) -> Result<JsValue, JsValue> {
        let email = string_arg(&employee_email, "employeeEmail")?;
        let list = json_arg(&transactions, "transactions", "transactions must be an array")?;
        request_to_js(self.cred.build_request(&jobs::create_expenses(&email, list), &[]))
    }

    /// `create`/`report` on `policyId` for `employeeEmail`, titled `title`, with `expenses`.
    #[wasm_bindgen(js_name = createReportRequest, unchecked_return_type = "ExpensifyHttpRequest")]
    pub fn create_report_request(
        &self,
        #[wasm_bindgen(js_name = employeeEmail, unchecked_param_type = "string")] employee_email: JsValue,
        #[wasm_bindgen(js_name = policyId, unchecked_param_type = "string")] policy_id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] title: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Record<string, unknown>[]")] expenses: JsValue,
    ) -> Result<JsValue, JsValue> {
        let email = string_arg(&employee_email, "employeeEmail")?;
        let policy_id = string_arg(&policy_id, "policyId")?;
        let title = string_arg(&title, "title")?;
        let list = json_arg(&expenses, "expenses", "expenses must be an array")?;
        request_to_js(self.cred.build_request(&jobs::create_report(&email, &policy_id, &title, list), &[]))
    }

    /// A new store record for this credential, created at `nowMs` under a fresh random id:
    /// `{ record, aad, secret }`. `record` holds the metadata and the format version `v`;
    /// `aad` is what the seal must authenticate (every stored field); `secret` is the bytes to
    /// seal, for the caller to zero once sealed.
    #[wasm_bindgen(js_name = storeRecord, unchecked_return_type = "{ record: Record<string, unknown>; aad: Uint8Array; secret: Uint8Array }")]
    pub fn store_record(
        &self,
        #[wasm_bindgen(js_name = nowMs, unchecked_param_type = "number")] now_ms: JsValue,
    ) -> Result<JsValue, JsValue> {
        let now = int_arg(&now_ms, "nowMs", 9_007_199_254_740_991.0)?;
        let id = crate::protocol::encoding::base64url(&crate::web::random_bytes::<16>().map_err(|e| js_error(&e))?);
        let info = CredentialInfo::of(&self.cred, &id, now);
        let record = to_js(&info.to_json());
        let _ = Reflect::set(&record, &"v".into(), &(RECORD_VERSION as f64).into());
        let o = Object::new();
        let _ = Reflect::set(&o, &"record".into(), &record);
        let _ = Reflect::set(&o, &"aad".into(), &Uint8Array::from(info.sealed_data().as_bytes()));
        let _ = Reflect::set(&o, &"secret".into(), &Uint8Array::from(self.cred.secret().expose().as_bytes()));
        Ok(o.into())
    }

    /// The credential of a stored `record` whose seal opened to `secret` (the caller zeroes
    /// it), with `options`. Rejects with `corrupt_record` when the record's fields do not
    /// validate or its `id` is not `id`.
    #[wasm_bindgen(js_name = fromRecord)]
    pub fn from_record(
        #[wasm_bindgen(unchecked_param_type = "Record<string, unknown>")] record: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] secret: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "ExpensifyOptions")] options: Option<JsValue>,
    ) -> Result<ExpensifyClient, JsValue> {
        let id = string_arg(&id, "id")?;
        let opts = send_options(options)?;
        let corrupt = || js_error(&Error::CorruptRecord);
        let info = crate::web::to_json_value(&record).as_ref().and_then(CredentialInfo::from_record).ok_or_else(corrupt)?;
        // Straight into the credential's secret, which is zeroed on drop (a wasm-bindgen `&[u8]`
        // would leave a freed, unzeroed copy behind).
        let bytes = bytes_arg(&secret).ok_or_else(corrupt)?;
        let secret = PartnerSecret::from_utf8(bytes).ok_or_else(corrupt)?;
        // `open` fails only with `corrupt_record`.
        Ok(ExpensifyClient { cred: info.open(&id, secret).map_err(|_| corrupt())?, opts })
    }
}

/// The client-side limits of one partnerUserID (by default 5 requests per 10 s and 20 per
/// 60 s). The caller passes the time, and may share the send times between the pages and
/// workers of the origin (`take`'s `sent`, and the `sent` it leaves).
#[wasm_bindgen]
pub struct ExpensifyLimiter(RateLimiter);

#[wasm_bindgen]
impl ExpensifyLimiter {
    /// How long to wait before a request may go at `nowMs`; 0 records the request as sent.
    /// `sent`, when given, replaces the send times this limiter counts: those every page of the
    /// origin recorded for the partnerUserID (the `sent` of the last `take`, in any of them);
    /// `corrupt_record` when it is a string no limiter wrote (the limiter's times are kept).
    pub fn take(
        &mut self,
        #[wasm_bindgen(js_name = nowMs, unchecked_param_type = "number")] now_ms: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "string")] sent: Option<JsValue>,
    ) -> Result<f64, JsValue> {
        let now = int_arg(&now_ms, "nowMs", 9_007_199_254_740_991.0)?;
        if let Some(sent) = optional(sent, |v| string_arg(v, "sent"))? {
            self.0.restore(&sent, now).ok_or_else(|| js_error(&Error::CorruptRecord))?;
        }
        Ok(self.0.take(now) as f64)
    }

    /// The send times this limiter counts (ms, oldest first, separated by commas): what to keep
    /// for the next `take` of any page.
    #[wasm_bindgen(getter, unchecked_return_type = "string")]
    pub fn sent(&self) -> JsValue {
        JsValue::from_str(&self.0.sent())
    }
}

/// A stored credential record's metadata and the data its seal authenticates:
/// `{ info, aad }`; rejects with `corrupt_record` when the record lacks a field or has another
/// format version. Only the seal, opened with `aad`, proves the fields unchanged.
#[wasm_bindgen(js_name = readCredentialRecord, unchecked_return_type = "{ info: StoredCredentialInfo; aad: Uint8Array }")]
pub fn read_credential_record(#[wasm_bindgen(unchecked_param_type = "unknown")] record: JsValue) -> Result<JsValue, JsValue> {
    let info =
        crate::web::to_json_value(&record).as_ref().and_then(CredentialInfo::from_record).ok_or_else(|| js_error(&Error::CorruptRecord))?;
    let o = Object::new();
    let _ = Reflect::set(&o, &"info".into(), &to_js(&info.to_json()));
    let _ = Reflect::set(&o, &"aad".into(), &Uint8Array::from(info.sealed_data().as_bytes()));
    Ok(o.into())
}

/// `testConnection`'s verdict for a `policyList` that failed with `code` (`undefined` when it
/// succeeded): `valid`, `invalid_credentials`, `unreachable` or `error`.
#[wasm_bindgen(js_name = connectionStatus, unchecked_return_type = "ConnectionTest[\"status\"]")]
pub fn connection_status(#[wasm_bindgen(unchecked_param_type = "string | undefined")] code: JsValue) -> JsValue {
    Connection::of_code(code.as_string().as_deref()).as_str().into()
}

/// The Expensify entry's errors for what JavaScript observed: `network` (the CORS hint),
/// `timeout`, `too_large` (`n`: the HTTP status), `redirect`, `rate_limited` (`n`: the delay in
/// ms), `storage`, `corrupt_record`, `credential_not_found`; any other `what` names an argument
/// of the wrong type.
#[wasm_bindgen(js_name = expensifyError, unchecked_return_type = "ExpensicatAuthError")]
pub fn expensify_error(
    #[wasm_bindgen(unchecked_param_type = "string")] what: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number | undefined")] n: JsValue,
) -> Result<JsValue, JsValue> {
    let what = string_arg(&what, "what")?;
    let n = if absent(&n) { 0 } else { int_arg(&n, "n", 9_007_199_254_740_991.0)? };
    let status = n.min(599) as u16;
    Ok(js_error(&match what.as_str() {
        "network" => Error::ExpensifyNetwork,
        "timeout" => Error::Timeout,
        "too_large" => Error::body_too_large(status),
        "redirect" => Error::redirected(),
        "rate_limited" => Error::RateLimited { retry_after_ms: Some(n) },
        "storage" => Error::Storage { reason: "IndexedDB or WebCrypto failed" },
        "corrupt_record" => Error::CorruptRecord,
        "credential_not_found" => Error::CredentialNotFound,
        "credential" => Error::InvalidParameter { name: "credential".into(), reason: "must be an ExpensifyCredential" },
        name => Error::InvalidParameter { name: name.into(), reason: "must be a string" },
    }))
}

/// Reads an Integration Server answer: the `responseCode` in the body decides (200 success, 401
/// `invalid_credentials`, 410 `missing_or_not_found`, others `expensify_error`); HTTP 429 is
/// `rate_limited` (with `retryAfterMs` from a `Retry-After` header, read at `nowMs`);
/// `expects` is `json` (default), `fileName` (`file` jobs) or `file` (`download`).
#[wasm_bindgen(js_name = parseExpensifyResponse, unchecked_return_type = "unknown")]
pub fn parse_expensify_response(
    #[wasm_bindgen(unchecked_param_type = "number")] status: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] body: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "\"json\" | \"fileName\" | \"file\"")] expects: Option<JsValue>,
    #[wasm_bindgen(js_name = retryAfter, unchecked_optional_param_type = "string | null")] retry_after: Option<JsValue>,
    #[wasm_bindgen(js_name = nowMs, unchecked_optional_param_type = "number")] now_ms: Option<JsValue>,
) -> Result<JsValue, JsValue> {
    let status = int_arg(&status, "status", 599.0)? as u16;
    let body = string_arg(&body, "body")?;
    let expects = match optional(expects, |v| string_arg(v, "expects"))?.as_deref() {
        None | Some("json") => Expect::Json,
        Some("fileName") => Expect::FileName,
        Some("file") => Expect::File,
        Some(_) => return Err(js_error(&Error::InvalidParameter { name: "expects".into(), reason: "must be json, fileName or file" })),
    };
    let retry_after = optional(retry_after, |v| string_arg(v, "retryAfter"))?;
    let now = optional(now_ms, |v| int_arg(v, "nowMs", 9_007_199_254_740_991.0))?.unwrap_or(0);
    let retry_after_ms = retry_after.as_deref().and_then(|v| parse_retry_after(v, now));
    Ok(match js(parse_response(status, &body, retry_after_ms, expects))? {
        ExpensifyResponse::Json(v) => to_js(&v.to_json()),
        ExpensifyResponse::Text(t) => JsValue::from_str(&t),
    })
}
