// `expensicat-auth/react`: a thin adapter of the browser session (`ExpensicatAuth`) to React 18
// and 19. A provider that owns one session, a hook that reads it through `useSyncExternalStore`
// (so every component sees the same state in one render, and a change made in another tab
// re-renders this one), and a guard for protected routes. No protocol decision is made here:
// the session decides, this file only waits for it and renders what it says.
//
// The session (and so the WebAssembly module) is imported lazily, inside an effect: importing
// this module or rendering the provider on a server touches neither.

// @ts-check
/** @typedef {import("expensicat-auth").ExpensicatAuth} ExpensicatAuth */
/** @typedef {import("expensicat-auth").ExpensicatAuthError} ExpensicatAuthError */
/** @typedef {import("expensicat-auth").LoginOptions} LoginOptions */
/** @typedef {import("expensicat-auth").SessionInfo} SessionInfo */
/** @typedef {import("expensicat-auth").ClientConfig} ClientConfig */
/** @typedef {import("react").ReactNode} ReactNode */
/**
 * @typedef {{ children?: ReactNode, onRedirectCallback?: (appState: unknown) => void }
 *   & ({ config: ClientConfig, auth?: undefined } | { auth: ExpensicatAuth, config?: undefined })} ExpensicatAuthProviderProps
 */
/**
 * @typedef {object} ExpensicatAuthState
 * @property {"loading" | "signed_in" | "signed_out"} status
 * @property {boolean} isLoading
 * @property {boolean} isAuthenticated
 * @property {SessionInfo | undefined} session
 * @property {ExpensicatAuthError | undefined} error
 * @property {(options?: LoginOptions) => Promise<void>} login
 * @property {() => Promise<void>} logout
 * @property {(input: string, init?: RequestInit) => Promise<Response>} fetch
 * @property {(input: string, init?: RequestInit) => Promise<unknown>} fetchJson
 * @property {() => Promise<string>} accessToken
 */
/** @typedef {ReturnType<typeof createStore>} Store */

import { createContext, createElement, Fragment, useContext, useEffect, useState, useSyncExternalStore } from "react";

const Context = createContext(/** @type {Store | null} */ (null));

/** The state of one provider: its session once made, and what its components read. */
function createStore() {
  /** @type {Set<() => void>} */
  const listeners = new Set();
  /** @type {ExpensicatAuth | undefined} */
  let auth;
  /** The session this provider made (it closes it when unmounted), not one it was given. */
  let mine = false;
  /** Whether the session is ready and a callback on the page handled. */
  let settled = false;
  /** @type {ExpensicatAuthError | undefined} */
  let error;
  let users = 0;
  /** @type {(() => void) | undefined} */
  let off;
  let started = false;
  /** @type {Promise<void> | undefined} */
  let redirecting;
  /** @type {(a: ExpensicatAuth) => void} */
  let got = () => {};
  /** @type {(e: unknown) => void} */
  let failed = () => {};
  /** @type {Promise<ExpensicatAuth>} */
  const session = new Promise((resolve, reject) => ((got = resolve), (failed = reject)));
  session.catch(() => {});
  /** @template T @param {(a: ExpensicatAuth) => T | Promise<T>} use @returns {Promise<T>} */
  const using = (use) => session.then(use);
  const api = {
    // One login at a time until the page navigates (StrictMode runs RequireAuth's effect twice);
    // another may start once it has (a page restored from the back-forward cache).
    /** @param {LoginOptions} [options] @returns {Promise<void>} */
    login: (options) =>
      (redirecting ??= using((a) => a.startLogin(options)).then(
        (url) => {
          redirecting = undefined;
          location.assign(url);
        },
        (e) => {
          redirecting = undefined;
          error = e;
          update();
          throw e;
        },
      )),
    logout: () => using((a) => a.logout()),
    /** @param {string} input @param {RequestInit} [init] */
    fetch: (input, init) => using((a) => a.fetch(input, init)),
    /** @param {string} input @param {RequestInit} [init] */
    fetchJson: (input, init) => using((a) => a.fetchJson(input, init)),
    accessToken: () => using((a) => a.accessToken()),
  };
  /** @param {"loading" | "signed_in" | "signed_out"} status @param {SessionInfo} [info] @returns {ExpensicatAuthState} */
  const state = (status, info) => ({ status, isLoading: status === "loading", isAuthenticated: status === "signed_in", session: info, error, ...api });
  const initial = state("loading");
  let current = initial;
  let key = "loading";
  function update() {
    const status = !settled ? "loading" : auth ? auth.status : "signed_out";
    // A session that started since (here or in another tab) answers the failed login.
    if (status === "signed_in") error = undefined;
    const info = status === "signed_in" ? auth?.session : undefined;
    const next = status + JSON.stringify(info);
    if (next === key && error === current.error) return;
    key = next;
    current = state(status, info);
    for (const l of [...listeners]) l();
  }

  /** @param {ExpensicatAuthProviderProps} props */
  async function start(props) {
    /** @type {import("expensicat-auth").LoginResult | undefined} */
    let result;
    try {
      if (props.auth) auth = props.auth;
      else {
        const m = await import("expensicat-auth");
        await m.default();
        auth = new m.ExpensicatAuth(props.config);
        mine = true;
      }
    } catch (e) {
      // The module or the configuration: nothing to sign in with.
      error = /** @type {ExpensicatAuthError} */ (e);
      failed(e);
    }
    if (auth) {
      // Unmounted meanwhile: a session made for nothing.
      if (mine && !users) return auth.close();
      got(auth);
      off = auth.onSessionChange(update);
      try {
        if (auth.isCallback()) result = await auth.handleCallback();
      } catch (e) {
        error = /** @type {ExpensicatAuthError} */ (e);
      }
      await auth.ready();
    }
    settled = true;
    update();
    if (!result) return;
    const { appState } = result;
    if (props.onRedirectCallback) return props.onRedirectCallback(appState);
    const to = /** @type {{ returnTo?: unknown } | null | undefined} */ (appState)?.returnTo;
    if (typeof to !== "string") return;
    try {
      // Same origin only (replaceState refuses any other), and told to a router listening to
      // the history (React Router does).
      history.replaceState(history.state, "", to);
      dispatchEvent(new PopStateEvent("popstate", { state: history.state }));
    } catch {
      // The address bar stays on the redirect URI.
    }
  }

  return {
    /** @param {() => void} l */
    subscribe(l) {
      listeners.add(l);
      return () => void listeners.delete(l);
    },
    get: () => current,
    initial: () => initial,
    /** Starts once, however often React mounts the provider (StrictMode mounts it twice); the
     * session it made is closed when it stays unmounted. @param {ExpensicatAuthProviderProps} props */
    mount(props) {
      users++;
      if (!started) {
        started = true;
        start(props);
      }
      return () => {
        users--;
        setTimeout(() => {
          if (users) return;
          off?.();
          if (mine) auth?.close();
        });
      };
    },
  };
}

/**
 * Provides one Expensicat session to the components below: made from `config` (or the `auth`
 * given), ready, and the login callback handled when the page is the redirect URI with a
 * response on it. Then `onRedirectCallback(appState)`, or without it the address bar goes to
 * `appState.returnTo` (history.replaceState, and a `popstate` event for the router).
 * @param {ExpensicatAuthProviderProps} props
 * @returns {import("react").ReactElement}
 */
export function ExpensicatAuthProvider(props) {
  const [store] = useState(createStore);
  useEffect(() => store.mount(props), [store]);
  return createElement(Context.Provider, { value: store }, props.children);
}

/**
 * The session's state and actions, kept current (also across tabs). Throws outside an
 * `ExpensicatAuthProvider`.
 * @returns {ExpensicatAuthState}
 */
export function useExpensicatAuth() {
  const store = useContext(Context);
  if (!store) throw new Error("useExpensicatAuth() must be called inside <ExpensicatAuthProvider>");
  return useSyncExternalStore(store.subscribe, store.get, store.initial);
}

/**
 * Renders `children` when signed in, `fallback` otherwise; when signed out (and no login
 * failed), starts a login that comes back to this page (path, query and hash).
 * @param {{ children?: ReactNode, fallback?: ReactNode }} props
 * @returns {import("react").ReactElement}
 */
export function RequireAuth({ children, fallback }) {
  const { status, error, login } = useExpensicatAuth();
  const out = status === "signed_out" && !error;
  useEffect(() => {
    if (out) login({ appState: { returnTo: location.pathname + location.search + location.hash } }).catch(() => {});
  }, [out, login]);
  return createElement(Fragment, null, status === "signed_in" ? children : fallback);
}

/**
 * `Component` behind `RequireAuth`, for route tables.
 * @template {object} P
 * @param {import("react").ComponentType<P>} Component
 * @param {{ fallback?: ReactNode }} [options]
 * @returns {(props: P) => import("react").ReactElement}
 */
export function withRequireAuth(Component, options) {
  return (props) => createElement(RequireAuth, options, createElement(Component, props));
}
