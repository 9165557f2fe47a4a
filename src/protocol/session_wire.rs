//! The session machine's events and actions as JSON, for a driver on the other side of a
//! language boundary (the package's JavaScript session) and for the messages between tabs. What
//! comes from another tab is read like any untrusted input: every field is checked, numbers are
//! safe integers, a session record is read as a stored one; anything else is dropped.
//!
//! Events, as the driver writes them (`t` says which):
//! `{t:"call",id,call:"token"|"refresh"|"logout",stale?}`, `{t:"bearer",id,token,expiresAt?}`,
//! `{t:"answer",id,status,body}`, `{t:"failed",id,what,status?}`, `{t:"revoked",id}`,
//! `{t:"message",m}`, `{t:"locked",p,ok}`, `{t:"marked",ok}`, `{t:"shared",p,r}` (`r`: a [`SharedRecord`] as
//! written by `write` actions, or `null` without IndexedDB), `{t:"loaded",stored,el,es}`
//! (`stored`: `"nothing"`, `"corrupt"` or `{rec,login,seq}`), `{t:"timer",name,n}`.
//!
//! Actions (`a` says which): `send` and `revoke` `{id,url,contentType,body,dpop?}` (`dpop`:
//! the thumbprint of the key that signs the request's DPoP proof), `forget` `{jkt}` (destroy
//! that key), `post` `{m}`,
//! `store` `{rec?,login?,seq?,el,es}`, `lock`, `unlock` and `read` `{p}`, `write` and `mark`
//! `{r}`,
//! `emit` `{type,reason?,session?}`, `settle` `{id,token?|session?}` (a refusal is made by the
//! binding, which builds the error object), `timer` `{name,n,ms}`.

#[allow(unused_imports)]
use crate::prelude::*;

use super::error::Error;
use super::json::{Fields, Obj, Value};
use super::secret::{AccessToken, Secret};
use super::session::Tokens;
use super::session_machine::{Action, Call, Change, EndReason, Event, Message, Outcome, Purpose, SharedRecord, Stored, Timer, Version};

/// The largest number a JavaScript number holds exactly.
const SAFE: u64 = (1 << 53) - 1;

fn safe(n: Option<u64>) -> Option<u64> {
    n.filter(|n| *n <= SAFE)
}

fn version(f: &mut Fields, login: &'static str, seq: &'static str) -> Option<Version> {
    Some(Version { login: safe(f.u64(login))?, seq: safe(f.u64(seq))? })
}

fn purpose(f: &mut Fields) -> Option<Purpose> {
    f.one_of("p", &[("load", Purpose::Load), ("refresh", Purpose::Refresh), ("logout", Purpose::Logout), ("adopt", Purpose::Adopt)])
}

fn purpose_name(p: Purpose) -> &'static str {
    match p {
        Purpose::Load => "load",
        Purpose::Refresh => "refresh",
        Purpose::Logout => "logout",
        Purpose::Adopt => "adopt",
    }
}

const REASONS: [(&str, EndReason); 4] = [
    ("logout", EndReason::Logout),
    ("invalid_grant", EndReason::InvalidGrant),
    ("expired", EndReason::Expired),
    ("corrupt_record", EndReason::CorruptRecord),
];

/// A session record (an object) as the text [`Tokens::from_storage`] reads, when it reads.
fn record(v: Value) -> Option<Secret> {
    let text = Secret::new(v.to_json());
    Tokens::from_storage(text.expose()).ok().map(|_| text)
}

impl Message {
    /// Reads a message from another tab; `None` for anything this library would not have sent.
    pub fn from_value(v: Value) -> Option<Message> {
        let mut f = Fields::of(v)?;
        let kind = f.string("t")?;
        let m = match kind.as_str() {
            "ask" => Message::Ask,
            "session" => {
                let version = version(&mut f, "login", "seq");
                let rec = record(f.take("rec")?);
                Message::Session { version: version?, record: rec? }
            }
            "ended" => {
                let version = version(&mut f, "login", "seq");
                let reason = f.one_of("reason", &REASONS);
                Message::Ended { version: version?, reason: reason? }
            }
            "need" => Message::Need { version: version(&mut f, "login", "seq")? },
            _ => return None,
        };
        f.finish().ok().map(|()| m)
    }

    /// The message as JSON.
    pub fn to_json(&self) -> String {
        match self {
            Message::Ask => Obj::new().str("t", "ask").finish(),
            Message::Session { version, record } => Obj::with_capacity(96 + record.expose().len())
                .str("t", "session")
                .u64("login", version.login)
                .u64("seq", version.seq)
                .raw("rec", record.expose())
                .finish(),
            Message::Ended { version, reason } => {
                Obj::new().str("t", "ended").u64("login", version.login).u64("seq", version.seq).str("reason", reason.as_str()).finish()
            }
            Message::Need { version } => Obj::new().str("t", "need").u64("login", version.login).u64("seq", version.seq).finish(),
        }
    }
}

const SHARED_KEYS: [(&str, &str); 4] = [("nl", "ns"), ("el", "es"), ("sl", "ss"), ("rl", "rs")];

fn shared_record(v: Value) -> Option<SharedRecord> {
    let mut f = Fields::of(v)?;
    let mut vs = [Version::default(); 4];
    for (slot, (l, s)) in vs.iter_mut().zip(SHARED_KEYS) {
        *slot = version(&mut f, l, s)?;
    }
    // Absent in a record written before they existed: zero.
    let (tries, answered) = (safe(f.u64("t")).unwrap_or_default(), safe(f.u64("a")).unwrap_or_default());
    f.finish().ok()?;
    let [newest, ended, spent, revoked] = vs;
    Some(SharedRecord { newest, ended, spent, revoked, tries, answered })
}

fn shared_json(r: &SharedRecord) -> String {
    let mut o = Obj::new();
    for (v, (l, s)) in [r.newest, r.ended, r.spent, r.revoked].iter().zip(SHARED_KEYS) {
        o = o.u64(l, v.login).u64(s, v.seq);
    }
    o.u64("t", r.tries).u64("a", r.answered).finish()
}

/// The error a driver reports for a request that got no usable answer (`what`, as the shared
/// bounded reader names it: `network`, `timeout`, `too_large`, `redirect`).
pub fn transport_error(what: &str, status: u16) -> Error {
    match what {
        "timeout" => Error::Timeout,
        "too_large" => Error::body_too_large(status),
        "redirect" => Error::redirected(),
        _ => Error::Network,
    }
}

/// Reads a driver's event. `None` for a malformed one (a driver bug, or a message that is not
/// this library's: dropped). `nonce` is a fresh random number for a bearer session's login id.
pub fn event_from_json(text: &str, nonce: u32) -> Result<Option<Event>, Error> {
    // Nothing the library sends is this large (a token response is bounded at 64 KiB by
    // default and 16 MiB at most, and arrives as `answer`): a tab message this size is not ours.
    if text.len() > 17 * 1024 * 1024 {
        return Ok(None);
    }
    let Ok(mut f) = Fields::parse(text) else { return Ok(None) };
    let kind = f.string("t").unwrap_or_default();
    let id = f.u64("id");
    let event = match kind.as_str() {
        "call" => {
            let call = match f.string("call").as_deref() {
                Some("token") => Call::Token { stale: f.string("stale").map(AccessToken::new) },
                Some("refresh") => Call::Refresh,
                Some("logout") => Call::Logout,
                _ => return Ok(None),
            };
            id.map(|id| Event::Call(id, call))
        }
        "bearer" => {
            let token = AccessToken::new(f.string("token").unwrap_or_default());
            let tokens = Tokens::bearer(token.expose(), f.u64("expiresAt"))?;
            id.map(|id| Event::Call(id, Call::Bearer { tokens, nonce }))
        }
        "answer" => {
            let status = f.u64("status").filter(|s| *s <= 599);
            let body = Secret::new(f.string("body").unwrap_or_default());
            id.zip(status).map(|(id, status)| Event::Answer { id, status: status as u16, body })
        }
        "failed" => {
            let what = f.string("what").unwrap_or_default();
            let status = f.u64("status").unwrap_or_default().min(599) as u16;
            id.map(|id| Event::Failed { id, error: transport_error(&what, status) })
        }
        "revoked" => {
            let status = f.u64("status").unwrap_or_default().min(599) as u16;
            let nonce = f.bool("nonce").unwrap_or_default();
            id.map(|id| Event::Revoked { id, status, nonce })
        }
        "unsent" => id.map(|id| Event::Unsent { id }),
        "message" => f.take("m").and_then(Message::from_value).map(Event::Message),
        "locked" => {
            let p = purpose(&mut f);
            p.zip(f.bool("ok")).map(|(p, ok)| Event::Locked(p, ok))
        }
        "shared" => {
            // No record (`null`): IndexedDB is not there. A record that does not read counts as
            // none too: the machine then takes the way that needs no shared record.
            let failed = f.bool("failed").unwrap_or_default();
            let r = f.take("r").and_then(shared_record);
            purpose(&mut f).map(|p| if failed { Event::ReadFailed(p) } else { Event::Shared(p, r) })
        }
        "loaded" => {
            let ended = version(&mut f, "el", "es").unwrap_or_default();
            let stored = match f.take("stored") {
                Some(Value::String(s)) if s == "corrupt" => Stored::Corrupt,
                Some(v @ Value::Object(_)) => {
                    let mut g = Fields::of(v).ok_or(Error::CorruptRecord)?;
                    let v = version(&mut g, "login", "seq");
                    match (g.take("rec").and_then(record), v) {
                        (Some(rec), Some(v)) if g.finish().is_ok() => Stored::Session(rec, v),
                        _ => Stored::Corrupt,
                    }
                }
                _ => Stored::Nothing,
            };
            Some(Event::Loaded(stored, ended))
        }
        "marked" => {
            let p = purpose(&mut f);
            p.zip(f.bool("ok")).map(|(p, ok)| Event::Marked(p, ok))
        }
        "timer" => {
            let n = f.u64("n").unwrap_or_default();
            match f.string("name").as_deref() {
                Some("ask") => Some(Event::Timer(Timer::Ask)),
                Some("catchup") => Some(Event::Timer(Timer::CatchUp(n))),
                _ => None,
            }
        }
        _ => None,
    };
    Ok(event)
}

/// An action as JSON, but a refusal (`Settle` with an error), which the binding turns into an
/// error object: returned as `Err` with the call id.
pub fn action_to_json(action: &Action) -> Result<String, (u64, &Error)> {
    // Sized for the secrets it carries up front, so no grown-out copy of a token is left behind
    // in freed memory (the caller zeroes the text itself).
    let secret = match action {
        Action::Send { request, .. } | Action::Revoke { request, .. } => request.body.expose().len() + request.url.len(),
        Action::Broadcast(Message::Session { record, .. }) => 2 * record.expose().len(),
        Action::Store { session: Some((record, _)), .. } => record.expose().len(),
        Action::Settle(_, Ok(Outcome::Token(t))) => t.expose().len(),
        _ => 0,
    };
    let o = Obj::with_capacity(192 + secret);
    Ok(match action {
        Action::Send { id, request } | Action::Revoke { id, request } => o
            .str("a", if matches!(action, Action::Send { .. }) { "send" } else { "revoke" })
            .u64("id", *id)
            .str("url", &request.url)
            .str("contentType", request.content_type)
            .str("body", request.body.expose())
            .opt_str("dpop", request.dpop.as_deref())
            .finish(),
        Action::Broadcast(m) => o.str("a", "post").raw("m", Secret::new(m.to_json()).expose()).finish(),
        Action::Store { session, ended } => {
            let mut o = o.str("a", "store").u64("el", ended.login).u64("es", ended.seq);
            if let Some((rec, v)) = session {
                o = o.raw("rec", rec.expose()).u64("login", v.login).u64("seq", v.seq);
            }
            o.finish()
        }
        Action::Lock(p) => o.str("a", "lock").str("p", purpose_name(*p)).finish(),
        Action::Unlock(p) => o.str("a", "unlock").str("p", purpose_name(*p)).finish(),
        Action::Read(p) => o.str("a", "read").str("p", purpose_name(*p)).finish(),
        Action::Write(r) => o.str("a", "write").raw("r", &shared_json(r)).finish(),
        Action::Mark(p, r) => o.str("a", "mark").str("p", purpose_name(*p)).raw("r", &shared_json(r)).finish(),
        Action::Emit(change, info) => {
            let (kind, reason) = match change {
                Change::Ready => ("ready", None),
                Change::Started(r) => ("started", Some(r.as_str())),
                Change::Refreshed => ("refreshed", None),
                Change::Ended(r) => ("ended", Some(r.as_str())),
            };
            let o = o.str("a", "emit").str("type", kind).opt_str("reason", reason);
            match info {
                Some(i) => o.raw("session", &i.to_json()),
                None => o,
            }
            .finish()
        }
        Action::Settle(id, result) => {
            let o = o.str("a", "settle").u64("id", *id);
            match result {
                Ok(Outcome::Token(t)) => o.str("token", t.expose()),
                Ok(Outcome::Session(i)) => o.raw("session", &i.to_json()),
                Ok(Outcome::Done) => o,
                Err(e) => return Err((*id, e)),
            }
            .finish()
        }
        Action::SetTimer(t, ms) => {
            let (name, n) = match t {
                Timer::Ask => ("ask", 0),
                Timer::CatchUp(n) => ("catchup", *n),
            };
            o.str("a", "timer").str("name", name).u64("n", n).u64("ms", *ms).finish()
        }
        Action::Forget(jkt) => o.str("a", "forget").str("jkt", jkt).finish(),
    })
}
