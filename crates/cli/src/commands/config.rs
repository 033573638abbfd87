//! `sloe config schema`: the config's JSON Schema, generated from its types.

use sloe_app::Result;

use crate::Outcome;
use crate::args::ConfigAction;

pub fn run(action: ConfigAction) -> Result<Outcome> {
    match action {
        ConfigAction::Schema => {
            // One string, one write: Display would write to the
            // line-buffered stdout in hundreds of pieces.
            let schema = sloe_core::config::json_schema();
            println!(
                "{}",
                crate::output::pretty_json(&schema, "the config schema")?
            );
        }
    }
    Ok(Outcome::Ok)
}
