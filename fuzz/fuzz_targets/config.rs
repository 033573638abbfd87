#![no_main]
//! Arbitrary text never panics config parsing, in any of its syntaxes, and
//! stays cheap: YAML deeper than the nesting limit is refused before the
//! loader sees it (issue 15, item 8).
use sloe_core::config::{Document, Syntax};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for (file, syntax) in [
        ("sloe.toml", Syntax::Toml),
        ("sloe.yaml", Syntax::Yaml),
        ("sloe.json", Syntax::Json),
    ] {
        if let Ok(doc) = Document::parse(text, file, syntax) {
            let _ = doc.resolve(None);
        }
    }
    let _ = sloe_core::limits::check_yaml(text);
});
