//! The pinned baseline: pin a run (per testbed or for all), show it, unpin it.

use sloe_core::{Run, RunId};
use sloe_store::Store;

use crate::{AppError, Result};

/// Pins run `id` (default: the latest) as the baseline for `testbed`
/// (`None`: every testbed); returns the run pinned.
pub fn pin(store: &dyn Store, id: Option<RunId>, testbed: Option<&str>) -> Result<RunId> {
    let id = match id {
        Some(id) => id,
        None => store
            .latest_run_id()?
            .ok_or_else(|| AppError::NothingToPin {
                store: store.describe(),
            })?,
    };
    if store.run(id)?.is_none() {
        return Err(AppError::NoSuchRunToPin { id: id.0 });
    }
    store.pin_baseline(testbed, id)?;
    Ok(id)
}

/// The run pinned for `testbed`, if any.
pub fn pinned(store: &dyn Store, testbed: Option<&str>) -> Result<Option<Run>> {
    match store.pinned_baseline(testbed)? {
        Some(id) => Ok(store.run(id)?),
        None => Ok(None),
    }
}

/// Unpins the baseline of `testbed`; whether one was pinned.
pub fn unpin(store: &dyn Store, testbed: Option<&str>) -> Result<bool> {
    Ok(store.clear_baseline(testbed)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{around, record, store};

    #[test]
    fn pin_show_unpin() {
        let store = store();
        let e = pin(&store, None, None).expect_err("nothing to pin");
        assert!(matches!(e, AppError::NothingToPin { .. }), "{e}");
        let first = record(&store, "main", "c0", 0, &around(100.0));
        let latest = record(&store, "main", "c1", 1, &around(100.0));
        let e = pin(&store, Some(RunId(9)), None).expect_err("no run 9");
        assert!(matches!(e, AppError::NoSuchRunToPin { id: 9 }), "{e}");

        assert_eq!(pin(&store, None, Some("tb")).expect("pins"), latest);
        assert_eq!(pin(&store, Some(first), None).expect("pins"), first);
        let pinned_id = |testbed| pinned(&store, testbed).expect("reads").map(|r| r.header.id);
        assert_eq!(pinned_id(Some("tb")), Some(latest));
        assert_eq!(pinned_id(None), Some(first));
        assert!(unpin(&store, Some("tb")).expect("unpins"));
        assert!(!unpin(&store, Some("tb")).expect("nothing left"));
    }
}
