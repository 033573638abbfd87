//! The README and the docs send readers only to files the repository holds
//! (issue 14: the README pointed at a DESIGN.md that a clone does not have).

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The user-facing documents: README.md, ARCHITECTURE.md and docs/*.md.
fn documents() -> Vec<PathBuf> {
    let root = root();
    let mut docs = vec![root.join("README.md"), root.join("ARCHITECTURE.md")];
    let mut more: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .expect("a docs/ folder")
        .map(|e| e.expect("a docs/ entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    more.sort();
    assert!(!more.is_empty(), "docs/ holds no .md file");
    docs.extend(more);
    docs
}

/// Relative link targets of a Markdown text: `](target)` without a scheme
/// or a bare `#anchor`, the anchor cut off.
fn relative_links(text: &str) -> Vec<String> {
    text.match_indices("](")
        .filter_map(|(i, _)| {
            let rest = &text[i + 2..];
            let end = rest.find(')')?;
            let target = rest[..end].split('#').next().unwrap_or("").trim();
            let external = target.contains("://") || target.starts_with("mailto:");
            (!target.is_empty() && !external).then(|| target.to_owned())
        })
        .collect()
}

#[test]
fn every_relative_link_names_a_file_of_the_repository() {
    let mut checked = 0;
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).expect("read a document");
        let dir = doc.parent().expect("a folder");
        for target in relative_links(&text) {
            let path = dir.join(&target);
            assert!(
                path.exists(),
                "{} links to {target}, which the repository does not hold",
                doc.display()
            );
            let inside = path
                .canonicalize()
                .expect("canonical path")
                .starts_with(root().canonicalize().expect("canonical root"));
            assert!(
                inside,
                "{} links outside the repository: {target}",
                doc.display()
            );
            checked += 1;
        }
    }
    assert!(
        checked >= 3,
        "only {checked} relative links found: is the parser right?"
    );
}

#[test]
fn no_document_sends_readers_to_the_design_notes_outside_the_repository() {
    for doc in documents() {
        let text = std::fs::read_to_string(&doc).expect("read a document");
        for needle in ["DESIGN.md", "../shared", "shared/fixtures"] {
            assert!(
                !text.contains(needle),
                "{} mentions {needle}, which a clone does not have",
                doc.display()
            );
        }
    }
}

#[test]
fn the_link_parser_finds_relative_links_only() {
    let links = relative_links(
        "see [config](docs/config.md#slo), [site](https://x.example/a) and [top](#two), [a](ARCHITECTURE.md)",
    );
    assert_eq!(links, vec!["docs/config.md", "ARCHITECTURE.md"]);
}
