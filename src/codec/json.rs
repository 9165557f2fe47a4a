//! A small, strict JSON (RFC 8259) reader and writer, written for this crate instead of
//! serde_json: the library reads a handful of flat objects and writes a few more, and a generic
//! serialisation framework cost over half of the WebAssembly package.
//!
//! The reader is stricter than most: it refuses duplicate member names at every level (a token
//! response with two `access_token`s is ambiguous, RFC 8259 section 4 and RFC 7493 section 2.3),
//! lone surrogates, control characters in strings, nesting deeper than [`MAX_DEPTH`], and
//! anything after the value. Numbers keep their exact text, so nothing is rounded on the way
//! through.

#[allow(unused_imports)]
use crate::prelude::*;

use super::decimal::{parse_digits, write_u64};

/// The deepest nesting of arrays and objects accepted.
pub const MAX_DEPTH: usize = 128;

/// A parsed JSON value. Object members keep their order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as its exact (validated) text.
    Number(String),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object: its members in document order, names unique.
    Object(Vec<(String, Value)>),
}

impl Value {
    /// The member `key` of an object (`None` for other values).
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_object()?.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Moves the string member `key` out of an object (leaving an empty string), so that a
    /// secret can go into its wrapper without a copy left behind in the tree.
    pub fn take_str(&mut self, key: &str) -> Option<String> {
        match self {
            Value::Object(members) => match members.iter_mut().find(|(k, _)| k == key) {
                Some((_, Value::String(s))) => Some(core::mem::take(s)),
                _ => None,
            },
            _ => None,
        }
    }

    /// The member `key` of an object, when it is a string.
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.get(key)?.as_str()
    }

    /// The members of an object.
    pub fn as_object(&self) -> Option<&[(String, Value)]> {
        match self {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }

    /// The text of a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// A number written as a plain non-negative integer (no fraction, no exponent) that fits in
    /// a `u64`.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Number(n) => parse_digits(n.as_bytes()),
            _ => None,
        }
    }

    /// The items of an array.
    pub fn into_array(self) -> Option<Vec<Value>> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    /// The text of a string.
    pub fn into_string(self) -> Option<String> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// Appends the JSON text of this value to `out`.
    pub fn write(&self, out: &mut String) {
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Number(n) => out.push_str(n),
            Value::String(s) => write_str(out, s),
            Value::Array(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    v.write(out);
                }
                out.push(']');
            }
            Value::Object(members) => {
                out.push('{');
                for (i, (k, v)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_str(out, k);
                    out.push(':');
                    v.write(out);
                }
                out.push('}');
            }
        }
    }

    /// The JSON text of this value.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_owned())
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<&[String]> for Value {
    fn from(items: &[String]) -> Self {
        Value::Array(items.iter().map(|s| Value::String(s.clone())).collect())
    }
}

/// Builds an object value from `(name, value)` pairs, in order.
pub fn object<const N: usize>(members: [(&str, Value); N]) -> Value {
    object_of(Vec::from(members))
}

/// [`object`] for any number of members: one copy of the conversion for every `N`.
fn object_of(members: Vec<(&str, Value)>) -> Value {
    let mut out = Vec::with_capacity(members.len());
    for (k, v) in members {
        out.push((k.to_owned(), v));
    }
    Value::Object(out)
}

/// Parses `text` as one JSON value; `None` for anything that is not strict JSON (see the module
/// documentation).
pub fn parse(text: &str) -> Option<Value> {
    let mut p = Parser { s: text, b: text.as_bytes(), i: 0 };
    let v = p.value(0)?;
    p.ws();
    (p.i == p.b.len()).then_some(v)
}

struct Parser<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while matches!(self.b.get(self.i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        let hit = self.b.get(self.i) == Some(&c);
        if hit {
            self.i += 1;
        }
        hit
    }

    fn literal(&mut self, word: &str, v: Value) -> Option<Value> {
        let end = self.i + word.len();
        (self.b.get(self.i..end)? == word.as_bytes()).then(|| {
            self.i = end;
            v
        })
    }

    fn value(&mut self, depth: usize) -> Option<Value> {
        self.ws();
        match *self.b.get(self.i)? {
            b'{' if depth < MAX_DEPTH => {
                self.i += 1;
                let mut members: Vec<(String, Value)> = Vec::new();
                if !self.eat(b'}') {
                    loop {
                        self.ws();
                        let k = self.string()?;
                        if !self.eat(b':') {
                            return None;
                        }
                        let v = self.value(depth + 1)?;
                        members.push((k, v));
                        if self.eat(b'}') {
                            break;
                        }
                        if !self.eat(b',') {
                            return None;
                        }
                    }
                }
                if has_duplicate_name(&members) {
                    return None;
                }
                Some(Value::Object(members))
            }
            b'[' if depth < MAX_DEPTH => {
                self.i += 1;
                let mut items = Vec::new();
                if !self.eat(b']') {
                    loop {
                        items.push(self.value(depth + 1)?);
                        if self.eat(b']') {
                            break;
                        }
                        if !self.eat(b',') {
                            return None;
                        }
                    }
                }
                Some(Value::Array(items))
            }
            b'"' => self.string().map(Value::String),
            b't' => self.literal("true", Value::Bool(true)),
            b'f' => self.literal("false", Value::Bool(false)),
            b'n' => self.literal("null", Value::Null),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while self.b.get(self.i).is_some_and(u8::is_ascii_digit) {
            self.i += 1;
        }
        self.i - start
    }

    fn number(&mut self) -> Option<Value> {
        let start = self.i;
        if self.b.get(self.i) == Some(&b'-') {
            self.i += 1;
        }
        let int_start = self.i;
        let n = self.digits();
        if n == 0 || (n > 1 && self.b.get(int_start) == Some(&b'0')) {
            return None;
        }
        if self.b.get(self.i) == Some(&b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return None;
            }
        }
        if matches!(self.b.get(self.i), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.b.get(self.i), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if self.digits() == 0 {
                return None;
            }
        }
        Some(Value::Number(self.s.get(start..self.i)?.to_owned()))
    }

    fn hex4(&mut self) -> Option<u32> {
        let mut v = 0;
        for _ in 0..4 {
            v = v * 16 + char::from(*self.b.get(self.i)?).to_digit(16)?;
            self.i += 1;
        }
        Some(v)
    }

    /// A string, the cursor on its opening quote.
    fn string(&mut self) -> Option<String> {
        if self.b.get(self.i) != Some(&b'"') {
            return None;
        }
        self.i += 1;
        let mut out = String::new();
        let mut run = self.i;
        loop {
            let c = *self.b.get(self.i)?;
            match c {
                b'"' | b'\\' => {
                    // Both are ASCII, so `run..i` lies on character boundaries.
                    out.push_str(self.s.get(run..self.i)?);
                    self.i += 1;
                    if c == b'"' {
                        return Some(out);
                    }
                    let e = *self.b.get(self.i)?;
                    self.i += 1;
                    match e {
                        b'"' | b'\\' | b'/' => out.push(char::from(e)),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let hi = self.hex4()?;
                            let code = match hi {
                                0xd800..=0xdbff => {
                                    if self.b.get(self.i..self.i + 2)? != b"\\u" {
                                        return None;
                                    }
                                    self.i += 2;
                                    let lo = self.hex4()?;
                                    if !(0xdc00..=0xdfff).contains(&lo) {
                                        return None;
                                    }
                                    0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00)
                                }
                                0xdc00..=0xdfff => return None,
                                _ => hi,
                            };
                            out.push(char::from_u32(code)?);
                        }
                        _ => return None,
                    }
                    run = self.i;
                }
                0..=0x1f => return None,
                _ => self.i += 1,
            }
        }
    }
}

/// Whether two members share a name: pairwise for the small objects this crate reads, sorted
/// (O(n log n) whatever the names) for large ones, so a hostile body cannot make it quadratic.
fn has_duplicate_name(members: &[(String, Value)]) -> bool {
    if members.len() <= 16 {
        return members.iter().enumerate().any(|(i, (k, _))| members[..i].iter().any(|(n, _)| n == k));
    }
    let mut names: Vec<&str> = members.iter().map(|(k, _)| k.as_str()).collect();
    heap_sort(&mut names);
    names.windows(2).any(|w| w[0] == w[1])
}

/// Sorts in place in O(n log n) whatever the input. Hand-written because the standard library's
/// sort, tuned for speed, would be the largest routine in the package for this one use.
fn heap_sort(v: &mut [&str]) {
    fn sift_down(v: &mut [&str], mut root: usize, end: usize) {
        loop {
            let mut child = 2 * root + 1;
            if child >= end {
                return;
            }
            if child + 1 < end && v[child] < v[child + 1] {
                child += 1;
            }
            if v[root] >= v[child] {
                return;
            }
            v.swap(root, child);
            root = child;
        }
    }
    let n = v.len();
    for i in (0..n / 2).rev() {
        sift_down(v, i, n);
    }
    for end in (1..n).rev() {
        v.swap(0, end);
        sift_down(v, 0, end);
    }
}

/// Appends `s` as a JSON string literal: quotes, backslashes and control characters escaped.
/// Unescaped runs are copied as slices (they end at ASCII bytes, so on character boundaries).
// `push_str` of one-byte literals on purpose: `String::push(char)` is not inlined in the
// size-optimised build and encodes UTF-8 each time (measured: a fifth of `createLogin`).
#[allow(clippy::single_char_add_str)]
pub fn write_str(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push_str("\"");
    let bytes = s.as_bytes();
    let (mut run, mut i) = (0, 0);
    // Index loops rather than iterator adapters: the size-optimised build does not inline those.
    while i < bytes.len() {
        let b = bytes[i];
        if b >= 0x20 && b != b'"' && b != b'\\' {
            i += 1;
            continue;
        }
        out.push_str(s.get(run..i).unwrap_or_default());
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            _ => {
                let hex = [b'\\', b'u', b'0', b'0', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]];
                out.push_str(core::str::from_utf8(&hex).unwrap_or_default());
            }
        }
        i += 1;
        run = i;
    }
    out.push_str(s.get(run..).unwrap_or_default());
    out.push_str("\"");
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Writes a JSON object member by member: `Obj::new().str("a", "x").u64("n", 1).finish()`.
#[derive(Debug)]
pub struct Obj(String);

impl Default for Obj {
    fn default() -> Self {
        Obj::new()
    }
}

impl Obj {
    /// An empty object. Room for a typical small object is reserved up front: growing the buffer
    /// member by member showed in profiles.
    pub fn new() -> Self {
        Self::with_capacity(256)
    }

    /// An empty object whose text buffer holds `bytes` before it grows. Objects that carry a
    /// secret are sized up front: a buffer that grows leaves its old copy behind, unzeroed.
    pub fn with_capacity(bytes: usize) -> Self {
        let mut out = String::with_capacity(bytes);
        out.push('{');
        Obj(out)
    }

    #[allow(clippy::single_char_add_str)] // as in `write_str`
    fn key(&mut self, k: &str) -> &mut String {
        if self.0.len() > 1 {
            self.0.push_str(",");
        }
        write_str(&mut self.0, k);
        self.0.push_str(":");
        &mut self.0
    }

    /// A string member.
    pub fn str(mut self, k: &str, v: &str) -> Self {
        write_str(self.key(k), v);
        self
    }

    /// A string member when `v` is `Some`.
    pub fn opt_str(self, k: &str, v: Option<&str>) -> Self {
        match v {
            Some(v) => self.str(k, v),
            None => self,
        }
    }

    /// An integer member.
    pub fn u64(mut self, k: &str, v: u64) -> Self {
        write_u64(self.key(k), v);
        self
    }

    /// An integer member when `v` is `Some`.
    pub fn opt_u64(self, k: &str, v: Option<u64>) -> Self {
        match v {
            Some(v) => self.u64(k, v),
            None => self,
        }
    }

    /// `k: true` when `v`, nothing otherwise.
    pub fn opt_bool_true(self, k: &str, v: bool) -> Self {
        if v {
            self.bool(k, true)
        } else {
            self
        }
    }

    /// A boolean member.
    pub fn bool(mut self, k: &str, v: bool) -> Self {
        self.key(k).push_str(if v { "true" } else { "false" });
        self
    }

    /// An array-of-strings member.
    pub fn strs(mut self, k: &str, v: &[String]) -> Self {
        let out = self.key(k);
        out.push('[');
        for (i, s) in v.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_str(out, s);
        }
        out.push(']');
        self
    }

    /// A member whose value is already JSON text.
    pub fn raw(mut self, k: &str, json: &str) -> Self {
        self.key(k).push_str(json);
        self
    }

    /// The finished object text.
    pub fn finish(mut self) -> String {
        self.0.push('}');
        self.0
    }
}

/// Why a JSON object did not read as the expected structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShapeError {
    /// Not strict JSON, or not an object.
    NotAnObject,
    /// A member this structure does not have (a misspelt option is an error, not a no-op).
    UnknownKey,
    /// The named member has the wrong type.
    WrongType(&'static str),
}

/// The members of an object, taken one by one; [`Fields::finish`] fails if a member had the
/// wrong type or any are left over. `null` counts as absent, as `undefined` members vanish in
/// `JSON.stringify`.
///
/// A member of the wrong type reads as absent and is remembered: `finish` reports the first
/// one. So a reader builds its whole structure with no early return (no drop code for each
/// member already read) and checks once at the end.
#[derive(Debug)]
pub struct Fields {
    members: Vec<(String, Value)>,
    wrong: Option<&'static str>,
}

impl Fields {
    /// Parses `text`, which must be a JSON object.
    ///
    /// # Errors
    /// [`ShapeError::NotAnObject`].
    pub fn parse(text: &str) -> Result<Self, ShapeError> {
        match parse(text) {
            Some(Value::Object(members)) => Ok(Fields { members, wrong: None }),
            _ => Err(ShapeError::NotAnObject),
        }
    }

    /// The members of `value`, when it is an object.
    pub fn of(value: Value) -> Option<Self> {
        match value {
            Value::Object(members) => Some(Fields { members, wrong: None }),
            _ => None,
        }
    }

    /// Removes and returns member `k` (`None` when absent or `null`).
    pub fn take(&mut self, k: &str) -> Option<Value> {
        let i = self.members.iter().position(|(n, _)| n == k)?;
        match self.members.swap_remove(i).1 {
            Value::Null => None,
            v => Some(v),
        }
    }

    /// Records that member `k` has the wrong type ([`Fields::finish`] reports the first).
    pub fn wrong(&mut self, k: &'static str) {
        self.wrong.get_or_insert(k);
    }

    /// Member `k` as `read` makes it, recording it as wrong when `read` refuses it. Only
    /// `read` differs from one type to another: the search is `take`, one copy for all.
    fn typed<T>(&mut self, k: &'static str, read: fn(Value) -> Option<T>) -> Option<T> {
        let v = read(self.take(k)?);
        if v.is_none() {
            self.wrong(k);
        }
        v
    }

    /// A string member (`None` when absent, or of another type: see [`Fields::finish`]).
    pub fn string(&mut self, k: &'static str) -> Option<String> {
        self.typed(k, Value::into_string)
    }

    /// A string member that must be one of `options` (by wire name), mapped to its value; any
    /// other value is of the wrong type.
    pub fn one_of<T: Copy>(&mut self, k: &'static str, options: &[(&str, T)]) -> Option<T> {
        let v = self.take(k)?;
        let found = options.iter().find(|(name, _)| Some(*name) == v.as_str()).map(|(_, t)| *t);
        if found.is_none() {
            self.wrong(k);
        }
        found
    }

    /// A non-negative integer member.
    pub fn u64(&mut self, k: &'static str) -> Option<u64> {
        self.typed(k, |v| v.as_u64())
    }

    /// A boolean member.
    pub fn bool(&mut self, k: &'static str) -> Option<bool> {
        self.typed(k, |v| match v {
            Value::Bool(b) => Some(b),
            _ => None,
        })
    }

    /// An array-of-strings member.
    pub fn strings(&mut self, k: &'static str) -> Option<Vec<String>> {
        // Loops rather than `collect` into an `Option`: its adapter is about 700 B of wasm.
        self.typed(k, |v| {
            let mut out = Vec::new();
            for item in v.into_array()? {
                out.push(item.into_string()?);
            }
            Some(out)
        })
    }

    /// An array of `[string, string]` pairs.
    pub fn pairs(&mut self, k: &'static str) -> Option<Vec<(String, String)>> {
        self.typed(k, |v| {
            let mut out = Vec::new();
            for item in v.into_array()? {
                let mut pair = item.into_array()?;
                if pair.len() != 2 {
                    return None;
                }
                let b = pair.pop()?.into_string()?;
                out.push((pair.pop()?.into_string()?, b));
            }
            Some(out)
        })
    }

    /// Succeeds when every member read had the expected type and every member was taken.
    ///
    /// # Errors
    /// [`ShapeError::WrongType`] naming the first member of the wrong type, else
    /// [`ShapeError::UnknownKey`].
    pub fn finish(self) -> Result<(), ShapeError> {
        match self.wrong {
            Some(k) => Err(ShapeError::WrongType(k)),
            None if !self.members.is_empty() => Err(ShapeError::UnknownKey),
            None => Ok(()),
        }
    }

    /// The members not taken yet, by name and value.
    pub fn into_members(self) -> Vec<(String, Value)> {
        self.members
    }
}

/// A structure read from a JSON object with [`Fields`].
pub trait FromJson: Sized {
    /// Takes this structure's members from `f` (a member of the wrong type reads as absent;
    /// [`FromJson::from_json`] then refuses the whole).
    fn take_from(f: &mut Fields) -> Self;

    /// Parses `text` as this structure, refusing unknown members.
    ///
    /// # Errors
    /// Any [`ShapeError`].
    fn from_json(text: &str) -> Result<Self, ShapeError> {
        let mut f = Fields::parse(text)?;
        let v = Self::take_from(&mut f);
        f.finish()?;
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc8259_examples_parse_and_round_trip() {
        // RFC 8259 section 13, first example (trimmed).
        let text = r#"{"Image":{"Width":800,"Height":600,"Title":"View from 15th Floor","Thumbnail":{"Url":"http://www.example.com/image/481989943","Height":125,"Width":100},"Animated":false,"IDs":[116,943,234,38793]}}"#;
        let v = parse(text).unwrap();
        assert_eq!(v.to_json(), text);
        assert_eq!(v.get("Image").and_then(|i| i.get("Width")).and_then(Value::as_u64), Some(800));
        // Section 13, second example: numbers keep their exact text.
        let text = r#"[{"precision":"zip","Latitude":37.7668,"Longitude":-122.3959,"Address":"","City":"SAN FRANCISCO","State":"CA","Zip":"94107","Country":"US"}]"#;
        assert_eq!(parse(text).unwrap().to_json(), text);
        for scalar in ["\"Hello world!\"", "42", "true", "null", "-0", "1E+2", "0.5e-3"] {
            assert_eq!(parse(scalar).unwrap().to_json(), scalar);
        }
        assert_eq!(parse(" \t\r\n{ \"a\" : [ 1 , 2 ] } \n").unwrap().to_json(), r#"{"a":[1,2]}"#);
    }

    #[test]
    fn string_escapes() {
        let v = parse(r#""\"\\\/\b\f\n\r\t\u0041\u00e9\ud83d\ude00é""#).unwrap();
        assert_eq!(v.as_str(), Some("\"\\/\u{8}\u{c}\n\r\tAé😀é"));
        assert_eq!(v.to_json(), "\"\\\"\\\\/\\u0008\\u000c\\n\\r\\tAé😀é\"");
        let mut out = String::new();
        write_str(&mut out, "\u{0}\u{1f}\u{7f}<\u{2028}");
        assert_eq!(out, "\"\\u0000\\u001f\u{7f}<\u{2028}\"");
    }

    #[test]
    fn hostile_inputs_are_refused() {
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        let ok_deep = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse(&ok_deep).is_some());
        let very_deep = "{\"a\":".repeat(200_000);
        let many = |dup: bool| {
            let names: Vec<String> = (0..40).map(|i| format!("\"k{}\":{i}", if dup && i == 39 { 3 } else { i })).collect();
            format!("{{{}}}", names.join(","))
        };
        let many_with_duplicate = many(true);
        assert!(parse(&many(false)).is_some());
        for bad in [
            "",
            " ",
            "{",
            "}",
            "[",
            "[1,]",
            "[,1]",
            "{\"a\":1,}",
            "{,}",
            "{\"a\"}",
            "{\"a\" 1}",
            "{a:1}",
            "{'a':1}",
            "{\"a\":1}x",
            "{\"a\":1}{}",
            "01",
            "-",
            "1.",
            ".5",
            "1e",
            "1e+",
            "+1",
            "0x10",
            "NaN",
            "Infinity",
            "tru",
            "nul",
            "\"abc",
            "\"\\x\"",
            "\"\\u12\"",
            "\"\\u12G4\"",
            "\"\\ud800\"",
            "\"\\udc00\"",
            "\"\\ud800\\u0041\"",
            "\"a\u{1}b\"",
            "\"tab\there\"",
            "{\"a\":1,\"a\":2}",
            "{\"x\":{\"b\":1,\"c\":2,\"b\":3}}",
            "\u{feff}{}",
            "[1]]",
            &deep,
            &very_deep,
            &many_with_duplicate,
        ] {
            assert_eq!(parse(bad), None, "{bad:.40}");
        }
    }

    #[test]
    fn agrees_with_serde_json_on_validity_and_strings() {
        // Generated inputs: every short string over a JSON-ish alphabet. Duplicate keys and
        // depth are the intended differences, and this alphabet cannot make either.
        let alphabet = ["{", "}", "[", "]", ",", ":", "\"a\"", "1", "-", ".", "e", "0", " ", "\"\\u00e9\"", "true", "\"\\"];
        let mut checked = 0;
        let mut stack = vec![String::new()];
        while let Some(prefix) = stack.pop() {
            let ours = parse(&prefix);
            let theirs = serde_json::from_str::<serde_json::Value>(&prefix);
            // serde_json also refuses numbers beyond f64 range; RFC 8259's grammar allows them.
            let out_of_range = theirs.as_ref().is_err_and(|e| e.to_string().contains("out of range"));
            assert!(ours.is_some() == theirs.is_ok() || out_of_range, "{prefix:?}");
            if let (Some(Value::String(a)), Ok(serde_json::Value::String(b))) = (&ours, &theirs) {
                assert_eq!(a, b);
            }
            checked += 1;
            if prefix.len() < 5 {
                stack.extend(alphabet.iter().map(|t| format!("{prefix}{t}")));
            }
        }
        assert!(checked > 20_000, "{checked}");
    }

    #[test]
    fn integers() {
        for (text, want) in [
            ("0", Some(0)),
            ("18446744073709551615", Some(u64::MAX)),
            ("18446744073709551616", None),
            ("-1", None),
            ("1.0", None),
            ("1e3", None),
        ] {
            assert_eq!(parse(text).unwrap().as_u64(), want, "{text}");
        }
        for n in [0, 9, 10, 1234567890, u64::MAX] {
            let mut s = String::new();
            write_u64(&mut s, n);
            assert_eq!(s, n.to_string());
        }
    }

    #[test]
    fn writer_and_fields() {
        let text = Obj::new()
            .str("a", "x\"y")
            .opt_str("none", None)
            .u64("n", 7)
            .opt_u64("m", Some(8))
            .bool("b", true)
            .strs("l", &["p".into(), "q".into()])
            .raw("r", "{}")
            .finish();
        assert_eq!(text, r#"{"a":"x\"y","n":7,"m":8,"b":true,"l":["p","q"],"r":{}}"#);
        let mut f = Fields::parse(&text).unwrap();
        assert_eq!(f.string("a"), Some("x\"y".into()));
        assert_eq!(f.u64("n"), Some(7));
        assert_eq!(f.bool("b"), Some(true));
        assert_eq!(f.strings("l"), Some(vec!["p".into(), "q".into()]));
        assert_eq!(f.string("missing"), None);
        assert_eq!(f.string("m"), None);
        assert_eq!(f.finish(), Err(ShapeError::WrongType("m")));
        let mut f = Fields::parse(r#"{"p":[["a","b"]],"q":[["a"]],"z":null}"#).unwrap();
        assert_eq!(f.pairs("p"), Some(vec![("a".into(), "b".into())]));
        assert_eq!(f.pairs("q"), None);
        assert_eq!(f.string("z"), None);
        assert_eq!(f.finish(), Err(ShapeError::WrongType("q")));
        // The first member of the wrong type is the one reported; a leftover member otherwise.
        let mut f = Fields::parse(r#"{"a":1,"b":2,"c":"x"}"#).unwrap();
        assert_eq!((f.string("a"), f.bool("b"), f.string("c")), (None, None, Some("x".into())));
        assert_eq!(f.finish(), Err(ShapeError::WrongType("a")));
        let mut f = Fields::parse(r#"{"a":"x","r":{}}"#).unwrap();
        assert_eq!(f.string("a"), Some("x".into()));
        assert_eq!(f.finish(), Err(ShapeError::UnknownKey));
        let mut f = Fields::parse(r#"{"a":"x","e":"form","o":"other"}"#).unwrap();
        assert_eq!(f.string("a"), Some("x".into()));
        assert_eq!(f.one_of("e", &[("json", 1), ("form", 2)]), Some(2));
        assert_eq!(f.one_of("o", &[("json", 1)]), None);
        assert_eq!(f.finish(), Err(ShapeError::WrongType("o")));
        let mut f = Fields::parse(r#"{"a":"x"}"#).unwrap();
        assert_eq!(f.string("a"), Some("x".into()));
        assert_eq!(f.finish(), Ok(()));
        assert_eq!(Fields::parse("[]").unwrap_err(), ShapeError::NotAnObject);
        assert_eq!(object([("k", Value::from("v")), ("t", true.into())]).to_json(), r#"{"k":"v","t":true}"#);
    }

    #[test]
    fn heap_sort_matches_the_standard_sort() {
        let words: Vec<String> = (0..500u32).map(|i| format!("{}", i.wrapping_mul(2_654_435_761) % 97)).collect();
        for n in [0, 1, 2, 3, 17, 100, 500] {
            let mut a: Vec<&str> = words[..n].iter().map(String::as_str).collect();
            let mut b = a.clone();
            heap_sort(&mut a);
            b.sort_unstable();
            assert_eq!(a, b, "{n}");
        }
    }
}
