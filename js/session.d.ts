// The JavaScript session (js/session.js), appended to the sign-in entry's .d.ts by scripts/postbuild.mjs.
/**
 * A signed-in Expensicat session for a single-page app: login, callback, tokens kept in memory
 * (or `sessionStorage` by opt-in), single-flight refresh, and a `fetch` that signs only API
 * requests.
 */
export class ExpensicatAuth {
    /**
     * A valid access token, refreshed when it expires within the clock skew (checked against
     * the clock on every call). Concurrent callers share one refresh. Rejects with
     * `login_required` when there is no session.
     */
    accessToken(): Promise<string>;
    /**
     * Like `fetch`, then resolves to the parsed JSON body of a 2xx answer, or rejects with a
     * typed error: `unauthorized`, `insufficient_scope` (with `requiredScope`), `rate_limited`
     * (with `retryAfterMs`), `api_error` (with `status`, `apiCode`), `invalid_response`.
     */
    fetchJson(input: string, init?: RequestInit): Promise<unknown>;
    /**
     * `fetch` for the Expensicat API: `input` is a path below the API base (`/v1/transactions`)
     * or an absolute URL on the API origin (anything else rejects with `origin_not_allowed`
     * before any request). Adds `Authorization: Bearer`, never follows redirects, times out,
     * refreshes and retries once on 401, waits once on 429 when `Retry-After` is within
     * `maxRetryAfterMs`. The app's headers and body pass through unchanged.
     */
    fetch(input: string, init?: RequestInit): Promise<Response>;
    /**
     * Handles the redirect back (default: `location.href`). Cleans `code`/`state`/`iss` from
     * the address bar before any await, checks the callback against its stored transaction
     * (consumed once, even on failure), exchanges the code, and resolves to the session. Called
     * twice with the same URL it makes one token request and both calls share the outcome; a
     * callback already handled in an earlier page load rejects with `callback_already_handled`.
     * The session comes with the login's `appState`, when it was given one.
     */
    handleCallback(url?: string): Promise<LoginResult>;
    /**
     * Whether `url` (default: the address bar, as it was before `handleCallback` cleaned it) is
     * the redirect URI with an authorization response on it: what `handleCallback` is for.
     */
    isCallback(url?: string): boolean;
    /**
     * Ends the session in every tab: forgets the tokens and any pending login transactions (event
     * `ended`, reason `logout`), cancels a code exchange or refresh in flight, and ends every
     * login made before it, also one this tab has not heard of yet (a logout made while the tab
     * is still loading applies to what it finds). Then, with a `revocationEndpoint`, revokes the
     * refresh token (where this tab holds the newest) and the access token (RFC 7009), best
     * effort, each within the timeout. The promise settles when that is done and never rejects.
     */
    logout(): Promise<void>;
    /**
     * A session configured from `issuer` alone: its metadata (RFC 8414, then OpenID Connect
     * Discovery) gives the endpoints, and `config` the rest. Rejects with `issuer_mismatch` when
     * the metadata names another issuer, `invalid_response` (or `insecure_url`, `invalid_url`)
     * when it cannot be used (no PKCE S256, a plain-HTTP endpoint...), `timeout` or `network`.
     */
    static discover(issuer: string, config: DiscoveryConfig): Promise<ExpensicatAuth>;
    /**
     * Validates `config` (HTTPS endpoints, registered redirect URI, known scopes, a storage mode
     * with `shareAcrossTabs`) and starts the session: asks the other tabs and reads storage.
     */
    constructor(config: ClientConfig);
    /**
     * Resolves when the tab knows whether a session exists (it asks the other tabs and reads
     * storage first). Calls made before then wait for it.
     */
    ready(): Promise<void>;
    /**
     * Stops this session object, as a page that goes away does: it no longer hears or answers the
     * other tabs, and releases the locks it holds. Tokens stay where the storage mode keeps them;
     * call `logout()` first to end the session.
     */
    close(): void;
    /** `loading` until the tab knows whether a session exists, then `signed_in` or `signed_out`. */
    readonly status: "loading" | "signed_in" | "signed_out";
    /**
     * Calls `listener` on every session change; returns a function that unsubscribes.
     */
    onSessionChange(listener: (event: SessionEvent) => void): () => void;
    /**
     * Refreshes now (sharing a refresh already in flight) and resolves to the session.
     * `invalid_grant` ends the session (event `ended`, reason `invalid_grant`).
     */
    refresh(): Promise<SessionInfo>;
    /**
     * Creates PKCE + state, stores the login transaction in `sessionStorage` (keyed by state,
     * expired ones swept) with the app's `appState`, and resolves to the authorize URL to
     * navigate to. With `par`, first pushes the authorize parameters to the server (RFC 9126):
     * the URL then carries `client_id` and `request_uri` only, and must be opened before the
     * request_uri expires (call this when the user starts the login, not ahead of it); a push
     * that fails rejects, and keeps nothing.
     */
    startLogin(options?: LoginOptions): Promise<string>;
    /**
     * The session info (never a token), for `JSON.stringify`.
     */
    toJSON(): SessionInfo | undefined;
    /**
     * Never reveals a token.
     */
    toString(): string;
    /**
     * Direct bearer mode: use a token the app already has (an Expensicat session JWT) for signed
     * calls. It is never refreshed; `expiresAt` (ms since the epoch) is checked on each use.
     */
    useBearerToken(token: string, expiresAt?: number): void;
    /**
     * The current session (scopes, expiry, whether it can refresh), or `undefined`. Never a token.
     */
    readonly session: SessionInfo | undefined;
}

export declare namespace ExpensicatClient {
    /**
     * A client configured from `issuer` alone, as `ExpensicatAuth.discover` does: the metadata
     * (RFC 8414, then OpenID Connect Discovery) gives the endpoints, `config` the rest.
     */
    function discover(issuer: string, config: DiscoveryConfig): Promise<ExpensicatClient>;
}
