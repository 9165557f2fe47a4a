// `expensicat-auth/react` (js/react.js). Hand-written; tests/js/react-types.test.mjs holds it
// equal to the JSDoc types of the code, both ways.
import type { ComponentType, ReactElement, ReactNode } from "react";
import type { ClientConfig, ExpensicatAuth, ExpensicatAuthError, LoginOptions, SessionInfo } from "expensicat-auth";

/** Props of `ExpensicatAuthProvider`: a `config` to make the session from, or a session (`auth`). */
export type ExpensicatAuthProviderProps = {
  children?: ReactNode;
  /**
   * Called once a login's callback on this page succeeded, with the `appState` given to the
   * login (`undefined` when none). Without it the address bar goes to `appState.returnTo`.
   */
  onRedirectCallback?: (appState: unknown) => void;
} & ({ config: ClientConfig; auth?: undefined } | { auth: ExpensicatAuth; config?: undefined });

/** What `useExpensicatAuth()` returns. */
export interface ExpensicatAuthState {
  /** `loading` until the session is known (and a callback on the page handled). */
  status: "loading" | "signed_in" | "signed_out";
  isLoading: boolean;
  isAuthenticated: boolean;
  /** The session (never a token) when signed in. */
  session: SessionInfo | undefined;
  /** Why the last login (its callback) or the session's creation failed. */
  error: ExpensicatAuthError | undefined;
  /** Starts a login (the options of `startLogin`) and navigates to the authorize URL. */
  login: (options?: LoginOptions) => Promise<void>;
  /** Ends the session in every tab. */
  logout: () => Promise<void>;
  /** `ExpensicatAuth.fetch`. */
  fetch: (input: string, init?: RequestInit) => Promise<Response>;
  /** `ExpensicatAuth.fetchJson`. */
  fetchJson: (input: string, init?: RequestInit) => Promise<unknown>;
  /** `ExpensicatAuth.accessToken`. */
  accessToken: () => Promise<string>;
}

/**
 * Provides one Expensicat session to the components below: made from `config` (or the `auth`
 * given), ready, and the login callback handled when the page is the redirect URI with a
 * response on it. Then `onRedirectCallback(appState)`, or without it the address bar goes to
 * `appState.returnTo` (history.replaceState, and a `popstate` event for the router).
 */
export function ExpensicatAuthProvider(props: ExpensicatAuthProviderProps): ReactElement;

/** The session's state and actions, kept current (also across tabs). Throws outside an `ExpensicatAuthProvider`. */
export function useExpensicatAuth(): ExpensicatAuthState;

/**
 * Renders `children` when signed in, `fallback` otherwise; when signed out (and no login
 * failed), starts a login that comes back to this page (path, query and hash).
 */
export function RequireAuth(props: { children?: ReactNode; fallback?: ReactNode }): ReactElement;

/** `Component` behind `RequireAuth`, for route tables. */
export function withRequireAuth<P extends object>(Component: ComponentType<P>, options?: { fallback?: ReactNode }): (props: P) => ReactElement;
