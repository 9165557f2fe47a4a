import { Auth0Client } from "@auth0/auth0-spa-js";
export async function login() {
  const a0 = new Auth0Client({ domain: "api.expensicat.com", clientId: "demo-client", authorizationParams: { redirect_uri: "https://app.example/callback", scope: "transactions:read" } });
  let url;
  await a0.loginWithRedirect({ openUrl: (u) => (url = u) });
  return url;
}
