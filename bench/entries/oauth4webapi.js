// Whole login with oauth4webapi: PKCE + state + authorize URL, callback, code exchange, refresh.
import * as oauth from "oauth4webapi";
const as = { issuer: "https://api.expensicat.com", authorization_endpoint: "https://api.expensicat.com/api/auth/oauth2/authorize", token_endpoint: "https://api.expensicat.com/api/auth/oauth2/token" };
const client = { client_id: "demo-client" };
const auth = oauth.None();
export async function start() {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const url = new URL(as.authorization_endpoint);
  for (const [k, v] of Object.entries({ client_id: client.client_id, redirect_uri: "https://app.example/cb", response_type: "code", scope: "transactions:read", code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: "S256", state })) url.searchParams.set(k, v);
  return { url: url.href, verifier, state };
}
export async function finish(current, verifier, state) {
  const params = oauth.validateAuthResponse(as, client, new URL(current), state);
  const res = await oauth.authorizationCodeGrantRequest(as, client, auth, params, "https://app.example/cb", verifier);
  const tokens = await oauth.processAuthorizationCodeResponse(as, client, res);
  const r2 = await oauth.refreshTokenGrantRequest(as, client, auth, tokens.refresh_token);
  return oauth.processRefreshTokenResponse(as, client, r2);
}
