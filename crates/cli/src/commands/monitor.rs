//! `sloe monitor -- CMD`: run a command with its output streaming through
//! and show its process tree's CPU % and memory live, then the burst and
//! sustained CPU and the peak memory. Records nothing.

use std::sync::mpsc;

use sloe_app::{AppError, Result};
use sloe_runner::{Executor, Invocation, Output, Program, Sample, SystemExecutor};

use crate::Outcome;
use crate::args::MonitorArgs;
use crate::output;

pub fn run(args: &MonitorArgs) -> Result<Outcome> {
    let Some(first) = args.command.first() else {
        return Err(AppError::Usage(
            "monitor: no command given; expected `sloe monitor -- CMD ARGS...`".to_owned(),
        ));
    };
    let program = if args.shell {
        Program::Shell(args.command.join(" "))
    } else {
        Program::Argv(args.command.clone())
    };
    let mut inv = Invocation::new(program);
    inv.output = Output::Inherit;
    inv.sample_interval = Some(args.interval);
    sloe_runner::interrupt::install()?;

    let (tx, rx) = mpsc::channel::<Sample>();
    let window = args.window;
    let view = std::thread::spawn(move || output::monitor_live(rx, window));
    let mut exec =
        SystemExecutor::with_live_samples(tx).with_intermediary(sloe_runner::spawn::THIS_PROGRAM);
    let result = exec.execute(&inv);
    drop(exec);
    let _ = view.join();
    let m = result?;

    eprintln!(
        "{}",
        output::monitor_summary(first, &m, args.window, args.interval)
    );
    if !m.exit.success() {
        return Err(AppError::Measurement(format!(
            "monitor `{}`: it ended with {}",
            inv.program.display(),
            m.exit
        )));
    }
    Ok(Outcome::Ok)
}
