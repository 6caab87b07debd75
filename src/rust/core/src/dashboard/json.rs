//! A JSON writer for the dashboard's snapshots: objects, arrays, strings,
//! numbers, booleans and null, with the commas placed by the writer.

/// Writes one JSON document into a string.
#[derive(Debug, Default)]
pub struct Writer {
    out: String,
    /// Whether the next value or key needs a comma before it.
    comma: bool,
}

impl Writer {
    pub fn new() -> Writer {
        Writer::default()
    }

    /// The document written so far.
    pub fn finish(self) -> String {
        self.out
    }

    fn separate(&mut self) {
        if self.comma {
            self.out.push(',');
        }
    }

    pub fn begin_object(&mut self) {
        self.separate();
        self.out.push('{');
        self.comma = false;
    }

    pub fn end_object(&mut self) {
        self.out.push('}');
        self.comma = true;
    }

    pub fn begin_array(&mut self) {
        self.separate();
        self.out.push('[');
        self.comma = false;
    }

    pub fn end_array(&mut self) {
        self.out.push(']');
        self.comma = true;
    }

    /// The key of the next value of an object.
    pub fn key(&mut self, key: &str) {
        self.separate();
        escape_into(&mut self.out, key);
        self.out.push(':');
        self.comma = false;
    }

    pub fn null(&mut self) {
        self.separate();
        self.out.push_str("null");
        self.comma = true;
    }

    pub fn string(&mut self, value: Option<&str>) {
        match value {
            Some(text) => {
                self.separate();
                escape_into(&mut self.out, text);
                self.comma = true;
            }
            None => self.null(),
        }
    }

    /// A number; `None`, NaN and infinities (which JSON lacks) are null.
    pub fn number(&mut self, value: Option<f64>) {
        match value {
            Some(x) if x.is_finite() => {
                self.separate();
                // Debug formatting of f64 never loses digits and writes
                // `1.0` rather than `1`, both valid JSON.
                self.out.push_str(&format!("{x:?}"));
                self.comma = true;
            }
            _ => self.null(),
        }
    }

    pub fn integer(&mut self, value: Option<i64>) {
        match value {
            Some(x) => {
                self.separate();
                self.out.push_str(&x.to_string());
                self.comma = true;
            }
            None => self.null(),
        }
    }

    pub fn boolean(&mut self, value: bool) {
        self.separate();
        self.out.push_str(if value { "true" } else { "false" });
        self.comma = true;
    }
}

/// `text` as a quoted JSON string. Besides what JSON requires, `<`, `>`
/// and `&` are escaped, so the text stays inert wherever a page puts it,
/// and so are U+2028 and U+2029, which old JavaScript parsers take for
/// line ends.
pub fn escape_into(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A strict reader of JSON, for the tests to check what the writer and the
/// server produce.
#[cfg(test)]
pub mod read {
    use std::collections::BTreeMap;

    #[derive(Debug, Clone, PartialEq)]
    pub enum Value {
        Null,
        Bool(bool),
        Number(f64),
        String(String),
        Array(Vec<Value>),
        Object(BTreeMap<String, Value>),
    }

    impl Value {
        pub fn get(&self, key: &str) -> &Value {
            match self {
                Value::Object(map) => map.get(key).unwrap_or_else(|| panic!("no key {key}")),
                other => panic!("not an object: {other:?}"),
            }
        }

        pub fn items(&self) -> &[Value] {
            match self {
                Value::Array(items) => items,
                other => panic!("not an array: {other:?}"),
            }
        }

        pub fn text(&self) -> &str {
            match self {
                Value::String(text) => text,
                other => panic!("not a string: {other:?}"),
            }
        }

        pub fn number(&self) -> f64 {
            match self {
                Value::Number(x) => *x,
                other => panic!("not a number: {other:?}"),
            }
        }
    }

    /// The value of a whole document, or where it went wrong.
    pub fn parse(text: &str) -> Result<Value, String> {
        let mut reader = Reader {
            bytes: text.as_bytes(),
            at: 0,
        };
        let value = reader.value()?;
        reader.space();
        if reader.at != reader.bytes.len() {
            return Err(format!("trailing text at {}", reader.at));
        }
        Ok(value)
    }

    struct Reader<'a> {
        bytes: &'a [u8],
        at: usize,
    }

    impl Reader<'_> {
        fn fail<T>(&self, what: &str) -> Result<T, String> {
            Err(format!("{what} at byte {}", self.at))
        }

        fn space(&mut self) {
            while self.at < self.bytes.len() && b" \t\r\n".contains(&self.bytes[self.at]) {
                self.at += 1;
            }
        }

        fn peek(&self) -> Option<u8> {
            self.bytes.get(self.at).copied()
        }

        fn literal(&mut self, word: &str, value: Value) -> Result<Value, String> {
            if self.bytes[self.at..].starts_with(word.as_bytes()) {
                self.at += word.len();
                Ok(value)
            } else {
                self.fail("bad literal")
            }
        }

        fn value(&mut self) -> Result<Value, String> {
            self.space();
            match self.peek() {
                Some(b'{') => self.object(),
                Some(b'[') => self.array(),
                Some(b'"') => Ok(Value::String(self.string()?)),
                Some(b't') => self.literal("true", Value::Bool(true)),
                Some(b'f') => self.literal("false", Value::Bool(false)),
                Some(b'n') => self.literal("null", Value::Null),
                Some(b'-' | b'0'..=b'9') => self.number(),
                _ => self.fail("expected a value"),
            }
        }

        fn object(&mut self) -> Result<Value, String> {
            self.at += 1;
            let mut map = std::collections::BTreeMap::new();
            self.space();
            if self.peek() == Some(b'}') {
                self.at += 1;
                return Ok(Value::Object(map));
            }
            loop {
                self.space();
                if self.peek() != Some(b'"') {
                    return self.fail("expected a key");
                }
                let key = self.string()?;
                self.space();
                if self.peek() != Some(b':') {
                    return self.fail("expected a colon");
                }
                self.at += 1;
                let value = self.value()?;
                if map.insert(key, value).is_some() {
                    return self.fail("duplicate key");
                }
                self.space();
                match self.peek() {
                    Some(b',') => self.at += 1,
                    Some(b'}') => {
                        self.at += 1;
                        return Ok(Value::Object(map));
                    }
                    _ => return self.fail("expected , or }"),
                }
            }
        }

        fn array(&mut self) -> Result<Value, String> {
            self.at += 1;
            let mut items = Vec::new();
            self.space();
            if self.peek() == Some(b']') {
                self.at += 1;
                return Ok(Value::Array(items));
            }
            loop {
                items.push(self.value()?);
                self.space();
                match self.peek() {
                    Some(b',') => self.at += 1,
                    Some(b']') => {
                        self.at += 1;
                        return Ok(Value::Array(items));
                    }
                    _ => return self.fail("expected , or ]"),
                }
            }
        }

        fn hex4(&mut self) -> Result<u32, String> {
            let digits = self
                .bytes
                .get(self.at..self.at + 4)
                .and_then(|d| std::str::from_utf8(d).ok())
                .and_then(|d| u32::from_str_radix(d, 16).ok());
            match digits {
                Some(code) => {
                    self.at += 4;
                    Ok(code)
                }
                None => self.fail("bad \\u escape"),
            }
        }

        fn string(&mut self) -> Result<String, String> {
            self.at += 1;
            let mut out = String::new();
            loop {
                let start = self.at;
                while self.at < self.bytes.len() && !b"\"\\".contains(&self.bytes[self.at]) {
                    if self.bytes[self.at] < 0x20 {
                        return self.fail("raw control character in a string");
                    }
                    self.at += 1;
                }
                let plain = std::str::from_utf8(&self.bytes[start..self.at])
                    .map_err(|_| format!("bad UTF-8 at byte {start}"))?;
                out.push_str(plain);
                match self.peek() {
                    Some(b'"') => {
                        self.at += 1;
                        return Ok(out);
                    }
                    Some(b'\\') => {
                        self.at += 1;
                        let escaped = self.peek();
                        self.at += 1;
                        match escaped {
                            Some(b'"') => out.push('"'),
                            Some(b'\\') => out.push('\\'),
                            Some(b'/') => out.push('/'),
                            Some(b'b') => out.push('\u{8}'),
                            Some(b'f') => out.push('\u{c}'),
                            Some(b'n') => out.push('\n'),
                            Some(b'r') => out.push('\r'),
                            Some(b't') => out.push('\t'),
                            Some(b'u') => {
                                let code = self.hex4()?;
                                match char::from_u32(code) {
                                    Some(c) => out.push(c),
                                    None => return self.fail("lone surrogate"),
                                }
                            }
                            _ => return self.fail("bad escape"),
                        }
                    }
                    _ => return self.fail("unterminated string"),
                }
            }
        }

        fn number(&mut self) -> Result<Value, String> {
            let start = self.at;
            if self.peek() == Some(b'-') {
                self.at += 1;
            }
            let digits = |r: &mut Self| {
                let from = r.at;
                while r.peek().is_some_and(|b| b.is_ascii_digit()) {
                    r.at += 1;
                }
                r.at > from
            };
            if !digits(self) {
                return self.fail("expected digits");
            }
            if self.peek() == Some(b'.') {
                self.at += 1;
                if !digits(self) {
                    return self.fail("expected digits after the point");
                }
            }
            if matches!(self.peek(), Some(b'e' | b'E')) {
                self.at += 1;
                if matches!(self.peek(), Some(b'+' | b'-')) {
                    self.at += 1;
                }
                if !digits(self) {
                    return self.fail("expected exponent digits");
                }
            }
            let text = std::str::from_utf8(&self.bytes[start..self.at]).unwrap_or("x");
            text.parse()
                .map(Value::Number)
                .or_else(|_| self.fail("bad number"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::read::{parse, Value};
    use super::*;

    #[test]
    fn commas_fall_between_values_and_keys() {
        let mut w = Writer::new();
        w.begin_object();
        w.key("a");
        w.integer(Some(1));
        w.key("b");
        w.begin_array();
        w.boolean(true);
        w.null();
        w.begin_object();
        w.end_object();
        w.end_array();
        w.key("c");
        w.number(Some(0.5));
        w.end_object();
        assert_eq!(w.finish(), r#"{"a":1,"b":[true,null,{}],"c":0.5}"#);
    }

    #[test]
    fn numbers_json_lacks_are_null() {
        let mut w = Writer::new();
        w.begin_array();
        for x in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            w.number(Some(x));
        }
        w.number(None);
        w.number(Some(1e300));
        w.number(Some(-2.0));
        w.end_array();
        let text = w.finish();
        assert_eq!(text, "[null,null,null,null,1e300,-2.0]");
        parse(&text).unwrap();
    }

    #[test]
    fn odd_strings_survive_a_round_trip() {
        let odd = [
            "say \"hi\"",
            "back\\slash",
            "two\nlines\r\n",
            "tab\tbell\u{7}nul\u{0}del\u{7f}",
            "</script><script>alert(1)</script>",
            "a & b > c",
            "naïve ✓ 数据 🚀",
            "line\u{2028}separator\u{2029}",
        ];
        for text in odd {
            let mut out = String::new();
            escape_into(&mut out, text);
            assert!(!out.contains('\n') && !out.contains('\r'), "{out}");
            assert!(!out.contains('<') && !out.contains('>'), "{out}");
            assert_eq!(parse(&out).unwrap(), Value::String(text.to_string()));
        }
    }

    #[test]
    fn the_reader_rejects_what_is_not_json() {
        for bad in [
            "{",
            "[1,]",
            "{\"a\" 1}",
            "\"a\nb\"",
            "nul",
            "01x",
            "{} {}",
            "NaN",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
