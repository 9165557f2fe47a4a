//! The codecs under the protocol core: the text formats it reads and writes, each written here
//! (the WebAssembly package pays for every generic engine it links) and each compared with its
//! reference crate on generated inputs. Nothing here knows OAuth; the protocol (`crate::protocol`)
//! is built on top, and no codec imports from it.
//!
//! `decimal` is the leaf every other codec may use; `text` the byte and string helpers; then
//! `encoding` (base64url, form and percent-encoding), `json`, `retry_after` (the HTTP-date
//! reader), `challenge` (`WWW-Authenticate`), `url` and `sha256`.
//!
//! The reference crates (dev-dependencies only): `base64`, `form_urlencoded` and
//! `percent-encoding`, `httpdate` and `serde_json` in tests/codec_differential.rs, whose checks
//! (tests/codec/checks.rs, which also lists where the codecs are stricter on purpose) the fuzz
//! targets `codec_*` share; the WHATWG `url` crate in tests/url_differential.rs and the
//! `url_whatwg` target; `sha2` in `sha256`'s own tests. `challenge` has no reference crate: its
//! properties are checked by the `www_authenticate` target and the hostile corpus.

#[allow(unused_imports)]
use crate::prelude::*;

pub(crate) mod challenge;
pub(crate) mod decimal;
pub(crate) mod encoding;
pub mod json;
pub mod retry_after;
pub(crate) mod sha256;
pub(crate) mod text;
pub(crate) mod url;
