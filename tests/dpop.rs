//! DPoP (RFC 9449) in the session machine: the requests it asks for name the key that signs
//! them, the tokens it keeps carry that key's thumbprint through refreshes, storage and tab
//! messages, a token response that is not DPoP-bound is refused, and an ended login's key is
//! destroyed after its last signed request.

use std::rc::Rc;

use expensicat_auth::protocol::config::{ClientConfig, ClientConfigInput};
use expensicat_auth::protocol::secret::Secret;
use expensicat_auth::protocol::session::Tokens;
use expensicat_auth::protocol::session_machine::{Action, Call, Event, Machine, Outcome};
use expensicat_auth::protocol::token::TokenRequest;

const JKT: &str = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";
const NOW: u64 = 1_700_000_000_000;

fn machine() -> Machine {
    let config = ClientConfig::new(ClientConfigInput {
        client_id: "demo-client".into(),
        redirect_uri: "https://app.example/callback".into(),
        scopes: vec!["transactions:read".into()],
        revocation_endpoint: Some("https://api.expensicat.com/api/auth/oauth2/revoke".into()),
        share_across_tabs: Some(false),
        dpop: true,
        ..Default::default()
    })
    .unwrap();
    let (m, _) = Machine::new(Rc::new(config));
    assert!(!m.is_loading());
    m
}

fn exchange(m: &mut Machine, call: u64) -> (u64, Vec<Action>) {
    let request = TokenRequest {
        url: "https://api.expensicat.com/api/auth/oauth2/token".into(),
        content_type: "application/json",
        body: Secret::new(format!("{{\"grant_type\":\"authorization_code\",\"code\":\"c{call}\"}}")),
        dpop: Some(JKT.into()),
    };
    let a = m.handle(NOW, Event::Call(call, Call::Exchange { request, requested: vec!["transactions:read".into()], nonce: 7 }));
    let id = a
        .iter()
        .find_map(|a| match a {
            Action::Send { id, request } => {
                assert_eq!(request.dpop.as_deref(), Some(JKT), "the exchange is signed with the login's key");
                Some(*id)
            }
            _ => None,
        })
        .unwrap();
    (id, a)
}

fn answer(m: &mut Machine, id: u64, status: u16, body: &str) -> Vec<Action> {
    m.handle(NOW + 1, Event::Answer { id, status, body: Secret::new(body) })
}

fn forgets(a: &[Action]) -> Vec<&str> {
    a.iter().filter_map(|a| if let Action::Forget(j) = a { Some(j.as_str()) } else { None }).collect()
}

/// A machine signed in with DPoP tokens, its refresh (call 2) sent: the request id.
fn refreshing() -> (Machine, u64) {
    let mut m = machine();
    let (id, _) = exchange(&mut m, 1);
    answer(&mut m, id, 200, r#"{"access_token":"at1","token_type":"DPoP","refresh_token":"rt1"}"#);
    let a = m.handle(NOW + 2, Event::Call(2, Call::Refresh));
    let id = a.iter().find_map(|a| if let Action::Send { id, .. } = a { Some(*id) } else { None }).unwrap();
    (m, id)
}

fn settled_error(a: &[Action], call: u64) -> Option<&'static str> {
    a.iter().find_map(|a| match a {
        Action::Settle(c, Err(e)) if *c == call => Some(e.code()),
        _ => None,
    })
}

#[test]
fn a_bearer_answer_to_a_dpop_exchange_is_refused_and_its_key_destroyed() {
    let mut m = machine();
    let (id, _) = exchange(&mut m, 1);
    let a = answer(&mut m, id, 200, r#"{"access_token":"at","token_type":"Bearer","refresh_token":"rt"}"#);
    assert_eq!(settled_error(&a, 1), Some("unsupported_token_type"));
    assert_eq!(forgets(&a), [JKT]);
    assert!(m.tokens().is_none());
    // A nonce demand: the same request once more (its new proof has the nonce), then no more.
    let (id, _) = exchange(&mut m, 2);
    let a = answer(&mut m, id, 400, r#"{"error":"use_dpop_nonce"}"#);
    match &a[..] {
        [Action::Send { id: again, request }] => {
            assert_eq!(*again, id);
            assert_eq!(request.dpop.as_deref(), Some(JKT));
            assert!(request.body.expose().contains(r#""code":"c2""#));
        }
        other => panic!("{other:?}"),
    }
    let a = answer(&mut m, id, 400, r#"{"error":"use_dpop_nonce"}"#);
    assert_eq!(settled_error(&a, 2), Some("oauth_error"));
    assert_eq!(forgets(&a), [JKT]);
}

#[test]
fn dpop_tokens_keep_their_key_through_refresh_and_storage_and_logout_signs_then_forgets() {
    let mut m = machine();
    let (id, _) = exchange(&mut m, 1);
    let a = answer(&mut m, id, 200, r#"{"access_token":"at1","token_type":"DPoP","refresh_token":"rt1","expires_in":3600}"#);
    assert!(a.iter().any(|a| matches!(a, Action::Settle(1, Ok(Outcome::Session(_))))));
    assert!(forgets(&a).is_empty());
    assert_eq!(m.tokens().unwrap().jkt(), Some(JKT));
    let stored = m.tokens().unwrap().to_storage();
    assert_eq!(Tokens::from_storage(stored.expose()).unwrap().jkt(), Some(JKT), "other tabs sign with the same key");

    let a = m.handle(NOW + 2, Event::Call(2, Call::Refresh));
    let (id, request) = a.iter().find_map(|a| if let Action::Send { id, request } = a { Some((*id, request)) } else { None }).unwrap();
    assert_eq!(request.dpop.as_deref(), Some(JKT));

    answer(&mut m, id, 200, r#"{"access_token":"at2","token_type":"dpop","refresh_token":"rt2"}"#);
    assert_eq!(m.tokens().unwrap().access_token().expose(), "at2");
    assert_eq!(m.tokens().unwrap().jkt(), Some(JKT));

    let a = m.handle(NOW + 4, Event::Call(4, Call::Logout));
    let revokes: Vec<(u64, &TokenRequest)> =
        a.iter().filter_map(|a| if let Action::Revoke { id, request } = a { Some((*id, request)) } else { None }).collect();
    assert_eq!(revokes.len(), 2);
    assert!(revokes.iter().all(|(_, r)| r.dpop.as_deref() == Some(JKT)), "revocations carry proofs");
    assert!(forgets(&a).is_empty(), "the key stays while a revocation may need it again");
    let (first, second) = (revokes[0].0, revokes[1].0);
    // The server wants its nonce in the proof (RFC 9449 section 8): that revocation goes once
    // more, signed again, and only once.
    let a = m.handle(NOW + 5, Event::Revoked { id: first, status: 400, nonce: true });
    assert!(matches!(&a[..], [Action::Revoke { id, request }] if *id == first && request.dpop.as_deref() == Some(JKT)), "{a:?}");
    let a = m.handle(NOW + 6, Event::Revoked { id: first, status: 400, nonce: true });
    assert!(!a.iter().any(|a| matches!(a, Action::Revoke { .. })), "once only: {a:?}");
    assert!(forgets(&a).is_empty() && settled_error(&a, 4).is_none());
    // Once every revocation is done: the key goes, then the logout settles.
    let a = m.handle(NOW + 7, Event::Revoked { id: second, status: 200, nonce: false });
    let forget = a.iter().position(|a| matches!(a, Action::Forget(j) if j == JKT)).expect("the key goes");
    let settled = a.iter().position(|a| matches!(a, Action::Settle(4, Ok(_)))).expect("the logout settles");
    assert!(forget < settled, "{a:?}");
}

#[test]
fn a_bearer_answer_to_a_dpop_refresh_is_refused_and_that_refresh_token_never_sent_again() {
    let (mut m, id) = refreshing();
    let a = answer(&mut m, id, 200, r#"{"access_token":"at2","token_type":"Bearer","refresh_token":"rt2"}"#);
    assert_eq!(settled_error(&a, 2), Some("unsupported_token_type"));
    // The server may have rotated it: it is not sent again.
    let a = m.handle(NOW + 3, Event::Call(3, Call::Refresh));
    assert!(!a.iter().any(|a| matches!(a, Action::Send { .. })));
    assert_eq!(settled_error(&a, 3), Some("login_required"));
}

#[test]
fn invalid_grant_ends_the_login_and_its_key() {
    let (mut m, id) = refreshing();
    let a = answer(&mut m, id, 400, r#"{"error":"invalid_grant"}"#);
    assert_eq!(forgets(&a), [JKT]);
    assert!(m.tokens().is_none());
}

// What the machine asks its driver to sign after it has asked it to destroy the key
// (`Action::Forget`): js/session.js deletes the key pair on `forget`, so a request named after
// that cannot be signed and never reaches the server.

/// Every action the machine asked for, in order, across all the events fed.
#[derive(Default)]
struct Log(Vec<String>);

impl Log {
    fn add(&mut self, a: &[Action]) {
        for a in a {
            match a {
                Action::Forget(j) => self.0.push(format!("forget {j}")),
                Action::Send { id, request } => self.0.push(format!("send {id} {}", request.dpop.as_deref().unwrap_or("-"))),
                Action::Revoke { id, request } => self.0.push(format!("revoke {id} {}", request.dpop.as_deref().unwrap_or("-"))),
                _ => {}
            }
        }
    }

    /// The requests asked for, signed with `jkt`, after `forget jkt`.
    fn signed_after_forget(&self, jkt: &str) -> Vec<&String> {
        let Some(f) = self.0.iter().position(|l| *l == format!("forget {jkt}")) else { return Vec::new() };
        self.0[f..].iter().filter(|l| (l.starts_with("send") || l.starts_with("revoke")) && l.ends_with(jkt)).collect()
    }
}

fn revokes(a: &[Action]) -> Vec<u64> {
    a.iter().filter_map(|a| if let Action::Revoke { id, .. } = a { Some(*id) } else { None }).collect()
}

/// RFC 9449 sections 5 and 8, RFC 7009: a logout while a DPoP refresh is out. The logout revokes
/// the access token, then destroys the key; the refresh answers afterwards with new tokens, which
/// the machine means to revoke (no tab will use them) -- with proofs of the key it has just had
/// destroyed. The driver cannot sign them: the rotated refresh token is never revoked.
#[test]
fn a_refresh_answering_after_a_logout_is_revoked_with_a_key_not_yet_destroyed() {
    let mut m = machine();
    let mut log = Log::default();
    let (id, _) = exchange(&mut m, 1);
    log.add(&answer(&mut m, id, 200, r#"{"access_token":"at1","token_type":"DPoP","refresh_token":"rt1"}"#));
    let a = m.handle(NOW + 2, Event::Call(2, Call::Refresh));
    log.add(&a);
    let refresh = a.iter().find_map(|a| if let Action::Send { id, .. } = a { Some(*id) } else { None }).unwrap();
    // Logout while the refresh is out: the access token is revoked (the refresh token may be
    // rotated already, so it waits for the refresh's answer).
    let a = m.handle(NOW + 3, Event::Call(3, Call::Logout));
    log.add(&a);
    for r in revokes(&a) {
        log.add(&m.handle(NOW + 4, Event::Revoked { id: r, status: 200, nonce: false }));
    }
    // The refresh answers: its tokens are revoked...
    let a = answer(&mut m, refresh, 200, r#"{"access_token":"at2","token_type":"DPoP","refresh_token":"rt2"}"#);
    log.add(&a);
    assert!(!revokes(&a).is_empty(), "the orphan refresh's tokens are revoked: {:?}", log.0);
    // ...but with a key the machine already told the driver to destroy.
    assert_eq!(log.signed_after_forget(JKT), Vec::<&String>::new(), "requests signed with a destroyed key: {:?}", log.0);
}

/// RFC 9449 section 8: a logout while the DPoP code exchange is out. When the exchange answers,
/// its tokens are revoked and the key destroyed in the same breath; a revocation that the server
/// refuses for want of its nonce goes once more -- signed with the key already destroyed.
#[test]
fn an_abandoned_logins_revocation_can_go_once_more_with_its_key() {
    let mut m = machine();
    let mut log = Log::default();
    let (id, _) = exchange(&mut m, 1);
    log.add(&m.handle(NOW + 1, Event::Call(2, Call::Logout)));
    let a = answer(&mut m, id, 200, r#"{"access_token":"at1","token_type":"DPoP","refresh_token":"rt1"}"#);
    log.add(&a);
    let first = revokes(&a);
    assert!(!first.is_empty(), "the abandoned login's tokens are revoked: {:?}", log.0);
    // The server wants its nonce: 400 with a DPoP-Nonce header.
    log.add(&m.handle(NOW + 2, Event::Revoked { id: first[0], status: 400, nonce: true }));
    assert!(log.0.iter().filter(|l| l.starts_with(&format!("revoke {} ", first[0]))).count() == 2, "it goes once more: {:?}", log.0);
    assert_eq!(log.signed_after_forget(JKT), Vec::<&String>::new(), "requests signed with a destroyed key: {:?}", log.0);
}

/// A logout abandons the code exchange in flight (its answer counts for nothing, its tokens are
/// revoked). When that exchange is refused for want of the server's nonce (RFC 9449 section 8),
/// the code is still unused: sending it once more after the logout makes the server issue
/// tokens for a login the user has left (live until revoked, and never revoked without a
/// revocation endpoint).
#[test]
fn an_abandoned_code_exchange_is_not_sent_again_for_a_nonce() {
    let mut m = machine();
    let (id, _) = exchange(&mut m, 1);
    let a = m.handle(NOW + 1, Event::Call(2, Call::Logout));
    assert!(a.iter().any(|a| matches!(a, Action::Settle(1, Err(_)))), "the login call fails: {a:?}");
    let a = answer(&mut m, id, 400, r#"{"error":"use_dpop_nonce"}"#);
    assert!(!a.iter().any(|a| matches!(a, Action::Send { .. })), "the abandoned exchange went once more: {a:?}");
    assert_eq!(a.iter().filter(|a| matches!(a, Action::Forget(j) if j == JKT)).count(), 1, "its key goes: {a:?}");
}

/// RFC 9449 section 7.1: a resource server answers a DPoP-bound token with a `DPoP` challenge
/// carrying RFC 6750's error codes (`invalid_token`, `insufficient_scope` with its `scope`). A
/// 403 `DPoP error="insufficient_scope"` is the API's word that the token lacks a scope, and a
/// 403 `DPoP error="invalid_token"` that the token is refused, as their Bearer twins are.
#[test]
fn a_dpop_challenge_says_what_a_bearer_challenge_says() {
    use expensicat_auth::protocol::error::Error;
    use expensicat_auth::protocol::session::{api_error, refusal, Refusal};
    let scope = r#"DPoP algs="ES256", error="insufficient_scope", scope="invoices:read""#;
    assert_eq!(refusal(403, Some(scope)), Refusal::Scope(Some("invoices:read")));
    assert_eq!(refusal(403, Some(r#"DPoP algs="ES256", error="invalid_token""#)), Refusal::Token);
    match api_error(403, "", None, Some(scope), NOW, "GET", "/v1/transactions") {
        Error::InsufficientScope { required_scope } => assert_eq!(required_scope.as_deref(), Some("invoices:read")),
        other => panic!("a DPoP insufficient_scope challenge read as {other:?}"),
    }
}
