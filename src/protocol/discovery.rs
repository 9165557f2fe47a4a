//! Authorization server discovery: where the metadata of an issuer lives (RFC 8414 section 3.1,
//! then OpenID Connect Discovery 1.0 section 4), and what its answer must hold to configure a
//! client (RFC 8414 sections 2 and 3.3). This module builds URLs and judges `(status, body)`; it
//! never performs I/O.
//!
//! The metadata is a server answer like any other: strict JSON, bounded, its `issuer` the one
//! asked for (a plain string comparison, RFC 8414 section 3.3: a document that names another
//! issuer is a mix-up, never a redirect to follow), every endpoint HTTPS (HTTP only on loopback),
//! and PKCE S256 listed in `code_challenge_methods_supported` (RFC 8414 section 2: a server that
//! omits it does not support PKCE, and this library never logs in without it).

#[allow(unused_imports)]
use crate::prelude::*;

use super::authorize::RESERVED_AUTHORIZE_PARAMS;
use super::config::{ClientConfig, ClientConfigInput};
use super::endpoint::parse_endpoint;
use super::error::{Error, Result};
use super::json::{Fields, ShapeError};
use super::text::{concat, trim_end_byte};

/// The RFC 8414 well-known suffix.
pub const AUTHORIZATION_SERVER_SUFFIX: &str = "/.well-known/oauth-authorization-server";
/// The OpenID Connect Discovery well-known suffix.
pub const OPENID_CONFIGURATION_SUFFIX: &str = "/.well-known/openid-configuration";

/// The configuration members that discovery fills in from the metadata: a configuration given to
/// `discover` must not name them.
pub const DISCOVERED_MEMBERS: [&str; 5] =
    ["issuer", "authorizationEndpoint", "tokenEndpoint", "revocationEndpoint", "pushedAuthorizationRequestEndpoint"];

/// The two places the metadata of `issuer` may be, in the order they are tried: the RFC 8414
/// address (`/.well-known/oauth-authorization-server` inserted between the host and the
/// issuer's path, a terminating `/` of the path removed), then the OpenID Connect one (the issuer
/// followed by `/.well-known/openid-configuration`, a terminating `/` removed first).
///
/// # Errors
/// [`Error::InvalidUrl`] or [`Error::InsecureUrl`] (field `issuer`) for an issuer that is not an
/// HTTPS URL (HTTP on loopback) without query and fragment (RFC 8414 section 2).
pub fn metadata_urls(issuer: &str) -> Result<[String; 2]> {
    let url = parse_endpoint(issuer, "issuer", &[])?;
    if url.query().is_some() {
        return Err(Error::InvalidUrl { field: "issuer", reason: "must not have a query" });
    }
    let origin = url.origin();
    let path = trim_end_byte(url.path(), b'/');
    Ok([concat(&[&*origin, AUTHORIZATION_SERVER_SUFFIX, path]), concat(&[&*origin, path, OPENID_CONFIGURATION_SUFFIX])])
}

/// What discovery needs before its first request: the two metadata URLs, and the deadline and
/// size limit of the exchange (the configuration's `timeoutMs` and `maxTokenResponseBytes`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveryPlan {
    /// [`metadata_urls`], in order.
    pub urls: [String; 2],
    /// One deadline over both requests and their bodies, in ms.
    pub timeout_ms: u64,
    /// The largest metadata body read, in bytes.
    pub max_bytes: usize,
}

/// Checks `issuer` and the rest of a configuration given to `discover` (JSON text of the
/// JavaScript `ClientConfig` without the endpoints) before any request, and says where to look.
///
/// # Errors
/// [`Error::InvalidConfig`] for a configuration that names a member discovery fills in (or is
/// not a configuration object), any [`ClientConfig::new`] error for the rest, and the
/// [`metadata_urls`] errors.
pub fn discovery_plan(issuer: &str, config_json: &str) -> Result<DiscoveryPlan> {
    let urls = metadata_urls(issuer)?;
    let mut input = own_input(config_json)?;
    input.issuer = Some(issuer.into());
    // PAR's endpoint comes from the metadata: the rest is checked now, before any request.
    input.par = false;
    let config = ClientConfig::new(input)?;
    Ok(DiscoveryPlan { urls, timeout_ms: config.timeout_ms(), max_bytes: config.max_token_response_bytes() })
}

/// A configuration given to `discover`, none of its members one that discovery fills in.
fn own_input(config_json: &str) -> Result<ClientConfigInput> {
    use super::json::FromJson;
    let input = ClientConfigInput::from_json(config_json)
        .map_err(|_| Error::InvalidConfig { field: "config", reason: "has an unknown member or one of the wrong type" })?;
    let given = [
        input.issuer.is_some(),
        input.authorization_endpoint.is_some(),
        input.token_endpoint.is_some(),
        input.revocation_endpoint.is_some(),
        input.pushed_authorization_request_endpoint.is_some(),
    ];
    match given.iter().position(|g| *g) {
        Some(i) => Err(Error::InvalidConfig { field: DISCOVERED_MEMBERS[i], reason: "comes from the metadata" }),
        None => Ok(input),
    }
}

/// What an answer at one of the [`metadata_urls`] is worth.
// Made once per discovery and moved straight into the client: a box would add an allocation and
// a copy for nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetadataAnswer {
    /// The configuration: the app's (`config_json`) with the issuer and the endpoints of the
    /// validated metadata, and `par` when the server requires pushed authorization requests.
    Found(ClientConfig),
    /// No document at this address (an HTTP error status, a redirect, or no answer at all): ask
    /// the next one.
    TryNext,
}

/// Judges the answer (`status`, 0 when there was none: a network failure or a redirect, which
/// is never followed; and its `body`) to the request for `issuer`'s metadata at
/// `metadata_urls(issuer)[attempt]`, for the app's configuration `config_json` (as given to
/// [`discovery_plan`], checked first). A 2xx answer is final, valid or not: a bad document at
/// the first address is not a reason to look elsewhere. The metadata goes straight into the
/// configuration, which [`ClientConfig::new`] then checks as a whole.
///
/// # Errors
/// The [`discovery_plan`] errors; [`Error::MetadataIssuerMismatch`] when the document names
/// another issuer; [`Error::InvalidResponse`] for a body over the configuration's
/// `maxTokenResponseBytes`, one that is not a strict JSON object, a member of the wrong type, a
/// missing endpoint, no `S256` in `code_challenge_methods_supported`, PAR required without its
/// endpoint, or no document at either address; [`Error::InvalidUrl`] or [`Error::InsecureUrl`]
/// naming the endpoint member; [`Error::Network`] when the last address did not answer; any
/// [`ClientConfig::new`] error for the configuration made (`par` set by the app without an
/// endpoint in the metadata).
pub fn read_metadata(issuer: &str, config_json: &str, attempt: usize, status: u16, body: &str) -> Result<MetadataAnswer> {
    let max_bytes = discovery_plan(issuer, config_json)?.max_bytes;
    if !(200..300).contains(&status) {
        return match (attempt >= 1, status) {
            (false, _) => Ok(MetadataAnswer::TryNext),
            (true, 0) => Err(Error::Network),
            (true, _) => Err(Error::InvalidResponse { status, reason: "no metadata at either well-known address" }),
        };
    }
    let bad = |reason| Error::InvalidResponse { status, reason };
    if body.len() > max_bytes {
        return Err(Error::body_too_large(status));
    }
    let mut f = Fields::parse(body).map_err(|_| bad("the body is not a strict JSON object (or it repeats a key)"))?;
    // Read in one pass straight into the configuration, then judged: an early return drops the
    // one value that owns what was read.
    let mut input = own_input(config_json)?;
    let same_issuer = f.string("issuer").as_deref() == Some(issuer);
    let [a, t, r, p] = ENDPOINT_MEMBERS;
    input.authorization_endpoint = f.string(a);
    input.token_endpoint = f.string(t);
    input.revocation_endpoint = f.string(r);
    input.pushed_authorization_request_endpoint = f.string(p);
    let require_par = f.bool("require_pushed_authorization_requests").unwrap_or_default();
    let s256 = f.strings("code_challenge_methods_supported").is_some_and(|m| m.iter().any(|m| m == "S256"));
    // Not used (the key is the client's choice), but a member of the wrong type still refuses
    // the document.
    f.strings("dpop_signing_alg_values_supported");
    // The document's other members are the server's business; only a wrong type is refused.
    if let Err(ShapeError::WrongType(_)) = f.finish() {
        return Err(bad("a metadata member has the wrong type"));
    }
    if !same_issuer {
        // The issuer first: nothing else of a document about another server is worth checking.
        return Err(Error::MetadataIssuerMismatch);
    }
    let endpoints =
        [&input.authorization_endpoint, &input.token_endpoint, &input.revocation_endpoint, &input.pushed_authorization_request_endpoint];
    for (e, k) in endpoints.iter().zip(&ENDPOINT_MEMBERS) {
        if let Some(e) = e {
            parse_endpoint(e, k, &RESERVED_AUTHORIZE_PARAMS)?;
        }
    }
    let reason = if endpoints[0].is_none() || endpoints[1].is_none() {
        "no authorization_endpoint or token_endpoint"
    } else if require_par && endpoints[3].is_none() {
        "require_pushed_authorization_requests without pushed_authorization_request_endpoint"
    } else if !s256 {
        "no S256 in code_challenge_methods_supported"
    } else {
        input.issuer = Some(issuer.to_owned());
        input.par |= require_par;
        return ClientConfig::new(input).map(MetadataAnswer::Found);
    };
    Err(bad(reason))
}

/// The endpoint members of the metadata this client uses, in the order they are checked.
const ENDPOINT_MEMBERS: [&str; 4] =
    ["authorization_endpoint", "token_endpoint", "revocation_endpoint", "pushed_authorization_request_endpoint"];

#[cfg(test)]
mod tests {
    use super::*;

    const ISS: &str = "https://as.example";
    const APP: &str = r#"{"clientId":"c","redirectUri":"https://app.example/cb","scopes":["openid"],"allowCustomScopes":true}"#;

    /// The configuration a 200 answer of `body` at the second address makes for [`APP`].
    fn parse_metadata(body: &str, issuer: &str) -> Result<ClientConfig> {
        match read_metadata(issuer, APP, 1, 200, body)? {
            MetadataAnswer::Found(c) => Ok(c),
            MetadataAnswer::TryNext => panic!("a 200 answer is final"),
        }
    }

    fn doc(extra: &str) -> String {
        format!(
            r#"{{"issuer":"{ISS}","authorization_endpoint":"https://as.example/authorize","token_endpoint":"https://as.example/token","code_challenge_methods_supported":["plain","S256"]{extra}}}"#
        )
    }

    #[test]
    fn well_known_urls_follow_rfc_8414_then_openid_connect() {
        assert_eq!(
            metadata_urls("https://as.example").unwrap(),
            ["https://as.example/.well-known/oauth-authorization-server", "https://as.example/.well-known/openid-configuration"]
        );
        assert_eq!(
            metadata_urls("https://as.example/").unwrap(),
            ["https://as.example/.well-known/oauth-authorization-server", "https://as.example/.well-known/openid-configuration"]
        );
        assert_eq!(
            metadata_urls("https://as.example/tenant/one/").unwrap(),
            [
                "https://as.example/.well-known/oauth-authorization-server/tenant/one",
                "https://as.example/tenant/one/.well-known/openid-configuration"
            ]
        );
        assert_eq!(metadata_urls("http://127.0.0.1:4000").unwrap()[0], "http://127.0.0.1:4000/.well-known/oauth-authorization-server");
        assert_eq!(metadata_urls("http://as.example").unwrap_err().code(), "insecure_url");
        assert_eq!(metadata_urls("https://as.example/?a=1").unwrap_err().code(), "invalid_url");
        assert_eq!(metadata_urls("https://as.example/#f").unwrap_err().code(), "invalid_url");
        assert_eq!(metadata_urls("https://u@as.example").unwrap_err().code(), "invalid_url");
    }

    #[test]
    fn a_valid_document_gives_the_endpoints() {
        let c = parse_metadata(&doc(r#","revocation_endpoint":"https://as.example/revoke","dpop_signing_alg_values_supported":["ES256"],"scopes_supported":["openid"]"#), ISS).unwrap();
        assert_eq!(c.issuer(), ISS);
        assert_eq!(c.authorization_endpoint(), "https://as.example/authorize");
        assert_eq!(c.token_endpoint(), "https://as.example/token");
        assert_eq!(c.revocation_endpoint(), Some("https://as.example/revoke"));
        assert_eq!(c.par_endpoint(), None);
        assert_eq!(c.client_id(), "c");
    }

    #[test]
    fn the_issuer_is_compared_as_a_string() {
        for asked in ["https://as.example/", "https://AS.example", "https://as.example:443", "https://as.example/x"] {
            assert_eq!(parse_metadata(&doc(""), asked).unwrap_err().code(), "issuer_mismatch", "{asked}");
        }
    }

    #[test]
    fn fallback_only_without_a_2xx_answer_at_the_first_address() {
        assert_eq!(read_metadata(ISS, APP, 0, 404, "").unwrap(), MetadataAnswer::TryNext);
        assert_eq!(read_metadata(ISS, APP, 0, 0, "").unwrap(), MetadataAnswer::TryNext);
        assert_eq!(read_metadata(ISS, APP, 0, 200, "{}").unwrap_err().code(), "issuer_mismatch");
        assert_eq!(read_metadata(ISS, APP, 1, 0, "").unwrap_err().code(), "network");
        assert_eq!(read_metadata(ISS, APP, 1, 404, "").unwrap_err().code(), "invalid_response");
        assert!(matches!(read_metadata(ISS, APP, 1, 200, &doc("")).unwrap(), MetadataAnswer::Found(_)));
    }

    #[test]
    fn hostile_documents_are_refused() {
        let cases: &[(&str, &str)] = &[
            (r#"{"issuer":"https://as.example","issuer":"https://as.example"}"#, "invalid_response"),
            ("[]", "invalid_response"),
            ("<html>", "invalid_response"),
            (
                r#"{"issuer":"https://as.example","authorization_endpoint":"https://as.example/a","code_challenge_methods_supported":["S256"]}"#,
                "invalid_response",
            ),
            (
                r#"{"issuer":"https://as.example","authorization_endpoint":"https://as.example/a","token_endpoint":"https://as.example/t"}"#,
                "invalid_response",
            ),
            (
                r#"{"issuer":"https://as.example","authorization_endpoint":"https://as.example/a","token_endpoint":"https://as.example/t","code_challenge_methods_supported":["plain"]}"#,
                "invalid_response",
            ),
            (
                r#"{"issuer":"https://as.example","authorization_endpoint":"https://as.example/a","token_endpoint":"https://as.example/t","code_challenge_methods_supported":"S256"}"#,
                "invalid_response",
            ),
            (
                r#"{"issuer":"https://as.example","authorization_endpoint":"http://as.example/a","token_endpoint":"https://as.example/t","code_challenge_methods_supported":["S256"]}"#,
                "insecure_url",
            ),
            (
                r#"{"issuer":"https://as.example","authorization_endpoint":"https://as.example/a#f","token_endpoint":"https://as.example/t","code_challenge_methods_supported":["S256"]}"#,
                "invalid_url",
            ),
            (
                r#"{"issuer":"https://as.example","authorization_endpoint":"https://as.example/a?client_id=x","token_endpoint":"https://as.example/t","code_challenge_methods_supported":["S256"]}"#,
                "invalid_url",
            ),
            (
                r#"{"issuer":"https://as.example","authorization_endpoint":7,"token_endpoint":"https://as.example/t","code_challenge_methods_supported":["S256"]}"#,
                "invalid_response",
            ),
            (r#"{"issuer":["https://as.example"]}"#, "invalid_response"),
            (
                r#"{"issuer":"https://evil.example","authorization_endpoint":"https://as.example/a","token_endpoint":"https://as.example/t","code_challenge_methods_supported":["S256"]}"#,
                "issuer_mismatch",
            ),
        ];
        for (body, code) in cases {
            assert_eq!(parse_metadata(body, ISS).unwrap_err().code(), *code, "{body}");
        }
        assert_eq!(parse_metadata(&doc(r#","require_pushed_authorization_requests":true"#), ISS).unwrap_err().code(), "invalid_response");
        assert_eq!(parse_metadata(&doc(r#","require_pushed_authorization_requests":"yes""#), ISS).unwrap_err().code(), "invalid_response");
        assert_eq!(parse_metadata(&doc(r#","revocation_endpoint":"http://evil.example/r""#), ISS).unwrap_err().code(), "insecure_url");
        assert_eq!(parse_metadata(&doc(r#","dpop_signing_alg_values_supported":"ES256""#), ISS).unwrap_err().code(), "invalid_response");
        // Within the configuration's maxTokenResponseBytes.
        let small = r#"{"clientId":"c","redirectUri":"https://app.example/cb","maxTokenResponseBytes":256}"#;
        let big = doc(&format!(r#","x":"{}""#, "a".repeat(100)));
        assert_eq!(read_metadata(ISS, small, 1, 200, &big).unwrap_err().code(), "invalid_response");
        assert!(matches!(read_metadata(ISS, small, 1, 200, &doc("")), Ok(MetadataAnswer::Found(_))));
    }

    #[test]
    fn the_discovered_configuration_is_the_apps_plus_the_metadata() {
        let plan = discovery_plan(ISS, APP).unwrap();
        assert_eq!(plan.timeout_ms, 15_000);
        assert_eq!(plan.urls[1], "https://as.example/.well-known/openid-configuration");
        let c = parse_metadata(
            &doc(r#","pushed_authorization_request_endpoint":"https://as.example/par","require_pushed_authorization_requests":true"#),
            ISS,
        )
        .unwrap();
        assert_eq!(c.token_endpoint(), "https://as.example/token");
        assert_eq!(c.authorization_endpoint(), "https://as.example/authorize");
        assert_eq!(c.par_endpoint(), Some("https://as.example/par"), "PAR required: par set");
        assert_eq!(c.scopes(), ["openid"]);
        // Listed but not required: the app's choice.
        let listed = doc(r#","pushed_authorization_request_endpoint":"https://as.example/par""#);
        assert_eq!(parse_metadata(&listed, ISS).unwrap().par_endpoint(), None);
        let with_par = r#"{"clientId":"c","redirectUri":"https://app.example/cb","par":true}"#;
        let found = |app| match read_metadata(ISS, app, 1, 200, &listed) {
            Ok(MetadataAnswer::Found(c)) => c,
            other => panic!("{other:?}"),
        };
        assert_eq!(found(with_par).par_endpoint(), Some("https://as.example/par"));
        assert_eq!(read_metadata(ISS, with_par, 1, 200, &doc("")).unwrap_err().code(), "invalid_config");
        for bad in [
            r#"{"clientId":"c","redirectUri":"https://app.example/cb","tokenEndpoint":"https://evil.example/t"}"#,
            r#"{"clientId":"c","redirectUri":"https://app.example/cb","issuer":"https://as.example"}"#,
            r#"{"clientId":"c","redirectUri":"https://app.example/cb","clientSecret":"s"}"#,
            r#"{"clientId":"","redirectUri":"https://app.example/cb"}"#,
        ] {
            assert_eq!(discovery_plan(ISS, bad).unwrap_err().code(), "invalid_config", "{bad}");
            // The app's configuration is checked before the answer.
            assert_eq!(read_metadata(ISS, bad, 1, 200, &doc("")).unwrap_err().code(), "invalid_config", "{bad}");
        }
    }
}
