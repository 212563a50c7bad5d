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

/// Appends `s` as a JSON string literal.
pub fn quote(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                out.push_str("\\u00");
                out.push(HEX[(c as usize) >> 4] as char);
                out.push(HEX[(c as usize) & 15] as char);
            }
            c => out.push(c),
        }
    }
    out.push('"');
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
