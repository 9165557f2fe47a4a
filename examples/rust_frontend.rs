//! A Rust front-end (Leptos, Yew, Dioxus: any framework) using the session directly, without
//! the JavaScript bindings: sign-in button, callback page, API calls, logout. The operations are
//! Rust `async fn`s (or return futures) with typed errors; spawn them with the framework's own
//! `spawn_local`. `tests/rust_api.rs` runs the same steps in a browser against the emulator.
//!
//! Build for the browser: `cargo build --example rust_frontend --target wasm32-unknown-unknown`.

#[cfg(target_arch = "wasm32")]
pub mod app {
    use std::rc::Rc;

    use expensicat_auth::web::session::{FetchError, Session};
    use expensicat_auth::{ClientConfig, ClientConfigInput, Error, LoginRequest};
    use wasm_bindgen::JsValue;

    /// Once, at start-up: the configuration is validated here (HTTPS, redirect URI, scopes).
    pub fn session() -> Result<Rc<Session>, Error> {
        let config = ClientConfig::new(ClientConfigInput {
            client_id: "my-app".into(),
            redirect_uri: "https://app.example/callback".into(),
            scopes: vec!["transactions:read".into()],
            // The Rust session is one page's, in memory.
            share_across_tabs: Some(false),
            ..Default::default()
        })?;
        Session::new(config)
    }

    /// The sign-in button: PKCE and state are made and the transaction stored; navigate the
    /// browser to the URL returned.
    pub fn sign_in(session: &Session) -> Result<String, Error> {
        session.start_login(&LoginRequest::default())
    }

    /// The redirect URI's page: finish the login (the address bar is cleaned at once), then
    /// call the API with the token attached, refreshed and retried as needed.
    pub async fn on_callback(session: Rc<Session>) -> Result<JsValue, FetchError> {
        let info = session.handle_callback(None).await?;
        if !info.scopes.iter().any(|s| s == "transactions:read") {
            return Err(FetchError::Auth(Error::InsufficientScope { required_scope: Some("transactions:read".into()) }));
        }
        match session.clone().fetch_json("/v1/transactions?limit=20".into(), JsValue::UNDEFINED).await {
            // The session is over (signed out, or the refresh token was revoked): sign in again.
            Err(FetchError::Auth(Error::LoginRequired)) => Ok(JsValue::NULL),
            other => other,
        }
    }

    /// The sign-out button.
    pub async fn sign_out(session: Rc<Session>) {
        session.logout().await;
    }
}

fn main() {}
