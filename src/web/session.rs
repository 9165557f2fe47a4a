//! The browser session: login, callback, code exchange, token cache, single-flight refresh,
//! signed `fetch`, events. A Rust API (its operations are `async fn`s, or plain functions
//! returning a future, with typed errors): the JavaScript class `ExpensicatAuth` converts it in
//! `crate::bindings`, and a Rust front-end (Leptos, Yew, Dioxus) can use it directly.

#[allow(unused_imports)]
use crate::prelude::*;

use alloc::rc::Rc;
use core::cell::{Cell, RefCell};

use js_sys::{Function, Object, Reflect};
use wasm_bindgen::prelude::*;
use web_sys::Response;

use super::http::{post_token_request, send_api, sleep, Deadline};
use super::js::is_stream_body;
use super::shared::{Shared, Wait};
use super::{now_ms, random_bytes, storage, to_js};
use crate::protocol::callback::{cleaned_address_bar, validate_callback, CallbackParams};
use crate::protocol::config::{ClientConfig, StorageMode};
use crate::protocol::error::Error;
use crate::protocol::login::{start_login, LoginRequest, LOGIN_ENTROPY};
use crate::protocol::retry::{next_step, refresh_outcome, token_step, Attempt, RefreshOutcome, Step, TokenStep};
use crate::protocol::secret::{AccessToken, Secret};
use crate::protocol::session::{api_error, SessionInfo, Tokens};
use crate::protocol::sign::{api_url, sign_for};
use crate::protocol::token::{authorization_code_request, parse_token_response_limited, refresh_token_request, TokenRequest, TokenSet};
use crate::protocol::transaction::LoginTransaction;

/// Callbacks in flight or finished in this page, by `state`: a second `handleCallback` with the
/// same URL shares the first one's exchange (React StrictMode runs effects twice).
static CALLBACKS: crate::web::local::PageLocal<Vec<(String, Shared<SessionInfo>)>> = crate::web::local::PageLocal::new(Vec::new());
/// The address bar as this page cleaned it, and what it showed before: `(cleaned, original)`.
static CLEANED: crate::web::local::PageLocal<Option<(String, String)>> = crate::web::local::PageLocal::new(None);

/// Forgets the callbacks handled in this page, as a reload would. For tests.
#[doc(hidden)]
pub fn forget_handled_callbacks() {
    CALLBACKS.with(|m| m.borrow_mut().clear());
    CLEANED.with(|c| c.borrow_mut().take());
}

fn tx_key(state: &str) -> String {
    [storage::PREFIX, "tx:", state].concat()
}
fn done_key(state: &str) -> String {
    [storage::PREFIX, "done:", state].concat()
}

/// The method of a `RequestInit` (`GET` when it names none), as `fetch` reads it.
fn request_method(init: &JsValue) -> String {
    Reflect::get(init, &"method".into()).ok().and_then(|m| m.as_string()).unwrap_or_else(|| "GET".into())
}

/// Why a signed `fetch` failed: the library's typed error, or the reason the app's own
/// `AbortSignal` gave, as it is.
#[derive(Debug)]
pub enum FetchError {
    /// A library error (`origin_not_allowed`, `timeout`, `login_required`, `api_error`...).
    Auth(Error),
    /// The app aborted the request through its signal; its reason, unchanged.
    Aborted(JsValue),
}

impl From<Error> for FetchError {
    fn from(e: Error) -> Self {
        FetchError::Auth(e)
    }
}

/// The shared state of one `ExpensicatAuth`.
pub struct Session {
    config: ClientConfig,
    tokens: RefCell<Option<Tokens>>,
    /// The refresh in flight, with its number: a refresh clears the slot only while it still
    /// holds its own, never a newer one that replaced it after a logout and a new login.
    refreshing: RefCell<Option<(u64, Shared<Option<SessionInfo>>)>>,
    refreshes: Cell<u64>,
    /// Bumped by logout and session end, so a refresh finishing afterwards is discarded.
    generation: Cell<u64>,
    listeners: RefCell<Vec<(u32, Function)>>,
    next_listener: Cell<u32>,
}

impl Session {
    /// A session for `config`; in `sessionStorage` mode, a stored session is picked up.
    pub fn new(config: ClientConfig) -> Rc<Self> {
        let tokens = if config.storage() == StorageMode::SessionStorage {
            storage::get(&Self::session_key_for(&config))
                .ok()
                .flatten()
                .map(Secret::new)
                .and_then(|s| Tokens::from_storage(s.expose()).ok())
        } else {
            None
        };
        Rc::new(Session {
            config,
            tokens: RefCell::new(tokens),
            refreshing: RefCell::new(None),
            refreshes: Cell::new(0),
            generation: Cell::new(0),
            listeners: RefCell::new(Vec::new()),
            next_listener: Cell::new(1),
        })
    }

    fn session_key_for(config: &ClientConfig) -> String {
        [storage::PREFIX, "session:", config.client_id()].concat()
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// What the app may see of the session.
    pub fn info(&self) -> Option<SessionInfo> {
        self.tokens.borrow().as_ref().map(Tokens::info)
    }

    fn persist(&self) {
        if self.config.storage() != StorageMode::SessionStorage {
            return;
        }
        let key = Self::session_key_for(&self.config);
        match self.tokens.borrow().as_ref() {
            Some(t) => {
                let _ = storage::set(&key, t.to_storage().expose());
            }
            None => storage::remove(&key),
        }
    }

    fn emit(&self, kind: &str, reason: Option<&str>) {
        let event = Object::new();
        let _ = Reflect::set(&event, &"type".into(), &kind.into());
        if let Some(r) = reason {
            let _ = Reflect::set(&event, &"reason".into(), &r.into());
        }
        if let Some(info) = self.info() {
            let _ = Reflect::set(&event, &"session".into(), &to_js(&info.to_json()));
        }
        let listeners: Vec<Function> = self.listeners.borrow().iter().map(|(_, f)| f.clone()).collect();
        for f in listeners {
            // A throwing listener must not break the session.
            let _ = f.call1(&JsValue::UNDEFINED, &event);
        }
    }

    /// Adds a session listener; returns its id for [`Session::off`].
    pub fn on(&self, listener: Function) -> u32 {
        let id = self.next_listener.get();
        self.next_listener.set(id + 1);
        self.listeners.borrow_mut().push((id, listener));
        id
    }

    /// Removes a listener.
    pub fn off(&self, id: u32) {
        self.listeners.borrow_mut().retain(|(i, _)| *i != id);
    }

    fn end(&self, reason: &str) {
        let had = self.tokens.borrow_mut().take().is_some();
        self.generation.set(self.generation.get() + 1);
        self.refreshing.borrow_mut().take();
        self.persist();
        if had {
            self.emit("ended", Some(reason));
        }
    }

    /// Forgets tokens and pending login transactions.
    pub fn logout(&self) {
        for key in storage::keys_with_prefix(&[storage::PREFIX, "tx:"].concat()) {
            storage::remove(&key);
        }
        self.end("logout");
    }

    /// Uses a token the app already has (a session JWT) for signed calls; never refreshed.
    ///
    /// # Errors
    /// [`Error::InvalidToken`] for a malformed token.
    pub fn use_bearer_token(&self, token: &str, expires_at_ms: Option<u64>) -> Result<(), Error> {
        let t = Tokens::bearer(token, expires_at_ms)?;
        self.generation.set(self.generation.get() + 1);
        *self.tokens.borrow_mut() = Some(t);
        self.persist();
        self.emit("started", Some("bearer"));
        Ok(())
    }

    /// Removes expired transactions and old "handled" markers.
    fn sweep(&self, now: u64) {
        for key in storage::keys_with_prefix(&[storage::PREFIX, "tx:"].concat()) {
            let keep =
                storage::get(&key).ok().flatten().and_then(|v| LoginTransaction::from_storage(&v).ok()).is_some_and(|t| !t.is_expired(now));
            if !keep {
                storage::remove(&key);
            }
        }
        for key in storage::keys_with_prefix(&[storage::PREFIX, "done:"].concat()) {
            let until = storage::get(&key).ok().flatten().and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
            if until <= now {
                storage::remove(&key);
            }
        }
    }

    /// Creates PKCE + state, stores the transaction in `sessionStorage` under its state, and
    /// returns the authorize URL.
    ///
    /// # Errors
    /// Scope and parameter errors from the core, [`Error::Storage`], [`Error::InsufficientEntropy`].
    pub fn start_login(&self, request: &LoginRequest) -> Result<String, Error> {
        let now = now_ms();
        self.sweep(now);
        if self.config.par_endpoint().is_some() {
            // Pushing needs a request before the URL exists; this session's start_login makes
            // none. The package's JavaScript session pushes.
            return Err(Error::InvalidConfig { field: "par", reason: "is not supported by the Rust session yet" });
        }
        let start = start_login(&self.config, request, &random_bytes::<LOGIN_ENTROPY>()?, now)?;
        storage::set(&tx_key(start.transaction.state()), &start.transaction.to_storage())?;
        Ok(start.url)
    }

    /// Removes the response parameters from the address bar when the current page is the
    /// redirect URI, whatever the URL holds (see [`cleaned_address_bar`]). Runs synchronously,
    /// before any await, and remembers what the bar showed so that a later no-argument call in
    /// this page (React StrictMode runs effects twice) still sees the callback.
    fn clean_address_bar(&self) {
        let Some(window) = web_sys::window() else { return };
        let Ok(href) = window.location().href() else { return };
        let Some(cleaned) = cleaned_address_bar(&self.config, &href) else { return };
        if let Ok(history) = window.history() {
            if history.replace_state_with_url(&JsValue::NULL, "", Some(&cleaned)).is_ok() {
                CLEANED.with(|c| *c.borrow_mut() = Some((cleaned, href)));
            }
        }
    }

    /// The callback URL for `handleCallback()` without an argument: `location.href`, or what it
    /// was before this page cleaned it.
    fn current_callback_url() -> String {
        let href = web_sys::window().and_then(|w| w.location().href().ok()).unwrap_or_default();
        CLEANED.with(|c| match &*c.borrow() {
            Some((cleaned, original)) if *cleaned == href => original.clone(),
            _ => href,
        })
    }

    /// Handles the redirect back from the authorize endpoint; `url` defaults to the address bar.
    /// Before it returns (so before any await), the address bar loses the response parameters
    /// and the callback is checked against its stored transaction (consumed once, even on
    /// failure); the future then resolves when the code is exchanged. A second call for the same
    /// callback in this page (React StrictMode) shares the first one's exchange and outcome.
    ///
    /// # Errors
    /// The callback errors of [`crate::protocol::callback`] (`state_mismatch`, `access_denied`...),
    /// [`Error::CallbackAlreadyHandled`], and the token endpoint's errors.
    pub fn handle_callback(self: &Rc<Self>, url: Option<&str>) -> Wait<SessionInfo> {
        let url = url.map_or_else(Self::current_callback_url, str::to_owned);
        self.clean_address_bar();
        let params = match CallbackParams::parse(&self.config, &url) {
            Ok(p) => p,
            Err(e) => return Shared::ready(Err(e)).wait(),
        };
        let state = match params.state() {
            Ok(s) => s.to_owned(),
            Err(e) => return Shared::ready(Err(e)).wait(),
        };
        if let Some(p) = CALLBACKS.with(|m| m.borrow().iter().find(|(s, _)| *s == state).map(|(_, p)| p.clone())) {
            return p.wait();
        }
        let exchange = self.clone().exchange(params, &state);
        CALLBACKS.with(|m| m.borrow_mut().push((state, exchange.clone())));
        exchange.wait()
    }

    fn exchange(self: Rc<Self>, params: CallbackParams, state: &str) -> Shared<SessionInfo> {
        let now = now_ms();
        let stored = match storage::get(&tx_key(state)) {
            Ok(Some(s)) => s,
            Ok(None) => {
                let handled = storage::get(&done_key(state)).ok().flatten().is_some();
                return Shared::ready(Err(if handled { Error::CallbackAlreadyHandled } else { Error::StateMismatch }));
            }
            Err(e) => return Shared::ready(Err(e)),
        };
        // Consumed once, even when the checks below fail.
        storage::remove(&tx_key(state));
        let _ = storage::set(&done_key(state), &crate::protocol::text::decimal(now.saturating_add(self.config.transaction_ttl_ms())));
        let validated = match LoginTransaction::from_storage_for(&stored, &self.config)
            .and_then(|tx| validate_callback(&self.config, params, tx, now))
        {
            Ok(v) => v,
            Err(e) => return Shared::ready(Err(e)),
        };
        let requested = validated.requested_scopes().to_vec();
        let request = authorization_code_request(&self.config, validated);
        Shared::spawn(async move {
            let set = self.call_token_endpoint(&request).await?;
            self.generation.set(self.generation.get() + 1);
            let tokens = Tokens::from_token_set(set, &requested);
            let info = tokens.info();
            *self.tokens.borrow_mut() = Some(tokens);
            self.refreshing.borrow_mut().take();
            self.persist();
            self.emit("started", Some("login"));
            Ok(info)
        })
    }

    /// Sends a token request within the timeout and validates the answer within the size limit.
    async fn call_token_endpoint(&self, request: &TokenRequest) -> Result<TokenSet, Error> {
        let limit = self.config.max_token_response_bytes();
        let res = post_token_request(request, self.config.timeout_ms(), limit).await?;
        parse_token_response_limited(res.status, res.body.expose(), now_ms(), limit)
    }

    /// The single in-flight refresh, started if none is running.
    fn refresh_shared(self: &Rc<Self>) -> Shared<Option<SessionInfo>> {
        if let Some((_, r)) = self.refreshing.borrow().clone() {
            return r;
        }
        let id = self.refreshes.get() + 1;
        self.refreshes.set(id);
        let me = self.clone();
        let refresh = Shared::spawn(async move {
            let result = me.clone().do_refresh().await;
            let mine = me.refreshing.borrow().as_ref().is_some_and(|(slot, _)| *slot == id);
            if mine {
                me.refreshing.borrow_mut().take();
            }
            result.map(|()| me.info())
        });
        *self.refreshing.borrow_mut() = Some((id, refresh.clone()));
        refresh
    }

    async fn do_refresh(self: Rc<Self>) -> Result<(), Error> {
        let generation = self.generation.get();
        let request = {
            let tokens = self.tokens.borrow();
            let rt = tokens.as_ref().and_then(Tokens::refresh_token).ok_or(Error::LoginRequired)?;
            refresh_token_request(&self.config, rt, None)
        };
        let parsed = self.call_token_endpoint(&request).await;
        match refresh_outcome(parsed, self.generation.get() != generation) {
            RefreshOutcome::Rotate(set) => {
                if let Some(t) = self.tokens.borrow_mut().as_mut() {
                    t.rotate(set);
                }
                self.persist();
                self.emit("refreshed", None);
                Ok(())
            }
            RefreshOutcome::End(e) => {
                self.end("invalid_grant");
                Err(e)
            }
            RefreshOutcome::Report(e) => Err(e),
        }
    }

    /// Refreshes now, sharing any refresh already in flight; resolves to the session.
    ///
    /// # Errors
    /// [`Error::LoginRequired`] without a refresh token; the token endpoint's errors
    /// (`invalid_grant` ends the session: event `ended`, reason `invalid_grant`).
    pub fn refresh(self: &Rc<Self>) -> Wait<Option<SessionInfo>> {
        if self.tokens.borrow().as_ref().and_then(Tokens::refresh_token).is_none() {
            return Shared::ready(Err(Error::LoginRequired)).wait();
        }
        self.refresh_shared().wait()
    }

    /// A valid access token: the cached one while fresh (checked against the clock on every
    /// read), else one refresh shared by all callers. `stale` is a token the API just refused:
    /// a refresh is forced unless the session already moved past it.
    ///
    /// # Errors
    /// [`Error::LoginRequired`] without a session (or when it expired and cannot refresh), and
    /// the refresh's errors.
    pub async fn valid_token(self: &Rc<Self>, stale: Option<&str>) -> Result<AccessToken, Error> {
        let step = {
            let tokens = self.tokens.borrow();
            let t = tokens.as_ref().ok_or(Error::LoginRequired)?;
            match token_step(t, stale, now_ms(), self.config.clock_skew_ms()) {
                TokenStep::UseCurrent => return Ok(t.access_token().duplicate()),
                step => step,
            }
        };
        if step == TokenStep::End {
            self.end("expired");
            return Err(Error::LoginRequired);
        }
        self.refresh_shared().wait().await?;
        let tokens = self.tokens.borrow();
        tokens.as_ref().map(|t| t.access_token().duplicate()).ok_or(Error::LoginRequired)
    }

    /// `fetch` with the bearer token: only for the API origin; one refresh and one retry on 401;
    /// one wait within the bound on 429. A `ReadableStream` body is sent once and never retried
    /// (`fetch` consumes it): the 401 or 429 answer is returned as it is. The deadline covers the
    /// body too, and is returned with the response.
    ///
    /// # Errors
    /// [`FetchError::Auth`] (`origin_not_allowed` before any request, `timeout`, `network`,
    /// `rate_limited`, `login_required`...) or [`FetchError::Aborted`].
    pub async fn fetch_with_deadline(self: Rc<Self>, path_or_url: String, init: JsValue) -> Result<(Response, Deadline), FetchError> {
        let err = FetchError::Auth;
        let method = request_method(&init);
        let (base, origin) = (self.config.api_base().to_owned(), self.config.api_origin().to_owned());
        // Refuse a foreign URL before touching the token: no refresh, no request.
        api_url(&base, &origin, &path_or_url).map_err(err)?;
        let replayable = !is_stream_body(&Reflect::get(&init, &"body".into()).unwrap_or(JsValue::UNDEFINED));
        let mut token = self.valid_token(None).await?;
        let mut attempt = Attempt { replayable, ..Attempt::default() };
        loop {
            let signed = sign_for(&base, &origin, &token, &method, &path_or_url).map_err(err)?;
            let (response, deadline) = match send_api(&signed.url, signed.authorization.expose(), &init, self.config.timeout_ms()).await {
                Ok(r) => r,
                Err(Ok(e)) => return Err(err(e)),
                Err(Err(reason)) => return Err(FetchError::Aborted(reason)),
            };
            attempt.can_refresh = self.tokens.borrow().as_ref().is_some_and(|t| t.refresh_token().is_some());
            let retry_after = response.headers().get("Retry-After").ok().flatten();
            match next_step(response.status(), retry_after.as_deref(), now_ms(), self.config.max_retry_after_ms(), attempt) {
                Step::Return => return Ok((response, deadline)),
                Step::RefreshAndRetry => {
                    attempt.refreshed = true;
                    token = self.valid_token(Some(token.expose())).await?;
                }
                Step::WaitAndRetry { ms } => {
                    attempt.waited = true;
                    sleep(ms).await;
                }
                Step::Fail(e) => return Err(err(e)),
            }
        }
    }

    /// [`Session::fetch_with_deadline`] for the app, which reads the body itself (within the
    /// same deadline).
    ///
    /// # Errors
    /// As [`Session::fetch_with_deadline`].
    pub async fn fetch(self: Rc<Self>, path_or_url: String, init: JsValue) -> Result<Response, FetchError> {
        Ok(self.fetch_with_deadline(path_or_url, init).await?.0)
    }

    /// [`Session::fetch`], then the JSON body for 2xx, or a typed error (`unauthorized`,
    /// `insufficient_scope` with the scope, `rate_limited`, `api_error`, `invalid_response`).
    ///
    /// # Errors
    /// As [`Session::fetch_with_deadline`], and the typed API errors of
    /// [`crate::protocol::session::api_error`].
    pub async fn fetch_json(self: Rc<Self>, path_or_url: String, init: JsValue) -> Result<JsValue, FetchError> {
        let method = request_method(&init);
        let (response, deadline) = self.clone().fetch_with_deadline(path_or_url.clone(), init).await?;
        let status = response.status();
        let retry_after = response.headers().get("Retry-After").ok().flatten();
        let body = deadline.read(&response, self.config.max_response_bytes()).await?;
        let body = body.expose();
        if (200..300).contains(&status) {
            if body.is_empty() {
                return Ok(JsValue::NULL);
            }
            return js_sys::JSON::parse(body).map_err(|_| FetchError::Auth(Error::not_json(status)));
        }
        let path = crate::protocol::text::split_once_str(&path_or_url, "/api").map_or(path_or_url.as_str(), |(_, p)| p);
        Err(FetchError::Auth(api_error(status, body, retry_after.as_deref(), now_ms(), &method, path)))
    }
}
