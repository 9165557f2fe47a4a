// A React 19 + React Router app as a user writes it, on the package installed from its tarball:
// one provider under <StrictMode>, a protected route, a callback route, and a status bar that
// every page shows. tests/e2e/react.test.mjs drives it in Chromium, Firefox and WebKit. With
// `sessionStorage["app-mode"] = "injected"` the app makes the session itself and passes it to the
// provider (`auth`), and navigates after a login with `onRedirectCallback`.
import { StrictMode, useEffect, useState, type ReactNode } from "react";
import { createRoot } from "react-dom/client";
import { BrowserRouter, Link, Route, Routes, useLocation, useNavigate } from "react-router";
import { ExpensicatAuthProvider, RequireAuth, useExpensicatAuth, withRequireAuth } from "expensicat-auth/react";
import init, { ExpensicatAuth, type ClientConfig } from "expensicat-auth";

declare global {
  interface Window {
    /** Every status the app rendered, in order (the test reads it). */
    statuses: string[];
    /** How many times the status bar's mount effect ran: 2 under StrictMode in development. */
    mounts: number;
    /** The `appState` of every `onRedirectCallback` call (mode "injected"). */
    redirects: unknown[];
  }
}
window.statuses = [];
window.mounts = 0;
window.redirects = [];

/** The transactions page of the API's answer. */
interface Page {
  data: { id: string }[];
}

function StatusBar() {
  const { status, session, error, login, logout } = useExpensicatAuth();
  useEffect(() => {
    window.mounts++;
  }, []);
  useEffect(() => {
    if (window.statuses[window.statuses.length - 1] !== status) window.statuses.push(status);
  }, [status]);
  return (
    <header id="status" data-status={status} data-error={error?.code ?? ""}>
      <span>{status}</span> {session && <span id="scopes">{session.scopes.join(" ")}</span>}
      {error && <strong id="error">{error.code}</strong>}
      {status === "signed_in" && (
        <button id="logout" onClick={() => void logout()}>
          Sign out
        </button>
      )}
      {status === "signed_out" && (
        <button id="login" onClick={() => void login({ appState: { returnTo: "/" } })}>
          Sign in
        </button>
      )}
    </header>
  );
}

function Reports({ title }: { title: string }) {
  const { fetchJson } = useExpensicatAuth();
  const location = useLocation();
  const [count, setCount] = useState<number>();
  useEffect(() => {
    let live = true;
    fetchJson("/v1/transactions?limit=2").then((page) => live && setCount((page as Page).data.length));
    return () => {
      live = false;
    };
  }, [fetchJson]);
  return (
    <main id="reports" data-count={count ?? ""} data-at={location.pathname + location.search + location.hash}>
      <h1>{title}</h1>
      {count === undefined ? <p>Loading…</p> : <p>{count} transactions</p>}
    </main>
  );
}

const ProtectedReports = withRequireAuth(Reports, { fallback: <p id="checking">Checking your session…</p> });

function Home() {
  return (
    <main id="home">
      <Link to="/reports">Reports</Link>
      <RequireAuth fallback={null}>
        <p id="private">Signed in content</p>
      </RequireAuth>
    </main>
  );
}

const config: ClientConfig = await (await fetch("/config.json")).json();

/** The provider as the mode says: from `config`, or over a session the app made. */
function Auth({ children }: { children: ReactNode }) {
  const navigate = useNavigate();
  if (!auth) return <ExpensicatAuthProvider config={config}>{children}</ExpensicatAuthProvider>;
  const onRedirectCallback = (appState: unknown) => {
    window.redirects.push(appState);
    navigate((appState as { returnTo?: string } | undefined)?.returnTo ?? "/", { replace: true });
  };
  return (
    <ExpensicatAuthProvider auth={auth} onRedirectCallback={onRedirectCallback}>
      {children}
    </ExpensicatAuthProvider>
  );
}

// Made once for the page, as an app that owns its session does (not in a render: StrictMode
// would make two).
const injected = sessionStorage.getItem("app-mode") === "injected";
if (injected) await init();
const auth = injected ? new ExpensicatAuth(config) : undefined;

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <BrowserRouter>
      <Auth>
        <StatusBar />
        <Routes>
          <Route path="/" element={<p id="public">Public page</p>} />
          <Route path="/home" element={<Home />} />
          <Route path="/reports" element={<ProtectedReports title="Reports" />} />
          <Route path="/callback" element={<p id="callback">Signing you in…</p>} />
        </Routes>
      </Auth>
    </BrowserRouter>
  </StrictMode>,
);
