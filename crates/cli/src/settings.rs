//! From the global flags to settings: which config file, which environment,
//! which store, and whether to start a project; finding and loading them is
//! `sloe_app::Settings`'s job.

pub use sloe_app::Settings;
use sloe_app::settings::Lookup;

use crate::args::Global;

/// The settings `--config`, `--env`, `--store` and `--init` (or
/// `SLOE_CONFIG`, `SLOE_ENV`, `SLOE_STORE`) name.
pub fn load(global: &Global) -> sloe_app::Result<Settings> {
    let here = sloe_app::settings::current_dir()?;
    let found = Settings::find(&Lookup {
        here: &here,
        config: global.config.as_deref(),
        env: global.env.as_deref(),
        store: global.store.as_deref(),
        init: global.init,
    })?;
    if let Some(started) = &found.started {
        // stderr: stdout may carry JSON that a pipe reads.
        let state_dir = &started.state_dir;
        eprintln!(
            "started a project: wrote {} and {}/",
            started.config.display(),
            state_dir.strip_prefix(".").unwrap_or(state_dir).display()
        );
    }
    Ok(found.settings)
}
