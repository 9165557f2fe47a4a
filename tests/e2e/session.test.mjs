// The package's JavaScript session in Chromium, Firefox and WebKit: the in-page suite of
// tests/browser/session.spec.mjs against the emulator, each test in a freshly loaded page.
import { suite } from "./in-page.mjs";

suite("session", 20, "the JavaScript session");
