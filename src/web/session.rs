//! The browser session in Rust, for Rust front-ends (Leptos, Yew, Dioxus): login, callback, code
//! exchange, tokens, refresh, signed `fetch`, events, as `async fn`s with typed errors.
//!
//! A driver of the same machine as the package's JavaScript session
//! ([`crate::protocol::session_machine`]): every ordering decision (what a logout cancels, which
//! refresh is shared, when a late answer is discarded and its tokens revoked) is the machine's;
//! this file performs its actions (`fetch` to the token endpoint, revocation, timers, the app's
//! listeners) and feeds the results back.
//!
//! What it lacks next to the JavaScript session: it is one page's session. It does not share the
//! session with other tabs (no BroadcastChannel, Web Locks or shared record) and keeps it in
//! memory only (no `sessionStorage`, no sealed IndexedDB record), so [`Session::new`] refuses
//! `shareAcrossTabs: true` and any `storage` but `memory` rather than ignore them.

#[allow(unused_imports)]
use crate::prelude::*;

use alloc::boxed::Box;
use alloc::rc::Rc;
use core::cell::{Cell, RefCell};

use js_sys::Reflect;
use wasm_bindgen::prelude::*;
use web_sys::Response;

use super::http::{post_token_request, post_unread, send_api, sleep, Deadline};
use super::js::is_stream_body;
use super::shared::{Shared, Take, Wait};
use super::{now_ms, random_bytes, storage};
use crate::protocol::callback::{cleaned_address_bar, validate_callback, CallbackParams};
use crate::protocol::config::{ClientConfig, StorageMode};
use crate::protocol::error::Error;
use crate::protocol::login::{start_login, LoginRequest, LOGIN_ENTROPY};
use crate::protocol::retry::{next_step, Attempt, Step};
use crate::protocol::secret::AccessToken;
use crate::protocol::session::{api_error, SessionInfo, Tokens};
use crate::protocol::session_machine::{Action, Call, Event, Machine, Outcome};
use crate::protocol::sign::{api_path, api_url, sign_for};
use crate::protocol::token::authorization_code_request;
use crate::protocol::transaction::LoginTransaction;

pub use crate::protocol::session_machine::{Change, EndReason, StartReason};

/// Callbacks in flight or finished in this page, by `state`: a second `handle_callback` with the
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

/// Whether the browser says it is offline (`navigator.onLine === false`): a request is then not
/// sent, and the machine knows its refresh token is unspent.
fn offline() -> bool {
    let navigator = Reflect::get(&js_sys::global(), &"navigator".into()).unwrap_or(JsValue::UNDEFINED);
    navigator.is_object() && Reflect::get(&navigator, &"onLine".into()).ok() == Some(JsValue::FALSE)
}

/// A fresh login id's random part.
fn nonce() -> Result<u32, Error> {
    Ok(u32::from_le_bytes(random_bytes::<4>()?))
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

/// What a session listener is told: the change (`Started`, `Refreshed`, `Ended`, never `Ready`:
/// see [`Session::ready`]) and what the app may see of the session now.
pub type Listener = Box<dyn Fn(Change, Option<&SessionInfo>)>;

/// A signed-in session of one page: the driver of a [`Machine`].
pub struct Session {
    config: Rc<ClientConfig>,
    machine: RefCell<Machine>,
    /// The app calls waiting for the machine, by call id.
    calls: RefCell<Vec<(u64, Shared<Outcome>)>>,
    next_call: Cell<u64>,
    /// Settled when the machine knows whether a session exists.
    ready: Shared<()>,
    listeners: RefCell<Vec<(u32, Rc<Listener>)>>,
    next_listener: Cell<u32>,
}

impl Session {
    /// A session for `config`.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for `shareAcrossTabs: true`: this session is one page's (the
    /// package's JavaScript session shares). Without sharing, [`ClientConfig::new`] already
    /// refuses any `storage` but `memory`. [`Error::InvalidConfig`] for `dpop: true` too: this
    /// session does not sign DPoP proofs (the package's JavaScript session does).
    pub fn new(config: ClientConfig) -> Result<Rc<Self>, Error> {
        if config.share_across_tabs() {
            return Err(Error::InvalidConfig { field: "shareAcrossTabs", reason: "must be false: the Rust session is one page's" });
        }
        if config.dpop() {
            return Err(Error::InvalidConfig {
                field: "dpop",
                reason: "is not supported by the Rust session (the JavaScript session signs DPoP proofs)",
            });
        }
        debug_assert!(config.storage() == StorageMode::Memory);
        let config = Rc::new(config);
        let (machine, actions) = Machine::new(config.clone());
        let session = Rc::new(Session {
            config,
            machine: RefCell::new(machine),
            calls: RefCell::new(Vec::new()),
            next_call: Cell::new(0),
            ready: Shared::pending(),
            listeners: RefCell::new(Vec::new()),
            next_listener: Cell::new(1),
        });
        session.perform(actions);
        Ok(session)
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// What the app may see of the session (never a token).
    pub fn info(&self) -> Option<SessionInfo> {
        self.machine.borrow().info()
    }

    /// Whether the session still waits to know whether a session exists. A session of one page
    /// in memory knows at once; kept for the same API as the JavaScript session.
    pub fn is_loading(&self) -> bool {
        self.machine.borrow().is_loading()
    }

    /// Resolves when the session knows whether a session exists.
    pub async fn ready(&self) {
        let _ = self.ready.wait().await;
    }

    /// Adds a session listener; returns its id for [`Session::off`]. A listener that panics
    /// traps the page, as any panic in wasm does: keep it small.
    pub fn on(&self, listener: impl Fn(Change, Option<&SessionInfo>) + 'static) -> u32 {
        let id = self.next_listener.get();
        self.next_listener.set(id + 1);
        self.listeners.borrow_mut().push((id, Rc::new(Box::new(listener))));
        id
    }

    /// Removes a listener.
    pub fn off(&self, id: u32) {
        self.listeners.borrow_mut().retain(|(i, _)| *i != id);
    }

    // ---- the driver ----

    /// Feeds one event to the machine and performs what it asks.
    fn feed(self: &Rc<Self>, event: Event) {
        let actions = self.machine.borrow_mut().handle(now_ms(), event);
        self.perform(actions);
    }

    fn perform(self: &Rc<Self>, actions: Vec<Action>) {
        for action in actions {
            match action {
                Action::Send { id, .. } if offline() => self.later(Event::Unsent { id }),
                Action::Send { id, request } => {
                    let me = self.clone();
                    wasm_bindgen_futures::spawn_local(async move {
                        let (timeout, limit) = (me.config.timeout_ms(), me.config.max_token_response_bytes());
                        let event = match post_token_request(&request, timeout, limit).await {
                            Ok(res) => Event::Answer { id, status: res.status, body: res.body },
                            Err(error) => Event::Failed { id, error },
                        };
                        me.feed(event);
                    });
                }
                Action::Revoke { id, request } => {
                    let me = self.clone();
                    wasm_bindgen_futures::spawn_local(async move {
                        let timeout = me.config.timeout_ms();
                        // Best effort: whatever the answer (its body is not waited for), the
                        // revocation is done.
                        let status = post_unread(&request, timeout).await.unwrap_or(0);
                        // The Rust session signs no DPoP proofs: no nonce to retry with.
                        me.feed(Event::Revoked { id, status, nonce: false });
                    });
                }
                // One page, in memory: no other tab to tell, nothing stored, no lock another
                // holder could hold, no shared record (the machine then keeps the refresh token
                // to the page that produced the session, which is this one).
                Action::Broadcast(_) | Action::Store { .. } | Action::Unlock(_) | Action::Write(_) => {}
                Action::Lock(p) => self.later(Event::Locked(p, true)),
                Action::Read(p) => self.later(Event::Shared(p, None)),
                Action::Mark(p, _) => self.later(Event::Marked(p, false)),
                Action::Emit(Change::Ready, _) => self.ready.set(Ok(())),
                Action::Emit(change, info) => {
                    let listeners: Vec<Rc<Listener>> = self.listeners.borrow().iter().map(|(_, f)| f.clone()).collect();
                    for f in listeners {
                        f(change, info.as_ref());
                    }
                }
                Action::Settle(id, result) => {
                    let reply = {
                        let mut calls = self.calls.borrow_mut();
                        calls.iter().position(|(c, _)| *c == id).map(|i| calls.swap_remove(i).1)
                    };
                    if let Some(reply) = reply {
                        reply.set(result);
                    }
                }
                Action::SetTimer(timer, ms) => {
                    let me = self.clone();
                    wasm_bindgen_futures::spawn_local(async move {
                        sleep(ms).await;
                        me.feed(Event::Timer(timer));
                    });
                }
                // No DPoP key here: `new` refuses `dpop`.
                Action::Forget(_) => {}
            }
        }
    }

    /// Feeds `event` on the microtask queue, as an answer from the browser would come.
    fn later(self: &Rc<Self>, event: Event) {
        let me = self.clone();
        wasm_bindgen_futures::spawn_local(async move { me.feed(event) });
    }

    /// Makes an app call now (as a promise would: before the caller awaits anything) and returns
    /// the settlement to wait for.
    fn ask(self: &Rc<Self>, call: Call) -> Take<Outcome> {
        let id = self.next_call.get() + 1;
        self.next_call.set(id);
        let reply = Shared::pending();
        self.calls.borrow_mut().push((id, reply.clone()));
        self.feed(Event::Call(id, call));
        reply.take()
    }

    // ---- the app's calls ----

    /// Forgets pending login transactions and ends the session: the tokens are forgotten (event
    /// `Ended(Logout)`), a code exchange or refresh in flight is cancelled (a late answer's
    /// tokens are revoked), and with a `revocationEndpoint` the tokens are revoked (RFC 7009),
    /// best effort. The logout happens when this is called; the future resolves when it is done.
    pub fn logout(self: &Rc<Self>) -> impl core::future::Future<Output = ()> {
        for key in storage::keys_with_prefix(&[storage::PREFIX, "tx:"].concat()) {
            storage::remove(&key);
        }
        // A callback handled before is that login's: it no longer answers for this page.
        CALLBACKS.with(|m| m.borrow_mut().clear());
        let done = self.ask(Call::Logout);
        async move {
            let _ = done.await;
        }
    }

    /// Uses a token the app already has (a session JWT) for signed calls; never refreshed.
    ///
    /// # Errors
    /// [`Error::InvalidToken`] for a malformed token; [`Error::InsufficientEntropy`].
    pub fn use_bearer_token(self: &Rc<Self>, token: &str, expires_at_ms: Option<u64>) -> Result<(), Error> {
        let tokens = Tokens::bearer(token, expires_at_ms)?;
        let id = self.next_call.get() + 1;
        self.next_call.set(id);
        self.feed(Event::Call(id, Call::Bearer { tokens, nonce: nonce()? }));
        Ok(())
    }

    /// Removes expired transactions and old "handled" markers.
    fn sweep(now: u64) {
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
        Self::sweep(now);
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
    fn clean_address_bar(config: &ClientConfig) {
        let Some(window) = web_sys::window() else { return };
        let Ok(href) = window.location().href() else { return };
        let Some(cleaned) = cleaned_address_bar(config, &href) else { return };
        if let Ok(history) = window.history() {
            if history.replace_state_with_url(&JsValue::NULL, "", Some(&cleaned)).is_ok() {
                CLEANED.with(|c| *c.borrow_mut() = Some((cleaned, href)));
            }
        }
    }

    /// The callback URL for `handle_callback(None)`: `location.href`, or what it was before this
    /// page cleaned it.
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
    /// callback in this page (React StrictMode) shares the first one's exchange and outcome. A
    /// logout made meanwhile ends that login: `login_required`.
    ///
    /// # Errors
    /// The callback errors of [`crate::protocol::callback`] (`state_mismatch`, `access_denied`...),
    /// [`Error::CallbackAlreadyHandled`], and the token endpoint's errors.
    pub fn handle_callback(self: &Rc<Self>, url: Option<&str>) -> Wait<SessionInfo> {
        let config = &self.config;
        let url = url.map_or_else(Self::current_callback_url, str::to_owned);
        Self::clean_address_bar(config);
        let params = match CallbackParams::parse(config, &url) {
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
        let exchange = match self.checked_callback(params, &state) {
            Ok(call) => {
                // Given to the machine now: a logout made after this call ends that login.
                let settled = self.ask(call);
                Shared::spawn(async move {
                    match settled.await? {
                        Outcome::Session(info) => Ok(info),
                        _ => Err(Error::LoginRequired),
                    }
                })
            }
            Err(e) => Shared::ready(Err(e)),
        };
        CALLBACKS.with(|m| m.borrow_mut().push((state, exchange.clone())));
        exchange.wait()
    }

    /// The stored transaction for `state`, consumed, and the callback checked against it: the
    /// machine's code exchange call.
    fn checked_callback(&self, params: CallbackParams, state: &str) -> Result<Call, Error> {
        let (config, now) = (&*self.config, now_ms());
        let Some(stored) = storage::get(&tx_key(state))? else {
            let handled = storage::get(&done_key(state)).ok().flatten().is_some();
            return Err(if handled { Error::CallbackAlreadyHandled } else { Error::StateMismatch });
        };
        // Consumed once, even when the checks below fail.
        storage::remove(&tx_key(state));
        let _ = storage::set(&done_key(state), &crate::protocol::decimal::decimal(now.saturating_add(config.transaction_ttl_ms())));
        let validated = validate_callback(config, params, LoginTransaction::from_storage_for(&stored, config)?, now)?;
        let requested = validated.requested_scopes().to_vec();
        Ok(Call::Exchange { request: authorization_code_request(config, validated), requested, nonce: nonce()? })
    }

    /// Refreshes now, sharing a refresh already in flight; resolves to the session.
    ///
    /// # Errors
    /// [`Error::LoginRequired`] without a refresh token; the token endpoint's errors
    /// (`invalid_grant` ends the session: `Ended(InvalidGrant)`). The refresh starts (or joins
    /// the one in flight) when this is called.
    pub fn refresh(self: &Rc<Self>) -> impl core::future::Future<Output = Result<SessionInfo, Error>> {
        let settled = self.ask(Call::Refresh);
        async move {
            match settled.await? {
                Outcome::Session(info) => Ok(info),
                _ => Err(Error::LoginRequired),
            }
        }
    }

    /// A valid access token: the current one while fresh (checked against the clock on every
    /// call), else one refresh shared by all callers. `stale` is a token the API just refused:
    /// a refresh is forced unless the session already moved past it, and a session that cannot
    /// refresh (a bearer token) ends (`Ended(Expired)`).
    ///
    /// # Errors
    /// [`Error::LoginRequired`] without a session (or when it expired and cannot refresh), and
    /// the refresh's errors.
    pub fn valid_token(self: &Rc<Self>, stale: Option<AccessToken>) -> impl core::future::Future<Output = Result<AccessToken, Error>> {
        let settled = self.ask(Call::Token { stale });
        async move {
            match settled.await? {
                Outcome::Token(t) => Ok(t),
                _ => Err(Error::LoginRequired),
            }
        }
    }

    /// `fetch` with the bearer token: only for the API origin; one refresh and one retry on 401
    /// (or a 403 whose `WWW-Authenticate` says `invalid_token`); one wait within the bound on 429
    /// (the decisions of [`next_step`]). A `ReadableStream`
    /// body is sent once and never retried (`fetch` consumes it): the 401 or 429 answer is
    /// returned as it is. The deadline covers the body too, and is returned with the response.
    ///
    /// # Errors
    /// [`FetchError::Auth`] (`origin_not_allowed` before any request, `timeout`, `network`,
    /// `rate_limited`, `login_required`...) or [`FetchError::Aborted`].
    pub async fn fetch_with_deadline(self: Rc<Self>, path_or_url: String, init: JsValue) -> Result<(Response, Deadline), FetchError> {
        let err = FetchError::Auth;
        let method = request_method(&init);
        let config = self.config.clone();
        let (base, origin) = (config.api_base(), config.api_origin());
        // Refuse a foreign URL before touching the token: no refresh, no request.
        api_url(base, origin, &path_or_url).map_err(err)?;
        let replayable = !is_stream_body(&Reflect::get(&init, &"body".into()).unwrap_or(JsValue::UNDEFINED));
        let mut token = self.valid_token(None).await?;
        let mut attempt = Attempt { replayable, ..Attempt::default() };
        loop {
            let signed = sign_for(base, origin, &token, &method, &path_or_url).map_err(err)?;
            let (response, deadline) = match send_api(&signed.url, signed.authorization.expose(), &init, config.timeout_ms()).await {
                Ok(r) => r,
                Err(Ok(e)) => return Err(err(e)),
                Err(Err(reason)) => return Err(FetchError::Aborted(reason)),
            };
            attempt.can_refresh = self.info().is_some_and(|i| i.has_refresh_token);
            let retry_after = response.headers().get("Retry-After").ok().flatten();
            let www_authenticate = response.headers().get("WWW-Authenticate").ok().flatten();
            let step = next_step(
                response.status(),
                retry_after.as_deref(),
                www_authenticate.as_deref(),
                now_ms(),
                config.max_retry_after_ms(),
                attempt,
            );
            if step != Step::Return {
                // Not given to the app: its body is not read.
                deadline.cancel();
            }
            match step {
                Step::Return => return Ok((response, deadline)),
                Step::RefreshAndRetry => {
                    attempt.refreshed = true;
                    token = self.valid_token(Some(token)).await?;
                }
                Step::WaitAndRetry { ms } => {
                    attempt.waited = true;
                    sleep(ms).await;
                }
                // Never here: this session's calls are not DPoP-signed (`attempt.dpop` is false).
                Step::NonceAndRetry => attempt.nonced = true,
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
        let (limit, base) = (self.config.max_response_bytes(), self.config.api_base().to_owned());
        let (response, deadline) = self.clone().fetch_with_deadline(path_or_url.clone(), init).await?;
        let status = response.status();
        let retry_after = response.headers().get("Retry-After").ok().flatten();
        let www_authenticate = response.headers().get("WWW-Authenticate").ok().flatten();
        let body = deadline.read(&response, limit).await?;
        let body = body.expose();
        if (200..300).contains(&status) {
            if body.is_empty() {
                return Ok(JsValue::NULL);
            }
            return js_sys::JSON::parse(body).map_err(|_| FetchError::Auth(Error::not_json(status)));
        }
        let path = api_path(&base, &path_or_url);
        Err(FetchError::Auth(api_error(status, body, retry_after.as_deref(), www_authenticate.as_deref(), now_ms(), &method, path)))
    }
}
