// The bench's "where the bytes go" reader: demangling, grouping, and section parsing on a module
// built by hand (so the sizes are known).
import { test } from "node:test";
import assert from "node:assert/strict";
import { demangle, groupOf, functionSizes, whereBytesGo } from "../../bench/where-bytes.mjs";

test("Rust symbols are demangled and grouped by crate and module", () => {
  assert.equal(demangle("_ZN15expensicat_auth8protocol4json6Parser5value17h4b1d5b891a5e5f56E"), "expensicat_auth::protocol::json::Parser::value::h4b1d5b891a5e5f56");
  assert.equal(groupOf("_ZN15expensicat_auth8protocol4json6Parser5value17h4b1d5b891a5e5f56E"), "expensicat_auth::protocol::json");
  assert.equal(groupOf("_ZN6js_sys7futures17future_to_promise28_$u7b$$u7b$closure$u7d$$u7d$17hfc08c50d4300dc70E"), "js_sys::futures");
  assert.equal(groupOf("_RNvMs0_NtCsjqx8TIyZbP9_8dlmalloc8dlmallocINtB5_8DlmallocNtNtB7_3sys6SystemE6mallocCsebHcaeoSrxy_3std"), "dlmalloc::dlmalloc");
  assert.equal(groupOf("_RNvXsj_NtCsgXGp5Oqx2Ny_4core3fmtcNtB5_5Debug3fmt"), "core::fmt");
  assert.equal(groupOf("_ZN45_$LT$T$u20$as$u20$alloc..string..ToString$GT$9to_string17h3f65f509937c8685E"), "alloc::string");
  assert.equal(groupOf("expensifycredential_send_cdfe868a1740088d"), "exported wrappers and wasm-bindgen shims");
  // Names that binaryen already demangled, with crate disambiguators.
  assert.equal(groupOf("core[c5930c85a12de822]::fmt::Formatter::pad_integral"), "core::fmt");
  assert.equal(groupOf("<dlmalloc[e24a27700634d609]::dlmalloc::Dlmalloc<dlmalloc[e24a27700634d609]::sys::System>>::malloc"), "dlmalloc::dlmalloc");
});

test("function body sizes and names come from the binary", () => {
  // (module (import "m" "f" (func)) (func $a) (func $b nop nop) (data "xyz")) with a name section.
  const bytes = Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type: () -> ()
    0x02, 0x07, 0x01, 0x01, 0x6d, 0x01, 0x66, 0x00, 0x00, // import m.f
    0x03, 0x03, 0x02, 0x00, 0x00, // two functions
    0x05, 0x03, 0x01, 0x00, 0x01, // memory
    0x0a, 0x09, 0x02, 0x02, 0x00, 0x0b, 0x04, 0x00, 0x01, 0x01, 0x0b, // bodies: 3 B and 5 B with their length bytes
    0x0b, 0x09, 0x01, 0x00, 0x41, 0x00, 0x0b, 0x03, 0x78, 0x79, 0x7a, // data "xyz"
    0x00, 0x0f, 0x04, 0x6e, 0x61, 0x6d, 0x65, 0x01, 0x09, 0x02, 0x01, 0x01, 0x61, 0x02, 0x02, 0x62, 0x62, // names 1=a, 2=bb
  ]);
  const { imported, bodies, names, data } = functionSizes(Buffer.from(bytes));
  assert.equal(imported, 1);
  assert.deepEqual(bodies, [3, 5]);
  assert.equal(names.get(1), "a");
  assert.equal(names.get(2), "bb");
  assert.equal(data, 9);
  const r = whereBytesGo(Buffer.from(bytes));
  assert.equal(r.code, 8);
});
