//! A JSON object writer for the request bodies we send.
//!
//! The tracker only ever writes flat objects of strings, digit strings, booleans and string
//! arrays, so a few dozen lines replace serde_json (and its float formatting) in the wasm.

use alloc::string::String;

/// Builds one JSON object, field by field, in insertion order.
pub struct Obj(String);

impl Obj {
    pub fn new() -> Self {
        Obj(String::from("{"))
    }

    fn key(&mut self, k: &str) {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        quote(&mut self.0, k);
        self.0.push(':');
    }

    pub fn str(&mut self, k: &str, v: &str) -> &mut Self {
        self.key(k);
        quote(&mut self.0, v);
        self
    }

    /// A string, or `null` when absent.
    pub fn opt_str(&mut self, k: &str, v: Option<&str>) -> &mut Self {
        match v {
            Some(v) => self.str(k, v),
            None => self.raw(k, "null"),
        }
    }

    /// A value that is already JSON: a number's digits, `true`, `null`, or a nested object.
    pub fn raw(&mut self, k: &str, json: &str) -> &mut Self {
        self.key(k);
        self.0.push_str(json);
        self
    }

    pub fn num(&mut self, k: &str, n: u64) -> &mut Self {
        self.key(k);
        crate::text::push_number(&mut self.0, n);
        self
    }

    pub fn bool(&mut self, k: &str, b: bool) -> &mut Self {
        self.raw(k, if b { "true" } else { "false" })
    }

    pub fn strs<S: AsRef<str>>(&mut self, k: &str, items: &[S]) -> &mut Self {
        self.key(k);
        self.0.push('[');
        for (i, s) in items.iter().enumerate() {
            if i > 0 {
                self.0.push(',');
            }
            quote(&mut self.0, s.as_ref());
        }
        self.0.push(']');
        self
    }

    /// The object's text, closed.
    pub fn end(&mut self) -> String {
        self.0.push('}');
        core::mem::take(&mut self.0)
    }
}

impl Default for Obj {
    fn default() -> Self {
        Self::new()
    }
}

/// Appends `s` as a JSON string literal. Byte by byte: every byte JSON escapes is ASCII, and the
/// bytes of other characters are copied as they are (no `char` decoding and re-encoding).
pub fn quote(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    // SAFETY: only whole UTF-8 sequences of `s` and ASCII bytes are appended.
    let out = unsafe { out.as_mut_vec() };
    out.push(b'"');
    for &b in s.as_bytes() {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0..0x20 => out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[(b >> 4) as usize],
                HEX[(b & 15) as usize],
            ]),
            b => out.push(b),
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_fields_in_order() {
        let json = Obj::new()
            .str("a", "x")
            .opt_str("b", None)
            .raw("n", "42")
            .strs("l", &["p", "q"])
            .strs::<&str>("e", &[])
            .end();
        assert_eq!(json, r#"{"a":"x","b":null,"n":42,"l":["p","q"],"e":[]}"#);
    }

    #[test]
    fn escapes_what_json_requires() {
        let mut out = String::new();
        quote(&mut out, "a\"b\\c\nd\u{1}é😀</script>");
        assert_eq!(out, r#""a\"b\\c\nd\u0001é😀</script>""#);
    }

    #[test]
    fn empty_object() {
        assert_eq!(Obj::new().end(), "{}");
    }
}
