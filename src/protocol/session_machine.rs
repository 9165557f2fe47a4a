//! The session as a state machine, sans I/O: every state of a signed-in session and every
//! ordering decision between the tabs of one origin. Events go in ([`Machine::handle`]: the
//! app's calls, token-endpoint answers with the request id they answer, messages from other tabs,
//! the refresh lock granted or timed out, the shared record read, storage loaded, timers, each
//! with the time), actions come out ([`Action`]: send this request, broadcast this message,
//! store or erase the session, take or release the lock, read or write the shared record, tell
//! the app, settle a call, set a timer). No clock, no randomness, no I/O: the drivers (the
//! package's JavaScript session, `web::session` for Rust front-ends, and the simulation in
//! `tests/session_sim.rs`) perform the actions and feed the results back.
//!
//! # The order of sessions
//! A session has a [`Version`]: the login it comes from (an id that the login draws from the
//! clock and the CSPRNG, newer logins larger) and the number of refreshes since. A tab adopts a
//! session from another tab or from storage only when it is newer than every session it has held
//! and its login is newer than every login it knows has ended ([`Machine`]'s `ended`), so a late
//! message, a reloaded record or a record written back by hand never revives an ended login.
//!
//! # Who may send a refresh token
//! Refresh tokens rotate: a token sent twice makes the server revoke the whole family. A tab
//! sends one only while it holds the refresh lock (Web Locks) and after reading the shared
//! record (IndexedDB: the newest version and the newest ended login of the client, written before
//! the lock is released), and only when its version is the newest. Where the shared record cannot
//! be kept (no IndexedDB), nothing could order one tab's refresh after another's, so only the tab
//! that produced the current version (by its login or its own refresh) holds the refresh token:
//! other tabs receive the session without it and ask that tab for a newer one.
//!
//! # Logout
//! Ends the session at once (tokens forgotten, every operation of its generation cancelled: a
//! code exchange or refresh answering later is discarded, and tokens it brought are revoked),
//! tells the other tabs, and records the ended login in the shared record under the lock before
//! the call settles. A logout made before the tab knows whether a session exists (while it asks
//! the other tabs and reads storage) waits for that answer and ends what it finds.

#[allow(unused_imports)]
use crate::prelude::*;

use alloc::rc::Rc;

use super::config::{ClientConfig, StorageMode};
use super::error::{Error, Result};
use super::retry::{refresh_outcome, token_step_of, RefreshOutcome, Stale, TokenStep};
use super::secret::{AccessToken, Secret};
use super::session::{SessionInfo, Tokens};
use super::token::{parse_token_answer, refresh_token_request, revocation_request, Revocable, TokenRequest};

/// Whether the guard `$g` is in place: always, but in the simulation's mutants.
macro_rules! guard {
    ($m:expr, $g:ident) => {{
        #[cfg(feature = "fuzzing")]
        let on = $m.guarded(Guard::$g);
        #[cfg(not(feature = "fuzzing"))]
        let on = true;
        on
    }};
}

/// How long a new tab waits for a live tab to send it the session, ms.
pub const ASK_MS: u64 = 300;

/// Where a session stands among the sessions of one client: the login it comes from, then the
/// number of refreshes since. Ordered by login, then by refresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Version {
    /// The login's id (0: none).
    pub login: u64,
    /// Refreshes since the login.
    pub seq: u64,
}

/// The record the tabs of one client share (IndexedDB), read and written only under the refresh
/// lock: the newest version any tab produced, the newest login that ended, the newest refresh
/// token sent. A write merges: each field keeps the larger of the stored and the written value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SharedRecord {
    /// The newest version produced by a login or a refresh.
    pub newest: Version,
    /// The version a logout ended at: its login and everything before it are over.
    pub ended: Version,
    /// The newest version whose refresh token was sent: written before the request goes out, so
    /// that when the sending tab closes before the answer, no other tab sends that token again.
    pub spent: Version,
    /// The newest version whose refresh token a logout revoked.
    pub revoked: Version,
    /// How many refresh tokens were marked as sent (each mark adds one).
    pub tries: u64,
    /// The last of those tries that came back unspent: the server answered with an error other
    /// than `invalid_grant` (so it did not rotate), or the driver never sent it (offline).
    pub answered: u64,
}

/// A message between the tabs of one client (BroadcastChannel). Read from the channel like any
/// untrusted input (`protocol::session_wire` reads it).
#[derive(Debug)]
pub enum Message {
    /// A new tab asks the live tabs for their session.
    Ask,
    /// A tab's session: its version and record (tokens; no refresh token where the tabs cannot
    /// share the refresh, see the module docs).
    Session {
        /// The session's version.
        version: Version,
        /// The session record (as stored).
        record: Secret,
    },
    /// A login ended at `version` (and every login before it). `reason`: `logout`,
    /// `invalid_grant` or `expired`.
    Ended {
        /// The version the sender held.
        version: Version,
        /// Why.
        reason: EndReason,
    },
    /// A tab needs a session newer than `version` (no shared record: only its producer refreshes).
    Need {
        /// The version the sender holds.
        version: Version,
    },
}

/// Why a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    /// The app logged out (here or in another tab).
    Logout,
    /// The server refused the refresh token.
    InvalidGrant,
    /// The access token expired and there is no way to refresh it.
    Expired,
    /// A stored session did not open.
    CorruptRecord,
}

impl EndReason {
    /// The `reason` of the `ended` event.
    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::Logout => "logout",
            EndReason::InvalidGrant => "invalid_grant",
            EndReason::Expired => "expired",
            EndReason::CorruptRecord => "corrupt_record",
        }
    }
}

/// Why a session started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartReason {
    /// A code exchange in this tab.
    Login,
    /// A token the app supplied.
    Bearer,
    /// Another tab's session.
    Tab,
    /// The stored session.
    Restored,
}

impl StartReason {
    /// The `reason` of the `started` event.
    pub fn as_str(self) -> &'static str {
        match self {
            StartReason::Login => "login",
            StartReason::Bearer => "bearer",
            StartReason::Tab => "tab",
            StartReason::Restored => "restored",
        }
    }
}

/// A change the app is told about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// The tab knows now whether there is a session (`loading` ends).
    Ready,
    /// A session started.
    Started(StartReason),
    /// The session's tokens were refreshed.
    Refreshed,
    /// The session ended.
    Ended(EndReason),
}

/// Why the refresh lock or the shared record is wanted (echoed back with the answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Loading: the ended login and the newest version before adopting anything.
    Load,
    /// A refresh.
    Refresh,
    /// Recording a logout.
    Logout,
    /// Adopting another tab's session: its login must not have ended meanwhile.
    Adopt,
}

/// The timers the machine sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timer {
    /// The live tabs had their chance to answer `Ask`.
    Ask,
    /// A newer session announced elsewhere did not arrive (the number tells catch-ups apart).
    CatchUp(u64),
}

/// What a settled call resolves to.
#[derive(Debug)]
pub enum Outcome {
    /// An access token (`accessToken()`, the token of `fetch`).
    Token(AccessToken),
    /// The session after a refresh or login.
    Session(SessionInfo),
    /// Done (`logout()`).
    Done,
}

/// What the machine asks its driver to do, in order.
#[derive(Debug)]
pub enum Action {
    /// Send `request` to the token endpoint; answer with [`Event::Answer`] or [`Event::Failed`]
    /// carrying `id`.
    Send {
        /// The request id.
        id: u64,
        /// The request.
        request: TokenRequest,
    },
    /// Send a revocation request (RFC 7009), best effort; answer with [`Event::Revoked`].
    Revoke {
        /// The request id.
        id: u64,
        /// The request.
        request: TokenRequest,
    },
    /// Post to the other tabs.
    Broadcast(Message),
    /// Store the session (`sessionStorage`, or sealed in IndexedDB under a key of its login), or
    /// erase it (`None`: and the sealing keys of every login before `ended`); record `ended`.
    Store {
        /// The session and its version.
        session: Option<(Secret, Version)>,
        /// The newest ended login this tab knows.
        ended: Version,
    },
    /// Ask for the refresh lock, for at most twice the timeout; answer [`Event::Locked`].
    Lock(Purpose),
    /// Release the lock held for this purpose (after every action before it is done).
    Unlock(Purpose),
    /// Read the shared record; answer [`Event::Shared`].
    Read(Purpose),
    /// Write the shared record (before the `Unlock` that follows).
    Write(SharedRecord),
    /// Write the shared record and say whether it was written ([`Event::Marked`]): the mark of
    /// a refresh token about to be sent, which must be stored before it goes out.
    Mark(Purpose, SharedRecord),
    /// Tell the app's listeners; `session` is what the app may see now.
    Emit(Change, Option<SessionInfo>),
    /// Settle an app call.
    Settle(u64, Result<Outcome>),
    /// Call back with [`Event::Timer`] after `ms`.
    SetTimer(Timer, u64),
    /// Destroy the DPoP key of this thumbprint (RFC 9449): its login is over. The requests of
    /// the actions before this one are signed with it first.
    Forget(String),
}

/// A stored session as the driver read it back.
#[derive(Debug)]
pub enum Stored {
    /// Nothing stored (or storage unavailable).
    Nothing,
    /// A record that does not open or read (changed, truncated, key gone).
    Corrupt,
    /// The record and its version.
    Session(Secret, Version),
}

/// An app call.
#[derive(Debug)]
pub enum Call {
    /// A valid access token; `stale` is a token the API just refused.
    Token {
        /// The refused token, if any.
        stale: Option<AccessToken>,
    },
    /// Refresh now.
    Refresh,
    /// Log out.
    Logout,
    /// Exchange a validated callback's code: `request` from `authorization_code_request`.
    Exchange {
        /// The token request.
        request: TokenRequest,
        /// The scopes the login asked for.
        requested: Vec<String>,
        /// A fresh login id's random part (20 bits are used).
        nonce: u32,
    },
    /// Use a token the app supplies.
    Bearer {
        /// The session.
        tokens: Tokens,
        /// A fresh login id's random part.
        nonce: u32,
    },
}

/// What happens to the machine.
#[derive(Debug)]
pub enum Event {
    /// An app call, with the id its settlement will carry.
    Call(u64, Call),
    /// The token endpoint answered request `id` with `status` and `body`.
    Answer {
        /// The request id.
        id: u64,
        /// The HTTP status.
        status: u16,
        /// The body.
        body: Secret,
    },
    /// Request `id` failed before an answer (`network`, `timeout`, a body too large...).
    Failed {
        /// The request id.
        id: u64,
        /// The error.
        error: Error,
    },
    /// A revocation request finished (whatever the answer).
    Revoked {
        /// The request id.
        id: u64,
        /// The answer's HTTP status (0 when none came).
        status: u16,
        /// Whether the answer carried a `DPoP-Nonce` header (RFC 9449 section 8).
        nonce: bool,
    },
    /// A message from another tab.
    Message(Message),
    /// The lock asked for `Purpose` is held (`true`) or the wait timed out (`false`).
    Locked(Purpose, bool),
    /// The shared record, or `None` where it cannot be kept (no IndexedDB).
    Shared(Purpose, Option<SharedRecord>),
    /// The stored session and the ended version stored beside it.
    Loaded(Stored, Version),
    /// The shared record of a [`Action::Mark`] was written (`true`) or not.
    Marked(Purpose, bool),
    /// A read of the shared record failed (an error or no answer in time), where IndexedDB is
    /// there: that operation fails; the tab does not change how it works.
    ReadFailed(Purpose),
    /// Request `id` was not sent (the browser is offline): its refresh token is unspent.
    Unsent {
        /// The request id.
        id: u64,
    },
    /// A timer fired.
    Timer(Timer),
}

/// The guards of the machine that the simulation removes one at a time, to show that it catches
/// the defect each one prevents (feature `fuzzing` only; the shipped machine has every guard).
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guard {
    /// A logout ends every login made before it, also one this tab has not heard of yet, and
    /// calls made while loading wait for it (issue 20, defect 1).
    LogoutEndsEarlier,
    /// Nothing of an ended login is adopted (defect 2; with `Restored`, defect 6).
    EndedFloor,
    /// A restored record is judged against the ended login (defect 6).
    RestoredFloor,
    /// Without a shared record only the producer holds the refresh token (defect 4).
    ProducerOnly,
    /// A logout cancels the code exchange in flight (defect 7).
    LogoutCancelsExchange,
}

/// Whether a refresh's error came from the server (an answer, not a transport failure): then
/// the refresh token was not rotated (`invalid_grant` ends the session before this is asked).
fn answered(e: &Error) -> bool {
    match e {
        Error::OAuth(o) => o.status != 0,
        Error::InvalidResponse { status, .. } => *status != 0,
        Error::RateLimited { .. } | Error::Api { .. } => true,
        _ => false,
    }
}

/// Whether `v` could have been made by now: a login id is the time of the login (ms) times 1000
/// plus a random part, and the clocks of one browser's tabs agree (a minute of slack).
fn plausible(v: Version, now: u64) -> bool {
    // A login refreshes at most a few times a minute: a billion refreshes is not a real session.
    v.login <= now.saturating_add(60_000).saturating_mul(1000) && v.seq < 1_000_000_000
}

/// The session a tab holds.
#[derive(Debug)]
struct Held {
    tokens: Tokens,
    version: Version,
    /// This tab made this version (its login or its refresh): without a shared record, only
    /// such a tab holds and sends the refresh token.
    produced: bool,
    /// The session can be refreshed: here (a refresh token), or by its producer (a tab that
    /// received it without the refresh token).
    refreshable: bool,
    /// Its refresh token went out in a refresh that was cancelled before it answered: it may be
    /// rotated already, so it is not revoked (the answer's tokens are, when it comes).
    in_flight: bool,
}

#[derive(Debug)]
enum State {
    /// Before the tab knows whether a session exists: what is still awaited (the live tabs'
    /// answers, the shared record, the stored session), and the best candidate so far.
    Loading {
        ask: bool,
        shared: bool,
        stored: bool,
        candidate: Option<(Secret, Version, StartReason)>,
        checked: bool,
    },
    SignedOut,
    SignedIn(Held),
}

/// A refresh in progress (one at a time; callers wait in `waiting`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refresh {
    Idle,
    /// Waiting for the lock, then the shared record; `from` is the version to move past.
    Locking {
        from: Version,
    },
    Reading {
        from: Version,
    },
    /// The refresh token's mark is being written (see [`Action::Mark`]).
    Marking {
        from: Version,
    },
    /// Request `id` is out, refreshing `from`, under the lock or not.
    Sending {
        id: u64,
        from: Version,
        locked: bool,
    },
    /// Waiting for a newer session from another tab (holding the lock, or asking the producer).
    CatchingUp {
        from: Version,
        locked: bool,
        timer: u64,
    },
}

/// An ended session being retired: the ended login recorded in the shared record (under the
/// lock), its tokens revoked where this tab may, then the logout calls settle.
#[derive(Debug)]
struct Retire {
    calls: Vec<u64>,
    held: Option<Held>,
    /// Revocations out.
    pending: Vec<u64>,
    /// Waiting for the lock or the shared record.
    recording: bool,
    /// Waiting for the record of its refresh token's revocation to be written.
    marking: bool,
    /// The DPoP key of the retired login, destroyed once its revocations are done (one of them
    /// may go once more, signed again, with the server's nonce), before the logout settles (so
    /// not left to `forgetting`, which destroys keys after the step's other actions).
    forget: Option<String>,
}

/// A request whose answer counts for nothing (its operation was cancelled), but whose tokens
/// are revoked, and whose lock is released, when it answers.
#[derive(Debug, Clone, Copy)]
struct Orphan {
    id: u64,
    /// A refresh under the lock: the version it was refreshing.
    locked_from: Option<Version>,
    /// A code exchange (its login is abandoned).
    exchange: bool,
}

/// The session machine of one tab (or worker). See the module docs.
#[derive(Debug)]
pub struct Machine {
    config: Rc<ClientConfig>,
    share: bool,
    /// Whether the shared record can be kept (false once a read says it cannot).
    shared: bool,
    state: State,
    /// The newest version this tab has held.
    high: Version,
    /// The newest ended version this tab knows of: its login and every earlier one are over.
    ended: Version,
    /// A stored session did not open: the next call that needs the session says so, once.
    corrupt: bool,
    refresh: Refresh,
    /// Code exchanges out: request id, the call, the requested scopes, the login's nonce.
    exchanges: Vec<(u64, u64, Vec<String>, u32)>,
    /// Token requests and revocations out that are signed with a DPoP key: request id, a copy
    /// of the request (its key in `dpop`), and whether it may go once more with the server's
    /// nonce.
    bound: Vec<(u64, TokenRequest, bool)>,
    /// Keys of ended logins whose destruction waits for the requests signed with them.
    forgetting: Vec<String>,
    orphans: Vec<Orphan>,
    retiring: Vec<Retire>,
    /// Calls waiting for loading or for the refresh.
    waiting: Vec<(u64, Call)>,
    /// The number of this tab's last refresh try (its mark in the shared record).
    attempt: u64,
    /// The newest version whose refresh got no answer here (without the shared record, the
    /// machine's own memory of a possibly spent token).
    lost: Version,
    /// A session from another tab, adopted once the shared record is read.
    pending: Option<(Secret, Version)>,
    next_id: u64,
    out: Vec<Action>,
    #[cfg(feature = "fuzzing")]
    removed: Option<Guard>,
}

impl Machine {
    /// [`Machine::new`] with one guard removed (the simulation's mutants).
    #[cfg(feature = "fuzzing")]
    #[doc(hidden)]
    pub fn without_guard(config: Rc<ClientConfig>, guard: Option<Guard>) -> (Self, Vec<Action>) {
        let (mut m, actions) = Self::new(config);
        m.removed = guard;
        (m, actions)
    }

    /// Whether `guard` holds (always, but in the simulation's mutants).
    #[cfg(feature = "fuzzing")]
    fn guarded(&self, guard: Guard) -> bool {
        self.removed != Some(guard)
    }
    /// A tab's machine, with the actions that start it: ask the live tabs and read the shared
    /// record (`shareAcrossTabs`), and wait for the stored session ([`Event::Loaded`]) unless
    /// the storage is memory.
    pub fn new(config: Rc<ClientConfig>) -> (Self, Vec<Action>) {
        let share = config.share_across_tabs();
        let stored = config.storage() != StorageMode::Memory;
        let mut m = Machine {
            config,
            share,
            shared: share,
            state: State::Loading { ask: share, shared: share, stored, candidate: None, checked: false },
            high: Version::default(),
            ended: Version::default(),
            corrupt: false,
            refresh: Refresh::Idle,
            exchanges: Vec::new(),
            bound: Vec::new(),
            forgetting: Vec::new(),
            orphans: Vec::new(),
            retiring: Vec::new(),
            waiting: Vec::new(),
            attempt: 0,
            lost: Version::default(),
            pending: None,
            next_id: 0,
            out: Vec::new(),
            #[cfg(feature = "fuzzing")]
            removed: None,
        };
        if share {
            m.out.push(Action::Broadcast(Message::Ask));
            m.out.push(Action::SetTimer(Timer::Ask, ASK_MS));
            m.out.push(Action::Read(Purpose::Load));
        }
        m.settle_loading(0);
        let actions = m.take();
        (m, actions)
    }

    fn take(&mut self) -> Vec<Action> {
        for j in core::mem::take(&mut self.forgetting) {
            self.forget(Some(j));
        }
        core::mem::take(&mut self.out)
    }

    /// Destroys the DPoP key `jkt` (of an ended login) once no request signed with it is out:
    /// one of them may go once more, signed again, or bring tokens to revoke with it.
    fn forget(&mut self, jkt: Option<String>) {
        let Some(j) = jkt else { return };
        if self.bound.iter().any(|b| b.1.dpop.as_deref() == Some(j.as_str())) {
            self.forgetting.push(j);
        } else {
            self.out.push(Action::Forget(j));
        }
    }

    /// Sends a token request, remembering the DPoP key it is signed with (and the request, for
    /// one more try with the server's nonce).
    fn send(&mut self, id: u64, request: TokenRequest) {
        self.keep_bound(id, &request);
        self.out.push(Action::Send { id, request });
    }

    /// Remembers a copy of request `id` when it is DPoP-signed: its key, and the request for
    /// one more try with the server's nonce.
    fn keep_bound(&mut self, id: u64, request: &TokenRequest) {
        if request.dpop.is_some() {
            self.bound.push((id, request.duplicate(), true));
        }
    }

    /// Request `id` (DPoP-signed) refused for want of the server's nonce (RFC 9449 section 8):
    /// it goes once more, its proof made again with that nonce, and a second refusal is final.
    fn once_more(&mut self, id: u64, request: TokenRequest) -> TokenRequest {
        self.bound.push((id, request.duplicate(), false));
        request
    }

    /// The copy of DPoP-signed request `id` (whose answer is in), and whether it may go once
    /// more.
    fn take_bound(&mut self, id: u64) -> Option<(TokenRequest, bool)> {
        let i = self.bound.iter().position(|b| b.0 == id)?;
        let (_, request, again) = self.bound.swap_remove(i);
        Some((request, again))
    }

    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Whether the tab still waits to know if a session exists.
    pub fn is_loading(&self) -> bool {
        matches!(self.state, State::Loading { .. })
    }

    /// What the app may see of the session.
    pub fn info(&self) -> Option<SessionInfo> {
        self.held().map(|h| h.tokens.info())
    }

    fn held(&self) -> Option<&Held> {
        match &self.state {
            State::SignedIn(h) => Some(h),
            _ => None,
        }
    }

    /// The version held, if any.
    pub fn version(&self) -> Option<Version> {
        self.held().map(|h| h.version)
    }

    /// The tokens held, if any (for the drivers' revocation at page close and the simulation).
    pub fn tokens(&self) -> Option<&Tokens> {
        self.held().map(|h| &h.tokens)
    }

    /// The newest ended version this tab knows of.
    pub fn ended(&self) -> Version {
        self.ended
    }

    /// Feeds one event at `now_ms`; returns what to do, in order.
    pub fn handle(&mut self, now_ms: u64, event: Event) -> Vec<Action> {
        match event {
            Event::Call(id, call) => self.call(now_ms, id, call),
            Event::Answer { id, status, body } => {
                let bound = self.take_bound(id);
                let parsed = parse_token_answer(&self.config, status, body.expose(), now_ms, bound.is_some());
                match (bound, parsed) {
                    // The server wants a nonce in the proof (RFC 9449 section 8): the request
                    // goes once more, its proof with the nonce of this answer's `DPoP-Nonce`
                    // (not the code of a login a logout abandoned: it stays unused).
                    (Some((request, true)), Err(Error::OAuth(e)))
                        if e.raw_code.as_deref() == Some("use_dpop_nonce") && !self.orphans.iter().any(|o| o.id == id && o.exchange) =>
                    {
                        let request = self.once_more(id, request);
                        self.out.push(Action::Send { id, request });
                    }
                    (bound, parsed) => self.answer(now_ms, id, parsed, true, bound.and_then(|b| b.0.dpop)),
                }
            }
            Event::Failed { id, error } => {
                let jkt = self.take_bound(id).and_then(|b| b.0.dpop);
                self.answer(now_ms, id, Err(error), true, jkt)
            }
            Event::Revoked { id, status, nonce } => {
                match self.take_bound(id) {
                    // A DPoP revocation refused for want of the server's nonce: a 400 with a new
                    // `DPoP-Nonce`.
                    Some((request, true)) if status == 400 && nonce => {
                        let request = self.once_more(id, request);
                        self.out.push(Action::Revoke { id, request });
                    }
                    _ => self.revoked(id),
                }
            }
            Event::Message(m) => self.message(now_ms, m),
            Event::Locked(p, ok) => self.locked(p, ok),
            Event::Shared(p, record) => self.shared_read(now_ms, p, record),
            Event::Loaded(stored, ended) => self.loaded(now_ms, stored, ended),
            Event::Timer(t) => self.timer(now_ms, t),
            Event::Marked(Purpose::Logout, ok) => self.marked_retired(ok),
            Event::ReadFailed(p) => self.read_failed(now_ms, p),
            Event::Unsent { id } => {
                self.came_back(id);
                let jkt = self.take_bound(id).and_then(|b| b.0.dpop);
                self.answer(now_ms, id, Err(Error::Network), false, jkt);
            }
            Event::Marked(_, ok) => self.marked(ok),
        }
        self.take()
    }

    // ---- loading ----

    fn loaded(&mut self, now: u64, stored: Stored, ended: Version) {
        if plausible(ended, now) {
            self.learn_ended(ended);
        }
        let stored = match stored {
            Stored::Session(_, v) if !plausible(v, now) => Stored::Corrupt,
            s => s,
        };
        let State::Loading { stored: waiting @ true, .. } = &mut self.state else { return };
        *waiting = false;
        match stored {
            Stored::Nothing => {}
            Stored::Corrupt => {
                self.out.push(Action::Store { session: None, ended: self.ended });
                self.out.push(Action::Emit(Change::Ended(EndReason::CorruptRecord), None));
                self.corrupt = true;
            }
            Stored::Session(record, version) => self.offer(record, version, StartReason::Restored),
        }
        self.settle_loading(now);
    }

    /// A session that may be adopted once loading ends: kept when newer than the one kept so far.
    /// With a shared record, the candidate waits for a read made after it arrived: a logout
    /// returns only once its end is recorded there.
    fn offer(&mut self, record: Secret, version: Version, reason: StartReason) {
        if let State::Loading { candidate, checked, .. } = &mut self.state {
            if candidate.as_ref().map_or(true, |(_, v, _)| version > *v) {
                *candidate = Some((record, version, reason));
                *checked = false;
            }
        }
    }

    fn settle_loading(&mut self, now: u64) {
        let verify = self.shared;
        let State::Loading { ask: false, shared: shared @ false, stored: false, candidate, checked } = &mut self.state else { return };
        if candidate.is_some() && verify && !*checked {
            // With a shared record, the candidate is judged against a read made now: a logout
            // returns only once its end is recorded there.
            *checked = true;
            *shared = true;
            return self.out.push(Action::Read(Purpose::Load));
        }
        let candidate = candidate.take();
        self.state = State::SignedOut;
        if let Some((record, version, reason)) = candidate {
            // A logout made while loading ends what loading found: the app is told of the end
            // only, not of a start it never asked for.
            let quiet = self.waiting.iter().any(|(_, c)| matches!(c, Call::Logout));
            self.adopt(record, version, reason, !quiet);
        }
        self.out.push(Action::Emit(Change::Ready, self.info()));
        self.drain(now);
    }

    /// Leaves loading at once (a login or bearer token made here is newer than anything it
    /// could find).
    fn end_loading(&mut self) {
        if self.is_loading() {
            self.state = State::SignedOut;
            self.out.push(Action::Emit(Change::Ready, None));
        }
    }

    /// Whether a session at `version` may be adopted: newer than every session held here, of a
    /// login newer than every ended one.
    fn adoptable(&self, version: Version, reason: StartReason) -> bool {
        version > self.high && (version.login > self.ended.login || !self.floor_applies(reason))
    }

    fn floor_applies(&self, reason: StartReason) -> bool {
        let (floor, restored) = (guard!(self, EndedFloor), guard!(self, RestoredFloor));
        floor && (reason != StartReason::Restored || restored)
    }

    fn learn_ended(&mut self, ended: Version) {
        self.ended = self.ended.max(ended);
        let floor = |m: &Self, r| m.floor_applies(r);
        let drop = match &self.state {
            State::Loading { candidate: Some((_, v, r)), .. } => v.login <= ended.login && floor(self, *r),
            _ => false,
        };
        if let (true, State::Loading { candidate, .. }) = (drop, &mut self.state) {
            *candidate = None;
        }
    }

    // ---- app calls ----

    fn call(&mut self, now: u64, id: u64, call: Call) {
        match call {
            Call::Exchange { request, requested, nonce } => {
                let req = self.id();
                self.exchanges.push((req, id, requested, nonce));
                self.send(req, request);
            }
            Call::Bearer { tokens, nonce } => {
                self.start(now, tokens, nonce, StartReason::Bearer);
                self.out.push(Action::Settle(id, Ok(Outcome::Done)));
            }
            call if self.is_loading() && guard!(self, LogoutEndsEarlier) => {
                if let Call::Logout = call {
                    self.abandon_exchanges();
                }
                self.waiting.push((id, call));
            }
            Call::Logout => self.logout(now, id),
            Call::Token { stale } => self.token(now, id, stale),
            Call::Refresh => match self.held() {
                Some(h) if h.refreshable => {
                    self.waiting.push((id, Call::Refresh));
                    self.start_refresh();
                }
                _ => self.fail(id, Error::LoginRequired),
            },
        }
    }

    fn fail(&mut self, id: u64, e: Error) {
        self.out.push(Action::Settle(id, Err(e)));
    }

    fn token(&mut self, now: u64, id: u64, stale: Option<AccessToken>) {
        let skew = self.config.clock_skew_ms();
        let Some(h) = self.held() else {
            let e = if core::mem::take(&mut self.corrupt) { Error::CorruptRecord } else { Error::LoginRequired };
            return self.fail(id, e);
        };
        let stale = stale.map(|s| if s.expose() == h.tokens.access_token().expose() { Stale::Current } else { Stale::Older });
        match token_step_of(stale, h.tokens.is_fresh(now, skew), h.refreshable) {
            TokenStep::UseCurrent => {
                let t = h.tokens.access_token().duplicate();
                self.out.push(Action::Settle(id, Ok(Outcome::Token(t))));
            }
            TokenStep::End => {
                self.end(EndReason::Expired, true);
                self.fail(id, Error::LoginRequired);
            }
            TokenStep::Refresh => {
                self.waiting.push((id, Call::Token { stale: None }));
                self.start_refresh();
            }
        }
    }

    /// Runs the calls that waited for loading or for a refresh that moved the session on.
    fn drain(&mut self, now: u64) {
        for (id, call) in core::mem::take(&mut self.waiting) {
            self.call(now, id, call);
        }
    }

    // ---- refresh ----

    fn start_refresh(&mut self) {
        let Some(h) = self.held() else { return };
        if self.refresh != Refresh::Idle {
            return;
        }
        let (from, has_rt, produced) = (h.version, h.tokens.refresh_token().is_some(), h.produced);
        if (!self.share || !self.shared) && from <= self.lost && from.login != 0 {
            // Its last send got no answer (the server may have rotated it): never sent again.
            self.refresh_failed(Error::LoginRequired, false);
            self.end(EndReason::Expired, false);
        } else if !self.share || (!self.shared && produced && has_rt && guard!(self, ProducerOnly)) {
            self.send_refresh(from, false);
        } else if self.shared || !guard!(self, ProducerOnly) {
            self.refresh = Refresh::Locking { from };
            self.out.push(Action::Lock(Purpose::Refresh));
        } else {
            self.need(from);
        }
    }

    /// No shared record and no refresh token here: ask the tab that produced the session.
    fn need(&mut self, from: Version) {
        self.out.push(Action::Broadcast(Message::Need { version: from }));
        self.catch_up(from, false);
    }

    fn catch_up(&mut self, from: Version, locked: bool) {
        let timer = self.id();
        self.refresh = Refresh::CatchingUp { from, locked, timer };
        self.out.push(Action::SetTimer(Timer::CatchUp(timer), 2 * self.config.timeout_ms()));
    }

    fn send_refresh(&mut self, from: Version, locked: bool) {
        let Some(rt) = self.held().and_then(|h| h.tokens.refresh_token()) else {
            return self.refresh_failed(Error::LoginRequired, locked);
        };
        let jkt = self.held().and_then(|h| h.tokens.jkt());
        let request = refresh_token_request(&self.config, rt, None).with_dpop(jkt);
        let id = self.id();
        self.refresh = Refresh::Sending { id, from, locked };
        self.send(id, request);
    }

    fn refresh_failed(&mut self, e: Error, locked: bool) {
        self.refresh = Refresh::Idle;
        if locked {
            self.out.push(Action::Unlock(Purpose::Refresh));
        }
        for (id, _) in core::mem::take(&mut self.waiting) {
            self.fail(id, e.clone());
        }
    }

    /// The refresh is over and the session has moved on (here or in another tab): the waiting
    /// calls get the new session.
    fn refresh_done(&mut self, locked: bool) {
        self.refresh = Refresh::Idle;
        if locked {
            self.out.push(Action::Unlock(Purpose::Refresh));
        }
        let Some(h) = self.held() else { return self.refresh_failed(Error::LoginRequired, false) };
        let (info, token) = (h.tokens.info(), h.tokens.access_token().duplicate());
        for (id, call) in core::mem::take(&mut self.waiting) {
            let outcome = match call {
                Call::Refresh => Outcome::Session(info.clone()),
                _ => Outcome::Token(token.duplicate()),
            };
            self.out.push(Action::Settle(id, Ok(outcome)));
        }
    }

    /// A read of the shared record failed: the operation that needed it fails, nothing changes
    /// mode.
    fn read_failed(&mut self, now: u64, purpose: Purpose) {
        match purpose {
            Purpose::Load => {
                if let State::Loading { shared, candidate, checked, .. } = &mut self.state {
                    // Nothing can be judged against the floor: nothing is adopted.
                    *shared = false;
                    *candidate = None;
                    *checked = true;
                }
                self.settle_loading(now);
            }
            Purpose::Refresh => {
                if let Refresh::Reading { .. } = self.refresh {
                    self.refresh_failed(Error::Storage { reason: "IndexedDB refused a read" }, true);
                } else {
                    self.out.push(Action::Unlock(Purpose::Refresh));
                }
            }
            Purpose::Logout => self.record_retired(None),
            Purpose::Adopt => self.pending = None,
        }
    }

    /// A request the driver did not send: when it was a refresh under the lock, its token is
    /// recorded as unspent before the lock goes.
    fn came_back(&mut self, id: u64) {
        if let Refresh::Sending { id: current, locked: true, .. } = self.refresh {
            if current == id {
                self.out.push(Action::Write(SharedRecord { answered: self.attempt, ..SharedRecord::default() }));
            }
        }
    }

    fn marked(&mut self, ok: bool) {
        let Refresh::Marking { from } = self.refresh else {
            // Cancelled meanwhile: the lock is still held for it.
            return self.out.push(Action::Unlock(Purpose::Refresh));
        };
        if ok {
            self.send_refresh(from, true);
        } else {
            self.refresh_failed(Error::Storage { reason: "IndexedDB refused a write" }, true);
        }
    }

    fn locked(&mut self, purpose: Purpose, ok: bool) {
        match purpose {
            Purpose::Refresh => match self.refresh {
                Refresh::Locking { from } if ok => {
                    self.refresh = Refresh::Reading { from };
                    self.out.push(Action::Read(Purpose::Refresh));
                }
                // A frozen holder: no request was sent.
                Refresh::Locking { .. } => self.refresh_failed(Error::Timeout, false),
                // Cancelled meanwhile.
                _ if ok => self.out.push(Action::Unlock(Purpose::Refresh)),
                _ => {}
            },
            Purpose::Logout => {
                let Some(r) = self.retiring.iter_mut().find(|r| r.recording && !r.marking) else {
                    if ok {
                        self.out.push(Action::Unlock(Purpose::Logout));
                    }
                    return;
                };
                if ok {
                    self.out.push(Action::Read(Purpose::Logout));
                } else {
                    // Not recorded: the other tabs still learn of it from the broadcast.
                    r.recording = false;
                    self.revoke_retired(false);
                }
            }
            Purpose::Load | Purpose::Adopt => {}
        }
    }

    fn shared_read(&mut self, now: u64, purpose: Purpose, record: Option<SharedRecord>) {
        // A version from the future (a hostile or broken writer) is not a record of this client.
        let record = record.filter(|r| [r.ended, r.newest, r.spent, r.revoked].iter().all(|v| plausible(*v, now)) && r.answered <= r.tries);
        match record {
            // Without it at the start, the tabs work without a shared record for good; a read
            // that fails later is a failure of that read only.
            None if purpose == Purpose::Load && self.is_loading() => self.shared = false,
            None => {}
            Some(r) => {
                self.learn_ended(r.ended);
                if self.version().is_some_and(|v| v.login <= r.ended.login) && purpose != Purpose::Logout {
                    // Another tab logged out of this session; this tab had not heard yet. When it
                    // made a newer version than the one that tab ended, it revokes that.
                    let held = self.end(EndReason::Logout, false);
                    if let Some(h) = held.filter(|h| h.produced) {
                        self.retire(Some(h), None);
                    }
                }
            }
        }
        match purpose {
            Purpose::Load => {
                if let State::Loading { shared, .. } = &mut self.state {
                    *shared = false;
                }
                self.settle_loading(now);
            }
            Purpose::Refresh => {
                let Refresh::Reading { from } = self.refresh else {
                    return self.out.push(Action::Unlock(Purpose::Refresh));
                };
                let Some(h) = self.held() else { return self.refresh_failed(Error::LoginRequired, true) };
                let newest = record.map(|r| r.newest);
                if h.version > from {
                    // A newer session arrived while this tab waited for the lock.
                    self.refresh_done(true);
                } else if newest.is_some_and(|n| n > h.version) {
                    // Another tab refreshed (or signed in) and this tab has not heard yet: its
                    // refresh token is spent. Wait for the newer session, holding the lock.
                    self.out.push(Action::Broadcast(Message::Ask));
                    self.catch_up(from, true);
                } else if record.is_some_and(|r| r.spent >= h.version && r.answered < r.tries) {
                    // This refresh token went out once already (from a tab that closed, or here
                    // with its answer lost) and no newer version was recorded: it may be spent,
                    // and is never sent twice. Nothing newer can come (a refresh records it before
                    // the lock is free): this tab's copy of the session is over.
                    self.refresh_failed(Error::LoginRequired, true);
                    self.end(EndReason::Expired, false);
                } else if record.is_some() && h.tokens.refresh_token().is_some() {
                    // Marked as spent before it goes out: if this tab closes or its answer is
                    // lost, no tab sends it again.
                    let tries = record.map_or(0, |r| r.tries) + 1;
                    self.attempt = tries;
                    self.refresh = Refresh::Marking { from };
                    self.out.push(Action::Mark(
                        Purpose::Refresh,
                        SharedRecord { newest: from, ended: self.ended, spent: from, tries, ..SharedRecord::default() },
                    ));
                } else if record.is_none() && self.shared && guard!(self, ProducerOnly) {
                    // The shared record could not be read: no refresh token goes out unordered.
                    self.refresh_failed(Error::Storage { reason: "IndexedDB refused a read" }, true);
                } else if (h.produced || !guard!(self, ProducerOnly)) && h.tokens.refresh_token().is_some() {
                    self.send_refresh(from, true);
                } else {
                    self.out.push(Action::Unlock(Purpose::Refresh));
                    self.need(from);
                }
            }
            Purpose::Logout => self.record_retired(record),
            Purpose::Adopt => {
                if let (Some((record, version)), true) = (self.pending.take(), record.is_some() || !self.shared) {
                    self.adopt(record, version, StartReason::Tab, true);
                }
            }
        }
    }

    /// Request `id` came back with `result`; `sent` is false for a request the browser never sent
    /// (offline), whose refresh token is therefore unspent.
    /// `jkt`: the DPoP key that signed it.
    fn answer(&mut self, now: u64, id: u64, result: Result<super::token::TokenSet>, sent: bool, jkt: Option<String>) {
        if let Some(i) = self.exchanges.iter().position(|e| e.0 == id) {
            let (_, call, requested, nonce) = self.exchanges.remove(i);
            match result {
                Ok(set) => {
                    self.start(now, Tokens::from_token_set(set, &requested, jkt), nonce, StartReason::Login);
                    let info = self.info();
                    self.out.push(Action::Settle(call, info.map(Outcome::Session).ok_or(Error::LoginRequired)));
                }
                Err(e) => {
                    // A login that did not start: nothing will use its key.
                    self.forget(jkt);
                    self.fail(call, e)
                }
            }
            return;
        }
        if let Some(i) = self.orphans.iter().position(|o| o.id == id) {
            let orphan = self.orphans.remove(i);
            return self.discard(orphan, result, jkt);
        }
        let Refresh::Sending { id: current, from, locked } = self.refresh else { return };
        if current != id {
            return;
        }
        if self.version() != Some(from) {
            // The session moved on meanwhile: this answer is for nobody.
            self.refresh = Refresh::Idle;
            return self.discard(Orphan { id, locked_from: locked.then_some(from), exchange: false }, result, jkt);
        }
        match refresh_outcome(result, false) {
            RefreshOutcome::Rotate(set) => {
                let State::SignedIn(h) = &mut self.state else { return };
                h.tokens.rotate(set);
                h.version = Version { seq: from.seq + 1, ..from };
                h.produced = true;
                self.high = self.high.max(h.version);
                let version = h.version;
                if locked {
                    self.record_newest(version);
                }
                self.store_and_share();
                self.out.push(Action::Emit(Change::Refreshed, self.info()));
                self.refresh_done(locked);
            }
            RefreshOutcome::End(e) => {
                if locked {
                    // The grant is gone for every tab.
                    self.out.push(Action::Write(SharedRecord { newest: from, ended: from, spent: from, ..SharedRecord::default() }));
                }
                self.refresh_failed(e, locked);
                self.end(EndReason::InvalidGrant, true);
                // The login is over for every tab: its key goes.
                self.forget(jkt);
            }
            RefreshOutcome::Report(e) => {
                if sent && !answered(&e) {
                    // Sent, and no answer: the server may have rotated it. Never sent again.
                    self.lost = self.lost.max(from);
                }
                if locked && answered(&e) {
                    // The server answered and did not rotate: the token is still good, for any tab.
                    self.out.push(Action::Write(SharedRecord { answered: self.attempt, ..SharedRecord::default() }));
                }
                self.refresh_failed(e, locked)
            }
        }
    }

    /// The answer of a request whose operation was cancelled: tokens it brought are revoked (no
    /// tab will use them), the rotation it caused is recorded so that no tab sends the refresh
    /// token it spent, and its lock is released.
    fn discard(&mut self, orphan: Orphan, result: Result<super::token::TokenSet>, jkt: Option<String>) {
        if let Ok(set) = result {
            if let Some(from) = orphan.locked_from {
                self.out.push(Action::Write(SharedRecord {
                    newest: Version { seq: from.seq + 1, ..from },
                    ended: self.ended,
                    spent: from,
                    revoked: Version { seq: from.seq + 1, ..from },
                    ..SharedRecord::default()
                }));
            }
            self.revoke_tokens(&Tokens::from_token_set(set, &[], jkt.clone()), true, None);
        }
        if orphan.exchange {
            // The login a logout abandoned: nothing will use its key.
            self.forget(jkt);
        }
        if orphan.locked_from.is_some() {
            self.out.push(Action::Unlock(Purpose::Refresh));
        }
    }

    // ---- sessions ----

    /// A new login (or bearer token) made in this tab: newer than any session before it.
    fn start(&mut self, now: u64, tokens: Tokens, nonce: u32, reason: StartReason) {
        self.end_loading();
        self.cancel_refresh();
        let login = (now.saturating_mul(1000) + u64::from(nonce % 1000)).max(self.high.login + 1).max(self.ended.login + 1);
        let version = Version { login, seq: 0 };
        let refreshable = tokens.refresh_token().is_some();
        self.state = State::SignedIn(Held { tokens, version, produced: true, refreshable, in_flight: false });
        self.high = version;
        if self.shared {
            self.record_newest(version);
        }
        self.store_and_share();
        self.out.push(Action::Emit(Change::Started(reason), self.info()));
        self.drain(now);
    }

    /// Tells the shared record of the ended floor.
    fn record_ended(&mut self) {
        self.out.push(Action::Write(SharedRecord { ended: self.ended, ..SharedRecord::default() }));
    }

    /// Tells the shared record of a version made here (a login or a refresh).
    fn record_newest(&mut self, newest: Version) {
        self.out.push(Action::Write(SharedRecord { newest, ended: self.ended, ..SharedRecord::default() }));
    }

    /// Stores the held session and tells the other tabs.
    fn store_and_share(&mut self) {
        let Some(h) = self.held() else { return };
        let session = Some((h.tokens.to_storage(), h.version));
        let message = self.share.then(|| self.session_message(h));
        self.out.push(Action::Store { session, ended: self.ended });
        if let Some(m) = message {
            self.out.push(Action::Broadcast(m));
        }
    }

    /// The session as sent to the other tabs: without the refresh token where only its producer
    /// may use it.
    fn session_message(&self, h: &Held) -> Message {
        let record =
            if self.shared || !guard!(self, ProducerOnly) { h.tokens.to_storage() } else { h.tokens.to_record(false, h.refreshable) };
        Message::Session { version: h.version, record }
    }

    fn adopt(&mut self, record: Secret, version: Version, reason: StartReason, announce: bool) {
        if !self.adoptable(version, reason) {
            return;
        }
        let Ok(tokens) = Tokens::from_storage(record.expose()) else { return };
        let same_login = self.version().is_some_and(|v| v.login == version.login);
        if !same_login {
            self.cancel_refresh();
        }
        let refreshable = tokens.refresh_token().is_some() || tokens.remote_refresh();
        self.state = State::SignedIn(Held { tokens, version, produced: false, refreshable, in_flight: false });
        self.high = version;
        self.out.push(Action::Store { session: Some((record, version)), ended: self.ended });
        let change = if same_login { Change::Refreshed } else { Change::Started(reason) };
        if announce {
            self.out.push(Action::Emit(change, self.info()));
        }
        if let Refresh::CatchingUp { from, locked, .. } = self.refresh {
            if version > from {
                self.refresh_done(locked);
            }
        }
    }

    /// Cancels the refresh of the session being replaced or ended: a request already out
    /// becomes an orphan.
    fn cancel_refresh(&mut self) {
        match core::mem::replace(&mut self.refresh, Refresh::Idle) {
            Refresh::Idle => return,
            Refresh::Sending { id, from, locked } => self.orphans.push(Orphan { id, locked_from: locked.then_some(from), exchange: false }),
            Refresh::CatchingUp { locked: true, .. } => self.out.push(Action::Unlock(Purpose::Refresh)),
            _ => {}
        }
        for (id, _) in core::mem::take(&mut self.waiting) {
            self.fail(id, Error::LoginRequired);
        }
    }

    /// Ends the held session here (and in the other tabs when `broadcast`); returns it.
    fn end(&mut self, reason: EndReason, broadcast: bool) -> Option<Held> {
        let State::SignedIn(mut h) = core::mem::replace(&mut self.state, State::SignedOut) else { return None };
        h.in_flight = matches!(self.refresh, Refresh::Sending { .. });
        self.cancel_refresh();
        // A logout or a refused grant ends the login for every tab; an expiry or a spent refresh
        // token ends only this tab's copy (another tab may hold a newer version of it).
        let over = matches!(reason, EndReason::Logout | EndReason::InvalidGrant);
        if over {
            self.ended = self.ended.max(h.version);
            if self.share && self.shared {
                // Recorded before the stored session is erased (a merge needs no lock): no tab
                // writes that login back in between, and a tab that opens or adopts from now on
                // reads it. The revocation that may follow waits for the lock.
                self.record_ended();
            }
        }
        self.out.push(Action::Store { session: None, ended: self.ended });
        if broadcast && self.share && over {
            self.out.push(Action::Broadcast(Message::Ended { version: self.ended, reason }));
        }
        self.out.push(Action::Emit(Change::Ended(reason), None));
        Some(h)
    }

    /// A code exchange still out belongs to the login a logout abandons.
    fn abandon_exchanges(&mut self) {
        if guard!(self, LogoutCancelsExchange) {
            for (req, call, _, _) in core::mem::take(&mut self.exchanges) {
                self.orphans.push(Orphan { id: req, locked_from: None, exchange: true });
                self.fail(call, Error::LoginRequired);
            }
        }
    }

    fn logout(&mut self, now: u64, id: u64) {
        self.abandon_exchanges();
        if guard!(self, LogoutEndsEarlier) {
            // Login ids come from the clock: every login made before now is over, in every tab,
            // also one whose message has not reached this tab yet.
            self.ended = self.ended.max(Version { login: now.saturating_mul(1000) + 999, seq: 0 });
        }
        let held = self.end(EndReason::Logout, true);
        if held.is_none() && self.share && self.shared {
            self.record_ended();
        }
        if held.is_none() && self.share && guard!(self, LogoutEndsEarlier) {
            self.out.push(Action::Store { session: None, ended: self.ended });
            self.out.push(Action::Broadcast(Message::Ended { version: self.ended, reason: EndReason::Logout }));
        }
        self.retire(held, Some(id));
    }

    /// Records the end of `held` and revokes what this tab may (see the module docs), then
    /// settles `call`.
    fn retire(&mut self, held: Option<Held>, call: Option<u64>) {
        let recording = self.share && self.shared && (held.is_some() || call.is_some());
        self.retiring.push(Retire {
            calls: call.into_iter().collect(),
            held,
            pending: Vec::new(),
            recording,
            marking: false,
            forget: None,
        });
        if recording {
            self.out.push(Action::Lock(Purpose::Logout));
        } else {
            // Without a shared record only the tab that produced a session refreshes it: its
            // refresh token is the newest. A tab-private session (`shareAcrossTabs: false`) is
            // its own.
            let newest = !self.share || self.retiring.last().and_then(|r| r.held.as_ref()).is_some_and(|h| h.produced);
            self.revoke_retired(newest);
        }
    }

    /// The shared record under the logout lock: the ended login recorded, and the tokens revoked
    /// when the retired session is the newest.
    fn record_retired(&mut self, record: Option<SharedRecord>) {
        let ended = self.ended;
        let Some(r) = self.retiring.iter_mut().find(|r| r.recording && !r.marking) else {
            return self.out.push(Action::Unlock(Purpose::Logout));
        };
        let version = r.held.as_ref().map(|h| h.version).unwrap_or_default();
        // The read failed: whether this tab holds the newest refresh token is unknown.
        let Some(s) = record else {
            r.recording = false;
            self.out.push(Action::Unlock(Purpose::Logout));
            return self.revoke_retired(false);
        };
        let newest = r.held.is_some() && s.newest <= version && s.revoked < version && s.spent < version;
        let record = SharedRecord { newest: s.newest.max(version), ended: s.ended.max(ended), ..s };
        if newest {
            // The newest refresh token is revoked by this tab only once the record says so: no
            // other tab revokes it again.
            r.marking = true;
            self.out.push(Action::Mark(Purpose::Logout, SharedRecord { revoked: version, ..record }));
        } else {
            r.recording = false;
            self.out.push(Action::Write(record));
            self.out.push(Action::Unlock(Purpose::Logout));
            self.revoke_retired(false);
        }
    }

    fn marked_retired(&mut self, ok: bool) {
        let Some(r) = self.retiring.iter_mut().find(|r| r.marking) else { return };
        r.marking = false;
        r.recording = false;
        self.out.push(Action::Unlock(Purpose::Logout));
        self.revoke_retired(ok);
    }

    /// Revokes the retired session's tokens (the refresh token only when `newest`) and settles
    /// its calls once every revocation has answered.
    fn revoke_retired(&mut self, newest: bool) {
        let Some(i) = self.retiring.iter().position(|r| !r.recording && r.pending.is_empty() && r.held.is_some()) else {
            return self.finish_retired();
        };
        if let Some(h) = self.retiring[i].held.take() {
            let mut pending = Vec::new();
            self.revoke_tokens(&h.tokens, newest && !h.in_flight, Some(&mut pending));
            self.retiring[i].pending = pending;
            // After its revocations are done, the ended login's key goes.
            self.retiring[i].forget = h.tokens.jkt().map(Into::into);
        }
        self.finish_retired();
    }

    fn revoke_tokens(&mut self, tokens: &Tokens, refresh: bool, mut ids: Option<&mut Vec<u64>>) {
        if tokens.info().mode != super::session::SessionMode::OAuth {
            // A token the app supplied is the app's to revoke.
            return;
        }
        let rt = tokens.refresh_token().filter(|_| refresh).map(Revocable::Refresh);
        for token in rt.into_iter().chain([Revocable::Access(tokens.access_token())]) {
            if let Some(request) = revocation_request(&self.config, token).map(|r| r.with_dpop(tokens.jkt())) {
                let id = self.id();
                if let Some(ids) = ids.as_deref_mut() {
                    ids.push(id);
                }
                self.keep_bound(id, &request);
                self.out.push(Action::Revoke { id, request });
            }
        }
    }

    fn revoked(&mut self, id: u64) {
        for r in &mut self.retiring {
            r.pending.retain(|p| *p != id);
        }
        self.finish_retired();
    }

    /// Settles the logouts whose work is done.
    fn finish_retired(&mut self) {
        let mut i = 0;
        while i < self.retiring.len() {
            let r = &self.retiring[i];
            if !r.recording && r.pending.is_empty() && r.held.is_none() {
                let r = self.retiring.remove(i);
                self.forget(r.forget);
                for call in r.calls {
                    self.out.push(Action::Settle(call, Ok(Outcome::Done)));
                }
            } else {
                i += 1;
            }
        }
    }

    // ---- other tabs ----

    fn message(&mut self, now: u64, m: Message) {
        let version = match &m {
            Message::Ask => Version::default(),
            Message::Session { version, .. } | Message::Ended { version, .. } | Message::Need { version } => *version,
        };
        if !plausible(version, now) {
            // A login id from the future would outrank every real login for good.
            return;
        }
        match m {
            Message::Ask => {
                if let Some(h) = self.held() {
                    let m = self.session_message(h);
                    self.out.push(Action::Broadcast(m));
                }
            }
            Message::Session { version, record } => {
                if !self.adoptable(version, StartReason::Tab) {
                    return;
                }
                // Judged against the shared record read after it arrived: a logout returns only
                // once its end is recorded there, so a message that crossed it adopts nothing.
                if let State::Loading { ask, .. } = &mut self.state {
                    *ask = false;
                    self.offer(record, version, StartReason::Tab);
                    self.settle_loading(now);
                } else if self.shared {
                    if self.pending.as_ref().map_or(true, |(_, v)| version > *v) {
                        self.pending = Some((record, version));
                    }
                    self.out.push(Action::Read(Purpose::Adopt));
                } else {
                    self.adopt(record, version, StartReason::Tab, true);
                }
            }
            Message::Ended { version, reason } => {
                self.learn_ended(version);
                let holds = self.version().is_some_and(|v| v.login <= version.login);
                if holds {
                    // Passed on: a tab that opened after the sender's message and adopted this
                    // session from a tab that had not heard yet learns of it from this one.
                    let held = self.end(reason, true);
                    if reason == EndReason::Logout {
                        if let Some(h) = held.filter(|h| h.produced) {
                            // The sender may not hold the newest refresh token: this tab made one,
                            // and revokes it if it is the newest (`retire` checks).
                            self.retire(Some(h), None);
                        }
                    }
                }
            }
            Message::Need { version } => {
                let Some(h) = self.held() else { return };
                if h.version > version {
                    let m = self.session_message(h);
                    self.out.push(Action::Broadcast(m));
                } else if h.version == version && h.produced && h.tokens.refresh_token().is_some() {
                    self.start_refresh();
                }
            }
        }
    }

    fn timer(&mut self, now: u64, t: Timer) {
        match t {
            Timer::Ask => {
                if let State::Loading { ask, .. } = &mut self.state {
                    *ask = false;
                    self.settle_loading(now);
                }
            }
            Timer::CatchUp(id) => {
                if let Refresh::CatchingUp { locked, timer, .. } = self.refresh {
                    if timer != id {
                        return;
                    }
                    // The tab with the newer tokens is gone: this tab's refresh token is spent.
                    self.refresh_failed(Error::LoginRequired, locked);
                    self.end(EndReason::Expired, false);
                }
            }
        }
    }
}
