//! The way into a store from async code (the server): each call runs on
//! tokio's blocking pool, so a request waiting on the database holds no
//! runtime worker and other requests go on.

use std::sync::Arc;

use crate::{Store, StoreError};

/// A store shared by the tasks of a tokio runtime; cheap to clone.
#[derive(Clone)]
pub struct AsyncStore {
    store: Arc<dyn Store>,
}

impl std::fmt::Debug for AsyncStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncStore")
            .field("store", &self.store.describe())
            .finish()
    }
}

impl From<Box<dyn Store>> for AsyncStore {
    fn from(store: Box<dyn Store>) -> AsyncStore {
        AsyncStore::new(Arc::from(store))
    }
}

impl AsyncStore {
    pub fn new(store: Arc<dyn Store>) -> AsyncStore {
        AsyncStore { store }
    }

    /// The store itself, for code that is already off the runtime (a
    /// `spawn_blocking` closure, a thread of its own).
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Runs `f` with the store on tokio's blocking pool and waits for it
    /// without holding the worker. `f` may make several calls (a use case
    /// such as [`crate::baseline_history`]); each call is its own
    /// transaction. A panic in `f` resumes in the caller.
    pub async fn call<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        F: FnOnce(&dyn Store) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        let store = Arc::clone(&self.store);
        match tokio::task::spawn_blocking(move || f(&*store)).await {
            Ok(result) => result,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(_) => Err(StoreError::ShutDown {
                store: self.store.describe(),
            }),
        }
    }
}
