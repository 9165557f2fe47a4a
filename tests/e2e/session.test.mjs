// The package's JavaScript session in Chromium, Firefox and WebKit: the in-page suite of
// tests/browser/session.spec.mjs against the emulator, each test in a freshly loaded page.
import { suite } from "./in-page.mjs";

suite("session", 20, "the JavaScript session");
// The whole suite again with DPoP on for every client (RFC 9449: every token bound to the
// login's key), in Chromium; the DPoP scenarios of the suite run in every engine above.
suite("session", 20, "the JavaScript session with DPoP", { query: "dpop=1", chromiumOnly: true });
