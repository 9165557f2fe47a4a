/** What the app may see of a session: never a token. */
export interface SessionInfo {
  /** Granted scopes (the requested ones when the server did not list them). */
  scopes: string[];
  /** Access token expiry, ms since the epoch, when known. */
  expiresAt?: number;
  /** Whether the session can refresh itself. */
  hasRefreshToken: boolean;
  /** `oauth` (code flow) or `bearer` (a token the app supplied). */
  mode: "oauth" | "bearer";
}

/**
 * A session change. `reason` for `started`: `login`, `bearer`, or `tab` (another tab's session,
 * `shareAcrossTabs`); for `ended`: `logout`, `invalid_grant` or `expired` (in any tab of the
 * shared session).
 */
export interface SessionEvent {
  type: "started" | "refreshed" | "ended";
  reason?: string;
  session?: SessionInfo;
}

/** A session as stored (`storage: "sessionStorage"`): it holds the tokens. */
export interface SessionRecord {
  v: 1;
  access: string;
  expiresAt?: number;
  refresh?: string;
  scopes: string[];
  mode: "oauth" | "bearer";
}
