// A local emulator of the Expensicat OAuth2 server and API, and of the Expensify Integration
// Server, for the demo and the tests. Dev/test tool only: not part of the published package.
//
//   node scripts/emulator.mjs [--port N] [--redirect-uri URI] [--client-id ID]
//
// Listens on 127.0.0.1 only and prints one line:
//   listening on http://127.0.0.1:PORT client_id=ID redirect_uri=URI partnerUserID=... partnerUserSecret=...
//
// Test hooks live under /__emulator/ (JSON): clients, faults, counters, settings, reset.
import { createServer } from "node:http";
import { createHash, createPublicKey, randomBytes, timingSafeEqual, verify as verifySignature } from "node:crypto";
import { fileURLToPath } from "node:url";

export const SCOPES = {
  "transactions:read": "Read transactions",
  "transactions:write": "Create and update transactions",
  "entries:read": "Read entries, projects, time entries",
  "entries:write": "Create and update entries, projects, time entries",
  "invoices:read": "Read invoices, customers, recurring invoices",
  "invoices:write": "Create and update invoices, customers, recurring invoices",
  "banking:read": "Read bank accounts",
  "banking:write": "Manage bank account connections",
  "documents:read": "Read documents",
  "documents:write": "Upload and manage documents",
  "team:read": "Read team members, organization settings, integrations",
  "team:admin": "Manage team members, organization settings, integrations",
  "analytics:read": "Read financial metrics and reports",
};

const b64url = (buf) => Buffer.from(buf).toString("base64url");
const token = (prefix) => `${prefix}_${b64url(randomBytes(24))}`;
const s256 = (v) => b64url(createHash("sha256").update(v, "ascii").digest());
const safeEq = (a, b) => {
  const x = Buffer.from(String(a));
  const y = Buffer.from(String(b));
  return x.length === y.length && timingSafeEqual(x, y);
};
const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function seedTransactions() {
  const out = [];
  const merchants = ["Blue Bottle", "Lyft", "Delta", "Office Depot", "AWS", "Hilton", "Uber Eats", "WeWork"];
  for (let i = 1; i <= 57; i++) {
    out.push({
      id: `txn_${String(i).padStart(4, "0")}`,
      date: `2026-10-${String(1 + (i % 28)).padStart(2, "0")}`,
      merchant: merchants[i % merchants.length],
      amount: Math.round(((i * 7919) % 50000) + 100) / 100,
      currency: "USD",
      category: ["travel", "meals", "software", "office"][i % 4],
    });
  }
  return out;
}

/**
 * Starts the emulator. Options: port (0 = free port), clientId, redirectUris, accessTokenTtl
 * (seconds), apiRateLimit (requests per window per token), expensify { partnerUserID,
 * partnerUserSecret }, quiet.
 */
export async function startEmulator(options = {}) {
  const settings = {
    accessTokenTtl: options.accessTokenTtl ?? 3600,
    codeTtl: 60,
    apiRateLimit: options.apiRateLimit ?? 1000,
    apiRateWindowMs: 10_000,
    retryAfterSeconds: 1,
    expensifyRateLimit: options.expensifyRateLimit ?? 50,
    expensifyRateWindowMs: 60_000,
    // false: the Integration Server answers without CORS headers (as the real one may), so a
    // browser sees only a network error.
    expensifyCors: true,
    // Discovery: where the metadata is served ("both", "oauth": RFC 8414 only, "openid": OpenID
    // Connect only, "none"), and members that replace the emulator's own (hostile documents).
    metadataAt: "both",
    metadata: {},
    // PAR (RFC 9126): whether the authorize endpoint takes only pushed requests, and how long a
    // request_uri lives (seconds).
    requirePar: false,
    parTtl: 60,
    // DPoP (RFC 9449): demand a server nonce in every proof (use_dpop_nonce with a DPoP-Nonce
    // header, sections 8 and 9), and how far a proof's iat may be from now (seconds).
    dpopNonce: false,
    // With dpopNonce: the API demands a nonce of its own, as a resource server apart from the
    // authorization server on the same origin would (RFC 9449 section 9).
    dpopApiNonce: false,
    dpopIatWindow: 60,
  };
  // DPoP: the proofs' jti seen (no replay), and the current server nonce.
  const dpopJtis = new Set();
  let dpopNonce = b64url(randomBytes(16));
  const apiNonce = b64url(randomBytes(16));
  /** The nonce a proof must carry: the API's own with dpopApiNonce (a resource request has an access token). */
  const nonceFor = (accessToken) => (accessToken !== undefined && settings.dpopApiNonce ? apiNonce : dpopNonce);
  const clients = new Map();
  const addClient = (clientId, redirectUris) => clients.set(clientId, { clientId, redirectUris: new Set(redirectUris) });
  const defaultClient = options.clientId ?? "demo-client";
  const defaultRedirect = options.redirectUris ?? ["http://127.0.0.1:8080/callback"];
  addClient(defaultClient, defaultRedirect);

  const expensifyCreds = new Map();
  const expensifyArrivals = new Map(); // partnerUserID -> arrival times (ms) of its requests
  const defaultPartner = options.expensify ?? { partnerUserID: "aa_demo_partner", partnerUserSecret: "demo-partner-secret-7c1f" };
  expensifyCreds.set(defaultPartner.partnerUserID, defaultPartner.partnerUserSecret);

  const pending = new Map(); // consent request id -> authorize params
  const pushed = new Map(); // request_uri -> { params, expiresAt, used }
  const codes = new Map(); // code -> { clientId, redirectUri, challenge, scopes, expiresAt, used, issued: [] }
  const accessTokens = new Map(); // token -> { clientId, scopes, expiresAt, family, revoked }
  const refreshTokens = new Map(); // token -> { clientId, scopes, family, used }
  const families = new Map(); // family -> { revoked }
  const transactions = seedTransactions();
  const counters = new Map(); // clientId ('*' for all) -> counters
  const faults = []; // { endpoint, clientId?, status?, html?, truncated?, drop?, delayMs?, times }
  const rate = new Map(); // key -> [timestamps]

  const count = (clientId, name) => {
    for (const key of ["*", clientId ?? "?"]) {
      const c = counters.get(key) ?? {};
      c[name] = (c[name] ?? 0) + 1;
      counters.set(key, c);
    }
  };

  const takeFault = (endpoint, clientId) => {
    const i = faults.findIndex((f) => f.endpoint === endpoint && (!f.clientId || f.clientId === clientId));
    if (i < 0) return null;
    const f = faults[i];
    if (f.times !== undefined && --f.times <= 0) faults.splice(i, 1);
    return f;
  };

  /** Applies a fault: returns true when it answered (or dropped) the request itself. */
  const applyFault = async (fault, res, cors) => {
    if (!fault) return false;
    if (fault.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
    if (fault.lostIfAbandoned && (res.destroyed || !res.socket || res.socket.destroyed)) {
      // The client hung up during the delay: this request never reaches the endpoint's logic,
      // as a request lost on the way would not (a closed tab's refresh, in the tab tests).
      return true;
    }
    if (fault.reset) {
      // Closed before any byte: browsers may transparently retry this (Firefox does for GET).
      res.socket?.destroy();
      return true;
    }
    if (fault.stall) {
      // Headers and the start of a body, then nothing: only a deadline that covers the body ends it.
      res.writeHead(200, { ...cors, "Content-Type": "application/json" });
      res.write('{"access_token":"');
      const t = setTimeout(() => res.socket?.destroy(), 30_000);
      res.on("close", () => clearTimeout(t));
      return true;
    }
    if (fault.hugeBytes) {
      // A body of `hugeBytes` (declared in Content-Length unless `undeclared`), streamed while the
      // client reads (every `paceMs` ms a 64 KiB chunk, when given); how much was written before
      // the client hung up lands in the counters.
      const headers = { ...cors, "Content-Type": "application/json" };
      if (!fault.undeclared) headers["Content-Length"] = String(fault.hugeBytes);
      res.writeHead(fault.status ?? 200, headers);
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let sent = 0;
      // Kept up to date as it is written, under its own name when the fault names one (`counter`),
      // so that an earlier huge body still being written cannot change the figure of a later one.
      const record = () => {
        const c = counters.get("*") ?? {};
        c[fault.counter ?? "hugeBytesSent"] = sent;
        counters.set("*", c);
      };
      res.on("close", record);
      // `paceMs` spaces the chunks as a real network would: on loopback the browser's network
      // process can otherwise take in the whole body before the page's abort reaches it.
      // A 64 KiB write is over the stream's high-water mark, so `write` returns false every time:
      // the pace applies after the drain too, or there would be none.
      const paced = () => setTimeout(pump, fault.paceMs);
      const pump = () => {
        if (res.destroyed) return;
        while (sent < fault.hugeBytes) {
          const n = Math.min(chunk.length, fault.hugeBytes - sent);
          sent += n;
          record();
          const more = res.write(n === chunk.length ? chunk : chunk.subarray(0, n));
          if (sent >= fault.hugeBytes) break;
          if (!more) return res.once("drain", fault.paceMs ? paced : pump);
          if (fault.paceMs) return paced();
        }
        res.end();
        record();
      };
      pump();
      return true;
    }
    if (fault.drop) {
      // The connection dies mid-body: headers arrived, the body never completes.
      res.writeHead(200, { ...cors, "Content-Type": "application/json", "Content-Length": "4096" });
      res.write('{"partial":');
      setTimeout(() => res.socket?.destroy(), 20);
      return true;
    }
    if (fault.html) {
      res.writeHead(fault.status ?? 200, { ...cors, "Content-Type": "text/html" }).end("<!doctype html><html><body><h1>Service Unavailable</h1></body></html>");
      return true;
    }
    if (fault.truncated) {
      res.writeHead(fault.status ?? 200, { ...cors, "Content-Type": "application/json" }).end('{"access_token":"tru');
      return true;
    }
    if (fault.status) {
      res.writeHead(fault.status, { ...cors, "Content-Type": "application/json", ...(fault.headers ?? {}) }).end(JSON.stringify(fault.body ?? { error: "server_error" }));
      return true;
    }
    return false;
  };

  const rateLimited = (key, limit, windowMs) => {
    const now = Date.now();
    const hits = (rate.get(key) ?? []).filter((t) => now - t < windowMs);
    hits.push(now);
    rate.set(key, hits);
    return hits.length > limit;
  };

  const corsFor = (req) => {
    const origin = req.headers.origin;
    if (!origin) return {};
    let ok = false;
    try {
      const u = new URL(origin);
      ok = ["127.0.0.1", "localhost", "[::1]"].includes(u.hostname);
    } catch {}
    if (!ok) return {};
    return {
      "Access-Control-Allow-Origin": origin,
      "Access-Control-Allow-Headers": req.headers["access-control-request-headers"] || "Authorization, Content-Type, Accept",
      "Access-Control-Allow-Methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
      "Access-Control-Expose-Headers": "Retry-After, WWW-Authenticate, DPoP-Nonce",
      "Access-Control-Max-Age": "600",
      Vary: "Origin",
    };
  };

  const readBody = (req) =>
    new Promise((resolve, reject) => {
      const chunks = [];
      let size = 0;
      req.on("data", (c) => {
        size += c.length;
        if (size > 1 << 20) {
          reject(new Error("too large"));
          req.destroy();
        } else chunks.push(c);
      });
      req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
      req.on("error", reject);
    });

  const parseParams = (req, body) => {
    const type = (req.headers["content-type"] ?? "").split(";")[0].trim();
    if (type === "application/json") {
      const v = JSON.parse(body);
      if (!v || typeof v !== "object" || Array.isArray(v)) throw new Error("not an object");
      return v;
    }
    if (type === "application/x-www-form-urlencoded") {
      const p = new URLSearchParams(body);
      const out = {};
      for (const [k, v] of p) {
        if (k in out) throw new Error("duplicate");
        out[k] = v;
      }
      return out;
    }
    throw new Error("unsupported content type");
  };

  let base = "";
  const json = (res, status, body, headers = {}) => {
    res.writeHead(status, { "Content-Type": "application/json", "Cache-Control": "no-store", ...headers }).end(JSON.stringify(body));
  };
  const oauthError = (res, cors, error, description, status = 400) => json(res, status, { error, error_description: description }, cors);

  // ---- authorize -------------------------------------------------------------------------
  function redirectWith(res, redirectUri, params) {
    const u = new URL(redirectUri);
    for (const [k, v] of Object.entries(params)) u.searchParams.append(k, v);
    res.writeHead(302, { Location: u.href, "Cache-Control": "no-store" }).end();
  }

  function issueCode(p) {
    const code = token("code");
    codes.set(code, {
      clientId: p.client_id,
      redirectUri: p.redirect_uri,
      challenge: p.code_challenge,
      scopes: p.scopes,
      // RFC 9449 section 10: the key the code exchange's proof must be made with.
      dpopJkt: p.dpop_jkt,
      expiresAt: Date.now() + settings.codeTtl * 1000,
      used: false,
      issued: [],
    });
    return code;
  }

  /** The first problem of authorize parameters `p` once client and redirect URI are known
   * good, as [error, description], or undefined (then `p.scopes` is set). */
  function authorizeProblem(p) {
    if (p.response_type !== "code") return ["unsupported_response_type", "response_type must be code"];
    if (!p.state) return ["invalid_request", "state is required"];
    if (p.code_challenge_method !== "S256") return ["invalid_request", "code_challenge_method must be S256"];
    if (!/^[A-Za-z0-9_-]{43}$/.test(p.code_challenge ?? "")) return ["invalid_request", "code_challenge must be an S256 challenge"];
    const scopes = (p.scope ?? "").split(" ").filter(Boolean);
    if (!scopes.length || scopes.some((s) => !(s in SCOPES))) return ["invalid_scope", "unknown scope"];
    p.scopes = scopes;
    return undefined;
  }

  async function authorize(req, res, url) {
    const q = url.searchParams;
    let p = Object.fromEntries(q);
    count(p.client_id, "authorizeRequests");
    const fault = takeFault("authorize", p.client_id);
    if (await applyFault(fault, res, {})) return;
    const dup = [...q.keys()].find((k, i, all) => all.indexOf(k) !== i);
    const page = (status, msg) =>
      res.writeHead(status, { "Content-Type": "text/html; charset=utf-8" }).end(`<!doctype html><title>Error</title><h1>Authorization error</h1><p id="error">${escapeHtml(msg)}</p>`);
    if (dup) return page(400, `Parameter ${dup} is repeated.`);
    if (p.request_uri !== undefined) {
      // RFC 9126 section 4: the pushed parameters, once, before they expire, for their client;
      // any other parameter of the URL is ignored.
      const r = pushed.get(p.request_uri);
      if (!r || r.used || Date.now() >= r.expiresAt || r.params.client_id !== p.client_id) {
        count(p.client_id, "parRefused");
        return page(400, "request_uri is unknown, used or expired.");
      }
      r.used = true;
      count(p.client_id, "parUsed");
      p = { ...r.params };
    } else if (settings.requirePar) {
      return page(400, "This server takes pushed authorization requests only (request_uri).");
    }
    const client = clients.get(p.client_id);
    if (!client) return page(400, "Unknown client_id.");
    if (!p.redirect_uri || !client.redirectUris.has(p.redirect_uri)) return page(400, "redirect_uri is not registered for this client.");
    const fail = (error, description) => redirectWith(res, p.redirect_uri, { error, error_description: description, ...(p.state ? { state: p.state } : {}), iss: base });
    const problem = authorizeProblem(p);
    if (problem) return fail(...problem);
    const scopes = p.scopes;
    if (p.auto_approve === "1") return redirectWith(res, p.redirect_uri, { code: issueCode(p), state: p.state, iss: base });
    if (p.auto_approve === "json") {
      const u = new URL(p.redirect_uri);
      u.searchParams.append("code", issueCode(p));
      u.searchParams.append("state", p.state);
      u.searchParams.append("iss", base);
      return json(res, 200, { location: u.href }, corsFor(req));
    }
    if (p.auto_approve === "deny") return redirectWith(res, p.redirect_uri, { error: "access_denied", state: p.state, iss: base });
    if (p.auto_approve === "deny-json") {
      const u = new URL(p.redirect_uri);
      for (const [k, v] of Object.entries({ error: "access_denied", error_description: "The user denied the request", state: p.state, iss: base })) u.searchParams.append(k, v);
      return json(res, 200, { location: u.href }, corsFor(req));
    }
    const id = b64url(randomBytes(16));
    pending.set(id, p);
    const list = scopes.map((s) => `<li><code>${escapeHtml(s)}</code>: ${escapeHtml(SCOPES[s])}</li>`).join("");
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store", "X-Frame-Options": "DENY" }).end(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">
<title>Expensicat: authorize ${escapeHtml(p.client_id)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;color:#1d2330}
button{font-size:1rem;padding:.6rem 1.2rem;margin-right:.5rem;border-radius:6px;border:1px solid #888;cursor:pointer}
#allow{background:#2456d6;color:#fff;border-color:#2456d6}.emu{color:#8a5a00;font-size:.9rem}</style></head>
<body><p class="emu">Local Expensicat emulator</p><h1>Authorize ${escapeHtml(p.client_id)}</h1>
<p><strong>${escapeHtml(p.client_id)}</strong> wants to:</p><ul>${list}</ul>
<form method="post" action="/api/auth/oauth2/authorize/decision">
<input type="hidden" name="request" value="${id}">
<button id="allow" name="decision" value="allow" type="submit">Allow</button>
<button id="deny" name="decision" value="deny" type="submit">Deny</button></form></body></html>`);
  }

  async function decision(req, res) {
    const body = new URLSearchParams(await readBody(req));
    const p = pending.get(body.get("request") ?? "");
    if (!p) return res.writeHead(400, { "Content-Type": "text/plain" }).end("unknown or used consent request");
    pending.delete(body.get("request"));
    if (body.get("decision") === "allow") return redirectWith(res, p.redirect_uri, { code: issueCode(p), state: p.state, iss: base });
    return redirectWith(res, p.redirect_uri, { error: "access_denied", error_description: "The user denied the request", state: p.state, iss: base });
  }

  // ---- PAR (RFC 9126) ----------------------------------------------------------------------
  async function parEndpoint(req, res) {
    const cors = corsFor(req);
    let p;
    try {
      if ((req.headers["content-type"] ?? "").split(";")[0].trim() !== "application/x-www-form-urlencoded") throw new Error("form only");
      p = parseParams(req, await readBody(req));
    } catch {
      count(undefined, "parRequests");
      return oauthError(res, cors, "invalid_request", "body must be a form without repeated fields");
    }
    count(p.client_id, "parRequests");
    if (await applyFault(takeFault("par", p.client_id), res, cors)) return;
    const client = clients.get(p.client_id);
    if (!client) return oauthError(res, cors, "invalid_client", "unknown client", 401);
    if ("request_uri" in p) return oauthError(res, cors, "invalid_request", "request_uri must not be pushed");
    if (!p.redirect_uri || !client.redirectUris.has(p.redirect_uri)) return oauthError(res, cors, "invalid_request", "redirect_uri is not registered for this client");
    const problem = authorizeProblem(p);
    if (problem) return oauthError(res, cors, ...problem);
    delete p.scopes;
    const uri = `urn:ietf:params:oauth:request_uri:${b64url(randomBytes(24))}`;
    pushed.set(uri, { params: p, expiresAt: Date.now() + settings.parTtl * 1000, used: false });
    return json(res, 201, { request_uri: uri, expires_in: settings.parTtl }, cors);
  }

  // ---- metadata (RFC 8414, OpenID Connect Discovery) ----------------------------------------
  function metadata() {
    return {
      issuer: base,
      authorization_endpoint: `${base}/api/auth/oauth2/authorize`,
      token_endpoint: `${base}/api/auth/oauth2/token`,
      revocation_endpoint: `${base}/api/auth/oauth2/revoke`,
      pushed_authorization_request_endpoint: `${base}/api/auth/oauth2/par`,
      require_pushed_authorization_requests: settings.requirePar,
      response_types_supported: ["code"],
      response_modes_supported: ["query"],
      grant_types_supported: ["authorization_code", "refresh_token"],
      code_challenge_methods_supported: ["S256"],
      token_endpoint_auth_methods_supported: ["none"],
      revocation_endpoint_auth_methods_supported: ["none"],
      authorization_response_iss_parameter_supported: true,
      scopes_supported: Object.keys(SCOPES),
      ...settings.metadata,
    };
  }

  async function wellKnown(req, res, which) {
    const cors = corsFor(req);
    count(undefined, `metadata:${which}`);
    if (await applyFault(takeFault(`metadata:${which}`), res, cors)) return;
    if (settings.metadataAt !== "both" && settings.metadataAt !== which) return json(res, 404, { error: { code: "not_found", message: "No such endpoint" } }, cors);
    return json(res, 200, metadata(), { ...cors, "Cache-Control": "max-age=60" });
  }

  // ---- DPoP (RFC 9449) ---------------------------------------------------------------------
  /**
   * Verifies the request's DPoP proof as section 4.3 says: one `DPoP` header, a JWT with typ
   * dpop+jwt, alg ES256 and a public P-256 jwk (no private member), a valid signature, htm and
   * htu of this request (htu without query and fragment), iat within the window, a jti never
   * seen, ath of `accessToken` for a resource request, and the server's nonce when it demands
   * one. Resolves to `{ jkt }` (the key's RFC 7638 thumbprint), `{ nonce: true }` when the nonce
   * is missing or stale, `{ none: true }` without a header, or `{ error }`.
   */
  function checkProof(req, url, accessToken) {
    const header = req.headers.dpop;
    if (header === undefined) return { none: true };
    count(undefined, "dpopProofs");
    const bad = (error) => (count(undefined, "dpopProofsRefused"), { error });
    if (typeof header !== "string" || header.includes(",")) return bad("one DPoP header");
    const parts = header.split(".");
    if (parts.length !== 3) return bad("not a JWT");
    let h, c;
    try {
      h = JSON.parse(Buffer.from(parts[0], "base64url").toString("utf8"));
      c = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"));
    } catch {
      return bad("not JSON");
    }
    if (h?.typ !== "dpop+jwt" || h.alg !== "ES256") return bad("typ or alg");
    const jwk = h.jwk;
    if (!jwk || jwk.kty !== "EC" || jwk.crv !== "P-256" || typeof jwk.x !== "string" || typeof jwk.y !== "string" || "d" in jwk) return bad("jwk");
    let ok = false;
    try {
      const key = createPublicKey({ key: { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y }, format: "jwk" });
      ok = verifySignature("sha256", Buffer.from(parts[0] + "." + parts[1]), { key, dsaEncoding: "ieee-p1363" }, Buffer.from(parts[2], "base64url"));
    } catch {
      ok = false;
    }
    if (!ok) return bad("signature");
    if (c?.htm !== req.method || c.htu !== base + url.pathname) return bad("htm or htu");
    if (typeof c.iat !== "number" || Math.abs(c.iat - Date.now() / 1000) > settings.dpopIatWindow) return bad("iat");
    if (typeof c.jti !== "string" || c.jti.length < 16 || dpopJtis.has(c.jti)) return bad("jti replayed");
    if (accessToken !== undefined && c.ath !== s256(accessToken)) return bad("ath");
    if (accessToken === undefined && "ath" in c) return bad("ath without a token");
    if (settings.dpopNonce && c.nonce !== nonceFor(accessToken)) return (count(undefined, "dpopNonceDemands"), { nonce: true });
    dpopJtis.add(c.jti);
    return { jkt: b64url(createHash("sha256").update(JSON.stringify({ crv: "P-256", kty: "EC", x: jwk.x, y: jwk.y })).digest()) };
  }

  /** The token endpoint's answer to a proof that is not accepted, or undefined. */
  function proofRefused(res, cors, proof) {
    if (proof.nonce) return oauthError(res, { ...cors, "DPoP-Nonce": dpopNonce }, "use_dpop_nonce", "Authorization server requires nonce in DPoP proof"), true;
    if (proof.error) return oauthError(res, cors, "invalid_dpop_proof", `DPoP proof refused: ${proof.error}`), true;
    return false;
  }

  // ---- token -----------------------------------------------------------------------------
  function issueTokens(clientId, scopes, family, jkt) {
    const access = token("at");
    const refresh = token("rt");
    accessTokens.set(access, { clientId, scopes, expiresAt: Date.now() + settings.accessTokenTtl * 1000, family, jkt });
    refreshTokens.set(refresh, { clientId, scopes, family, used: false, jkt });
    if (jkt) count(clientId, "dpopBoundTokens");
    const tokenType = jkt ? "DPoP" : "Bearer";
    return { access_token: access, token_type: tokenType, expires_in: settings.accessTokenTtl, refresh_token: refresh, scope: scopes.join(" ") };
  }

  function revokeFamily(family) {
    families.set(family, { revoked: true });
  }

  async function tokenEndpoint(req, res) {
    const cors = corsFor(req);
    let p;
    try {
      p = parseParams(req, await readBody(req));
    } catch {
      count(undefined, "tokenRequests");
      return oauthError(res, cors, "invalid_request", "body must be a JSON object or a form without repeated fields");
    }
    count(p.client_id, "tokenRequests");
    // Both encodings are read (RFC 6749's form and the JSON of Expensicat's guide); the counters
    // let the tests see which one a client sent.
    count(p.client_id, (req.headers["content-type"] ?? "").startsWith("application/json") ? "jsonTokenRequests" : "formTokenRequests");
    if (await applyFault(takeFault("token", p.client_id), res, cors)) return;
    const client = clients.get(p.client_id);
    if (!client) return oauthError(res, cors, "invalid_client", "unknown client", 401);
    const proof = checkProof(req, new URL(req.url, base));
    if (proofRefused(res, cors, proof)) return;
    if (p.grant_type === "authorization_code") {
      count(p.client_id, "codeExchanges");
      const c = codes.get(p.code);
      if (!c || c.clientId !== p.client_id) return oauthError(res, cors, "invalid_grant", "unknown authorization code");
      if (c.used) {
        for (const fam of c.issued) revokeFamily(fam);
        return oauthError(res, cors, "invalid_grant", "authorization code already used; tokens issued from it are revoked");
      }
      // RFC 9449 section 10: a code bound to a key by dpop_jkt is exchanged with that key only.
      if (c.dpopJkt !== undefined && c.dpopJkt !== proof.jkt) return oauthError(res, cors, "invalid_dpop_proof", "the proof's key is not the dpop_jkt of the authorize request");
      c.used = true;
      if (Date.now() > c.expiresAt) return oauthError(res, cors, "invalid_grant", "authorization code expired");
      if (p.redirect_uri !== c.redirectUri) return oauthError(res, cors, "invalid_grant", "redirect_uri does not match");
      if (typeof p.code_verifier !== "string" || !/^[A-Za-z0-9._~-]{43,128}$/.test(p.code_verifier) || !safeEq(s256(p.code_verifier), c.challenge)) {
        return oauthError(res, cors, "invalid_grant", "PKCE verification failed");
      }
      const family = b64url(randomBytes(12));
      families.set(family, { revoked: false });
      c.issued.push(family);
      return json(res, 200, issueTokens(c.clientId, c.scopes, family, proof.jkt), cors);
    }
    if (p.grant_type === "refresh_token") {
      count(p.client_id, "refreshes");
      const r = refreshTokens.get(p.refresh_token);
      if (!r || r.clientId !== p.client_id) return oauthError(res, cors, "invalid_grant", "unknown refresh token");
      // Section 5: a public client's refresh token is bound to its key.
      if (r.jkt !== undefined && r.jkt !== proof.jkt) return oauthError(res, cors, "invalid_dpop_proof", "the refresh token is bound to another key");
      if (families.get(r.family)?.revoked) return oauthError(res, cors, "invalid_grant", "refresh token revoked");
      if (r.used) {
        revokeFamily(r.family);
        count(p.client_id, "refreshReuseDetected");
        return oauthError(res, cors, "invalid_grant", "refresh token reuse detected; the session is revoked");
      }
      r.used = true;
      let scopes = r.scopes;
      if (p.scope) {
        scopes = p.scope.split(" ").filter(Boolean);
        if (scopes.some((s) => !r.scopes.includes(s))) return oauthError(res, cors, "invalid_scope", "scope exceeds the original grant");
      }
      return json(res, 200, issueTokens(r.clientId, scopes, r.family, r.jkt), cors);
    }
    return oauthError(res, cors, "unsupported_grant_type", "grant_type must be authorization_code or refresh_token");
  }

  // ---- revocation (RFC 7009) -------------------------------------------------------------
  // A public client names itself with client_id. Revoking a refresh token revokes its whole
  // family (every token issued from the same login, as section 2.1 allows); revoking an access
  // token revokes that token. An unknown token is 200 (section 2.2): the client learns nothing.
  async function revocationEndpoint(req, res) {
    const cors = corsFor(req);
    let p;
    try {
      p = parseParams(req, await readBody(req));
    } catch {
      return oauthError(res, cors, "invalid_request", "body must be a form without repeated fields");
    }
    count(p.client_id, "revocations");
    if (await applyFault(takeFault("revoke", p.client_id), res, cors)) return;
    if (!clients.get(p.client_id)) return oauthError(res, cors, "invalid_client", "unknown client", 401);
    if (typeof p.token !== "string" || !p.token) return oauthError(res, cors, "invalid_request", "token is required");
    const r = refreshTokens.get(p.token);
    const a = accessTokens.get(p.token);
    // A proof, when sent, must be valid; a bound token is revoked only with its key's proof.
    const proof = checkProof(req, new URL(req.url, base));
    if (proofRefused(res, cors, proof)) return;
    const bound = (r ?? a)?.jkt;
    if (bound !== undefined && bound !== proof.jkt) return oauthError(res, cors, "invalid_dpop_proof", "the token is bound to another key");
    if (proof.jkt) count(p.client_id, "dpopRevocations");
    if (r && r.clientId === p.client_id) {
      revokeFamily(r.family);
      count(p.client_id, "revokedRefreshTokens");
    } else if (a && a.clientId === p.client_id) {
      a.revoked = true;
      count(p.client_id, "revokedAccessTokens");
    }
    res.writeHead(200, { ...cors, "Cache-Control": "no-store" }).end();
  }

  // ---- API -------------------------------------------------------------------------------
  const apiError = (res, cors, status, code, message, details, headers = {}) =>
    json(res, status, { error: { code, message, ...(details ? { details } : {}) } }, { ...cors, ...headers });

  async function api(req, res, url) {
    const cors = corsFor(req);
    const auth = req.headers.authorization ?? "";
    const m = /^(Bearer|DPoP) ([A-Za-z0-9._~+/-]+=*)$/.exec(auth);
    const t = m ? accessTokens.get(m[2]) : undefined;
    count(t?.clientId, "apiCalls");
    if (await applyFault(takeFault("api", t?.clientId), res, cors)) return;
    if (!m) return apiError(res, cors, 401, "unauthorized", "Missing bearer token", null, { "WWW-Authenticate": 'Bearer realm="expensicat", DPoP algs="ES256"' });
    if (t?.jkt !== undefined || m[1] === "DPoP") {
      // RFC 9449 section 7: a bound token only as `DPoP`, with a proof of its key for this
      // request (ath of the token); section 9: the nonce when demanded.
      const proof = checkProof(req, url, m[2]);
      const refuse = (error, extra = {}) =>
        apiError(res, cors, 401, "invalid_token", `DPoP: ${error}`, null, { "WWW-Authenticate": `DPoP algs="ES256", error="${error}"`, ...extra });
      if (proof.nonce) return refuse("use_dpop_nonce", { "DPoP-Nonce": nonceFor(m[2]) });
      if (m[1] !== "DPoP" || !t || proof.jkt === undefined || proof.jkt !== t.jkt) {
        count(t?.clientId, "dpopApiRefused");
        return refuse("invalid_token");
      }
      count(t.clientId, "dpopApiCalls");
    }
    if (!t || t.revoked || families.get(t.family)?.revoked) {
      return apiError(res, cors, 401, "invalid_token", "The access token is invalid or revoked", null, { "WWW-Authenticate": 'Bearer error="invalid_token"' });
    }
    if (Date.now() >= t.expiresAt) {
      return apiError(res, cors, 401, "token_expired", "The access token has expired", null, { "WWW-Authenticate": 'Bearer error="invalid_token", error_description="expired"' });
    }
    if (rateLimited(`api:${m[2]}`, settings.apiRateLimit, settings.apiRateWindowMs)) {
      count(t.clientId, "rateLimited");
      return apiError(res, cors, 429, "rate_limited", "Too many requests", null, { "Retry-After": String(settings.retryAfterSeconds) });
    }
    const path = url.pathname.replace(/^\/api\/v1/, "");
    const need = (scope) => {
      if (t.scopes.includes(scope)) return false;
      apiError(res, cors, 403, "insufficient_scope", `This call needs the ${scope} scope`, { required_scope: scope }, {
        "WWW-Authenticate": `Bearer error="insufficient_scope", scope="${scope}"`,
      });
      return true;
    };
    if (path === "/transactions" && req.method === "GET") {
      if (need("transactions:read")) return;
      const limit = Number(url.searchParams.get("limit") ?? 20);
      if (!Number.isInteger(limit) || limit < 1 || limit > 100) return apiError(res, cors, 400, "invalid_parameter", "limit must be 1-100");
      const cursor = url.searchParams.get("cursor");
      let start = 0;
      if (cursor) {
        start = transactions.findIndex((x) => x.id === Buffer.from(cursor, "base64url").toString());
        if (start < 0) return apiError(res, cors, 400, "invalid_cursor", "Unknown cursor");
      }
      const data = transactions.slice(start, start + limit);
      const next = transactions[start + limit];
      return json(res, 200, { data, meta: { count: data.length, next_cursor: next ? b64url(Buffer.from(next.id)) : null } }, cors);
    }
    if (path === "/transactions" && req.method === "POST") {
      if (need("transactions:write")) return;
      let body;
      try {
        body = JSON.parse(await readBody(req));
      } catch {
        return apiError(res, cors, 400, "invalid_json", "Body must be JSON");
      }
      if (!body || typeof body.merchant !== "string" || typeof body.amount !== "number") {
        return apiError(res, cors, 422, "validation_failed", "merchant (string) and amount (number) are required");
      }
      const txn = { id: `txn_${String(transactions.length + 1).padStart(4, "0")}`, date: new Date().toISOString().slice(0, 10), currency: "USD", category: "other", ...body };
      transactions.unshift(txn);
      return json(res, 201, { data: txn }, cors);
    }
    const simple = { "/invoices": "invoices:read", "/bank-accounts": "banking:read", "/members": "team:read", "/analytics/summary": "analytics:read" };
    if (simple[path] && req.method === "GET") {
      if (need(simple[path])) return;
      return json(res, 200, { data: [], meta: { count: 0, next_cursor: null } }, cors);
    }
    return apiError(res, cors, 404, "not_found", "No such resource");
  }

  // ---- Expensify Integration Server ------------------------------------------------------
  const expensifyReply = (res, cors, body) => json(res, 200, body, cors);

  async function expensify(req, res) {
    const cors = settings.expensifyCors ? corsFor(req) : {};
    let job;
    let form;
    try {
      const type = (req.headers["content-type"] ?? "").split(";")[0].trim();
      if (type !== "application/x-www-form-urlencoded") throw new Error("content type");
      form = new URLSearchParams(await readBody(req));
      job = JSON.parse(form.get("requestJobDescription") ?? "");
    } catch {
      count("expensify", "expensifyRequests");
      return expensifyReply(res, cors, { responseCode: 410, responseMessage: "requestJobDescription is missing or is not JSON" });
    }
    const id = job?.credentials?.partnerUserID;
    count("expensify", "expensifyRequests");
    if (typeof id === "string") expensifyArrivals.set(id, [...(expensifyArrivals.get(id) ?? []), Date.now()]);
    if (await applyFault(takeFault("expensify", undefined), res, cors)) return;
    if (rateLimited(`expensify:${id}`, settings.expensifyRateLimit, settings.expensifyRateWindowMs)) {
      count("expensify", "rateLimited");
      return res.writeHead(429, { ...cors, "Retry-After": "10", "Content-Type": "text/plain" }).end("Too Many Requests");
    }
    const secret = expensifyCreds.get(id);
    if (!secret || !safeEq(secret, job.credentials.partnerUserSecret ?? "")) {
      return expensifyReply(res, cors, { responseCode: 401, responseMessage: "Authentication error" });
    }
    const policies = [
      { id: "F1A2B3C4D5E6F708", name: "Emulator Corporate", role: "admin", type: "corporate", outputCurrency: "USD", owner: "owner@example.com" },
      { id: "0A1B2C3D4E5F6A7B", name: "Emulator Team", role: "user", type: "team", outputCurrency: "EUR", owner: "team@example.com" },
    ];
    const s = job.inputSettings ?? {};
    if (job.type === "get" && s.type === "policyList") return expensifyReply(res, cors, { responseCode: 200, policyList: policies });
    if (job.type === "get" && s.type === "policy") {
      if (!Array.isArray(s.policyIDList)) return expensifyReply(res, cors, { responseCode: 410, responseMessage: "policyIDList is missing" });
      const found = policies.filter((p) => s.policyIDList.includes(p.id));
      if (!found.length) return expensifyReply(res, cors, { responseCode: 410, responseMessage: "Policy not found" });
      return expensifyReply(res, cors, { responseCode: 200, policyInfo: Object.fromEntries(found.map((p) => [p.id, { categories: [{ name: "Travel", enabled: true }], tags: [] }])) });
    }
    if (job.type === "file") {
      if (!form.get("template")) return expensifyReply(res, cors, { responseCode: 410, responseMessage: "template is missing" });
      res.writeHead(200, { ...cors, "Content-Type": "text/plain" }).end("exportedReport_emulator.csv");
      return;
    }
    if (job.type === "download") {
      if (!job.fileName) return expensifyReply(res, cors, { responseCode: 410, responseMessage: "fileName is missing" });
      res.writeHead(200, { ...cors, "Content-Type": "text/csv" }).end("Merchant,Amount\nBlue Bottle,4.50\n");
      return;
    }
    if (job.type === "create" && s.type === "expenses") {
      if (!Array.isArray(s.transactionList) || !s.employeeEmail) return expensifyReply(res, cors, { responseCode: 410, responseMessage: "employeeEmail and transactionList are required" });
      return expensifyReply(res, cors, { responseCode: 200, transactionList: s.transactionList.map((t, i) => ({ ...t, transactionID: String(1000 + i) })) });
    }
    if (job.type === "create" && s.type === "report") {
      if (!s.policyID || !s.report?.title) return expensifyReply(res, cors, { responseCode: 410, responseMessage: "policyID and report.title are required" });
      return expensifyReply(res, cors, { responseCode: 200, reportID: "R00aBcDeFgHi", reportName: s.report.title });
    }
    return expensifyReply(res, cors, { responseCode: 500, responseMessage: `Unsupported job ${String(job.type)}/${String(s.type)}` });
  }

  // ---- control ---------------------------------------------------------------------------
  async function control(req, res, url) {
    const cors = corsFor(req);
    const body = req.method === "POST" ? JSON.parse((await readBody(req)) || "{}") : {};
    switch (url.pathname) {
      case "/__emulator/clients":
        addClient(body.clientId, body.redirectUris ?? []);
        return json(res, 200, { ok: true }, cors);
      case "/__emulator/faults":
        faults.push({ times: 1, ...body });
        return json(res, 200, { ok: true }, cors);
      case "/__emulator/reset-faults": {
        for (let i = faults.length - 1; i >= 0; i--) if (!body.clientId || faults[i].clientId === body.clientId) faults.splice(i, 1);
        return json(res, 200, { ok: true }, cors);
      }
      case "/__emulator/counters": {
        const key = url.searchParams.get("client_id") ?? "*";
        return json(res, 200, counters.get(key) ?? {}, cors);
      }
      case "/__emulator/settings":
        Object.assign(settings, body);
        return json(res, 200, settings, cors);
      case "/__emulator/expire-tokens": {
        for (const t of accessTokens.values()) if (!body.clientId || t.clientId === body.clientId) t.expiresAt = 0;
        return json(res, 200, { ok: true }, cors);
      }
      case "/__emulator/expensify-arrivals":
        // When each request of a partnerUserID arrived (ms), for checks of the client's limits.
        return json(res, 200, { times: expensifyArrivals.get(url.searchParams.get("partnerUserID")) ?? [] }, cors);
      case "/__emulator/expensify-credentials":
        expensifyCreds.set(body.partnerUserID, body.partnerUserSecret);
        return json(res, 200, { ok: true }, cors);
      case "/__emulator/dpop-nonce":
        // A new server nonce: proofs with the old one are answered use_dpop_nonce.
        dpopNonce = b64url(randomBytes(16));
        return json(res, 200, { ok: true }, cors);
      case "/__emulator/reset":
        counters.clear();
        faults.length = 0;
        rate.clear();
        expensifyArrivals.clear();
        return json(res, 200, { ok: true }, cors);
      default:
        return json(res, 404, { error: "unknown control" }, cors);
    }
  }

  const server = createServer(async (req, res) => {
    // No keep-alive: a browser silently retries a request whose reused socket closes, which
    // would hide the "dropped connection" fault from the code under test.
    res.setHeader("Connection", "close");
    try {
      const url = new URL(req.url, base || "http://127.0.0.1");
      if (req.method === "OPTIONS") return res.writeHead(204, corsFor(req)).end();
      if (url.pathname === "/api/auth/oauth2/authorize" && req.method === "GET") return await authorize(req, res, url);
      if (url.pathname === "/api/auth/oauth2/authorize/decision" && req.method === "POST") return await decision(req, res);
      if (url.pathname === "/api/auth/oauth2/token" && req.method === "POST") return await tokenEndpoint(req, res);
      if (url.pathname === "/api/auth/oauth2/revoke" && req.method === "POST") return await revocationEndpoint(req, res);
      if (url.pathname === "/api/auth/oauth2/par" && req.method === "POST") return await parEndpoint(req, res);
      if (url.pathname === "/.well-known/oauth-authorization-server" && req.method === "GET") return await wellKnown(req, res, "oauth");
      if (url.pathname === "/.well-known/openid-configuration" && req.method === "GET") return await wellKnown(req, res, "openid");
      if (url.pathname.startsWith("/api/v1/")) return await api(req, res, url);
      if (url.pathname === "/Integration-Server/ExpensifyIntegrations" && req.method === "POST") return await expensify(req, res);
      if (url.pathname === "/capture/Integration-Server/ExpensifyIntegrations") {
        // A stand-in for an attacker's server: anything that arrives here is counted.
        count("capture", "captured");
        return json(res, 200, { responseCode: 200, policyList: [] }, corsFor(req));
      }
      if (url.pathname.startsWith("/__emulator/")) return await control(req, res, url);
      if (url.pathname === "/") return json(res, 200, { emulator: "expensicat", issuer: base, clientId: defaultClient });
      return json(res, 404, { error: { code: "not_found", message: "No such endpoint" } }, corsFor(req));
    } catch (e) {
      if (!res.headersSent) json(res, 500, { error: { code: "emulator_error", message: String(e?.message ?? e) } });
    }
  });
  await new Promise((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${server.address().port}`;
  const line = `listening on ${base} client_id=${defaultClient} redirect_uri=${[...defaultRedirect].join(",")} partnerUserID=${defaultPartner.partnerUserID} partnerUserSecret=${defaultPartner.partnerUserSecret}`;
  if (!options.quiet) console.log(line);
  return {
    url: base,
    line,
    clientId: defaultClient,
    partner: defaultPartner,
    addClient,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const port = Number(arg("--port") ?? process.env.PORT ?? 0);
  const redirect = arg("--redirect-uri");
  await startEmulator({ port, clientId: arg("--client-id"), redirectUris: redirect ? redirect.split(",") : undefined });
}
