// The package's Expensify classes in Chromium, Firefox and WebKit: the in-page suite of
// tests/browser/expensify.spec.mjs against the emulator's Integration Server, each test in a
// freshly loaded page.
import { suite } from "./in-page.mjs";

suite("expensify", 10, "the Expensify credential and store");
