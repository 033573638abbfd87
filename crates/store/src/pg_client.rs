//! A blocking PostgreSQL client whose every wait is bounded.
//!
//! The `postgres` crate's blocking client has no query timeout: a
//! connection whose peer stops answering while the network still
//! acknowledges (a frozen proxy, a hung server) blocks its caller forever,
//! and keepalives or `tcp_user_timeout` never notice, as nothing is left
//! unacknowledged. This client is the same thin layer over
//! `tokio-postgres` (a current-thread runtime per connection, the
//! connection task driven while a call blocks on it), with
//! `tokio::time::timeout` around every wait: when no reply comes in time,
//! the connection task is aborted (closing the socket, so the server ends
//! the session and rolls back what was not committed) and the call fails
//! with the driver's "connection closed" error; [`Client::stalled`] then
//! says how long it waited. Its methods mirror the `postgres` crate's.

use std::future::Future;
use std::time::Duration;

use postgres::types::ToSql;
use postgres::{Error, Row, SimpleQueryMessage, Statement, ToStatement};
use tokio::runtime::Runtime;
use tokio::task::JoinHandle;
use tokio_postgres::Socket;
use tokio_postgres::tls::{MakeTlsConnect, TlsConnect};

/// Why a connection could not be opened.
#[derive(Debug)]
pub(crate) enum ConnectError {
    /// The driver's error: refused, authentication, TLS, ...
    Db(Error),
    /// No answer within the connect timeout.
    TimedOut(Duration),
    /// The connection's runtime could not start.
    Runtime(std::io::Error),
}

/// The runtime and connection task of a [`Client`], apart from the driver's
/// client so a call can borrow both.
struct Driver {
    runtime: Runtime,
    connection: JoinHandle<()>,
    /// The longest wait for one reply; `None` waits as long as it takes.
    reply_timeout: Option<Duration>,
    /// Set when a reply did not come within `reply_timeout`.
    stalled: Option<Duration>,
}

impl Driver {
    /// `None` when the reply did not come in time (the connection is then
    /// closed).
    fn wait<T>(
        &mut self,
        call: impl Future<Output = Result<T, Error>>,
    ) -> Option<Result<T, Error>> {
        let Some(limit) = self.reply_timeout else {
            return Some(self.runtime.block_on(call));
        };
        match self
            .runtime
            .block_on(async { tokio::time::timeout(limit, call).await })
        {
            Ok(out) => Some(out),
            Err(_elapsed) => {
                self.stalled = Some(limit);
                // Dropping the task closes the socket; a cancelled task ends
                // at once, so this does not wait on the network.
                self.connection.abort();
                let _ = self.runtime.block_on(&mut self.connection);
                None
            }
        }
    }
}

/// A connection to PostgreSQL; see the module's documentation.
pub(crate) struct Client {
    driver: Driver,
    inner: tokio_postgres::Client,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("reply_timeout", &self.driver.reply_timeout)
            .field("stalled", &self.driver.stalled)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Connects, giving up after `connect_timeout` (the TCP connect, TLS and
    /// authentication together); every later call waits at most
    /// `reply_timeout` for a reply.
    pub(crate) fn connect<T>(
        config: &tokio_postgres::Config,
        tls: T,
        connect_timeout: Option<Duration>,
        reply_timeout: Option<Duration>,
    ) -> Result<Client, ConnectError>
    where
        T: MakeTlsConnect<Socket> + Send + 'static,
        T::Stream: Send + 'static,
        T::TlsConnect: Send,
        <T::TlsConnect as TlsConnect<Socket>>::Future: Send,
    {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(ConnectError::Runtime)?;
        let connecting = config.connect(tls);
        let (inner, connection) = match connect_timeout {
            None => runtime.block_on(connecting).map_err(ConnectError::Db)?,
            Some(limit) => runtime
                .block_on(async { tokio::time::timeout(limit, connecting).await })
                .map_err(|_elapsed| ConnectError::TimedOut(limit))?
                .map_err(ConnectError::Db)?,
        };
        let connection = runtime.spawn(async move {
            // Its error reaches the client as a failed call.
            let _ = connection.await;
        });
        Ok(Client {
            driver: Driver {
                runtime,
                connection,
                reply_timeout,
                stalled: None,
            },
            inner,
        })
    }

    /// How long the call that closed this connection waited for a reply
    /// that never came, if that is why it is closed.
    pub(crate) fn stalled(&self) -> Option<Duration> {
        self.driver.stalled
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// The result of a call, or the closed connection's error when its
    /// reply did not come in time.
    fn settle<T>(&mut self, out: Option<Result<T, Error>>) -> Result<T, Error> {
        match out {
            Some(out) => out,
            // The connection is gone: any request fails at once.
            None => match self.driver.runtime.block_on(self.inner.simple_query("")) {
                Err(e) => Err(e),
                Ok(_) => Err(no_connection_error()),
            },
        }
    }

    pub(crate) fn prepare(&mut self, query: &str) -> Result<Statement, Error> {
        let out = self.driver.wait(self.inner.prepare(query));
        self.settle(out)
    }

    pub(crate) fn execute<T>(
        &mut self,
        query: &T,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, Error>
    where
        T: ?Sized + ToStatement,
    {
        let out = self.driver.wait(self.inner.execute(query, params));
        self.settle(out)
    }

    pub(crate) fn query<T>(
        &mut self,
        query: &T,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, Error>
    where
        T: ?Sized + ToStatement,
    {
        let out = self.driver.wait(self.inner.query(query, params));
        self.settle(out)
    }

    pub(crate) fn query_one<T>(
        &mut self,
        query: &T,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Row, Error>
    where
        T: ?Sized + ToStatement,
    {
        let out = self.driver.wait(self.inner.query_one(query, params));
        self.settle(out)
    }

    pub(crate) fn query_opt<T>(
        &mut self,
        query: &T,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>, Error>
    where
        T: ?Sized + ToStatement,
    {
        let out = self.driver.wait(self.inner.query_opt(query, params));
        self.settle(out)
    }

    pub(crate) fn batch_execute(&mut self, query: &str) -> Result<(), Error> {
        let out = self.driver.wait(self.inner.batch_execute(query));
        self.settle(out)
    }

    pub(crate) fn simple_query(&mut self, query: &str) -> Result<Vec<SimpleQueryMessage>, Error> {
        let out = self.driver.wait(self.inner.simple_query(query));
        self.settle(out)
    }

    /// Begins a transaction, rolled back when dropped uncommitted.
    pub(crate) fn transaction(&mut self) -> Result<Transaction<'_>, Error> {
        self.batch_execute("BEGIN")?;
        Ok(Transaction {
            client: self,
            done: false,
        })
    }
}

/// An open transaction; see [`Client::transaction`].
#[derive(Debug)]
pub(crate) struct Transaction<'a> {
    client: &'a mut Client,
    done: bool,
}

impl Transaction<'_> {
    pub(crate) fn execute<T>(
        &mut self,
        query: &T,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, Error>
    where
        T: ?Sized + ToStatement,
    {
        self.client.execute(query, params)
    }

    pub(crate) fn query<T>(
        &mut self,
        query: &T,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, Error>
    where
        T: ?Sized + ToStatement,
    {
        self.client.query(query, params)
    }

    pub(crate) fn query_one<T>(
        &mut self,
        query: &T,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Row, Error>
    where
        T: ?Sized + ToStatement,
    {
        self.client.query_one(query, params)
    }

    pub(crate) fn batch_execute(&mut self, query: &str) -> Result<(), Error> {
        self.client.batch_execute(query)
    }

    /// Sends COMMIT. An error that is not the server's answer (the
    /// connection failed or stalled after COMMIT was sent) leaves the
    /// outcome unknown: the server may have committed.
    pub(crate) fn commit(mut self) -> Result<(), Error> {
        self.done = true;
        self.client.batch_execute("COMMIT")
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        // A closed connection has nothing to roll back: the server did when
        // the session ended.
        if !self.done && !self.client.is_closed() {
            let _ = self.client.batch_execute("ROLLBACK");
        }
    }
}

/// An error for a connection that is gone, for the case the driver does
/// not give its own (it always does: this keeps a panic out of the path).
fn no_connection_error() -> Error {
    "sslmode=closed"
        .parse::<tokio_postgres::Config>()
        .expect_err("`closed` is no sslmode")
}
