// Whole login with @badgateway/oauth2-client.
import { OAuth2Client, generateCodeVerifier } from "@badgateway/oauth2-client";
const client = new OAuth2Client({ server: "https://api.expensicat.com", clientId: "demo-client", authorizationEndpoint: "/api/auth/oauth2/authorize", tokenEndpoint: "/api/auth/oauth2/token" });
export async function start() {
  const codeVerifier = await generateCodeVerifier();
  const state = crypto.randomUUID();
  const url = await client.authorizationCode.getAuthorizeUri({ redirectUri: "https://app.example/cb", state, codeVerifier, scope: ["transactions:read"] });
  return { url, codeVerifier, state };
}
export async function finish(current, codeVerifier, state) {
  const token = await client.authorizationCode.getTokenFromCodeRedirect(current, { redirectUri: "https://app.example/cb", state, codeVerifier });
  return client.refreshToken(token);
}
