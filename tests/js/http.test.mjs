// js/http.js's bounded body reader on its own: a body that ends short of its Content-Length is
// a dropped connection (WebKit ends such a stream without an error), except for whole JSON, which
// a compressed response decodes to (its Content-Length counts the compressed bytes: measured in
// Chromium and WebKit, a 25-byte gzip'd JSON body came with Content-Length 45, and cross-origin
// the Content-Encoding header is not exposed to tell the two apart).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readBody, readLimited } from "../../js/http.js";

const response = (body, length) => new Response(body, { headers: length === undefined ? {} : { "Content-Length": String(length) } });
const error = (what) => new Error(what);

test("a body of exactly its Content-Length, or without one, is read", async () => {
  assert.equal(await readLimited(response('{"a":1}', 7), 100, new AbortController()), '{"a":1}');
  assert.equal(await readLimited(response('{"a":'), 100, new AbortController()), '{"a":');
});

test("a body cut short of its Content-Length is a network failure", async () => {
  await assert.rejects(readBody(response('{"partial":', 4096), 100_000, new AbortController(), error), /^Error: network$/);
  await assert.rejects(readBody(response('{"access_token":"tru', 40), 100_000, new AbortController(), error), /^Error: network$/);
});

test("whole JSON shorter than its Content-Length (a compressed body, decoded) is read", async () => {
  assert.equal(await readLimited(response('{"error":"invalid_grant"}', 45), 100, new AbortController()), '{"error":"invalid_grant"}');
});

test("a Content-Length over the limit is still refused before reading", async () => {
  await assert.rejects(readBody(response("{}", 10_000), 100, new AbortController(), error), /^Error: too_large$/);
});
