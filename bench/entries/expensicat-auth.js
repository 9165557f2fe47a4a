// Whole login with expensicat-auth (the session API), for the same scenario. Its size is
// measured as the package's own .wasm + glue; this entry documents the scenario.
import init, { ExpensicatAuth } from "../../pkg/expensicat_auth.js";
let auth;
export async function start() {
  await init();
  auth = new ExpensicatAuth({ clientId: "demo-client", redirectUri: "https://app.example/cb", scopes: ["transactions:read"] });
  return auth.startLogin();
}
export const finish = () => auth.handleCallback().then(() => auth.refresh());
