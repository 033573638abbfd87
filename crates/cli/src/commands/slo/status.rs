//! `sloe slo status`: SLO status from events, in the terminal or as JSON.

use anyhow::{Result, bail};

use crate::Outcome;
use crate::args::{Global, SloStatusArgs};

pub fn run(global: &Global, args: &SloStatusArgs) -> Result<Outcome> {
    let _ = (global, args);
    bail!("compute SLO status: not implemented yet")
}
