//! `sloe config schema`: the config's JSON Schema, generated from its types.

use sloe_app::Result;

use crate::Outcome;
use crate::args::ConfigAction;

pub fn run(action: ConfigAction) -> Result<Outcome> {
    match action {
        ConfigAction::Schema => println!("{:#}", sloe_core::config::json_schema()),
    }
    Ok(Outcome::Ok)
}
