//! Limits on the text of configs and SLO specs, checked before a parser
//! sees it, so hostile input stays cheap.
//!
//! The YAML loader under `serde_yaml_ng` has no nesting limit and costs
//! time quadratic in nesting depth: 200 KB of `[` took 53 s (the fix
//! upstream, yaml/yaml-serde#3, is not in the crate we use, which offers no
//! option). So YAML text is pre-scanned for its nesting ([`check_yaml`]),
//! a linear pass that counts flow brackets outside quotes and comments and
//! block levels by indentation and compact `- - x` entries, and every
//! config or spec is held to [`MAX_TEXT_BYTES`] ([`check_size`]). No sloe
//! config needs more than a handful of levels; the limit leaves room for
//! hand-written OpenSLO documents.

/// The largest config or SLO spec file read, in bytes.
pub const MAX_TEXT_BYTES: usize = 1024 * 1024;

/// The deepest nesting of YAML collections (flow and block levels together).
pub const MAX_NESTING: usize = 64;

/// Text over a limit: where (1-based line and column, when known) and why,
/// a fragment that reads after the file's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverLimit {
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

/// Refuses text of more than [`MAX_TEXT_BYTES`] (`len` bytes, or more when
/// the reader stopped at the limit).
pub fn check_size(len: usize) -> Result<(), OverLimit> {
    if len <= MAX_TEXT_BYTES {
        return Ok(());
    }
    Err(OverLimit {
        line: None,
        column: None,
        message: format!(
            "the file is over the limit of {} bytes (1 MiB) for a config or SLO spec; \
             expected a smaller file",
            MAX_TEXT_BYTES
        ),
    })
}

/// Refuses YAML text nested deeper than [`MAX_NESTING`], naming the line and
/// column where the limit is passed, and text over [`MAX_TEXT_BYTES`].
///
/// A pre-scan, not a parser: flow collections (`[`, `{`) are counted
/// outside quoted scalars and comments; block levels are the stack of
/// increasing indentations plus compact sequence entries (`- - x`) on a
/// line. It may count a level a real parser would not (a bracket in a
/// plain scalar), never fewer than the document nests, so the loader never
/// sees a document deeper than the limit.
pub fn check_yaml(text: &str) -> Result<(), OverLimit> {
    check_size(text.len())?;
    let too_deep = |line: usize, column: usize| OverLimit {
        line: Some(line),
        column: Some(column),
        message: format!(
            "the document nests deeper than the limit of {MAX_NESTING} levels; \
             expected a shallower document"
        ),
    };
    let mut flow = 0usize;
    let mut indents: Vec<usize> = Vec::new();
    let mut quote: Option<char> = None;
    for (n, line) in text.lines().enumerate() {
        let line_no = n + 1;
        let mut block = indents.len();
        if flow == 0 && quote.is_none() {
            let body = line.trim_start_matches([' ', '\t']);
            if !body.is_empty() && !body.starts_with('#') {
                let indent = line.len() - body.len();
                while indents.last().is_some_and(|&i| i >= indent) {
                    indents.pop();
                }
                indents.push(indent);
                // Compact entries: each `- ` or `? ` opens one more level.
                let mut rest = body;
                let mut extra = 0;
                while let Some(r) = ["- ", "-\t", "? ", "?\t"]
                    .iter()
                    .find_map(|p| rest.strip_prefix(p))
                {
                    extra += 1;
                    rest = r.trim_start_matches([' ', '\t']);
                }
                block = indents.len() + extra;
            }
        }
        if block > MAX_NESTING {
            return Err(too_deep(line_no, 1));
        }
        let mut prev: Option<char> = None;
        let mut chars = line.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match quote {
                Some('"') => match c {
                    '\\' => {
                        chars.next();
                    }
                    '"' => quote = None,
                    _ => {}
                },
                Some(_) => {
                    // `''` inside a single-quoted scalar is an escaped quote.
                    if c == '\'' {
                        if chars.peek().is_some_and(|(_, n)| *n == '\'') {
                            chars.next();
                        } else {
                            quote = None;
                        }
                    }
                }
                None => {
                    let after_gap = prev.is_none_or(|p| {
                        p.is_whitespace() || matches!(p, '[' | '{' | ',' | ':' | '-' | '?')
                    });
                    match c {
                        '#' if prev.is_none_or(char::is_whitespace) => break,
                        '"' | '\'' if after_gap => quote = Some(c),
                        '[' | '{' => {
                            flow += 1;
                            if block + flow > MAX_NESTING {
                                let column = line[..i].chars().count() + 1;
                                return Err(too_deep(line_no, column));
                            }
                        }
                        ']' | '}' => flow = flow.saturating_sub(1),
                        _ => {}
                    }
                }
            }
            prev = Some(c);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_flow_brackets_are_refused_at_the_bracket_past_the_limit() {
        let text = format!("a: {}", "[".repeat(100_000));
        let e = check_yaml(&text).unwrap_err();
        assert_eq!((e.line, e.column), (Some(1), Some(3 + MAX_NESTING)));
        assert!(e.message.contains("limit of 64 levels"), "{}", e.message);
        let nested = format!("x:\n  y: {}1{}\n", "[".repeat(40), "]".repeat(40));
        check_yaml(&nested).expect("40 levels are fine");
    }

    #[test]
    fn deep_block_nesting_and_compact_entries_are_refused() {
        let block: String = (0..100)
            .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
            .collect();
        assert_eq!(check_yaml(&block).unwrap_err().line, Some(MAX_NESTING + 1));
        let compact = format!("{}x\n", "- ".repeat(100));
        assert_eq!(check_yaml(&compact).unwrap_err().line, Some(1));
    }

    #[test]
    fn brackets_in_quotes_and_comments_do_not_count() {
        let many = "[".repeat(200);
        let text =
            format!("a: \"{many}\"\nb: '{many}'' {many}'\nc: 1 # {many}\nd: \"\\\"{many}\"\n");
        check_yaml(&text).expect("quoted and commented brackets are text");
    }

    #[test]
    fn a_real_config_passes_and_size_is_capped() {
        check_yaml("project:\n  name: x\nbudget:\n  - benchmark: \"a*\"\n    max: 2ms\n")
            .expect("config");
        check_yaml(&" ".repeat(MAX_TEXT_BYTES)).expect("at the limit");
        let e = check_yaml(&" ".repeat(MAX_TEXT_BYTES + 1)).unwrap_err();
        assert!(e.message.contains("1 MiB"), "{}", e.message);
    }
}
