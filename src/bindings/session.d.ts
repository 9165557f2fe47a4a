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
 * A session change. `reason` for `started`: `login`, `bearer`, `tab` (another tab's session,
 * `shareAcrossTabs`) or `restored` (from storage); for `ended`: `logout`, `invalid_grant`,
 * `expired` or `corrupt_record` (in any tab of the shared session).
 */
export interface SessionEvent {
  type: "started" | "refreshed" | "ended";
  reason?: string;
  session?: SessionInfo;
}

/** What `handleCallback` resolves to: the session, with the `appState` the login was started with (when it had one). */
export type LoginResult = SessionInfo & { appState?: unknown };
