/** One of the 13 Expensicat scopes. */
export type ExpensicatScope =
  | "transactions:read" | "transactions:write" | "entries:read" | "entries:write"
  | "invoices:read" | "invoices:write" | "banking:read" | "banking:write"
  | "documents:read" | "documents:write" | "team:read" | "team:admin" | "analytics:read";

/** Client configuration. Only `clientId` and `redirectUri` are required. */
export interface ClientConfig {
  /** The registered client ID. */
  clientId: string;
  /** The registered redirect URI (HTTPS; http only for 127.0.0.1, [::1], localhost). */
  redirectUri: string;
  /** Scopes requested by default. */
  scopes?: (ExpensicatScope | string)[];
  /** Issuer identifier (kept exactly as written, trailing slash included: the callback's `iss` must equal it as a string, RFC 9207) and base of the default endpoints. Default `https://api.expensicat.com`. */
  issuer?: string;
  /** Default `{issuer}/api/auth/oauth2/authorize`. */
  authorizationEndpoint?: string;
  /** Default `{issuer}/api/auth/oauth2/token`. */
  tokenEndpoint?: string;
  /** The token revocation endpoint (RFC 7009), if any: `logout()` then revokes the refresh token and the access token. No default. */
  revocationEndpoint?: string;
  /** Default `{issuer}/api`. Bearer tokens are sent only to this URL's origin. */
  apiBaseUrl?: string;
  /** How code exchanges and refreshes are encoded. Default: `json` when the token endpoint is on `https://api.expensicat.com` (as Expensicat documents), `form` for any other server (RFC 6749). Revocation is always a form. */
  tokenRequestEncoding?: "json" | "form";
  /** Allow scopes other than the 13 Expensicat scopes. */
  allowCustomScopes?: boolean;
  /** Require RFC 9207 `iss` on callbacks (always checked when present). */
  requireIssuer?: boolean;
  /** Login transaction lifetime, ms. Default 600000 (10 minutes). */
  transactionTtlMs?: number;
  /** Refresh tokens expiring within this many ms. Default 30000. */
  clockSkewMs?: number;
  /** Timeout of each network call, ms. Default 15000. */
  timeoutMs?: number;
  /** Longest Retry-After (delta-seconds or HTTP-date, as ms) waited on a 429. Default 10000. */
  maxRetryAfterMs?: number;
  /**
   * Where tokens live: `memory` (default), `sessionStorage` (opt-in: survives reloads of the tab),
   * or `indexedDB` (opt-in: survives reloads and browser restarts; sealed with AES-GCM under a
   * non-extractable key). See the README's table of storage modes.
   */
  storage?: "memory" | "sessionStorage" | "indexedDB";
  /** Largest token response read, bytes (default 65536); the read stops there (`invalid_response`). */
  maxTokenResponseBytes?: number;
  /** Largest API body `fetchJson` reads, bytes (default 1048576); the read stops there (`invalid_response`). */
  maxResponseBytes?: number;
  /**
   * Tabs of this origin share one session (default `true`): one refresh at a time between them
   * (Web Locks), its result and every login and logout reaching all (BroadcastChannel), and a new
   * tab gets the session from a live one without a redirect. Tokens pass between tabs, never
   * through storage. `false` (each tab its own session) only with `storage: "memory"`:
   * `invalid_config` otherwise, since tabs reading one stored refresh token must coordinate.
   */
  shareAcrossTabs?: boolean;
  /**
   * DPoP (RFC 9449): tokens bound to a key pair of this login (ES256, generated with WebCrypto,
   * non-extractable, kept in IndexedDB), every token request, revocation and API call carrying a
   * proof signed with it, and a token response that is not of type `DPoP` refused. Default
   * `false`. Needs WebCrypto and IndexedDB (see docs/dpop.md).
   */
  dpop?: boolean;
  /** The pushed authorization request endpoint (RFC 9126), if the server has one. */
  pushedAuthorizationRequestEndpoint?: string;
  /**
   * Push the authorize parameters to `pushedAuthorizationRequestEndpoint` first (RFC 9126) and send
   * the browser to the authorize endpoint with `client_id` and `request_uri` only. Needs that
   * endpoint (`invalid_config` otherwise). `discover` sets it when the server requires it.
   */
  par?: boolean;
}

/** A P-256 public key: the `x` and `y` of its exported JWK. */
export interface DpopKey { x: string; y: string; }

/** What one DPoP proof is made of (`ExpensicatClient.dpopSigningInput`): the key's thumbprint and coordinates, the request, the time, the access token of a resource request, the server's nonce. */
export interface DpopProofInput { jkt: string; x: string; y: string; method: string; url: string; nowMs: number; accessToken?: string; nonce?: string; }

/** The configuration given to `discover`: everything but the issuer and the endpoints, which come from the server's metadata. */
export type DiscoveryConfig = Omit<ClientConfig, "issuer" | "authorizationEndpoint" | "tokenEndpoint" | "revocationEndpoint" | "pushedAuthorizationRequestEndpoint">;

/** `createLogin` with `par`: the pushed authorization request to POST first (RFC 9126); `pushedAuthorizeUrl` makes the authorize URL from its answer. */
export interface PushedLoginStart { push: HttpRequest; state: string; expiresAt: number; transaction: string; /** The thumbprint of the login's DPoP key. */ dpopJkt?: string; }

/** A pushed authorization request the server accepted: the authorize URL (`client_id` and `request_uri` only), to open before `expiresAt` (ms since the epoch). */
export interface PushedAuthorization { url: string; expiresAt: number; }

/** Where discovery looks (RFC 8414, then OpenID Connect Discovery) and within what limits. */
export interface DiscoveryPlan { urls: [string, string]; timeoutMs: number; maxBytes: number; }

/** A PKCE pair (RFC 7636). Keep `verifier` secret; send only `challenge`. */
export interface Pkce { verifier: string; challenge: string; method: "S256"; }

/** Parameters of `buildAuthorizeUrl`. */
export interface AuthorizeUrlParams {
  /** Default `https://api.expensicat.com/api/auth/oauth2/authorize`. */
  authorizationEndpoint?: string;
  clientId: string;
  redirectUri: string;
  scopes: (ExpensicatScope | string)[];
  allowCustomScopes?: boolean;
  /** The S256 challenge from `createPkce()`. */
  codeChallenge: string;
  /** From `generateState()`: 22-512 unreserved characters. */
  state: string;
  /** Extra parameters (`prompt`, `login_hint`...). Protocol parameters cannot be overridden. */
  extraParams?: [string, string][];
}

/** Options of one login. */
export interface LoginOptions {
  /** Scopes for this login; default the configured ones. */
  scopes?: (ExpensicatScope | string)[];
  /** Extra authorize parameters. */
  extraParams?: [string, string][];
  /** The login's DPoP public key (`ExpensicatAuth` makes one with `dpop: true`): `dpop_jkt` goes in the authorize request. */
  dpopKey?: DpopKey;
  /**
   * The app's own state (where to return, say), a JSON value of at most 4096 bytes as JSON
   * (`invalid_parameter` beyond). Kept in the login transaction in `sessionStorage`, never in a
   * URL, and handed back by `handleCallback` once the callback passed every check.
   */
  appState?: unknown;
}

/** A started login: send the user to `url`, keep `transaction` (it holds the PKCE verifier) in sessionStorage under `state`. */
export interface LoginStart { url: string; state: string; expiresAt: number; transaction: string; /** The thumbprint of the login's DPoP key (`createLogin`'s `dpopKey`). */ dpopJkt?: string; }

/** An HTTP request to make with fetch (use `redirect: "manual"`). */
export interface HttpRequest { url: string; method: string; headers: Record<string, string>; body?: string; }

/** A validated token response. */
export interface TokenResponse {
  accessToken: string;
  tokenType: "Bearer";
  /** Expiry, ms since the epoch, when the server sent `expires_in`. */
  expiresAt?: number;
  refreshToken?: string;
  /** Granted scopes, when the server listed them. */
  scope?: string[];
}

/** A scope and its documented meaning. */
export interface ScopeInfo { name: ExpensicatScope; description: string; }

/** A configuration's resolved settings (defaults applied), as a session reads them. */
export interface ClientSettings {
  clientId: string;
  storage: "memory" | "sessionStorage" | "indexedDB";
  timeoutMs: number;
  transactionTtlMs: number;
  maxTokenResponseBytes: number;
  maxResponseBytes: number;
  shareAcrossTabs: boolean;
  dpop: boolean;
}

/** What has been tried for one API call (`ExpensicatClient.nextStep`). */
export interface Attempt { replayable?: boolean; canRefresh?: boolean; refreshed?: boolean; waited?: boolean; /** The call is DPoP-signed. */ dpop?: boolean; /** A DPoP nonce was asked for and tried. */ nonced?: boolean; }

/** The next step after an API answer: hand it back, refresh and send again, or wait and send again. */
export type NextStep = { step: "return" } | { step: "refresh" } | { step: "nonce" } | { step: "wait"; ms: number };

/**
 * An event for `SessionCore.handle` (the session machine, src/protocol/session_wire.rs): an app
 * call, a token-endpoint answer or failure, a revocation done, a message from another tab, the
 * lock, the shared record, the stored session, a timer.
 */
export type SessionCoreEvent =
  | { t: "call"; id: number; call: "token" | "refresh" | "logout"; stale?: string }
  | { t: "bearer"; id: number; token: string; expiresAt?: number }
  | { t: "answer"; id: number; status: number; body: string }
  | { t: "failed"; id: number; what: string; status?: number }
  | { t: "revoked"; id: number; status?: number; nonce?: boolean }
  | { t: "message"; m: unknown }
  | { t: "locked"; p: "refresh" | "logout"; ok: boolean }
  | { t: "marked"; p: "refresh" | "logout"; ok: boolean }
  | { t: "shared"; p: "load" | "refresh" | "logout" | "adopt"; r: SharedRecord | null; failed?: boolean }
  | { t: "unsent"; id: number }
  | { t: "loaded"; stored: unknown; el: number; es: number }
  | { t: "timer"; name: string; n: number };

/** The record the tabs of one client share (IndexedDB): newest, ended, spent and revoked versions as login/seq pairs, the refresh tries marked (`t`) and the last one answered unspent (`a`). */
export interface SharedRecord { nl: number; ns: number; el: number; es: number; sl: number; ss: number; rl: number; rs: number; t: number; a: number; }

/** An action of the session machine, for its driver to perform in order. */
export type SessionCoreAction =
  | { a: "send" | "revoke"; id: number; url: string; contentType: string; body: string; dpop?: string }
  | { a: "forget"; jkt: string }
  | { a: "post"; m: object }
  | { a: "store"; rec?: object; login?: number; seq?: number; el: number; es: number }
  | { a: "lock" | "unlock"; p: "refresh" | "logout" }
  | { a: "read"; p: "load" | "refresh" | "logout" | "adopt" }
  | { a: "write"; r: SharedRecord }
  | { a: "mark"; p: "refresh" | "logout"; r: SharedRecord }
  | { a: "emit"; type: "ready" | "started" | "refreshed" | "ended"; reason?: string; session?: SessionInfo }
  | { a: "settle"; id: number; token?: string; session?: SessionInfo; error?: ExpensicatAuthError }
  | { a: "timer"; name: string; n: number; ms: number };
