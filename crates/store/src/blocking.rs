//! Where a blocking database call runs when its caller may be on a tokio
//! runtime: the one place that knows the sync `postgres` driver drives its
//! own runtime, and that starting (or dropping) one on a runtime thread panics.

use tokio::runtime::{Handle, RuntimeFlavor};

/// Runs `f`, which blocks on I/O, so that it neither panics nor stalls the
/// runtime its caller may be on.
///
/// - Outside any runtime (the CLI), `f` runs right here, at no cost.
/// - On a multi-threaded runtime, `block_in_place` first hands this worker's
///   other tasks to another thread and leaves the runtime context, so the
///   driver may start its own.
/// - On a current-thread runtime nothing can take over the thread, so `f`
///   runs on a scoped thread of its own: the runtime waits, but nothing panics.
pub(crate) fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    match Handle::try_current() {
        Err(_) => f(),
        Ok(handle) if handle.runtime_flavor() == RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        Ok(_) => std::thread::scope(|scope| {
            scope
                .spawn(f)
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the sync `postgres` driver does on every call: block on a
    /// runtime of its own.
    fn like_the_driver() -> u32 {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime");
        let answer = rt.block_on(async { 42 });
        drop(rt);
        answer
    }

    #[test]
    fn the_driver_pattern_panics_on_a_runtime_unless_moved_off_it() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .expect("a runtime");
        // The hazard this module exists for, so the test below cannot pass
        // vacuously.
        let bare = rt.block_on(async { tokio::spawn(async { like_the_driver() }).await });
        assert!(bare.expect_err("a nested runtime panics").is_panic());
        let moved =
            rt.block_on(async { tokio::spawn(async { off_runtime(like_the_driver) }).await });
        assert_eq!(moved.expect("no panic"), 42);
    }

    #[test]
    fn a_current_thread_runtime_is_left_alone_too() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime");
        assert_eq!(rt.block_on(async { off_runtime(like_the_driver) }), 42);
        // Inside spawn_blocking the thread is not a runtime thread; still fine.
        let from_blocking = rt
            .block_on(async { tokio::task::spawn_blocking(|| off_runtime(like_the_driver)).await });
        assert_eq!(from_blocking.expect("no panic"), 42);
    }

    #[test]
    fn outside_a_runtime_it_just_runs() {
        assert_eq!(off_runtime(like_the_driver), 42);
    }
}
