import * as oauth from "oauth4webapi";
export async function login() {
  const verifier = oauth.generateRandomCodeVerifier();
  const url = new URL("https://api.expensicat.com/api/auth/oauth2/authorize");
  for (const [k, v] of Object.entries({ client_id: "demo-client", redirect_uri: "https://app.example/callback", response_type: "code", scope: "transactions:read", code_challenge: await oauth.calculatePKCECodeChallenge(verifier), code_challenge_method: "S256", state: oauth.generateRandomState() })) url.searchParams.set(k, v);
  return url.href;
}
