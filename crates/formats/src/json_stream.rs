//! A JSON document walked member by member from a stream: the top-level
//! object's members are cut out as raw bytes one at a time, and the
//! elements of one array member (a harness's list of results) one element
//! at a time, each then decoded by serde_json from a slice. Memory holds
//! one element, whatever the file's size, and decoding runs at slice speed
//! (serde_json's reader-based decoding copies every string through a
//! scratch buffer and was a third slower).
//!
//! The walker checks the structure it cuts (braces, brackets, strings,
//! commas and colons at the top two levels); serde_json checks everything
//! inside a cut value.

use std::io::{BufRead, ErrorKind};

use crate::FormatError;
use crate::common::Errors;

/// Where a value starts: 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pos {
    pub line: usize,
    pub column: usize,
}

impl Pos {
    /// The position in the document of a serde_json error inside a value
    /// that starts here.
    pub fn of(self, e: &serde_json::Error) -> Pos {
        if e.line() <= 1 {
            Pos {
                line: self.line,
                column: self.column + e.column().saturating_sub(1),
            }
        } else {
            Pos {
                line: self.line + e.line() - 1,
                column: e.column(),
            }
        }
    }
}

/// What the walker hands out.
pub(crate) trait Handler {
    /// A top-level member other than the array being split.
    fn member(&mut self, key: &str, value: &[u8], at: Pos) -> Result<(), FormatError>;
    /// Element `index` of the array member.
    fn element(&mut self, index: usize, value: &[u8], at: Pos) -> Result<(), FormatError>;
}

struct Bytes<'e, R> {
    input: R,
    line: usize,
    column: usize,
    err: &'e Errors<'e>,
}

impl<R: BufRead> Bytes<'_, R> {
    fn pos(&self) -> Pos {
        Pos {
            line: self.line,
            column: self.column,
        }
    }

    fn fail(&self, message: impl Into<String>) -> FormatError {
        FormatError {
            column: Some(self.column),
            ..self.err.line(self.line, message)
        }
    }

    fn chunk(&mut self) -> Result<&[u8], FormatError> {
        loop {
            match self.input.fill_buf() {
                Ok(_) => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(self.fail(format!("read it: {e}"))),
            }
        }
        self.input
            .fill_buf()
            .map_err(|e| self.err.whole(format!("read it: {e}")))
    }

    /// Consumes `n` bytes of the current chunk, keeping line and column.
    fn consume(&mut self, n: usize) {
        if let Ok(buf) = self.input.fill_buf() {
            let done = &buf[..n.min(buf.len())];
            match memchr::memrchr(b'\n', done) {
                Some(last) => {
                    self.line += memchr::memchr_iter(b'\n', done).count();
                    self.column = done.len() - last;
                }
                None => self.column += done.len(),
            }
        }
        self.input.consume(n);
    }

    fn peek(&mut self) -> Result<Option<u8>, FormatError> {
        Ok(self.chunk()?.first().copied())
    }

    fn skip_ws(&mut self) -> Result<Option<u8>, FormatError> {
        loop {
            let chunk = self.chunk()?;
            if chunk.is_empty() {
                return Ok(None);
            }
            match chunk.iter().position(|b| !b.is_ascii_whitespace()) {
                Some(i) => {
                    let b = chunk[i];
                    self.consume(i);
                    return Ok(Some(b));
                }
                None => {
                    let n = chunk.len();
                    self.consume(n);
                }
            }
        }
    }

    fn expect(&mut self, want: u8, what: &str) -> Result<(), FormatError> {
        match self.skip_ws()? {
            Some(b) if b == want => {
                self.consume(1);
                Ok(())
            }
            Some(b) => Err(self.fail(format!("expected {what}, found `{}`", b as char))),
            None => Err(self.fail(format!("expected {what}, found the end of the file"))),
        }
    }

    /// Cuts one JSON value (after whitespace) into `out`, unchecked inside.
    fn value(&mut self, out: &mut Vec<u8>) -> Result<Pos, FormatError> {
        out.clear();
        let Some(first) = self.skip_ws()? else {
            return Err(self.fail("expected a value, found the end of the file"));
        };
        let at = self.pos();
        if !matches!(first, b'{' | b'[' | b'"') {
            // A number, true, false or null: up to a delimiter.
            loop {
                let chunk = self.chunk()?;
                if chunk.is_empty() {
                    return Ok(at);
                }
                let end = chunk
                    .iter()
                    .position(|&b| matches!(b, b',' | b']' | b'}') || b.is_ascii_whitespace());
                let n = end.unwrap_or(chunk.len());
                out.extend_from_slice(&chunk[..n]);
                self.consume(n);
                if end.is_some() {
                    return Ok(at);
                }
            }
        }
        let mut depth = 0usize;
        let mut in_string = false;
        // A backslash ended the previous chunk: skip the byte it escapes.
        let mut escaped = false;
        loop {
            let chunk = self.chunk()?;
            if chunk.is_empty() {
                return Err(
                    self.fail("read the JSON: the file ends inside a value; is it truncated?")
                );
            }
            let n = chunk.len();
            let mut i = 0;
            let mut end = None;
            while i < n {
                if in_string {
                    if escaped {
                        escaped = false;
                        i += 1;
                        continue;
                    }
                    match memchr::memchr2(b'"', b'\\', &chunk[i..]) {
                        None => i = n,
                        Some(j) => {
                            i += j + 1;
                            if chunk[i - 1] == b'\\' {
                                escaped = true;
                            } else {
                                in_string = false;
                                if depth == 0 {
                                    end = Some(i);
                                    break;
                                }
                            }
                        }
                    }
                    continue;
                }
                while i < n && !STRUCTURAL[usize::from(chunk[i])] {
                    i += 1;
                }
                if i == n {
                    break;
                }
                match chunk[i] {
                    b'"' => in_string = true,
                    b'{' | b'[' => depth += 1,
                    _ => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            end = Some(i + 1);
                            break;
                        }
                    }
                }
                i += 1;
            }
            let n = end.unwrap_or(n);
            out.extend_from_slice(&chunk[..n]);
            self.consume(n);
            if end.is_some() {
                return Ok(at);
            }
        }
    }
}

/// The bytes that change the nesting outside strings.
const STRUCTURAL: [bool; 256] = {
    let mut t = [false; 256];
    t[b'"' as usize] = true;
    t[b'{' as usize] = true;
    t[b'}' as usize] = true;
    t[b'[' as usize] = true;
    t[b']' as usize] = true;
    t
};

/// Walks `input`, a JSON object, splitting the array member `array_key`
/// into elements; returns whether that member was present.
pub(crate) fn walk<R: BufRead>(
    input: R,
    array_key: &str,
    err: &Errors<'_>,
    handler: &mut dyn Handler,
) -> Result<bool, FormatError> {
    let mut bytes = Bytes {
        input,
        line: 1,
        column: 1,
        err,
    };
    // A byte-order mark is not JSON, but some tools write one.
    if bytes.chunk()?.starts_with(b"\xEF\xBB\xBF") {
        bytes.input.consume(3);
    }
    let mut buf = Vec::with_capacity(4096);
    let mut key_buf = Vec::with_capacity(64);
    let mut saw_array = false;
    bytes.expect(b'{', "a JSON object `{`")?;
    if bytes.skip_ws()? == Some(b'}') {
        bytes.consume(1);
    } else {
        loop {
            // "key"
            if bytes.skip_ws()? != Some(b'"') {
                return Err(bytes.fail("expected a member name in double quotes"));
            }
            let key_at = bytes.value(&mut key_buf)?;
            let key: String = serde_json::from_slice(&key_buf).map_err(|e| {
                let p = key_at.of(&e);
                FormatError {
                    column: Some(p.column),
                    ..err.line(p.line, format!("read a member name: {e}"))
                }
            })?;
            bytes.expect(b':', "`:` after a member name")?;
            if key == array_key && bytes.skip_ws()? == Some(b'[') {
                saw_array = true;
                bytes.consume(1);
                let mut index = 0;
                if bytes.skip_ws()? == Some(b']') {
                    bytes.consume(1);
                } else {
                    loop {
                        let at = bytes.value(&mut buf)?;
                        handler.element(index, &buf, at)?;
                        index += 1;
                        match bytes.skip_ws()? {
                            Some(b',') => bytes.consume(1),
                            Some(b']') => {
                                bytes.consume(1);
                                break;
                            }
                            _ => {
                                return Err(bytes.fail(format!(
                                    "expected `,` or `]` after element {} of `{array_key}`",
                                    index - 1
                                )));
                            }
                        }
                    }
                }
            } else {
                let at = bytes.value(&mut buf)?;
                handler.member(&key, &buf, at)?;
            }
            match bytes.skip_ws()? {
                Some(b',') => bytes.consume(1),
                Some(b'}') => {
                    bytes.consume(1);
                    break;
                }
                _ => return Err(bytes.fail("expected `,` or `}` after a member")),
            }
        }
    }
    if bytes.skip_ws()?.is_some() {
        return Err(bytes.fail("expected the end of the file after the JSON object"));
    }
    let _ = bytes.peek()?;
    Ok(saw_array)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Seen {
        members: Vec<(String, String, Pos)>,
        elements: Vec<(usize, String, Pos)>,
    }

    impl Handler for Seen {
        fn member(&mut self, key: &str, value: &[u8], at: Pos) -> Result<(), FormatError> {
            self.members.push((
                key.to_owned(),
                String::from_utf8_lossy(value).into_owned(),
                at,
            ));
            Ok(())
        }
        fn element(&mut self, index: usize, value: &[u8], at: Pos) -> Result<(), FormatError> {
            self.elements
                .push((index, String::from_utf8_lossy(value).into_owned(), at));
            Ok(())
        }
    }

    fn walk_str(doc: &str, chunk: usize) -> Result<(bool, Seen), FormatError> {
        let mut seen = Seen::default();
        let err = Errors { origin: "t.json" };
        // A tiny buffer makes every value straddle chunk boundaries.
        let reader = std::io::BufReader::with_capacity(chunk, doc.as_bytes());
        let found = walk(reader, "rows", &err, &mut seen)?;
        Ok((found, seen))
    }

    #[test]
    fn cuts_members_and_elements_with_positions() {
        let doc = "{\"a\": {\"x\": \"}]\\\"\"},\n \"rows\": [1, {\"k\": [2, 3]},\n  \"s,]\" ],\"b\":-1.5e3 }\n";
        for chunk in [1, 2, 3, 7, 64, 4096] {
            let (found, seen) = walk_str(doc, chunk).expect("walks");
            assert!(found);
            assert_eq!(seen.members[0].0, "a");
            assert_eq!(seen.members[0].1, "{\"x\": \"}]\\\"\"}");
            assert_eq!(seen.members[1].1, "-1.5e3");
            let els: Vec<&str> = seen.elements.iter().map(|e| e.1.as_str()).collect();
            assert_eq!(els, ["1", "{\"k\": [2, 3]}", "\"s,]\""], "chunk {chunk}");
            assert_eq!(seen.elements[2].2, Pos { line: 3, column: 3 });
            assert_eq!(
                seen.elements[1].2,
                Pos {
                    line: 2,
                    column: 14
                }
            );
        }
    }

    #[test]
    fn broken_structure_is_named_with_a_line() {
        for (doc, want) in [
            ("[1]", "expected a JSON object"),
            ("{\"rows\" [1]}", "expected `:`"),
            ("{\"rows\": [1 2]}", "expected `,` or `]`"),
            ("{\"rows\": [1,\n{\"a\": 1", "truncated"),
            ("{\"a\": 1} x", "end of the file"),
            ("{a: 1}", "member name"),
            ("{\"a\": 1\n\"b\": 2}", "expected `,` or `}`"),
        ] {
            let e = walk_str(doc, 3)
                .err()
                .unwrap_or_else(|| panic!("{doc} walked"));
            assert!(e.to_string().contains(want), "{doc}: {e}");
            assert!(e.line.is_some(), "{e}");
        }
    }

    #[test]
    fn an_empty_object_and_array_walk() {
        assert!(!walk_str("{}", 2).expect("walks").0);
        let (found, seen) = walk_str("{\"rows\":[]}", 2).expect("walks");
        assert!(found && seen.elements.is_empty());
    }

    fn json_value() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            (-1e9f64..1e9).prop_map(serde_json::Value::from),
            // Quotes, backslashes, brackets and non-ASCII inside strings.
            "[a-z\"\\\\{}\\[\\],: é\n]{0,12}".prop_map(serde_json::Value::from),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
                proptest::collection::btree_map("[a-z\"]{0,4}", inner, 0..4)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        #[test]
        fn cut_values_decode_to_what_was_written(
            before in json_value(),
            written in proptest::collection::vec(json_value(), 0..6),
            after in json_value(),
            chunk in 1usize..40,
            pretty in proptest::bool::ANY,
        ) {
            let doc = serde_json::json!({"before": before, "rows": written, "after": after});
            let text = if pretty {
                serde_json::to_string_pretty(&doc)
            } else {
                serde_json::to_string(&doc)
            }
            .expect("serializes");
            let (found, seen) = walk_str(&text, chunk).expect("walks");
            proptest::prop_assert!(found);
            let back: Vec<serde_json::Value> = seen
                .elements
                .iter()
                .map(|e| serde_json::from_str(&e.1).expect("an element decodes"))
                .collect();
            // Expected: what serde_json reads from the whole document (its
            // float parsing is not exact, but it is the same both ways).
            let whole: serde_json::Value = serde_json::from_str(&text).expect("parses");
            let (rows, before, after) = (
                whole["rows"].as_array().cloned().unwrap_or_default(),
                whole["before"].clone(),
                whole["after"].clone(),
            );
            proptest::prop_assert_eq!(back, rows);
            // serde_json writes object members in key order.
            let members: Vec<(String, serde_json::Value)> = seen
                .members
                .iter()
                .map(|m| (m.0.clone(), serde_json::from_str(&m.1).expect("a member decodes")))
                .collect();
            proptest::prop_assert_eq!(
                members,
                vec![("after".to_owned(), after), ("before".to_owned(), before)]
            );
        }
    }
}
