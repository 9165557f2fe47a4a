import init, { createPkce, generateState, buildAuthorizeUrl } from "../pkg/expensicat_auth.js";

const $ = (id) => document.getElementById(id);
try {
  await init();
  const pkce = createPkce();
  $("verifier").textContent = pkce.verifier;
  $("challenge").textContent = pkce.challenge;
  $("authorize-url").textContent = buildAuthorizeUrl({
    clientId: "demo-client",
    redirectUri: new URL("/callback", location.href).href,
    scopes: ["transactions:read"],
    codeChallenge: pkce.challenge,
    state: generateState(),
    authorizationEndpoint: "http://127.0.0.1:4000/api/auth/oauth2/authorize",
  });
  $("status").textContent = "Library loaded.";
  document.body.dataset.ready = "true";
} catch (e) {
  $("status").textContent = `Error ${e.code ?? ""}: ${e.message}`;
  document.body.dataset.ready = "error";
}
