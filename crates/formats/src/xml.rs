//! A streaming XML reader over quick-xml shared by the XML readers: it
//! reads from any [`BufRead`] with one reused buffer and knows the line
//! each event starts on, so errors name a line without keeping the input.

use std::borrow::Cow;
use std::io::{self, BufRead, Read};

use quick_xml::Reader;
use quick_xml::events::attributes::Attribute;
use quick_xml::events::{BytesStart, Event};

use crate::FormatError;
use crate::common::Errors;

/// A [`BufRead`] that counts the newlines it has handed out.
struct LineCounter<R> {
    inner: R,
    newlines: usize,
}

impl<R: BufRead> Read for LineCounter<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(out)?;
        self.newlines += count_newlines(&out[..n]);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for LineCounter<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        if let Ok(buf) = self.inner.fill_buf() {
            self.newlines += count_newlines(&buf[..amt.min(buf.len())]);
        }
        self.inner.consume(amt);
    }
}

fn count_newlines(bytes: &[u8]) -> usize {
    // Most of what quick-xml consumes at a time is a tag or the
    // indentation before one: too short to repay memchr's setup.
    if bytes.len() < 64 {
        bytes.iter().filter(|b| **b == b'\n').count()
    } else {
        memchr::memchr_iter(b'\n', bytes).count()
    }
}

/// XML events from a stream, each with the line it starts on.
pub(crate) struct XmlStream<R> {
    reader: Reader<LineCounter<R>>,
    buf: Vec<u8>,
}

impl<R: BufRead> XmlStream<R> {
    pub fn new(input: R) -> Self {
        // Whitespace between elements stays a text event of its own:
        // quick-xml's `trim_text_start` would skip it in the same read as
        // the markup after it, but costs more in `consume` calls than the
        // events it saves, and the line before a read would no longer be
        // the markup's.
        XmlStream {
            reader: Reader::from_reader(LineCounter {
                inner: input,
                newlines: 0,
            }),
            buf: Vec::with_capacity(1024),
        }
    }

    /// The line the reader has reached (1-based).
    pub fn line(&self) -> usize {
        self.reader.get_ref().newlines + 1
    }

    /// The next event and the line it starts on; a read error names the
    /// line where reading stopped.
    pub fn next(&mut self, err: &Errors<'_>) -> Result<(Event<'_>, usize), FormatError> {
        self.buf.clear();
        let line = self.reader.get_ref().newlines + 1;
        match self.reader.read_event_into(&mut self.buf) {
            Ok(e) => Ok((e, line)),
            Err(e) => {
                let at = self.reader.get_ref().newlines + 1;
                Err(err.line(at, format!("read the XML: {e}")))
            }
        }
    }
}

/// The unescaped value of attribute `name`, if present; errors name `line`.
pub(crate) fn attr(
    e: &BytesStart<'_>,
    name: &[u8],
    line: usize,
    err: &Errors<'_>,
) -> Result<Option<String>, FormatError> {
    for a in e.attributes() {
        let a: Attribute<'_> = a.map_err(|x| err.line(line, format!("read an attribute: {x}")))?;
        if a.key.as_ref() == name {
            let v = a
                .unescape_value()
                .map_err(|x| err.line(line, format!("read attribute value: {x}")))?;
            return Ok(Some(v.into_owned()));
        }
    }
    Ok(None)
}

/// The unescaped values of attributes `names`, in one pass over the
/// element's attributes; errors name `line`.
pub(crate) fn attrs<'a, const N: usize>(
    e: &'a BytesStart<'_>,
    names: [&[u8]; N],
    line: usize,
    err: &Errors<'_>,
) -> Result<[Option<Cow<'a, str>>; N], FormatError> {
    if let Some(values) = scan_attrs(e.attributes_raw(), &names) {
        return Ok(values);
    }
    // Something is off (or unusual): quick-xml's own iterator finds it
    // and says what it is.
    let mut out: [Option<Cow<'a, str>>; N] = std::array::from_fn(|_| None);
    for a in e.attributes() {
        let a: Attribute<'a> = a.map_err(|x| err.line(line, format!("read an attribute: {x}")))?;
        if let Some(i) = names.iter().position(|n| *n == a.key.as_ref()) {
            let v = a
                .unescape_value()
                .map_err(|x| err.line(line, format!("read attribute value: {x}")))?;
            out[i] = Some(v);
        }
    }
    Ok(out)
}

/// The most attributes [`scan_attrs`] checks for duplicates; elements
/// with more take quick-xml's path.
const MAX_ATTRS: usize = 16;

/// The values of attributes `names`, or `None` where quick-xml's checked
/// iterator would fail (a missing key, a key without `=`, an unquoted or
/// unclosed value,
/// a repeated key, a value that is not UTF-8 or has a bad reference) or
/// there are more than [`MAX_ATTRS`] attributes.
///
/// It accepts exactly what that iterator accepts and gives the same
/// values, without its per-element allocation and byte-at-a-time search
/// for the closing quote; the values hold no `&` almost always, and then
/// they borrow from the element.
fn scan_attrs<'a, const N: usize>(
    raw: &'a [u8],
    names: &[&[u8]; N],
) -> Option<[Option<Cow<'a, str>>; N]> {
    // One check of the whole tag costs less than one per value; a tag
    // that is not UTF-8 (in a value no one asked for, say) takes
    // quick-xml's path, which decodes only the values asked for.
    let text = std::str::from_utf8(raw).ok()?;
    let is_space = |b: u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    let skip_space = |mut i: usize| {
        while i < raw.len() && is_space(raw[i]) {
            i += 1;
        }
        i
    };
    let mut out: [Option<Cow<'a, str>>; N] = std::array::from_fn(|_| None);
    let mut keys: [&[u8]; MAX_ATTRS] = [&[]; MAX_ATTRS];
    let mut count = 0;
    let mut i = skip_space(0);
    while i < raw.len() {
        let start = i;
        while i < raw.len() && raw[i] != b'=' && !is_space(raw[i]) {
            i += 1;
        }
        let key = &raw[start..i];
        i = skip_space(i);
        if key.is_empty()
            || raw.get(i) != Some(&b'=')
            || count == MAX_ATTRS
            || keys[..count].contains(&key)
        {
            return None;
        }
        keys[count] = key;
        count += 1;
        i = skip_space(i + 1);
        let quote = *raw.get(i).filter(|q| matches!(q, b'"' | b'\''))?;
        // The closing quote, noting on the way whether a reference
        // needs unescaping.
        let from = i + 1;
        let mut end = from + memchr::memchr2(quote, b'&', &raw[from..])?;
        let escaped = raw[end] == b'&';
        if escaped {
            end += memchr::memchr(quote, &raw[end..])?;
        }
        if let Some(slot) = names.iter().position(|n| *n == key) {
            // Quotes are ASCII, so these are character boundaries.
            let value = text.get(from..end)?;
            out[slot] = Some(if escaped {
                quick_xml::escape::unescape(value).ok()?
            } else {
                Cow::Borrowed(value)
            });
        }
        i = skip_space(end + 1);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What quick-xml's checked iterator makes of `raw`: the values of
    /// `names`, or `None` where it fails.
    fn checked<const N: usize>(raw: &[u8], names: [&[u8]; N]) -> Option<[Option<String>; N]> {
        let mut doc = b"e ".to_vec();
        doc.extend_from_slice(raw);
        let e = BytesStart::from_content(String::from_utf8_lossy(&doc).into_owned(), 1);
        let mut out: [Option<String>; N] = std::array::from_fn(|_| None);
        for a in e.attributes() {
            let a = a.ok()?;
            if let Some(i) = names.iter().position(|n| *n == a.key.as_ref()) {
                out[i] = Some(a.unescape_value().ok()?.into_owned());
            }
        }
        Some(out)
    }

    proptest! {
        #[test]
        fn scan_attrs_agrees_with_quick_xml(raw in r#"[ \n\t=ab"'&;lt<]{0,24}"#) {
            let names: [&[u8]; 2] = [b"a", b"b"];
            let doc = format!("e {raw}");
            let e = BytesStart::from_content(doc.as_str(), 1);
            let fast = scan_attrs(e.attributes_raw(), &names)
                .map(|vs| vs.map(|v| v.map(Cow::into_owned)));
            match checked(raw.as_bytes(), names) {
                // Where quick-xml reads it, the scan agrees or steps aside
                // for quick-xml's path (odd input like an empty key).
                Some(slow) => prop_assert!(fast.is_none_or(|f| f == slow)),
                None => prop_assert_eq!(fast, None),
            }
        }
    }

    /// Attribute lists as tools write them, with the odd repeated key,
    /// spacing around `=`, either quote, and references.
    fn attr_list() -> impl Strategy<Value = String> {
        let one = (
            "[ \n\t]{0,2}",
            prop::sample::select(vec!["a", "b", "c", "ab", "a:b"]),
            prop::sample::select(vec!["=", " =", "= ", "\n=\t"]),
            prop::bool::ANY,
            "([a-z0-9 .<]|&lt;|&amp;|&#65;|&bad;|&){0,6}",
        )
            .prop_map(|(ws, key, eq, double, value)| {
                let q = if double { '"' } else { '\'' };
                format!("{ws}{key}{eq}{q}{value}{q}")
            });
        prop::collection::vec(one, 0..5).prop_map(|v| v.concat())
    }

    proptest! {
        #[test]
        fn scan_attrs_agrees_on_attribute_lists(raw in attr_list()) {
            let names: [&[u8]; 2] = [b"a", b"b"];
            let doc = format!("e {raw}");
            let e = BytesStart::from_content(doc.as_str(), 1);
            let fast = scan_attrs(e.attributes_raw(), &names)
                .map(|vs| vs.map(|v| v.map(Cow::into_owned)));
            let slow = checked(raw.as_bytes(), names);
            prop_assert!(fast.is_none_or(|f| Some(f) == slow), "{raw:?}");
        }
    }

    #[test]
    fn attrs_name_the_line_of_a_bad_attribute() {
        let err = Errors { origin: "x.xml" };
        let e = BytesStart::from_content("e a=\"1\" a=\"2\"", 1);
        let got = attrs(&e, [b"a"], 7, &err).unwrap_err();
        assert_eq!(got.line, Some(7));
        assert!(got.to_string().contains("attribute"), "{got}");
        let e = BytesStart::from_content("e a=\"x &bogus; y\" b='2'", 1);
        assert!(attrs(&e, [b"a", b"b"], 3, &err).is_err());
        let e = BytesStart::from_content("e a=\"&lt;1&gt;\" b='2'", 1);
        let [a, b] = attrs(&e, [b"a", b"b"], 3, &err).expect("valid");
        assert_eq!((a.as_deref(), b.as_deref()), (Some("<1>"), Some("2")));
    }
}
