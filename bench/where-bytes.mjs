// "Where the bytes go": the size of each function of a wasm module that keeps its name section,
// grouped by crate and module (`expensicat_auth::core::json`, `js_sys::futures`, `dlmalloc`,
// `core::fmt`...), plus data. Reads the binary itself: no tool to install.

function leb(buf, at) {
  let result = 0;
  let shift = 0;
  for (;;) {
    const b = buf[at++];
    result += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (b < 0x80) return [result, at];
  }
}

function name(buf, at) {
  const [len, p] = leb(buf, at);
  return [buf.subarray(p, p + len).toString("utf8"), p + len];
}

/** Function body sizes by function index, data bytes, and the function names. */
export function functionSizes(buf) {
  let at = 8;
  let imported = 0;
  const bodies = [];
  const names = new Map();
  let data = 0;
  while (at < buf.length) {
    const id = buf[at];
    const [size, start] = leb(buf, at + 1);
    const end = start + size;
    if (id === 2) {
      let [count, p] = leb(buf, start);
      for (let i = 0; i < count; i++) {
        [, p] = name(buf, p);
        [, p] = name(buf, p);
        const kind = buf[p++];
        if (kind === 0) {
          imported++;
          [, p] = leb(buf, p);
        } else if (kind === 1) {
          p++;
          const flags = buf[p++];
          [, p] = leb(buf, p);
          if (flags & 1) [, p] = leb(buf, p);
        } else if (kind === 2) {
          const flags = buf[p++];
          [, p] = leb(buf, p);
          if (flags & 1) [, p] = leb(buf, p);
        } else if (kind === 3) p += 2;
        else if (kind === 4) {
          p++;
          [, p] = leb(buf, p);
        }
      }
    } else if (id === 10) {
      let [count, p] = leb(buf, start);
      for (let i = 0; i < count; i++) {
        const [len, q] = leb(buf, p);
        bodies.push(len + (q - p));
        p = q + len;
      }
    } else if (id === 11) {
      data += size;
    } else if (id === 0) {
      const [section, p0] = name(buf, start);
      if (section === "name") {
        let p = p0;
        while (p < end) {
          const sub = buf[p];
          const [len, q] = leb(buf, p + 1);
          if (sub === 1) {
            let [count, r] = leb(buf, q);
            for (let i = 0; i < count; i++) {
              let idx;
              let n;
              [idx, r] = leb(buf, r);
              [n, r] = name(buf, r);
              names.set(idx, n);
            }
          }
          p = q + len;
        }
      }
    }
    at = end;
  }
  return { imported, bodies, names, data };
}

/** A readable path for a Rust symbol (legacy `_ZN...E` or v0 `_R...` mangling); others as they are. */
export function demangle(sym) {
  if (sym.startsWith("_ZN")) {
    const parts = [];
    let at = 3;
    while (at < sym.length && sym[at] !== "E") {
      const m = /^\d+/.exec(sym.slice(at));
      if (!m) break;
      at += m[0].length;
      parts.push(sym.slice(at, at + Number(m[0])));
      at += Number(m[0]);
    }
    const unescape = (p) =>
      p.replace(/\$LT\$/g, "<").replace(/\$GT\$/g, ">").replace(/\$u20\$/g, " ").replace(/\$u7b\$/g, "{").replace(/\$u7d\$/g, "}").replace(/\$RF\$/g, "&").replace(/\.\./g, "::").replace(/^_/, "");
    return parts.map(unescape).join("::");
  }
  if (sym.startsWith("_R")) {
    const s = sym.replace(/Cs[0-9A-Za-z]*_/g, "");
    const parts = [];
    for (let at = 2; at < s.length; ) {
      const m = /^(\d+)_?/.exec(s.slice(at));
      if (!m) {
        at++;
        continue;
      }
      const n = Number(m[1]);
      const ident = s.slice(at + m[0].length, at + m[0].length + n);
      if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(ident) && ident.length === n) {
        parts.push(ident);
        at += m[0].length + n;
      } else at += m[0].length;
    }
    return parts.join("::");
  }
  return sym;
}

/** The group of a function: our crate's module (three segments), another crate's (two). */
export function groupOf(sym) {
  // Crate disambiguators (`core[c5930c85a12de822]`) would split one crate into several groups.
  let path = demangle(sym).replace(/\[[0-9a-f]+\]/g, "");
  if (path.startsWith("<")) {
    const inner = path.slice(1, path.indexOf(">::") > 0 ? path.indexOf(">::") : undefined);
    path = inner.includes(" as ") ? inner.split(" as ").pop() : inner;
  }
  path = path.replace(/<.*$/, "");
  const parts = path.split("::").filter((p) => p && !/^h[0-9a-f]{16}$/.test(p) && !p.startsWith("{"));
  if (parts.length === 0) return sym;
  if (parts.length === 1) return /_[0-9a-f]{16}$/.test(parts[0]) || !parts[0].startsWith("_") ? "exported wrappers and wasm-bindgen shims" : parts[0];
  if (parts[0] === "expensicat_auth") return parts.slice(0, 3).join("::");
  return parts.slice(0, 2).join("::");
}

/** The groups, largest first, with their bytes (uncompressed code), and the data bytes. */
export function whereBytesGo(buf) {
  const { imported, bodies, names, data } = functionSizes(buf);
  const groups = new Map();
  bodies.forEach((size, i) => {
    const g = groupOf(names.get(imported + i) ?? "(unnamed)");
    groups.set(g, (groups.get(g) ?? 0) + size);
  });
  const code = bodies.reduce((a, b) => a + b, 0);
  return { code, data, groups: [...groups.entries()].sort((a, b) => b[1] - a[1]) };
}
