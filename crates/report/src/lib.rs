//! sloe-report: renderers (terminal, JSON, Markdown, JUnit XML, CI annotations, HTML dashboard) from a [`Report`](sloe_core::report::Report) to
//! bytes people or machines read.
//!
//! Renderers are pure functions of the report (and a style); they never
//! touch files, terminals or the store. The CLI decides where output goes.
//! The report holds full precision; each renderer rounds it for display
//! through [`display`].
//! Depends on sloe-core only.

pub mod annotations;
pub mod display;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
#[cfg(test)]
mod sample;
pub mod terminal;
mod text;
