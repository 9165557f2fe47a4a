// Whole login with @auth0/auth0-spa-js.
import { Auth0Client } from "@auth0/auth0-spa-js";
const client = new Auth0Client({ domain: "api.expensicat.com", clientId: "demo-client", authorizationParams: { redirect_uri: "https://app.example/cb", scope: "transactions:read" }, useRefreshTokens: true });
export const start = () => client.loginWithRedirect();
export const finish = () => client.handleRedirectCallback().then(() => client.getTokenSilently({ cacheMode: "off" }));
