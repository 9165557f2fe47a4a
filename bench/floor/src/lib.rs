//! The benchmark's reference crate: a PKCE pair and nothing else (see Cargo.toml).
use sha2::{Digest, Sha256};
use wasm_bindgen::prelude::*;
const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
fn b64(bytes: &[u8]) -> String {
    let mut out = vec![0u8; (bytes.len() * 4).div_ceil(3)];
    let (mut i, mut o) = (0, 0);
    while i < bytes.len() {
        let n = u32::from(bytes[i]) << 16
            | u32::from(bytes.get(i + 1).copied().unwrap_or(0)) << 8
            | u32::from(bytes.get(i + 2).copied().unwrap_or(0));
        for s in [18, 12, 6, 0] {
            if o < out.len() {
                out[o] = A[(n >> s & 63) as usize];
                o += 1;
            }
        }
        i += 3;
    }
    String::from_utf8(out).unwrap_or_default()
}
#[wasm_bindgen(js_name = createPkce)]
pub fn create_pkce() -> Result<Vec<String>, JsValue> {
    let mut r = [0u8; 32];
    getrandom::fill(&mut r).map_err(|_| JsValue::from_str("rng"))?;
    let v = b64(&r);
    let c = b64(&Sha256::digest(v.as_bytes()));
    Ok(vec![v, c])
}
