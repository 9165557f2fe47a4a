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
use super::json::{Fields, Obj, ShapeError};
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
        return Err(Error::InvalidUrl { field: "issuer", reason: "must not have a query (RFC 8414)" });
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
    let input = ClientConfigInput::from_json(config_json).map_err(|_| Error::InvalidConfig {
        field: "config",
        reason: "is not a configuration (an unknown member, or one of the wrong type)",
    })?;
    let given = [
        input.issuer.is_some(),
        input.authorization_endpoint.is_some(),
        input.token_endpoint.is_some(),
        input.revocation_endpoint.is_some(),
        input.pushed_authorization_request_endpoint.is_some(),
    ];
    match given.iter().position(|g| *g) {
        Some(i) => Err(Error::InvalidConfig { field: DISCOVERED_MEMBERS[i], reason: "comes from the server metadata when discovering" }),
        None => Ok(input),
    }
}

/// A validated metadata document: what a client configuration takes from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerMetadata {
    /// The issuer, equal to the one asked for.
    pub issuer: String,
    /// `authorization_endpoint`.
    pub authorization_endpoint: String,
    /// `token_endpoint`.
    pub token_endpoint: String,
    /// `revocation_endpoint` (RFC 7009), when listed.
    pub revocation_endpoint: Option<String>,
    /// `pushed_authorization_request_endpoint` (RFC 9126), when listed.
    pub pushed_authorization_request_endpoint: Option<String>,
    /// `require_pushed_authorization_requests` (RFC 9126 section 5; absent means `false`).
    pub require_pushed_authorization_requests: bool,
    /// `dpop_signing_alg_values_supported` (RFC 9449 section 5.1), empty when not listed.
    pub dpop_signing_alg_values_supported: Vec<String>,
}

/// What an answer at one of the [`metadata_urls`] is worth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetadataAnswer {
    /// The metadata, validated.
    Found(ServerMetadata),
    /// No document at this address (an HTTP error status, a redirect, or no answer at all): ask
    /// the next one.
    TryNext,
}

/// Judges the answer (`status`, 0 when there was none: a network failure or a redirect, which
/// is never followed; and its `body`) to the request for `issuer`'s metadata at
/// `metadata_urls(issuer)[attempt]`. A 2xx answer is final, valid or not: a bad document at the
/// first address is not a reason to look elsewhere.
///
/// # Errors
/// [`Error::MetadataIssuerMismatch`] when the document names another issuer;
/// [`Error::InvalidResponse`] for a body over `max_bytes`, one that is not a strict JSON object,
/// a member of the wrong type, a missing endpoint, no `S256` in
/// `code_challenge_methods_supported`, PAR required without its endpoint, or no document at
/// either address; [`Error::InvalidUrl`] or [`Error::InsecureUrl`] naming the endpoint member;
/// [`Error::Network`] when the last address did not answer.
pub fn read_metadata(issuer: &str, attempt: usize, status: u16, body: &str, max_bytes: usize) -> Result<MetadataAnswer> {
    let last = attempt >= 1;
    if !(200..300).contains(&status) {
        return match (last, status) {
            (false, _) => Ok(MetadataAnswer::TryNext),
            (true, 0) => Err(Error::Network),
            (true, _) => Err(Error::InvalidResponse { status, reason: "no metadata at either well-known address of the issuer" }),
        };
    }
    parse_metadata(status, body, issuer, max_bytes).map(MetadataAnswer::Found)
}

/// Validates a metadata document (`body`, answered with `status`) for `issuer`.
///
/// # Errors
/// As [`read_metadata`] for a 2xx answer.
pub fn parse_metadata(status: u16, body: &str, issuer: &str, max_bytes: usize) -> Result<ServerMetadata> {
    let bad = |reason| Error::InvalidResponse { status, reason };
    if body.len() > max_bytes {
        return Err(Error::body_too_large(status));
    }
    let mut f = Fields::parse(body).map_err(|_| bad("the metadata is not a strict JSON object (or it repeats a key)"))?;
    let named = f.string("issuer");
    let [authorization_endpoint, token_endpoint, revocation_endpoint, pushed_authorization_request_endpoint] =
        ENDPOINT_MEMBERS.map(|k| f.string(k));
    let require_pushed_authorization_requests = f.bool("require_pushed_authorization_requests").unwrap_or_default();
    let methods = f.strings("code_challenge_methods_supported").unwrap_or_default();
    let dpop_signing_alg_values_supported = f.strings("dpop_signing_alg_values_supported").unwrap_or_default();
    // The document's other members are the server's business; only a wrong type is refused.
    if let Err(ShapeError::WrongType(_)) = f.finish() {
        return Err(bad("a metadata member has the wrong type"));
    }
    // The issuer first: nothing else of a document about another server is worth checking.
    if named.as_deref() != Some(issuer) {
        return Err(Error::MetadataIssuerMismatch);
    }
    let given = [&authorization_endpoint, &token_endpoint, &revocation_endpoint, &pushed_authorization_request_endpoint];
    for (e, k) in given.iter().zip(ENDPOINT_MEMBERS) {
        if let Some(e) = e {
            parse_endpoint(e, k, &RESERVED_AUTHORIZE_PARAMS)?;
        }
    }
    let (Some(authorization_endpoint), Some(token_endpoint)) = (authorization_endpoint, token_endpoint) else {
        return Err(bad("the metadata lacks authorization_endpoint or token_endpoint"));
    };
    if require_pushed_authorization_requests && pushed_authorization_request_endpoint.is_none() {
        return Err(bad("the metadata requires pushed authorization requests but lists no endpoint for them"));
    }
    if !methods.iter().any(|m| m == "S256") {
        return Err(bad("the server does not list PKCE S256 in code_challenge_methods_supported"));
    }
    Ok(ServerMetadata {
        issuer: issuer.to_owned(),
        authorization_endpoint,
        token_endpoint,
        revocation_endpoint,
        pushed_authorization_request_endpoint,
        require_pushed_authorization_requests,
        dpop_signing_alg_values_supported,
    })
}

/// The endpoint members of the metadata this client uses, in the order they are checked.
const ENDPOINT_MEMBERS: [&str; 4] =
    ["authorization_endpoint", "token_endpoint", "revocation_endpoint", "pushed_authorization_request_endpoint"];

/// What discovery adds to the app's configuration (`config_json`), as the JSON text of a
/// partial `ClientConfig`: the issuer and the endpoints of `metadata`, and `par: true` when the
/// server requires pushed authorization requests. The whole (the app's members, then these) is
/// checked here, so the configuration made of both is valid.
///
/// # Errors
/// As [`discovery_plan`] for the app's part.
pub fn discovered_config(config_json: &str, metadata: &ServerMetadata) -> Result<String> {
    let mut input = own_input(config_json)?;
    input.issuer = Some(metadata.issuer.clone());
    input.authorization_endpoint = Some(metadata.authorization_endpoint.clone());
    input.token_endpoint = Some(metadata.token_endpoint.clone());
    input.revocation_endpoint.clone_from(&metadata.revocation_endpoint);
    input.pushed_authorization_request_endpoint.clone_from(&metadata.pushed_authorization_request_endpoint);
    input.par |= metadata.require_pushed_authorization_requests;
    let par = input.par;
    ClientConfig::new(input)?;
    Ok(Obj::new()
        .str("issuer", &metadata.issuer)
        .str("authorizationEndpoint", &metadata.authorization_endpoint)
        .str("tokenEndpoint", &metadata.token_endpoint)
        .opt_str("revocationEndpoint", metadata.revocation_endpoint.as_deref())
        .opt_str("pushedAuthorizationRequestEndpoint", metadata.pushed_authorization_request_endpoint.as_deref())
        .opt_bool_true("par", par)
        .finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISS: &str = "https://as.example";

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
        let m = parse_metadata(200, &doc(r#","revocation_endpoint":"https://as.example/revoke","dpop_signing_alg_values_supported":["ES256"],"scopes_supported":["openid"]"#), ISS, 65536).unwrap();
        assert_eq!(m.authorization_endpoint, "https://as.example/authorize");
        assert_eq!(m.token_endpoint, "https://as.example/token");
        assert_eq!(m.revocation_endpoint.as_deref(), Some("https://as.example/revoke"));
        assert_eq!(m.pushed_authorization_request_endpoint, None);
        assert!(!m.require_pushed_authorization_requests);
        assert_eq!(m.dpop_signing_alg_values_supported, ["ES256"]);
    }

    #[test]
    fn the_issuer_is_compared_as_a_string() {
        for asked in ["https://as.example/", "https://AS.example", "https://as.example:443", "https://as.example/x"] {
            assert_eq!(parse_metadata(200, &doc(""), asked, 65536).unwrap_err().code(), "issuer_mismatch", "{asked}");
        }
    }

    #[test]
    fn fallback_only_without_a_2xx_answer_at_the_first_address() {
        assert_eq!(read_metadata(ISS, 0, 404, "", 65536).unwrap(), MetadataAnswer::TryNext);
        assert_eq!(read_metadata(ISS, 0, 0, "", 65536).unwrap(), MetadataAnswer::TryNext);
        assert_eq!(read_metadata(ISS, 0, 200, "{}", 65536).unwrap_err().code(), "issuer_mismatch");
        assert_eq!(read_metadata(ISS, 1, 0, "", 65536).unwrap_err().code(), "network");
        assert_eq!(read_metadata(ISS, 1, 404, "", 65536).unwrap_err().code(), "invalid_response");
        assert!(matches!(read_metadata(ISS, 1, 200, &doc(""), 65536).unwrap(), MetadataAnswer::Found(_)));
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
            assert_eq!(parse_metadata(200, body, ISS, 65536).unwrap_err().code(), *code, "{body}");
        }
        assert_eq!(
            parse_metadata(200, &doc(r#","require_pushed_authorization_requests":true"#), ISS, 65536).unwrap_err().code(),
            "invalid_response"
        );
        assert_eq!(
            parse_metadata(200, &doc(r#","require_pushed_authorization_requests":"yes""#), ISS, 65536).unwrap_err().code(),
            "invalid_response"
        );
        assert_eq!(
            parse_metadata(200, &doc(r#","revocation_endpoint":"http://evil.example/r""#), ISS, 65536).unwrap_err().code(),
            "insecure_url"
        );
        assert_eq!(parse_metadata(200, &doc(""), ISS, 100).unwrap_err().code(), "invalid_response");
    }

    #[test]
    fn the_discovered_configuration_is_the_apps_plus_the_metadata() {
        let config = r#"{"clientId":"c","redirectUri":"https://app.example/cb","scopes":["openid"],"allowCustomScopes":true}"#;
        let plan = discovery_plan(ISS, config).unwrap();
        assert_eq!(plan.timeout_ms, 15_000);
        assert_eq!(plan.urls[1], "https://as.example/.well-known/openid-configuration");
        let m = parse_metadata(
            200,
            &doc(r#","pushed_authorization_request_endpoint":"https://as.example/par","require_pushed_authorization_requests":true"#),
            ISS,
            65536,
        )
        .unwrap();
        let added = discovered_config(config, &m).unwrap();
        assert_eq!(
            added,
            r#"{"issuer":"https://as.example","authorizationEndpoint":"https://as.example/authorize","tokenEndpoint":"https://as.example/token","pushedAuthorizationRequestEndpoint":"https://as.example/par","par":true}"#
        );
        let whole = format!("{},{}", &config[..config.len() - 1], &added[1..]);
        let c = ClientConfig::new(<ClientConfigInput as crate::protocol::json::FromJson>::from_json(&whole).unwrap()).unwrap();
        assert_eq!(c.token_endpoint(), "https://as.example/token");
        assert_eq!(c.authorization_endpoint(), "https://as.example/authorize");
        assert_eq!(c.par_endpoint(), Some("https://as.example/par"));
        for bad in [
            r#"{"clientId":"c","redirectUri":"https://app.example/cb","tokenEndpoint":"https://evil.example/t"}"#,
            r#"{"clientId":"c","redirectUri":"https://app.example/cb","issuer":"https://as.example"}"#,
            r#"{"clientId":"c","redirectUri":"https://app.example/cb","clientSecret":"s"}"#,
            r#"{"clientId":"","redirectUri":"https://app.example/cb"}"#,
        ] {
            assert_eq!(discovery_plan(ISS, bad).unwrap_err().code(), "invalid_config", "{bad}");
        }
    }
}
