// The expensicat-auth demo: plain ES modules, no bundler. By default it talks to the local
// emulator that `npm start` runs; Settings (or ?issuer=&clientId=&redirectUri=) point it elsewhere.
import init, { ExpensicatAuth, listScopes } from "/pkg/expensicat_auth.js";
import initExpensify, { ExpensifyCredential, ExpensifyCredentialStore } from "/pkg/expensify/expensicat_auth_expensify.js";

const $ = (id) => document.getElementById(id);
const el = (tag, { dataset, ...props } = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), props);
  Object.assign(node.dataset, dataset);
  node.append(...children);
  return node;
};

function showError(e, { info = false } = {}) {
  const box = $("error");
  box.hidden = false;
  box.classList.toggle("info", info);
  box.replaceChildren(el("code", { textContent: e.code ?? "error" }), `: ${e.message}`);
}
const clearError = () => {
  $("error").hidden = true;
};

async function loadSettings() {
  const defaults = await (await fetch("/config.json")).json().catch(() => ({}));
  const saved = JSON.parse(localStorage.getItem("demo-settings") || "{}");
  const q = Object.fromEntries(new URLSearchParams(location.search));
  const pick = (k) => q[k] || saved[k] || defaults[k] || "";
  return { issuer: pick("issuer") || "https://api.expensicat.com", clientId: pick("clientId"), redirectUri: pick("redirectUri") || `${location.origin}/callback`, expensifyServerUrl: pick("expensifyServerUrl") || "https://integrations.expensify.com" };
}

await Promise.all([init(), initExpensify()]);
const settings = await loadSettings();
const scopes = listScopes();
const auth = new ExpensicatAuth({ clientId: settings.clientId, redirectUri: settings.redirectUri, issuer: settings.issuer, storage: "sessionStorage" });
let store;
let cursor = null;
let countdown;

// ---- Expensicat --------------------------------------------------------------------------
function renderScopes() {
  const chosen = new Set(JSON.parse(sessionStorage.getItem("demo-scopes") || '["transactions:read"]'));
  $("scopes").replaceChildren(
    ...scopes.map((s) => {
      const box = el("input", { type: "checkbox", name: "scope", value: s.name, checked: chosen.has(s.name) });
      return el("label", {}, box, el("span", {}, el("code", { textContent: s.name }), el("small", { textContent: s.description })));
    }),
  );
}

function renderSession() {
  const s = auth.session;
  $("signed-out").hidden = !!s;
  $("signed-in").hidden = !s;
  clearInterval(countdown);
  if (!s) return;
  $("granted").textContent = s.scopes.join(" ");
  $("has-refresh").textContent = s.hasRefreshToken ? "[redacted] (rotates on refresh)" : "none";
  const tick = () => {
    const left = s.expiresAt ? Math.max(0, Math.round((s.expiresAt - Date.now()) / 1000)) : null;
    $("expiry").textContent = left === null ? "no expiry given" : `${Math.floor(left / 60)} min ${left % 60} s`;
  };
  tick();
  countdown = setInterval(tick, 1000);
}

async function loadTransactions(more = false) {
  clearError();
  try {
    const page = await auth.fetchJson(`/v1/transactions?limit=10${more && cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    const body = $("transactions").tBodies[0];
    if (!more) body.replaceChildren();
    for (const t of page.data) {
      body.append(el("tr", {}, el("td", { textContent: t.date }), el("td", { textContent: t.merchant }), el("td", { textContent: t.category }), el("td", { className: "num", textContent: `${t.amount.toFixed(2)} ${t.currency}` })));
    }
    $("transactions").hidden = false;
    cursor = page.meta.next_cursor;
    $("more").hidden = !cursor;
  } catch (e) {
    showError(e);
    renderSession();
  }
}

$("sign-in").addEventListener("click", async () => {
  clearError();
  const chosen = [...document.querySelectorAll('input[name="scope"]:checked')].map((b) => b.value);
  sessionStorage.setItem("demo-scopes", JSON.stringify(chosen));
  try {
    location.assign(await auth.startLogin({ scopes: chosen }));
  } catch (e) {
    showError(e);
  }
});
$("load").addEventListener("click", () => loadTransactions(false));
$("more").addEventListener("click", () => loadTransactions(true));
$("refresh").addEventListener("click", async () => {
  clearError();
  try {
    await auth.refresh();
    $("status").textContent = "Tokens refreshed (the refresh token rotated).";
  } catch (e) {
    showError(e);
  }
  renderSession();
});
let signingOut = false;
let fromTab = false;
$("sign-out").addEventListener("click", () => {
  signingOut = true;
  auth.logout();
  signingOut = false;
  $("status").textContent = "Signed out.";
  renderSession();
});
// The tabs of the demo share one session: a new tab gets it from a live one (no redirect), and a
// sign-out in any tab signs every tab out.
auth.onSessionChange((ev) => {
  fromTab = ev.type === "started" && ev.reason === "tab";
  if (fromTab) $("status").textContent = "Signed in: the session came from another tab.";
  if (ev.type === "ended" && ev.reason === "logout" && !signingOut) $("status").textContent = "Signed out in another tab.";
  else if (ev.type === "ended" && ev.reason !== "logout") $("status").textContent = `Session ended (${ev.reason}).`;
  if (ev.type === "ended") {
    $("transactions").hidden = true;
    $("more").hidden = true;
  }
  renderSession();
});

// ---- Expensify ---------------------------------------------------------------------------
const fields = ["name", "description", "serverUrl", "partnerUserId", "partnerUserSecret"];

function openDialog() {
  const form = $("cred-form");
  form.reset();
  form.serverUrl.value = settings.expensifyServerUrl;
  for (const f of fields) setFieldError(f, "");
  $("cred-dialog").showModal();
  form.name.focus();
}

function setFieldError(field, message) {
  $(`e-${field}`).textContent = message;
  $(`f-${field}`).setAttribute("aria-invalid", message ? "true" : "false");
}

async function renderTiles() {
  const items = store ? await store.list() : [];
  const tiles = items.map((c) => {
    if (c.error) return el("li", { className: "tile corrupt" }, el("h3", { textContent: "Unreadable credential" }), el("p", { textContent: `${c.id}: ${c.error}` }));
    const result = el("p", { className: "result", role: "status" });
    const test = el("button", { type: "button", textContent: "Test connection" });
    const del = el("button", { type: "button", textContent: "Delete" });
    test.addEventListener("click", async () => {
      result.textContent = "Testing…";
      try {
        const cred = await store.get(c.id);
        const r = await cred.testConnection();
        result.textContent = r.status === "valid" ? "Connection OK" : `${r.status}${r.code ? ` (${r.code})` : ""}`;
      } catch (e) {
        result.textContent = `${e.code}: ${e.message}`;
      }
    });
    del.addEventListener("click", async () => {
      await store.delete(c.id);
      await renderTiles();
      $("add-credential").focus();
    });
    return el(
      "li",
      { className: "tile", dataset: { id: c.id } },
      el("h3", { textContent: c.name }),
      el("p", { textContent: c.description || "No description" }),
      el("p", { textContent: c.serverUrl }),
      el("p", { textContent: `partnerUserID: ${c.partnerUserId}` }),
      el("p", { textContent: `partnerUserSecret: ••••••••` }),
      el("div", { className: "actions" }, test, del),
      result,
    );
  });
  $("tiles").replaceChildren(el("li", {}, $("add-credential")), ...tiles);
}

$("add-credential").addEventListener("click", openDialog);
$("cred-cancel").addEventListener("click", () => $("cred-dialog").close());
$("cred-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const form = ev.target;
  const input = Object.fromEntries(fields.map((f) => [f, form[f].value]));
  for (const f of fields) setFieldError(f, "");
  let cred;
  try {
    cred = new ExpensifyCredential(input);
  } catch (e) {
    const field = fields.includes(e.field) ? e.field : "name";
    setFieldError(field, e.message);
    $(`f-${field}`).focus();
    return;
  }
  try {
    await store.save(cred);
    form.partnerUserSecret.value = "";
    $("cred-dialog").close();
    await renderTiles();
  } catch (e) {
    showError(e);
  }
});

$("settings-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  localStorage.setItem("demo-settings", JSON.stringify(Object.fromEntries(new FormData(ev.target))));
  location.assign("/");
});
$("reset-settings").addEventListener("click", () => {
  localStorage.removeItem("demo-settings");
  location.assign("/");
});
for (const [k, v] of Object.entries(settings)) if ($("settings-form")[k]) $("settings-form")[k].value = v;

// ---- start -------------------------------------------------------------------------------
renderScopes();
try {
  store = await ExpensifyCredentialStore.open();
} catch (e) {
  showError(e);
}
await renderTiles();
const params = new URLSearchParams(location.search);
if (location.pathname === "/callback" && (params.has("state") || params.has("error") || params.has("code"))) {
  $("status").textContent = "Completing sign-in…";
  try {
    await auth.handleCallback();
    $("status").textContent = "Signed in.";
  } catch (e) {
    if (e.code === "callback_already_handled") {
      showError(e, { info: true });
      $("status").textContent = "This sign-in was already completed.";
    } else {
      showError(e);
      $("status").textContent = "Sign-in failed.";
    }
  }
  history.replaceState(null, "", "/");
} else if (!fromTab) {
  $("status").textContent = settings.issuer.startsWith("http://127.0.0.1") ? "Ready: using the local emulator." : `Ready: using ${settings.issuer}.`;
}
// Whether a session exists is known once the other tabs have answered and storage is read.
await auth.ready();
renderSession();
document.body.dataset.ready = "true";
