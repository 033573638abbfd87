//! A fresh PostgreSQL database for one test, dropped (with `FORCE`, so
//! connections a killed process left behind do not keep it) when the guard
//! goes out of scope.

use crate::Need;

/// The server tests use: `SLOE_TEST_POSTGRES_URL`, default
/// `postgres://postgres@127.0.0.1:5432/postgres`.
pub fn admin_url() -> String {
    std::env::var("SLOE_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A database of its own on the test server.
#[derive(Debug)]
pub struct Database {
    name: String,
    url: String,
    admin: String,
}

impl Database {
    /// Creates a database named after `prefix`, the process and the time;
    /// `None` when `SLOE_SKIP` names `postgres`. Fails the test (saying how
    /// to get one) when the server cannot be reached.
    pub fn fresh(prefix: &str) -> Option<Database> {
        if crate::skip(Need::Postgres) {
            return None;
        }
        let admin = admin_url();
        let mut client = connect(&admin);
        let name = format!(
            "{prefix}_{}_{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() % 1_000_000_000_000)
        )
        .to_lowercase();
        client
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .unwrap_or_else(|e| panic!("failed to create database {name}: {e}"));
        let url = match admin.rsplit_once('/') {
            Some((server, rest)) => match rest.split_once('?') {
                Some((_, query)) => format!("{server}/{name}?{query}"),
                None => format!("{server}/{name}"),
            },
            None => panic!("SLOE_TEST_POSTGRES_URL {admin:?} names no database"),
        };
        Some(Database { name, url, admin })
    }

    /// Its URL, for `[store] url` or `--store`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A plain client on it, for the test's own checks.
    pub fn client(&self) -> postgres::Client {
        connect(&self.url)
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Ok(mut client) = postgres::Client::connect(&self.admin, postgres::NoTls) {
            let _ = client.batch_execute(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            ));
        }
    }
}

fn connect(url: &str) -> postgres::Client {
    postgres::Client::connect(url, postgres::NoTls).unwrap_or_else(|e| {
        crate::missing(
            Need::Postgres,
            &format!("failed to connect to PostgreSQL at {url}: {e}"),
        )
    })
}
