//! From the global flags to settings: which config file and which
//! environment; loading them is `sloe_app::Settings`'s job.

pub use sloe_app::Settings;

use crate::args::Global;

/// The settings `--config` and `--env` (or `SLOE_CONFIG`, `SLOE_ENV`) name.
pub fn load(global: &Global) -> sloe_app::Result<Settings> {
    Settings::load(global.config.as_deref(), global.env.as_deref())
}
