//! Deterministic simulation of the session machine (`protocol::session_machine`) that the
//! package ships: many tabs of one browser profile, a simulated BroadcastChannel (in order per
//! sender and receiver, any interleaving across them), Web Locks (granted in order, released
//! when the holder closes, held for ever by a frozen holder, waits bounded), IndexedDB (atomic;
//! absent in some runs), sessionStorage per tab (copied by "Duplicate tab"), a clock, and a
//! server with single-use codes, refresh rotation with reuse detection that revokes the family,
//! revocation and expiry. In half of the runs logins are DPoP-bound (RFC 9449): each login's
//! requests are signed with its key, and the server refuses a signed request now and then for
//! want of its nonce (`use_dpop_nonce`), so requests go once more. One seed drives every choice;
//! the invariants are checked after every step, and a failing seed prints its trace.
//!
//! `SIM_SEEDS=n SIM_FROM=k cargo test --release --test session_sim -- --nocapture many` runs
//! more seeds (scripts/sim.sh); `SIM_SEED=k` replays one with its trace.

use std::collections::{BTreeSet, VecDeque};
use std::rc::Rc;

use expensicat_auth::protocol::config::{ClientConfig, StorageMode, TokenEncoding};
use expensicat_auth::protocol::secret::{AccessToken, Secret};
use expensicat_auth::protocol::session::Tokens;
use expensicat_auth::protocol::session_machine::{
    Action, Call, Change, EndReason, Event, Guard, Machine, Message, Outcome, Purpose, SharedRecord, Stored, Timer, Version,
};
use expensicat_auth::protocol::token::TokenRequest;
use expensicat_auth::test_support::xorshift;

const TIMEOUT: u64 = 2_000;
/// Every app call settles within this long (lock wait, catch-up, loading, two requests).
const DEADLINE: u64 = 12 * TIMEOUT;

struct Rng(Box<dyn FnMut() -> u64>);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        (self.0)() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Settings {
    storage: StorageMode,
    share: bool,
    idb: bool,
    /// Logins bound to a DPoP key.
    dpop: bool,
    guard: Option<Guard>,
}

fn config(s: Settings) -> Rc<ClientConfig> {
    let mut input = expensicat_auth::test_support::input();
    input.issuer = Some("https://as.example".into());
    // The server model reads JSON token requests (as Expensicat's token endpoint does); another
    // issuer's default is a form, which it would refuse unread.
    input.token_request_encoding = Some(TokenEncoding::Json);
    input.revocation_endpoint = Some("https://as.example/revoke".into());
    input.storage = s.storage;
    input.timeout_ms = Some(TIMEOUT);
    input.share_across_tabs = Some(true);
    input.dpop = s.dpop;
    let c = ClientConfig::new(input).expect("config");
    Rc::new(c.unchecked_share_across_tabs(s.share))
}

/// A family of tokens at the server (one login).
struct Family {
    current: u32,
    revoked: bool,
}

struct Server {
    families: Vec<Family>,
    violations: Vec<String>,
    /// Refresh tokens sent, as (family, time).
    refreshes: Vec<(usize, u64)>,
}

/// The token after `key` (`"name":"`) in a JSON body, or after `name=` in a form body (the
/// encoding a standard server gets).
fn token_of(body: &str, key: &str) -> Option<(usize, u32)> {
    let form = format!("{}=", key.trim_matches(|c| c == '"' || c == ':'));
    let at = match body.find(key) {
        Some(i) => i + key.len(),
        None if body.starts_with(&form) => form.len(),
        None => body.find(&format!("&{form}"))? + form.len() + 1,
    };
    let rest = &body[at..];
    let end = rest.find(|c: char| !(c.is_ascii_alphanumeric())).unwrap_or(rest.len());
    let t = &rest[..end];
    let (f, n) = t.get(1..)?.split_once('x')?;
    Some((f.parse().ok()?, n.parse().ok()?))
}

fn issue(f: usize, n: u32, dpop: bool) -> String {
    let kind = if dpop { "DPoP" } else { "Bearer" };
    format!(r#"{{"access_token":"a{f}x{n}","token_type":"{kind}","expires_in":60,"refresh_token":"r{f}x{n}"}}"#)
}

impl Server {
    /// The answer to a token request (`dpop`: signed with a key, so the tokens are bound to it).
    fn token(&mut self, body: &str, now: u64, dpop: bool) -> (u16, String) {
        if body.contains("authorization_code") {
            self.families.push(Family { current: 0, revoked: false });
            return (200, issue(self.families.len() - 1, 0, dpop));
        }
        let Some((f, n)) = token_of(body, "\"refresh_token\":\"") else {
            // The machine only sends the requests of `token`: one the model cannot read means the
            // model and the configuration disagree, and every later check would see nothing.
            self.violations.push(format!("a token request the server model cannot read: {body:.60}"));
            return (400, r#"{"error":"invalid_request"}"#.into());
        };

        self.refreshes.push((f, now));
        let fam = &mut self.families[f];
        if fam.revoked {
            self.violations.push(format!("refresh token r{f}x{n} of a revoked family was sent"));
            return (400, r#"{"error":"invalid_grant"}"#.into());
        }
        if fam.current != n {
            self.violations.push(format!("refresh token r{f}x{n} sent after rotation to {}", fam.current));
            fam.revoked = true;
            return (400, r#"{"error":"invalid_grant"}"#.into());
        }
        fam.current += 1;
        (200, issue(f, fam.current, dpop))
    }

    fn revoke(&mut self, body: &str) {
        if let Some((f, n)) = body.starts_with("token=r").then(|| token_of(body, "token=")).flatten() {
            let fam = &mut self.families[f];
            if fam.revoked || fam.current != n {
                self.violations.push(format!("revocation of r{f}x{n}: already rotated or revoked"));
            }
            fam.revoked = true;
        }
    }
}

/// The sealed entries of IndexedDB: the session and its version, and the sealing keys.
type Sealed = (Option<(String, Version)>, BTreeSet<u64>);

struct Req {
    tab: usize,
    at: u64,
    /// The step at which the tab sent it.
    sent: u64,
    id: u64,
    revoke: bool,
    body: String,
    /// The DPoP key it is signed with.
    dpop: Option<String>,
    answer: Option<(u16, String)>,
}

struct Tab {
    m: Machine,
    alive: bool,
    /// Frozen since this time (a frozen page runs nothing; its calls' deadlines pause).
    frozen: Option<u64>,
    /// sessionStorage: the stored session and the ended version.
    session_store: (Option<(String, Version)>, Version),
    timers: Vec<(u64, Timer)>,
    /// App calls: id, issued at, what.
    calls: Vec<(u64, u64, &'static str)>,
    /// The newest version this tab has held.
    high: Version,
    /// Logins of exchanges in flight when a logout was called here: (request id).
    exchanges: Vec<u64>,
    /// Code exchanges a logout here abandoned (request ids): never sent again.
    abandoned_exchanges: Vec<u64>,
    /// Logouts in flight: (call id, the largest login id that existed at the call).
    logouts: Vec<(u64, u64)>,
    /// The login held, since when, and whether it was adopted (from a tab or storage).
    since: Option<(u64, u64, bool)>,
    /// How the last session started here: adopted or made here.
    adopted: bool,
    /// A logout here could not take the lock (a frozen holder): its revocation was not ordered
    /// after that holder's refresh.
    unordered: bool,
}

struct World {
    s: Settings,
    config: Rc<ClientConfig>,
    rng: Rng,
    now: u64,
    tabs: Vec<Tab>,
    server: Server,
    /// Per (from, to) message queues.
    channel: Vec<((usize, usize), VecDeque<Message>)>,
    requests: Vec<Req>,
    /// The lock: holder (tab, purpose) and the queue (tab, purpose, asked at).
    lock: Option<(usize, Purpose)>,
    lock_queue: VecDeque<(usize, Purpose, u64)>,
    /// IndexedDB: the shared record, the sealed session (record, version) and its sealing keys.
    shared: SharedRecord,
    sealed: Option<(String, Version)>,
    keys: BTreeSet<u64>,
    /// A copy of the sealed entries, for the rollback attack.
    snapshot: Option<Sealed>,
    /// Families logged out: (family bound, time the logout returned).
    logged_out: Vec<(u64, u64, bool)>,
    /// Family of each login id.
    family_of: Vec<(u64, usize)>,
    /// Families whose exchange a logout abandoned.
    abandoned: BTreeSet<usize>,
    /// DPoP keys a tab told its driver to destroy (deleted from IndexedDB for every tab):
    /// nothing is signed with them afterwards, in any tab.
    forgotten: BTreeSet<String>,
    next_call: u64,
    trace: Vec<String>,
    steps: u64,
}

fn copy(m: &Message) -> Message {
    match m {
        Message::Ask => Message::Ask,
        Message::Session { version, record } => Message::Session { version: *version, record: record.duplicate() },
        Message::Ended { version, reason } => Message::Ended { version: *version, reason: *reason },
        Message::Need { version } => Message::Need { version: *version },
    }
}

impl World {
    fn new(seed: u64, s: Settings) -> Self {
        let mut w = World {
            s,
            config: config(s),
            rng: Rng(Box::new(xorshift(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1))),
            now: 1_700_000_000_000,
            tabs: Vec::new(),
            server: Server { families: Vec::new(), violations: Vec::new(), refreshes: Vec::new() },
            channel: Vec::new(),
            requests: Vec::new(),
            lock: None,
            lock_queue: VecDeque::new(),
            shared: SharedRecord::default(),
            sealed: None,
            keys: BTreeSet::new(),
            snapshot: None,
            logged_out: Vec::new(),
            family_of: Vec::new(),
            abandoned: BTreeSet::new(),
            forgotten: BTreeSet::new(),
            next_call: 1,
            trace: Vec::new(),
            steps: 0,
        };
        w.open(None);
        w
    }

    fn log(&mut self, what: String) {
        self.trace.push(format!("{:>6} {what}", self.now % 1_000_000));
    }

    fn open(&mut self, store: Option<(Option<(String, Version)>, Version)>) {
        let (m, actions) = Machine::without_guard(self.config.clone(), self.s.guard);
        let i = self.tabs.len();
        self.tabs.push(Tab {
            m,
            alive: true,
            frozen: None,
            session_store: store.unwrap_or_default(),
            timers: Vec::new(),
            calls: Vec::new(),
            high: Version::default(),
            exchanges: Vec::new(),
            abandoned_exchanges: Vec::new(),
            logouts: Vec::new(),
            since: None,
            adopted: false,
            unordered: false,
        });
        self.log(format!("tab {i} opens"));
        self.perform(i, actions);
        // The driver reads the stored session at once (sessionStorage) or from IndexedDB.
        match self.s.storage {
            StorageMode::Memory => {}
            StorageMode::SessionStorage => {
                let (rec, ended) = self.tabs[i].session_store.clone();
                let stored = rec.map_or(Stored::Nothing, |(r, v)| Stored::Session(Secret::new(r), v));
                self.feed(i, Event::Loaded(stored, ended));
            }
            StorageMode::IndexedDb => {
                let stored = match (&self.sealed, self.s.idb) {
                    (Some((r, v)), true) if self.keys.contains(&v.login) => Stored::Session(Secret::new(r.clone()), *v),
                    (Some(_), true) => Stored::Corrupt,
                    _ => Stored::Nothing,
                };
                let ended = if self.s.idb { self.shared.ended } else { Version::default() };
                self.feed(i, Event::Loaded(stored, ended));
            }
        }
    }

    fn feed(&mut self, tab: usize, event: Event) {
        if let Event::Locked(Purpose::Logout, false) = event {
            self.tabs[tab].unordered = true;
        }
        let now = self.now;
        let label = format!("{event:?}");
        let label: String = label.chars().take(140).collect();
        self.log(format!("tab {tab} <- {label}"));
        let actions = self.tabs[tab].m.handle(now, event);
        self.perform(tab, actions);
    }

    fn call(&mut self, tab: usize, what: &'static str, call: Call) -> u64 {
        let id = self.next_call;
        self.next_call += 1;
        let now = self.now;
        self.tabs[tab].calls.push((id, now, what));
        if what == "logout" {
            // Every login made before the call is over once it returns (login ids come from the
            // clock); logins made after it are not its business.
            let bound = now * 1000 + 999;
            self.tabs[tab].logouts.push((id, bound));
            // The login in progress here is abandoned too.
            let pending: Vec<u64> = self.tabs[tab].exchanges.drain(..).collect();
            self.tabs[tab].abandoned_exchanges.extend(&pending);
            for r in &mut self.requests {
                if r.tab == tab && pending.contains(&r.id) {
                    match &r.answer {
                        Some((_, body)) => {
                            if let Some((f, _)) = token_of(body, "\"access_token\":\"") {
                                self.abandoned.insert(f);
                            }
                        }
                        None => r.body.push_str("&abandoned"),
                    }
                }
            }
        }
        self.feed(tab, Event::Call(id, call));
        id
    }

    fn perform(&mut self, tab: usize, actions: Vec<Action>) {
        for a in actions {
            match a {
                Action::Send { id, request } if request.body.expose().contains("refresh_token") && self.rng.chance(2) => {
                    // The browser is offline: the driver sends nothing.
                    self.log(format!("tab {tab}: offline, request {id} not sent"));
                    self.feed(tab, Event::Unsent { id });
                }
                Action::Send { id, request } => {
                    if self.tabs[tab].abandoned_exchanges.contains(&id) {
                        self.fail(format!("tab {tab} sent again the code exchange {id} that a logout abandoned"));
                    }
                    self.request(tab, id, false, request)
                }
                Action::Revoke { id, request } => {
                    let b = request.body.expose();
                    let what = b.get(6..b.find('&').unwrap_or(6)).unwrap_or("").to_owned();
                    self.log(format!("tab {tab} revokes {what}"));
                    self.request(tab, id, true, request)
                }
                Action::Broadcast(m) => {
                    for to in 0..self.tabs.len() {
                        if to != tab && self.tabs[to].alive {
                            let q = match self.channel.iter().position(|(k, _)| *k == (tab, to)) {
                                Some(i) => i,
                                None => {
                                    self.channel.push(((tab, to), VecDeque::new()));
                                    self.channel.len() - 1
                                }
                            };
                            self.channel[q].1.push_back(copy(&m));
                        }
                    }
                }
                Action::Store { session, ended } => match self.s.storage {
                    StorageMode::Memory => {}
                    StorageMode::SessionStorage => {
                        let t = &mut self.tabs[tab];
                        t.session_store = (session.map(|(r, v)| (r.expose().to_owned(), v)), ended);
                    }
                    StorageMode::IndexedDb if self.s.idb => match session {
                        Some((r, v)) => {
                            self.keys.insert(v.login);
                            self.sealed = Some((r.expose().to_owned(), v));
                        }
                        None => {
                            self.sealed = None;
                            self.keys.retain(|k| *k > ended.login);
                        }
                    },
                    StorageMode::IndexedDb => {}
                },
                Action::Lock(p) => {
                    let now = self.now;
                    self.lock_queue.push_back((tab, p, now));
                }
                Action::Unlock(p) => {
                    if self.lock == Some((tab, p)) {
                        self.lock = None;
                    } else {
                        self.fail(format!("tab {tab} released a lock it does not hold ({p:?})"));
                    }
                }
                Action::Read(p) => {
                    // Reads of the shared record by a lock user happen under the lock.
                    if !matches!(p, Purpose::Load | Purpose::Adopt) && self.lock != Some((tab, p)) {
                        self.fail(format!("tab {tab} read the shared record without the lock ({p:?})"));
                    }
                    // Present or absent for the whole run; where present, a read fails now and
                    // then (an error, or no answer in time), the first of a tab's too.
                    if self.s.idb && self.rng.chance(2) {
                        self.feed(tab, Event::ReadFailed(p));
                    } else {
                        let r = self.s.idb.then_some(self.shared);
                        self.feed(tab, Event::Shared(p, r));
                    }
                }
                Action::Mark(p, r) => {
                    // IndexedDB refuses a write now and then (quota, a lost connection).
                    let ok = self.s.idb && !self.rng.chance(3);
                    if ok {
                        self.merge(r);
                    }
                    self.feed(tab, Event::Marked(p, ok));
                }
                Action::Write(r) => {
                    if !self.rng.chance(3) {
                        self.merge(r);
                    } else if !self.tabs[tab].logouts.is_empty() || self.tabs[tab].m.version().is_none() {
                        // A logout's record that did not land: that logout gives no guarantee
                        // to tabs that have not heard of it.
                        self.tabs[tab].unordered = true;
                    }
                }
                Action::Emit(change, _) => {
                    if let Change::Started(r) = change {
                        self.tabs[tab].adopted = matches!(
                            r,
                            expensicat_auth::protocol::session_machine::StartReason::Tab
                                | expensicat_auth::protocol::session_machine::StartReason::Restored
                        );
                        self.bind_family(tab);
                    }
                }
                Action::Settle(id, result) => self.settled(tab, id, result),
                // The driver deletes the key of an ended login.
                Action::Forget(jkt) => {
                    self.log(format!("tab {tab} forgets key {jkt}"));
                    self.forgotten.insert(jkt);
                }
                Action::SetTimer(t, ms) => {
                    let at = self.now + ms;
                    self.tabs[tab].timers.push((at, t));
                }
            }
        }
    }

    /// A write to the shared record, where IndexedDB is there.
    fn merge(&mut self, r: SharedRecord) {
        if self.s.idb {
            merge(&mut self.shared, r);
        }
    }

    /// Remembers which family the tab's login is.
    fn bind_family(&mut self, tab: usize) {
        let (Some(v), Some(f)) = (self.tabs[tab].m.version(), self.family(tab)) else { return };
        if !self.family_of.iter().any(|(l, _)| *l == v.login) {
            self.family_of.push((v.login, f));
        }
    }

    fn settled(&mut self, tab: usize, id: u64, result: expensicat_auth::Result<Outcome>) {
        let t = &mut self.tabs[tab];
        let Some(i) = t.calls.iter().position(|c| c.0 == id) else {
            return self.fail(format!("tab {tab} settled call {id} twice or never made"));
        };
        let (_, _, what) = t.calls.remove(i);
        if what == "logout" {
            if result.is_err() {
                self.fail(format!("logout rejected: {result:?}"));
            }
            let pos = self.tabs[tab].logouts.iter().position(|l| l.0 == id);
            if let Some(p) = pos {
                let (_, bound) = self.tabs[tab].logouts.remove(p);
                let (now, floor) = (self.steps, bound);
                let ordered = !std::mem::take(&mut self.tabs[tab].unordered);
                self.logged_out.push((floor, now, ordered));
                self.log(format!("tab {tab}: logout returned (logins up to {floor} are over)"));
            }
        }
    }

    fn request(&mut self, tab: usize, id: u64, revoke: bool, request: TokenRequest) {
        let at = self.now;
        let sent = self.steps;
        if let Some(j) = request.dpop.as_ref().filter(|j| self.forgotten.contains(*j)) {
            self.fail(format!("tab {tab} asked for request {id} signed with key {j}, which was destroyed"));
        }
        if self.s.dpop != request.dpop.is_some() && !request.body.expose().contains("bearer-token") {
            self.fail(format!("tab {tab}: request {id} {} a DPoP proof", if self.s.dpop { "without" } else { "with" }));
        }
        let dpop = request.dpop;
        self.requests.push(Req { tab, id, revoke, at, sent, body: request.body.expose().to_owned(), dpop, answer: None });
        if !revoke && request.body.expose().contains("authorization_code") {
            self.tabs[tab].exchanges.push(id);
        }
    }

    fn fail(&mut self, what: String) {
        self.server.violations.push(what);
    }

    fn live(&self, i: usize) -> bool {
        self.tabs[i].alive && self.tabs[i].frozen.is_none()
    }

    fn family(&self, tab: usize) -> Option<usize> {
        let a = self.tabs[tab].m.tokens()?.access_token().expose().to_owned();
        a.get(1..)?.split_once('x')?.0.parse().ok()
    }

    /// The invariants, after every step.
    fn check(&mut self) {
        let strict = self.s.idb && self.s.share;
        for i in 0..self.tabs.len() {
            if !self.tabs[i].alive {
                continue;
            }
            if let Some(v) = self.tabs[i].m.version() {
                if v < self.tabs[i].high {
                    let h = self.tabs[i].high;
                    self.fail(format!("tab {i} went back from {h:?} to {v:?}"));
                }
                self.tabs[i].high = self.tabs[i].high.max(v);
            }
            let login = self.tabs[i].m.version().map(|v| v.login);
            if login != self.tabs[i].since.map(|s| s.0) {
                let adopted = self.tabs[i].adopted;
                self.tabs[i].since = login.map(|l| (l, self.steps, adopted));
            }
            if let Some((l, t, adopted)) = self.tabs[i].since {
                // Logout sticks: no tab adopts a login that a returned logout ended.
                for &(floor, at, ordered) in &self.logged_out.clone() {
                    if strict && ordered && adopted && l <= floor && t > at {
                        self.fail(format!("tab {i} adopted login {l} after a logout returned at {at} (logins up to {floor} over)"));
                    }
                }
            }
            if let Some(f) = self.family(i) {
                if self.abandoned.contains(&f) {
                    self.fail(format!("tab {i} holds family {f}, whose login a logout abandoned"));
                }
            }
            if self.live(i) {
                let late: Vec<_> = self.tabs[i].calls.iter().filter(|c| self.now > c.1 + DEADLINE).map(|c| c.2).collect();
                if let Some(what) = late.first() {
                    self.fail(format!("tab {i}: a {what} call did not settle within {DEADLINE} ms"));
                }
            }
        }
        // No refresh token of a logged-out family reaches the server after the logout returned
        // (with a shared record; without one, the tab that holds it may not have heard yet).
        if strict {
            for &(f, at) in &self.server.refreshes.clone() {
                let Some(login) = self.family_of.iter().find(|(_, fam)| *fam == f).map(|(l, _)| *l) else { continue };
                if self.logged_out.iter().any(|&(floor, t, ordered)| ordered && login <= floor && at > t) {
                    let v = format!("refresh token of family {f} sent at {at} after a logout returned");
                    if !self.server.violations.contains(&v) {
                        self.server.violations.push(v);
                    }
                }
            }
        }
    }

    fn pick_tab(&mut self) -> Option<usize> {
        let live: Vec<usize> = (0..self.tabs.len()).filter(|&i| self.live(i)).collect();
        if live.is_empty() {
            return None;
        }
        Some(live[self.rng.below(live.len() as u64) as usize])
    }

    /// One step of the world, chosen by the seed.
    fn step(&mut self) {
        self.steps += 1;
        self.now += 1;
        let roll = self.rng.below(100);
        match roll {
            // Deliver a message (in order per sender and receiver).
            0..=24 => {
                let ready: Vec<usize> =
                    (0..self.channel.len()).filter(|&q| !self.channel[q].1.is_empty() && self.live(self.channel[q].0 .1)).collect();
                if ready.is_empty() {
                    return self.advance();
                }
                let q = ready[self.rng.below(ready.len() as u64) as usize];
                let to = self.channel[q].0 .1;
                if let Some(m) = self.channel[q].1.pop_front() {
                    self.feed(to, Event::Message(m));
                }
            }
            // The server handles a request, or the connection drops before it does.
            25..=39 => {
                let waiting: Vec<usize> = (0..self.requests.len()).filter(|&r| self.requests[r].answer.is_none()).collect();
                if waiting.is_empty() {
                    return self.advance();
                }
                let r = waiting[self.rng.below(waiting.len() as u64) as usize];
                if self.rng.chance(5) {
                    let req = self.requests.remove(r);
                    if self.tabs[req.tab].alive {
                        let event = if req.revoke {
                            Event::Revoked { id: req.id, status: 200, nonce: false }
                        } else {
                            Event::Failed { id: req.id, error: expensicat_auth::Error::Network }
                        };
                        self.feed(req.tab, event);
                    }
                    return;
                }
                let nonce = self.requests[r].dpop.is_some() && self.rng.chance(15);
                let answer = if self.requests[r].revoke {
                    let body = self.requests[r].body.clone();
                    if nonce {
                        // Refused for want of the server's nonce: 400 with a DPoP-Nonce header.
                        (400, String::new())
                    } else {
                        self.server.revoke(&body);
                        (200, String::new())
                    }
                } else if nonce {
                    // Refused for want of the server's nonce: nothing issued, nothing rotated.
                    (
                        400,
                        r#"{"error":"use_dpop_nonce","error_description":"Authorization server requires nonce in DPoP proof"}"#.to_owned(),
                    )
                } else {
                    let body = self.requests[r].body.clone();
                    let a = if body.contains("\"refresh_token\"") && self.rng.chance(5) {
                        // A server error: answered, nothing rotated.
                        (503, r#"{"error":"temporarily_unavailable"}"#.to_owned())
                    } else {
                        self.server.token(&body, self.requests[r].sent, self.requests[r].dpop.is_some())
                    };
                    if body.ends_with("&abandoned") {
                        if let Some((f, _)) = token_of(&a.1, "\"access_token\":\"") {
                            self.abandoned.insert(f);
                        }
                    }
                    a
                };
                self.requests[r].answer = Some(answer);
            }
            // An answer reaches its tab.
            40..=54 => {
                let answered: Vec<usize> =
                    (0..self.requests.len()).filter(|&r| self.requests[r].answer.is_some() && self.live(self.requests[r].tab)).collect();
                if answered.is_empty() {
                    return self.advance();
                }
                let r = answered[self.rng.below(answered.len() as u64) as usize];
                self.deliver(r);
            }
            // The lock goes to the next waiter.
            55..=61 => {
                if self.lock.is_some() {
                    return self.advance();
                }
                if let Some((tab, p, _)) = self.lock_queue.pop_front() {
                    if self.tabs[tab].alive {
                        self.lock = Some((tab, p));
                        self.feed(tab, Event::Locked(p, true));
                    }
                }
            }
            // The app calls something.
            62..=83 => {
                let Some(t) = self.pick_tab() else { return self.open(None) };
                match self.rng.below(10) {
                    0 | 1 => {
                        let code = format!("{{\"grant_type\":\"authorization_code\",\"code\":\"c{}\"}}", self.next_call);
                        let request = TokenRequest {
                            url: "https://as.example/token".into(),
                            content_type: "application/json",
                            body: Secret::new(code),
                            // With DPoP, the login's own key (the driver makes one per login).
                            dpop: self.s.dpop.then(|| format!("key{}", self.next_call)),
                        };
                        let nonce = self.rng.below(1 << 20) as u32;
                        self.call(t, "login", Call::Exchange { request, requested: vec!["transactions:read".into()], nonce });
                    }
                    2 => {
                        self.call(t, "logout", Call::Logout);
                    }
                    3 => {
                        self.call(t, "refresh", Call::Refresh);
                    }
                    4 => {
                        // The API refused the current token.
                        let stale = self.tabs[t].m.tokens().map(|x| x.access_token().duplicate());
                        self.call(t, "token", Call::Token { stale });
                    }
                    5 if self.rng.chance(10) => {
                        let tokens = Tokens::bearer("bearer-token", Some(self.now + 60_000)).expect("token");
                        self.call(t, "bearer", Call::Bearer { tokens, nonce: 1 });
                    }
                    _ => {
                        self.call(t, "token", Call::Token { stale: None });
                    }
                }
            }
            // Tabs open, close, freeze, thaw, reload, duplicate.
            84..=91 => {
                let open = (0..self.tabs.len()).filter(|&i| self.tabs[i].alive).count();
                match self.rng.below(7) {
                    0 | 1 if open < 5 => self.open(None),
                    2 if open > 1 => {
                        if let Some(t) = self.pick_tab() {
                            self.close(t);
                        }
                    }
                    3 => {
                        if let Some(t) = self.pick_tab() {
                            self.log(format!("tab {t} freezes"));
                            self.tabs[t].frozen = Some(self.now);
                        }
                    }
                    4 => {
                        if let Some(t) = (0..self.tabs.len()).find(|&i| self.tabs[i].alive && self.tabs[i].frozen.is_some()) {
                            self.log(format!("tab {t} thaws"));
                            let paused = self.now - self.tabs[t].frozen.take().unwrap_or(self.now);
                            for c in &mut self.tabs[t].calls {
                                c.1 += paused;
                            }
                        }
                    }
                    5 => {
                        // Reload: the page goes, a new one opens with the tab's sessionStorage.
                        if let Some(t) = self.pick_tab() {
                            let store = self.tabs[t].session_store.clone();
                            self.close(t);
                            self.open(Some(store));
                        }
                    }
                    _ => {
                        // Duplicate tab: a new tab with a copy of this tab's sessionStorage.
                        if let Some(t) = self.pick_tab() {
                            let store = self.tabs[t].session_store.clone();
                            self.open(Some(store));
                        }
                    }
                }
            }
            // Storage written back by hand: an older copy of the sealed session (with its key).
            92..=93 => {
                if self.rng.chance(50) {
                    self.snapshot = Some((self.sealed.clone(), self.keys.clone()));
                } else if let Some((sealed, keys)) = self.snapshot.clone() {
                    self.log("the sealed session is written back by hand".into());
                    self.sealed = sealed;
                    self.keys.extend(keys);
                }
            }
            _ => self.advance(),
        }
    }

    fn close(&mut self, t: usize) {
        self.log(format!("tab {t} closes"));
        self.tabs[t].alive = false;
        self.tabs[t].calls.clear();
        if self.lock.is_some_and(|(h, _)| h == t) {
            self.lock = None;
        }
        self.lock_queue.retain(|(h, _, _)| *h != t);
        // Requests already at the server are processed; their answers go nowhere.
    }

    /// Time passes: to the next timer or lock timeout, or a random amount. Answers the server
    /// gave arrive first (answers lost after the server handled them are the business of
    /// `review_random_simulation_with_lost_refresh_answers`); requests the server has not handled
    /// within the timeout fail.
    /// Hands request `r`'s answer (or a revocation's end) to its tab.
    fn deliver(&mut self, r: usize) {
        let req = self.requests.remove(r);
        let (status, body) = req.answer.unwrap_or_default();
        self.tabs[req.tab].exchanges.retain(|e| *e != req.id);
        let event = if req.revoke {
            Event::Revoked { id: req.id, status, nonce: status == 400 }
        } else {
            Event::Answer { id: req.id, status, body: Secret::new(body) }
        };
        self.feed(req.tab, event);
    }

    fn advance(&mut self) {
        let answered: Vec<usize> =
            (0..self.requests.len()).rev().filter(|&r| self.requests[r].answer.is_some() && self.live(self.requests[r].tab)).collect();
        for r in answered {
            if r < self.requests.len() && self.requests[r].answer.is_some() {
                self.deliver(r);
            }
        }
        let now = self.now;
        let late: Vec<usize> = (0..self.requests.len())
            .rev()
            .filter(|&r| self.requests[r].answer.is_none() && now >= self.requests[r].at + TIMEOUT && self.live(self.requests[r].tab))
            .collect();
        for r in late {
            if r < self.requests.len() {
                let req = self.requests.remove(r);
                let event = if req.revoke {
                    Event::Revoked { id: req.id, status: 200, nonce: false }
                } else {
                    Event::Failed { id: req.id, error: expensicat_auth::Error::Timeout }
                };
                self.feed(req.tab, event);
            }
        }
        let span = if self.rng.chance(10) { 70_000 } else { 400 };
        let mut next = self.now + 1 + self.rng.below(span);
        for t in self.tabs.iter().filter(|t| t.alive && t.frozen.is_none()) {
            for (at, _) in &t.timers {
                next = next.min(*at);
            }
        }
        for (_, _, asked) in &self.lock_queue {
            next = next.min(asked + 2 * TIMEOUT);
        }
        for r in &self.requests {
            next = next.min(r.at + TIMEOUT);
        }
        self.now = next.max(self.now);
        for i in 0..self.tabs.len() {
            if !self.live(i) {
                continue;
            }
            let now = self.now;
            let due: Vec<Timer> = self.tabs[i].timers.iter().filter(|(at, _)| *at <= now).map(|(_, t)| *t).collect();
            self.tabs[i].timers.retain(|(at, _)| *at > now);
            for t in due {
                self.feed(i, Event::Timer(t));
            }
        }
        let now = self.now;
        let expired: Vec<(usize, Purpose)> =
            self.lock_queue.iter().filter(|(t, _, asked)| now >= asked + 2 * TIMEOUT && self.live(*t)).map(|(t, p, _)| (*t, *p)).collect();
        self.lock_queue.retain(|(t, _, asked)| !(now >= asked + 2 * TIMEOUT && self.tabs[*t].alive && self.tabs[*t].frozen.is_none()));
        for (t, p) in expired {
            self.feed(t, Event::Locked(p, false));
        }
    }
}

/// A write to the shared record as IndexedDB keeps it (js/session.js `writeShared`): each field
/// keeps the larger of the stored and the written value.
fn merge(s: &mut SharedRecord, r: SharedRecord) {
    s.newest = s.newest.max(r.newest);
    s.ended = s.ended.max(r.ended);
    s.spent = s.spent.max(r.spent);
    s.revoked = s.revoked.max(r.revoked);
    s.tries = s.tries.max(r.tries);
    s.answered = s.answered.max(r.answered);
}

/// Runs one seed for `steps` steps; the first violation, with the trace.
fn run(seed: u64, settings: Settings, steps: u64) -> Result<u64, String> {
    let mut w = World::new(seed, settings);
    for _ in 0..steps {
        w.step();
        w.check();
        if let Some(v) = w.server.violations.first() {
            let tail: Vec<&String> =
                w.trace.iter().rev().take(env("SIM_TRACE", 60) as usize).collect::<Vec<_>>().into_iter().rev().collect();
            let trace: Vec<&str> = tail.iter().map(|s| s.as_str()).collect();
            return Err(format!("seed {seed} {settings:?}: {v}\nlast steps:\n{}", trace.join("\n")));
        }
    }
    Ok(w.steps)
}

fn settings_of(seed: u64, guard: Option<Guard>) -> Settings {
    let storage = [StorageMode::Memory, StorageMode::SessionStorage, StorageMode::IndexedDb][(seed % 3) as usize];
    let share = storage != StorageMode::Memory || seed % 7 != 0;
    Settings { storage, share, idb: seed % 5 != 0, dpop: (seed / 3) % 2 == 1, guard }
}

fn sweep(from: u64, seeds: u64, steps: u64, guard: Option<Guard>, pick: impl Fn(u64) -> Settings) -> (u64, Option<String>) {
    let mut total = 0;
    for seed in from..from + seeds {
        match run(seed, pick(seed), steps) {
            Ok(n) => total += n,
            Err(e) => return (total, Some(e)),
        }
    }
    let _ = guard;
    (total, None)
}

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[test]
fn the_shipped_machine_keeps_every_invariant() {
    if let Ok(seed) = std::env::var("SIM_SEED") {
        let seed: u64 = seed.parse().expect("SIM_SEED");
        let mut settings = settings_of(seed, None);
        if let Ok(v) = std::env::var("SIM_SETTINGS") {
            // e.g. "memory,share,idb" or "indexedDB,share,noidb,dpop", as a failure prints them.
            settings.storage = if v.contains("session") {
                StorageMode::SessionStorage
            } else if v.contains("indexed") {
                StorageMode::IndexedDb
            } else {
                StorageMode::Memory
            };
            settings.share = !v.contains("noshare");
            settings.idb = !v.contains("noidb");
            settings.dpop = v.contains("dpop");
        }
        let r = run(seed, settings, env("SIM_STEPS", 400));
        assert!(r.is_ok(), "{}", r.err().unwrap_or_default());
        return;
    }
    let (from, seeds, steps) = (env("SIM_FROM", 0), env("SIM_SEEDS", 3000), env("SIM_STEPS", 400));
    let (total, failure) = sweep(from, seeds, steps, None, |s| settings_of(s, None));
    assert!(failure.is_none(), "{}", failure.unwrap_or_default());
    println!("{seeds} seeds, {total} steps, no violation");
}

/// Each guard removed in turn: the simulation finds the defect it prevents within the seeds,
/// where the shipped machine, in the same settings, finds none.
fn caught(guard: Guard, pick: impl Fn(u64) -> Settings) {
    let (_, clean) = sweep(0, 1000, 400, None, |s| Settings { guard: None, ..pick(s) });
    assert!(clean.is_none(), "the shipped machine fails in these settings: {}", clean.unwrap_or_default());
    let (_, failure) = sweep(0, 3000, 400, Some(guard), pick);
    let failure = failure.unwrap_or_else(|| panic!("the simulation did not catch the machine without {guard:?}"));
    println!("without {guard:?}: {}", failure.lines().next().unwrap_or_default());
}

#[test]
fn mutant_defect_1_logout_before_loading_is_caught() {
    caught(Guard::LogoutEndsEarlier, |s| Settings { guard: Some(Guard::LogoutEndsEarlier), ..settings_of(s, None) });
}

#[test]
fn mutant_defect_2_adopting_an_ended_login_is_caught() {
    caught(Guard::EndedFloor, |_| Settings {
        storage: StorageMode::Memory,
        share: true,
        idb: true,
        dpop: false,
        guard: Some(Guard::EndedFloor),
    });
}

#[test]
fn mutant_defect_3_stored_session_without_sharing_is_caught() {
    // The guard is the configuration's refusal (tested below); the mutant is the configuration
    // it refuses, against the shipped machine in its safe configuration.
    let (_, clean) =
        sweep(0, 1000, 400, None, |_| Settings { storage: StorageMode::IndexedDb, share: true, idb: true, dpop: false, guard: None });
    assert!(clean.is_none(), "{}", clean.unwrap_or_default());
    let (_, failure) =
        sweep(0, 3000, 400, None, |_| Settings { storage: StorageMode::IndexedDb, share: false, idb: true, dpop: false, guard: None });
    assert!(failure.is_some(), "the simulation did not catch indexedDB storage without sharing");
}

#[test]
fn mutant_defect_4_refresh_token_shared_without_indexeddb_is_caught() {
    caught(Guard::ProducerOnly, |_| Settings {
        storage: StorageMode::Memory,
        share: true,
        idb: false,
        dpop: false,
        guard: Some(Guard::ProducerOnly),
    });
}

#[test]
fn mutant_defect_6_rolled_back_record_is_caught() {
    caught(Guard::RestoredFloor, |_| Settings {
        storage: StorageMode::IndexedDb,
        share: true,
        idb: true,
        dpop: false,
        guard: Some(Guard::RestoredFloor),
    });
}

#[test]
fn mutant_defect_7_logout_during_code_exchange_is_caught() {
    caught(Guard::LogoutCancelsExchange, |s| Settings { guard: Some(Guard::LogoutCancelsExchange), ..settings_of(s, None) });
}

#[test]
fn the_configuration_refuses_storage_without_sharing() {
    let mut input = expensicat_auth::test_support::input();
    input.storage = StorageMode::IndexedDb;
    input.share_across_tabs = Some(false);
    assert_eq!(ClientConfig::new(input).unwrap_err().code(), "invalid_config");
}

#[allow(dead_code)]
fn unused(_: AccessToken, _: EndReason) {}

// =====================================================================================
// ADVERSARIAL REVIEW (appended by the reviewer; nothing above this line was changed).
// Fixed scenarios that drive the shipped `Machine` directly, in orderings the random
// simulation does not generate. Each test asserts the invariant it breaks, so it FAILS on the
// current machine; they are #[ignore]d so that `cargo test` stays green for others. Run with
// `cargo test --release --test session_sim review_ -- --ignored`.
// =====================================================================================

const REVIEW_NOW: u64 = 1_700_000_000_000;

fn review_cfg(storage: StorageMode) -> Rc<ClientConfig> {
    config(Settings { storage, share: true, idb: true, dpop: false, guard: None })
}

fn review_server() -> Server {
    Server { families: Vec::new(), violations: Vec::new(), refreshes: Vec::new() }
}

fn review_sends(a: &[Action]) -> Vec<(u64, String)> {
    a.iter()
        .filter_map(|a| if let Action::Send { id, request } = a { Some((*id, request.body.expose().to_owned())) } else { None })
        .collect()
}

fn review_writes(a: &[Action]) -> Vec<SharedRecord> {
    a.iter().filter_map(|a| if let Action::Write(r) | Action::Mark(_, r) = a { Some(*r) } else { None }).collect()
}

fn review_merge(s: &mut SharedRecord, a: &[Action]) {
    for r in review_writes(a) {
        merge(s, r);
    }
}

/// A tab (memory storage, shared) that has loaded with nothing to adopt.
fn review_loaded_tab(c: &Rc<ClientConfig>, idb: Option<SharedRecord>) -> Machine {
    let (mut m, _) = Machine::new(c.clone());
    m.handle(REVIEW_NOW, Event::Shared(Purpose::Load, idb));
    if c.storage() != StorageMode::Memory {
        m.handle(REVIEW_NOW, Event::Loaded(Stored::Nothing, Version::default()));
    }
    m.handle(REVIEW_NOW, Event::Timer(Timer::Ask));
    assert!(!m.is_loading());
    m
}

/// A code exchange in `m`, answered by `server`; the actions of the answer.
fn review_login(m: &mut Machine, server: &mut Server, now: u64, call: u64) -> Vec<Action> {
    let request = TokenRequest {
        url: "https://as.example/token".into(),
        content_type: "application/json",
        body: Secret::new(format!("{{\"grant_type\":\"authorization_code\",\"code\":\"c{call}\"}}")),
        dpop: None,
    };
    let a = m.handle(now, Event::Call(call, Call::Exchange { request, requested: vec!["transactions:read".into()], nonce: 7 }));
    let (id, body) = review_sends(&a)[0].clone();
    let (status, answer) = server.token(&body, 0, false);
    m.handle(now + 1, Event::Answer { id, status, body: Secret::new(answer) })
}

/// A tab (memory storage, shared) signed in at the server, and the shared record after it.
fn review_signed_in_tab() -> (Machine, Server, SharedRecord) {
    let c = review_cfg(StorageMode::Memory);
    let mut server = review_server();
    let mut idb = SharedRecord::default();
    let mut a = review_loaded_tab(&c, Some(idb));
    let acts = review_login(&mut a, &mut server, REVIEW_NOW, 1);
    review_merge(&mut idb, &acts);
    (a, server, idb)
}

/// A refresh under the lock, up to the request: (request id, body), and the actions of the read.
fn review_refresh_to_send(m: &mut Machine, now: u64, call: u64, idb: SharedRecord) -> (Option<(u64, String)>, Vec<Action>) {
    let stale = m.tokens().map(|t| t.access_token().duplicate());
    let a = m.handle(now, Event::Call(call, Call::Token { stale }));
    assert!(a.iter().any(|a| matches!(a, Action::Lock(Purpose::Refresh))), "{a:?}");
    let a = m.handle(now, Event::Locked(Purpose::Refresh, true));
    assert!(a.iter().any(|a| matches!(a, Action::Read(Purpose::Refresh))), "{a:?}");
    let mut a = m.handle(now, Event::Shared(Purpose::Refresh, Some(idb)));
    if a.iter().any(|a| matches!(a, Action::Mark(..))) {
        // The mark of the refresh token is written before it goes out.
        a.extend(m.handle(now, Event::Marked(Purpose::Refresh, true)));
    }
    (review_sends(&a).first().cloned(), a)
}

/// Review finding: a refresh whose answer is lost after the server rotated (the request times
/// out at `timeoutMs` while the server is slow, or the connection drops after the server
/// committed) must not be followed by the same refresh token again, from this tab or another:
/// the server's reuse detection would revoke the family. The token counts as spent.
#[test]
fn review_a_refresh_answer_lost_after_rotation_is_not_followed_by_reuse() {
    let (mut a, mut server, mut idb) = review_signed_in_tab();
    let (sent, acts) = review_refresh_to_send(&mut a, REVIEW_NOW + 10, 2, idb);
    review_merge(&mut idb, &acts);
    let (id, body) = sent.expect("A sends");
    server.token(&body, 1, false); // the server rotates; its answer never arrives
    a.handle(REVIEW_NOW + 10 + TIMEOUT, Event::Failed { id, error: expensicat_auth::Error::Timeout });
    let (sent, _) = review_refresh_to_send(&mut a, REVIEW_NOW + 20_000, 3, idb);
    if let Some((_, body)) = sent {
        server.token(&body, 2, false);
    }
    assert!(server.violations.is_empty(), "{:?}", server.violations);
}

/// Finding 8, found by the random simulation once it may lose a refresh answer the server gave
/// (the fault the shipped simulation leaves out; here: at half of the steps, the oldest refresh
/// answer the server gave and the tab has not read yet is lost, and the tab sees a timeout): the
/// shipped machine, memory storage, shared, IndexedDB present. `SIM_SEEDS` sets the number of
/// seeds (default 300; seed 148 fails), `SIM_TRACE` the length of the trace printed.
#[test]
fn review_random_simulation_with_lost_refresh_answers() {
    let settings = Settings { storage: StorageMode::Memory, share: true, idb: true, dpop: false, guard: None };
    for seed in 0..env("SIM_SEEDS", 300) {
        let mut w = World::new(seed, settings);
        let mut lose = Rng(Box::new(xorshift(seed.wrapping_mul(0x2545_F491_4F6C_DD1D) | 1)));
        for _ in 0..400 {
            w.step();
            if lose.chance(50) {
                let lost = (0..w.requests.len()).find(|&r| {
                    let q = &w.requests[r];
                    !q.revoke && q.answer.is_some() && q.body.contains("\"refresh_token\":\"") && w.live(q.tab)
                });
                if let Some(r) = lost {
                    let req = w.requests.remove(r);
                    w.log(format!("the answer to tab {}'s refresh is lost (the server rotated)", req.tab));
                    w.feed(req.tab, Event::Failed { id: req.id, error: expensicat_auth::Error::Timeout });
                }
            }
            w.check();
            // (A logout that revokes the token whose answer was lost is flagged by the server
            // model too; harmless, and not this finding: skipped.)
            if let Some(v) = w.server.violations.iter().find(|v| !v.starts_with("revocation of")) {
                let tail: Vec<&str> = w
                    .trace
                    .iter()
                    .rev()
                    .take(env("SIM_TRACE", 40) as usize)
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
                panic!("seed {seed} {settings:?}: {v}\nlast steps:\n{}", tail.join("\n"));
            }
        }
    }
}

/// Review finding: a refresh token goes out only once its mark is stored; a mark IndexedDB
/// refuses (a full disk, a lost connection) fails the refresh and sends nothing, so no other tab
/// can later send a token this one spent unrecorded.
#[test]
fn review_a_refused_mark_sends_no_refresh_token() {
    let (mut a, _, idb) = review_signed_in_tab();
    let stale = a.tokens().map(|t| t.access_token().duplicate());
    a.handle(REVIEW_NOW + 10, Event::Call(2, Call::Token { stale }));
    a.handle(REVIEW_NOW + 10, Event::Locked(Purpose::Refresh, true));
    let acts = a.handle(REVIEW_NOW + 10, Event::Shared(Purpose::Refresh, Some(idb)));
    assert!(acts.iter().any(|x| matches!(x, Action::Mark(Purpose::Refresh, _))), "{acts:?}");
    assert!(review_sends(&acts).is_empty(), "nothing goes out before the mark is stored");
    let acts = a.handle(REVIEW_NOW + 11, Event::Marked(Purpose::Refresh, false));
    assert!(review_sends(&acts).is_empty(), "{acts:?}");
    assert!(acts.iter().any(|x| matches!(x, Action::Unlock(Purpose::Refresh))));
    assert!(acts.iter().any(|x| matches!(x, Action::Settle(2, Err(_)))), "the call fails: {acts:?}");
    assert!(a.version().is_some(), "the session stays: its refresh token was never sent");
}

/// Review finding: a version from the future in a tab message (a hostile same-origin script, a
/// bug) is dropped: it would otherwise end every session and outrank every later login.
#[test]
fn review_a_login_id_from_the_future_is_dropped() {
    use expensicat_auth::protocol::session_wire::event_from_json;
    let c = review_cfg(StorageMode::Memory);
    let mut server = review_server();
    let mut a = review_loaded_tab(&c, Some(SharedRecord::default()));
    review_login(&mut a, &mut server, REVIEW_NOW, 1);
    let held = a.version().expect("signed in");
    let hostile = r#"{"t":"message","m":{"t":"ended","login":9007199254740991,"seq":0,"reason":"logout"}}"#;
    let e = event_from_json(hostile, 0).expect("reads").expect("a tab message");
    a.handle(REVIEW_NOW + 5, e);
    assert_eq!(a.version(), Some(held), "the session stays");
    assert!(a.ended().login < held.login, "and nothing of it is over");
}

/// A refresh the browser never sent (offline: `Event::Unsent`) leaves its refresh token unspent:
/// the next refresh sends it, and the session goes on. The one-page configuration (no sharing,
/// memory) is the Rust session's; there the machine used to count the token as lost and end the
/// session at the next refresh (found in the review of the Rust driver).
#[test]
fn an_unsent_refresh_leaves_its_token_usable_in_one_page() {
    let c = config(Settings { storage: StorageMode::Memory, share: false, idb: false, dpop: false, guard: None });
    let mut server = review_server();
    let (mut m, _) = Machine::new(c);
    assert!(!m.is_loading());
    review_login(&mut m, &mut server, REVIEW_NOW, 1);
    let a = m.handle(REVIEW_NOW + 10, Event::Call(2, Call::Refresh));
    let (id, _) = review_sends(&a)[0].clone();
    m.handle(REVIEW_NOW + 11, Event::Unsent { id });
    assert!(m.info().is_some(), "still signed in");
    let a = m.handle(REVIEW_NOW + 20, Event::Call(3, Call::Refresh));
    let (_, body) = review_sends(&a).first().cloned().expect("the unspent refresh token is sent");
    assert_eq!(server.token(&body, REVIEW_NOW + 20, false).0, 200);
    assert!(server.violations.is_empty(), "{:?}", server.violations);
}
