//! The Rust Expensify client (`web::expensify`) as JavaScript classes: `ExpensifyCredential`
//! (jobs through the Integration Server) and `ExpensifyCredentialStore` (sealed records in
//! IndexedDB), for the browser tests of the Rust API (tests/expensify.rs). The npm package ships
//! the JavaScript classes of the same names (js/expensify.js) instead.

#[allow(unused_imports)]
use crate::prelude::*;

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;

use super::expensify::string_map;
use super::*;
use crate::protocol::error::Error;
use crate::protocol::expensify::{Connection, SendOptions};
use crate::protocol::json::Value;

fn send_options(value: Option<JsValue>) -> Result<SendOptions, JsValue> {
    from_js_or_default(value, "options")
}

fn response_to_js(r: crate::protocol::expensify::ExpensifyResponse) -> JsValue {
    match r {
        crate::protocol::expensify::ExpensifyResponse::Json(v) => to_js(&v.to_json()),
        crate::protocol::expensify::ExpensifyResponse::Text(t) => JsValue::from_str(&t),
    }
}

/// An Expensify partner credential. The secret stays in WebAssembly memory: no property,
/// `toString` or `toJSON` returns it; it is used only to sign Integration Server requests.
#[wasm_bindgen]
#[derive(Debug)]
pub struct ExpensifyCredential {
    cred: alloc::rc::Rc<crate::protocol::expensify::Credential>,
    opts: SendOptions,
    id: Option<String>,
    handle: u32,
}

/// The credentials alive in this page, by handle, so that `store.save(credential)` can find
/// one from its JS object without taking it away from the app (wasm-bindgen's own class
/// conversion would consume the object). Weak: a freed credential drops out.
static CREDENTIALS: crate::web::local::PageLocal<(u32, Vec<LiveCredential>)> = crate::web::local::PageLocal::new((0, Vec::new()));

/// A credential alive in this page: its handle, and a weak reference to it.
type LiveCredential = (u32, alloc::rc::Weak<crate::protocol::expensify::Credential>);

impl ExpensifyCredential {
    fn wrap(cred: crate::protocol::expensify::Credential, opts: SendOptions, id: Option<String>) -> Self {
        let cred = alloc::rc::Rc::new(cred);
        let handle = CREDENTIALS.with(|c| {
            let (next, live) = &mut *c.borrow_mut();
            live.retain(|(_, w)| w.strong_count() > 0);
            *next = next.wrapping_add(1);
            live.push((*next, alloc::rc::Rc::downgrade(&cred)));
            *next
        });
        ExpensifyCredential { cred, opts, id, handle }
    }

    /// The credential behind a JS `ExpensifyCredential` object, if it is one and is not freed.
    fn find(value: &JsValue) -> Option<alloc::rc::Rc<crate::protocol::expensify::Credential>> {
        if !value.is_object() {
            return None;
        }
        let handle = Reflect::get(value, &"__expensicatHandle".into()).ok()?.as_f64()?;
        CREDENTIALS.with(|c| c.borrow().1.iter().find(|(h, _)| f64::from(*h) == handle).and_then(|(_, w)| w.upgrade()))
    }

    /// Runs the job `build` makes from a JSON argument, or rejects with `invalid_job` (`reason`)
    /// when the argument is not JSON.
    fn run_with_json(
        &self,
        arg: &JsValue,
        reason: &'static str,
        build: impl FnOnce(Value) -> Value,
        extra: Vec<(String, String)>,
    ) -> js_sys::Promise {
        match crate::web::to_json_value(arg) {
            Some(v) => self.run(build(v), extra),
            None => js_sys::Promise::reject(&js_error(&Error::InvalidJob { reason })),
        }
    }

    fn run(&self, job: Value, extra: Vec<(String, String)>) -> js_sys::Promise {
        let (cred, opts) = (self.cred.clone(), self.opts.clone());
        spawn_promise(Box::pin(async move {
            crate::web::expensify::send(&cred, &job, &extra, &opts).await.map(response_to_js).map_err(|e| js_error(&e))
        }))
    }
}

#[wasm_bindgen]
impl ExpensifyCredential {
    /// Validates the fields (name required; HTTPS server URL, loopback allowed for development,
    /// no user info, query or fragment; IDs and secret trimmed and non-empty). Errors carry the
    /// offending `field`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "ExpensifyCredentialInput")] input: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "ExpensifyOptions")] options: Option<JsValue>,
    ) -> Result<ExpensifyCredential, JsValue> {
        let input: crate::protocol::expensify::CredentialInput = from_js(&input, "credential")?;
        let opts = send_options(options)?;
        let cred = js(crate::protocol::expensify::Credential::new(input))?;
        Ok(ExpensifyCredential::wrap(cred, opts, None))
    }

    /// Internal: lets `ExpensifyCredentialStore.save` find this credential.
    #[wasm_bindgen(getter, skip_typescript, js_name = __expensicatHandle)]
    pub fn handle(&self) -> u32 {
        self.handle
    }

    /// The store id, when this credential came from (or was saved to) a store.
    #[wasm_bindgen(getter)]
    pub fn id(&self) -> Option<String> {
        self.id.clone()
    }
    /// Credential Name.
    #[wasm_bindgen(getter)]
    pub fn name(&self) -> String {
        self.cred.name().to_owned()
    }
    /// Credential Description.
    #[wasm_bindgen(getter)]
    pub fn description(&self) -> String {
        self.cred.description().to_owned()
    }
    /// The normalised Integration Server URL (without the API path).
    #[wasm_bindgen(getter, js_name = serverUrl)]
    pub fn server_url(&self) -> String {
        self.cred.server_url().to_owned()
    }
    /// The endpoint requests go to: `serverUrl` + `/Integration-Server/ExpensifyIntegrations`.
    #[wasm_bindgen(getter)]
    pub fn endpoint(&self) -> String {
        self.cred.endpoint().to_owned()
    }
    /// The partnerUserID.
    #[wasm_bindgen(getter, js_name = partnerUserId)]
    pub fn partner_user_id(&self) -> String {
        self.cred.partner_user_id().to_owned()
    }

    /// Sends any job (a caller-supplied `credentials` key is refused). `extraFields` are added
    /// as form fields (e.g. `template`). Resolves to the JSON answer, or text for `file` and
    /// `download` jobs.
    #[wasm_bindgen(unchecked_return_type = "Promise<unknown>")]
    pub fn send(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ExpensifyJob")] job: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "Record<string, string>")] extra_fields: Option<JsValue>,
    ) -> js_sys::Promise {
        // Anything but an object (a string, an array, a function) fails in `job_from_json`.
        let job = js(crate::web::to_json_text(&job)
            .ok_or(Error::InvalidJob { reason: "the job must be a JSON object" })
            .and_then(|s| crate::protocol::expensify::job_from_json(&s)));
        let extra = optional(extra_fields, |v| string_map(v, "extraFields")).map(Option::unwrap_or_default);
        match (job, extra) {
            (Ok(j), Ok(e)) => self.run(j, e),
            (Err(e), _) | (_, Err(e)) => js_sys::Promise::reject(&e),
        }
    }

    /// `get`/`policyList`: resolves to the answer with `policyList`.
    #[wasm_bindgen(js_name = policyList, unchecked_return_type = "Promise<PolicyListResponse>")]
    pub fn policy_list(&self, #[wasm_bindgen(unchecked_optional_param_type = "boolean")] admin_only: Option<JsValue>) -> js_sys::Promise {
        let admin_only = or_reject!(optional(admin_only, |v| bool_arg(v, "adminOnly")));
        self.run(crate::protocol::expensify::jobs::policy_list(admin_only.unwrap_or(false)), Vec::new())
    }

    /// `get`/`policy`: details (`fields`, default `["categories","tags"]`) of `policyIds`.
    #[wasm_bindgen(js_name = policyDetails, unchecked_return_type = "Promise<unknown>")]
    pub fn policy_details(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string[]")] policy_ids: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "string[]")] fields: Option<JsValue>,
    ) -> js_sys::Promise {
        let ids = or_reject!(strings_arg(&policy_ids, "policyIds"));
        let fields = or_reject!(optional(fields, |v| strings_arg(v, "fields")));
        let fields = fields.unwrap_or_else(|| vec!["categories".into(), "tags".into()]);
        self.run(crate::protocol::expensify::jobs::policy_details(&ids, &fields), Vec::new())
    }

    /// `file`: exports reports matching `filters` through a FreeMarker `template`; resolves to
    /// the generated file name (fetch it with `download`).
    #[wasm_bindgen(js_name = exportReports, unchecked_return_type = "Promise<string>")]
    pub fn export_reports(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Record<string, unknown>")] filters: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] template: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "string")] file_extension: Option<JsValue>,
    ) -> js_sys::Promise {
        let template = or_reject!(string_arg(&template, "template"));
        let ext = or_reject!(optional(file_extension, |v| string_arg(v, "fileExtension")));
        let ext = ext.unwrap_or_else(|| "csv".into());
        self.run_with_json(
            &filters,
            "filters must be a JSON object",
            |f| crate::protocol::expensify::jobs::report_export(f, &ext),
            vec![("template".into(), template)],
        )
    }

    /// `download`: resolves to the contents of a file produced by `exportReports`.
    #[wasm_bindgen(unchecked_return_type = "Promise<string>")]
    pub fn download(&self, #[wasm_bindgen(unchecked_param_type = "string")] file_name: JsValue) -> js_sys::Promise {
        let name = or_reject!(string_arg(&file_name, "fileName"));
        self.run(crate::protocol::expensify::jobs::download(&name), Vec::new())
    }

    /// `create`/`expenses` for `employeeEmail`.
    #[wasm_bindgen(js_name = createExpenses, unchecked_return_type = "Promise<unknown>")]
    pub fn create_expenses(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] employee_email: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Record<string, unknown>[]")] transactions: JsValue,
    ) -> js_sys::Promise {
        let employee_email = or_reject!(string_arg(&employee_email, "employeeEmail"));
        self.run_with_json(
            &transactions,
            "transactions must be an array",
            |l| crate::protocol::expensify::jobs::create_expenses(&employee_email, l),
            Vec::new(),
        )
    }

    /// `create`/`report` on `policyId` for `employeeEmail`, titled `title`, with `expenses`.
    #[wasm_bindgen(js_name = createReport, unchecked_return_type = "Promise<unknown>")]
    pub fn create_report(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] employee_email: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] policy_id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] title: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Record<string, unknown>[]")] expenses: JsValue,
    ) -> js_sys::Promise {
        let employee_email = or_reject!(string_arg(&employee_email, "employeeEmail"));
        let policy_id = or_reject!(string_arg(&policy_id, "policyId"));
        let title = or_reject!(string_arg(&title, "title"));
        self.run_with_json(
            &expenses,
            "expenses must be an array",
            |l| crate::protocol::expensify::jobs::create_report(&employee_email, &policy_id, &title, l),
            Vec::new(),
        )
    }

    /// A `policyList` call that tells apart valid credentials, invalid credentials and an
    /// unreachable server. Never rejects.
    #[wasm_bindgen(js_name = testConnection, unchecked_return_type = "Promise<ConnectionTest>")]
    pub fn test_connection(&self) -> js_sys::Promise {
        let (cred, opts) = (self.cred.clone(), self.opts.clone());
        spawn_promise(Box::pin(async move {
            let job = crate::protocol::expensify::jobs::policy_list(false);
            let result = crate::web::expensify::send(&cred, &job, &[], &opts).await;
            let status = Connection::of(&result).as_str();
            let err = result.err();
            let o = Object::new();
            let _ = Reflect::set(&o, &"status".into(), &status.into());
            if let Some(e) = &err {
                let _ = Reflect::set(&o, &"code".into(), &e.code().into());
                let _ = Reflect::set(&o, &"message".into(), &e.message().into());
            }
            Ok(o.into())
        }))
    }

    /// `ExpensifyCredential { name, partnerUserId, [secret redacted] }`.
    #[wasm_bindgen(js_name = toString)]
    pub fn to_js_string(&self) -> String {
        ["ExpensifyCredential { \"", self.cred.name(), "\", \"", self.cred.partner_user_id(), "\", [secret redacted] }"].concat()
    }

    /// Metadata only, for `JSON.stringify`: never the secret.
    #[wasm_bindgen(js_name = toJSON, unchecked_return_type = "Omit<StoredCredentialInfo, \"id\" | \"createdAt\">")]
    pub fn to_json(&self) -> JsValue {
        let o = Object::new();
        let _ = Reflect::set(&o, &"name".into(), &self.cred.name().into());
        let _ = Reflect::set(&o, &"description".into(), &self.cred.description().into());
        let _ = Reflect::set(&o, &"serverUrl".into(), &self.cred.server_url().into());
        let _ = Reflect::set(&o, &"partnerUserId".into(), &self.cred.partner_user_id().into());
        o.into()
    }
}

/// Saved Expensify credentials in IndexedDB. Secrets are sealed with AES-GCM under a
/// non-extractable WebCrypto key kept in IndexedDB; `list` never returns a secret, and `get`
/// decrypts straight into WebAssembly memory.
#[wasm_bindgen]
pub struct ExpensifyCredentialStore(alloc::rc::Rc<crate::web::expensify::CredentialStore>);

#[wasm_bindgen]
impl ExpensifyCredentialStore {
    /// Opens the store (database `expensicat-auth` unless `name` is given).
    #[wasm_bindgen(unchecked_return_type = "Promise<ExpensifyCredentialStore>")]
    pub fn open(#[wasm_bindgen(unchecked_optional_param_type = "string")] name: Option<JsValue>) -> js_sys::Promise {
        let name = or_reject!(optional(name, |v| string_arg(v, "name")));
        spawn_promise(Box::pin(async move {
            let store = crate::web::expensify::CredentialStore::open(name.as_deref().unwrap_or("expensicat-auth"))
                .await
                .map_err(|e| js_error(&e))?;
            Ok(ExpensifyCredentialStore(alloc::rc::Rc::new(store)).into())
        }))
    }

    /// Saves `credential` (encrypting its secret) and resolves to its new id.
    #[wasm_bindgen(unchecked_return_type = "Promise<string>")]
    pub fn save(&self, #[wasm_bindgen(unchecked_param_type = "ExpensifyCredential")] credential: JsValue) -> js_sys::Promise {
        let Some(cred) = ExpensifyCredential::find(&credential) else {
            return js_sys::Promise::reject(&bad_arg("credential", "must be an ExpensifyCredential"));
        };
        let store = self.0.clone();
        spawn_promise(Box::pin(async move { store.save(&cred).await.map(JsValue::from).map_err(|e| js_error(&e)) }))
    }

    /// Every stored credential's metadata, oldest first; unreadable records are listed as
    /// `{ id, error: "corrupt_record" }` after the others.
    #[wasm_bindgen(unchecked_return_type = "Promise<(StoredCredentialInfo | CorruptCredentialRecord)[]>")]
    pub fn list(&self) -> js_sys::Promise {
        let store = self.0.clone();
        spawn_promise(Box::pin(async move {
            let items = store.list().await.map_err(|e| js_error(&e))?;
            let out = js_sys::Array::new();
            for item in items {
                match item {
                    crate::web::expensify::Listed::Ok(info) => out.push(&to_js(&info.to_json())),
                    crate::web::expensify::Listed::Corrupt(id) => {
                        let o = Object::new();
                        let _ = Reflect::set(&o, &"id".into(), &id.into());
                        let _ = Reflect::set(&o, &"error".into(), &"corrupt_record".into());
                        out.push(&o)
                    }
                };
            }
            Ok(out.into())
        }))
    }

    /// Loads a credential that can send jobs; rejects with `credential_not_found` or
    /// `corrupt_record`.
    #[wasm_bindgen(unchecked_return_type = "Promise<ExpensifyCredential>")]
    pub fn get(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "ExpensifyOptions")] options: Option<JsValue>,
    ) -> js_sys::Promise {
        let store = self.0.clone();
        let args = string_arg(&id, "id").and_then(|id| Ok((id, send_options(options)?)));
        spawn_promise(Box::pin(async move {
            let (id, opts) = args?;
            let (cred, info) = store.get(&id).await.map_err(|e| js_error(&e))?;
            Ok(ExpensifyCredential::wrap(cred, opts, Some(info.id)).into())
        }))
    }

    /// Deletes a credential.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn delete(&self, #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue) -> js_sys::Promise {
        let id = or_reject!(string_arg(&id, "id"));
        let store = self.0.clone();
        spawn_promise(Box::pin(async move { store.delete(&id).await.map(|()| JsValue::UNDEFINED).map_err(|e| js_error(&e)) }))
    }
}
