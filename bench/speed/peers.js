// The peers' side of the speed benchmark, bundled by esbuild into bench/dist/peers.js.
import * as oauth from "oauth4webapi";
import { OAuth2Client, generateCodeVerifier } from "@badgateway/oauth2-client";
import { OidcClient } from "oidc-client-ts";
import { Auth0Client } from "@auth0/auth0-spa-js";
import pkceChallenge from "pkce-challenge";

const ISSUER = "https://api.expensicat.com";
const as = { issuer: ISSUER, authorization_endpoint: `${ISSUER}/api/auth/oauth2/authorize`, token_endpoint: `${ISSUER}/api/auth/oauth2/token` };
const client = { client_id: "demo-client" };
const redirect = "https://app.example/callback";

async function o4wLogin() {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const url = new URL(as.authorization_endpoint);
  url.searchParams.set("client_id", client.client_id);
  url.searchParams.set("redirect_uri", redirect);
  url.searchParams.set("response_type", "code");
  url.searchParams.set("scope", "transactions:read");
  url.searchParams.set("code_challenge", await oauth.calculatePKCECodeChallenge(verifier));
  url.searchParams.set("code_challenge_method", "S256");
  url.searchParams.set("state", state);
  return url.href;
}

function o4wUrl(challenge, state) {
  const url = new URL(as.authorization_endpoint);
  url.searchParams.set("client_id", client.client_id);
  url.searchParams.set("redirect_uri", redirect);
  url.searchParams.set("response_type", "code");
  url.searchParams.set("scope", "transactions:read");
  url.searchParams.set("code_challenge", challenge);
  url.searchParams.set("code_challenge_method", "S256");
  url.searchParams.set("state", state);
  return url.href;
}

const bg = new OAuth2Client({ server: ISSUER, clientId: "demo-client", authorizationEndpoint: "/api/auth/oauth2/authorize", tokenEndpoint: "/api/auth/oauth2/token" });
const oidc = new OidcClient({ authority: ISSUER, client_id: "demo-client", redirect_uri: redirect, scope: "transactions:read", metadata: as });
const a0 = new Auth0Client({ domain: "api.expensicat.com", clientId: "demo-client", authorizationParams: { redirect_uri: redirect, scope: "transactions:read" } });

export const peers = {
  oauth4webapi: {
    pkce: async () => oauth.calculatePKCECodeChallenge(oauth.generateRandomCodeVerifier()),
    url: (challenge, state) => o4wUrl(challenge, state),
    login: o4wLogin,
    callback: (url, state) => oauth.validateAuthResponse(as, client, new URL(url), state),
    token: (body) => oauth.processAuthorizationCodeResponse(as, client, new Response(body, { status: 200, headers: { "content-type": "application/json" } })),
  },
  "pkce-challenge": { pkce: () => pkceChallenge() },
  "@badgateway/oauth2-client": {
    login: async () => bg.authorizationCode.getAuthorizeUri({ redirectUri: redirect, state: crypto.randomUUID(), codeVerifier: await generateCodeVerifier(), scope: ["transactions:read"] }),
    callback: (url, state) => bg.authorizationCode.validateResponse(url, { state }),
  },
  "@auth0/auth0-spa-js": { login: () => a0.loginWithRedirect({ openUrl: () => {} }) },
  "oidc-client-ts": { login: () => oidc.createSigninRequest({}) },
  "hand-written JS": {
    sign: (token, path) => {
      const u = new URL(`/api${path}`, ISSUER);
      if (u.origin !== ISSUER) throw new Error("origin");
      return { url: u.href, headers: { Authorization: `Bearer ${token}` } };
    },
  },
};
