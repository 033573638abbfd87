use anyhow::Result;

use crate::Outcome;
use crate::args::ConfigAction;

pub fn run(action: ConfigAction) -> Result<Outcome> {
    match action {
        ConfigAction::Schema => {
            println!(
                "{}",
                serde_json::to_string_pretty(&sloe_core::config::json_schema())?
            );
        }
    }
    Ok(Outcome::Ok)
}
