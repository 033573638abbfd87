//! A run's context from the flags and this process's world (its CI
//! variables, the system clock); the order is `sloe_app::context`'s.

use sloe_app::context::process_env;
use sloe_app::{Settings, SystemClock};
use sloe_core::RunContext;
use sloe_formats::FileContext;

use crate::args::ContextArgs;

/// The context of a run the flags, `file`, CI variables, git and the
/// config describe; now when nothing gives a time.
pub fn resolve(flags: &ContextArgs, file: &FileContext, settings: &Settings) -> RunContext {
    sloe_app::context::resolve(&flags.partial(), file, settings, &process_env, &SystemClock)
}
