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
  /** Issuer identifier and base of the default endpoints. Default `https://api.expensicat.com`. */
  issuer?: string;
  /** Default `{issuer}/api/auth/oauth2/authorize`. */
  authorizationEndpoint?: string;
  /** Default `{issuer}/api/auth/oauth2/token`. */
  tokenEndpoint?: string;
  /** The token revocation endpoint (RFC 7009), if any: `logout()` then revokes the refresh token and the access token. No default. */
  revocationEndpoint?: string;
  /** Default `{issuer}/api`. Bearer tokens are sent only to this URL's origin. */
  apiBaseUrl?: string;
  /** `json` (default, as Expensicat documents) or `form` (RFC 6749). */
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
   * through storage.
   */
  shareAcrossTabs?: boolean;
}

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
}

/** A started login: send the user to `url`, keep `transaction` (it holds the PKCE verifier) in sessionStorage under `state`. */
export interface LoginStart { url: string; state: string; expiresAt: number; transaction: string; }

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
}
