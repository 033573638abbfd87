//! Small helpers over quick-xml shared by the XML readers.

use quick_xml::Reader;
use quick_xml::events::attributes::Attribute;
use quick_xml::events::{BytesStart, Event};

use crate::FormatError;
use crate::common::{Errors, line_of};

/// The unescaped value of attribute `name`, if present.
pub(crate) fn attr(
    e: &BytesStart<'_>,
    name: &[u8],
    input: &[u8],
    pos: usize,
    err: &Errors<'_>,
) -> Result<Option<String>, FormatError> {
    for a in e.attributes() {
        let a: Attribute<'_> =
            a.map_err(|x| err.line(line_of(input, pos), format!("read an attribute: {x}")))?;
        if a.key.as_ref() == name {
            let v = a
                .unescape_value()
                .map_err(|x| err.line(line_of(input, pos), format!("read attribute value: {x}")))?;
            return Ok(Some(v.into_owned()));
        }
    }
    Ok(None)
}

/// The next event, with a read error turned into one that names the line.
pub(crate) fn next_event<'i>(
    reader: &mut Reader<&'i [u8]>,
    input: &[u8],
    err: &Errors<'_>,
) -> Result<Event<'i>, FormatError> {
    reader.read_event().map_err(|e| {
        err.line(
            line_of(input, reader.error_position() as usize),
            format!("read the XML: {e}"),
        )
    })
}
