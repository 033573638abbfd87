//! sloe-promql: reads SLIs back from Prometheus (or anything that serves
//! its HTTP API: Thanos, Mimir, VictoriaMetrics) with instant queries on
//! `/api/v1/query`.
//!
//! Owns the HTTP client and the API's JSON; it is blocking on purpose (the
//! CLI is short-lived). It knows nothing of SLO specs: the caller expands
//! the `{{window}}` placeholder and judges the counts. It must not depend on
//! the store, the CLI or report renderers.

use std::time::Duration;

use jiff::Timestamp;
use serde_json::Value;

/// Why a query failed. Messages read after "failed to" and name the URL.
#[derive(Debug, thiserror::Error)]
pub enum PromError {
    /// The server answered with an error (bad query, timeout, ...).
    #[error("query Prometheus at {url}: {error_type}: {message} (query: {query})")]
    Server {
        url: String,
        query: String,
        error_type: String,
        message: String,
    },
    /// The server could not be reached or sent no usable answer.
    #[error("query Prometheus at {url}: {message} (query: {query})")]
    Transport {
        url: String,
        query: String,
        message: String,
    },
    /// The answer is not one number.
    #[error("query Prometheus at {url}: {message} (query: {query})")]
    Shape {
        url: String,
        query: String,
        message: String,
    },
}

/// Good and total events as Prometheus counts them (floats: `increase()`
/// extrapolates).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GoodTotal {
    pub good: f64,
    pub total: f64,
}

/// A Prometheus HTTP API endpoint.
#[derive(Debug, Clone)]
pub struct Prometheus {
    base: String,
    agent: ureq::Agent,
}

impl Prometheus {
    /// `base` is the server's URL (`http://prometheus:9090`, or with a path
    /// prefix); `/api/v1/query` is appended.
    pub fn new(base: &str) -> Prometheus {
        Prometheus::with_timeout(base, Duration::from_secs(30))
    }

    pub fn with_timeout(base: &str, timeout: Duration) -> Prometheus {
        Prometheus {
            base: base.trim_end_matches('/').to_owned(),
            agent: ureq::AgentBuilder::new().timeout(timeout).build(),
        }
    }

    fn url(&self) -> String {
        format!("{}/api/v1/query", self.base)
    }

    /// The value of an instant `query` at `at`: a scalar, or a vector of at
    /// most one series (no series is 0: nothing was counted). Several
    /// series are an error: aggregate them, e.g. with `sum(...)`.
    pub fn instant(&self, query: &str, at: Timestamp) -> Result<f64, PromError> {
        let url = self.url();
        let time = format!("{:.3}", at.as_millisecond() as f64 / 1000.0);
        let transport = |message: String| PromError::Transport {
            url: url.clone(),
            query: query.to_owned(),
            message,
        };
        let shape = |message: String| PromError::Shape {
            url: url.clone(),
            query: query.to_owned(),
            message,
        };
        let response = self
            .agent
            .post(&url)
            .send_form(&[("query", query), ("time", &time)]);
        let body: Value = match response {
            Ok(r) => r
                .into_json()
                .map_err(|e| transport(format!("read the answer: {e}")))?,
            Err(ureq::Error::Status(code, r)) => {
                let text = r.into_string().unwrap_or_default();
                match serde_json::from_str::<Value>(&text) {
                    Ok(v) if v.get("status").and_then(Value::as_str) == Some("error") => v,
                    _ => {
                        return Err(transport(format!(
                            "HTTP {code}: {}",
                            text.chars().take(300).collect::<String>()
                        )));
                    }
                }
            }
            Err(e) => return Err(transport(e.to_string())),
        };
        if body.get("status").and_then(Value::as_str) != Some("success") {
            return Err(PromError::Server {
                url,
                query: query.to_owned(),
                error_type: body
                    .get("errorType")
                    .and_then(Value::as_str)
                    .unwrap_or("error")
                    .to_owned(),
                message: body
                    .get("error")
                    .and_then(Value::as_str)
                    .unwrap_or("no message")
                    .to_owned(),
            });
        }
        let data = &body["data"];
        let sample = match data["resultType"].as_str() {
            Some("scalar") => &data["result"],
            Some("vector") => {
                let result = data["result"]
                    .as_array()
                    .ok_or_else(|| shape("the vector result is not a list".to_owned()))?;
                match result.as_slice() {
                    [] => return Ok(0.0),
                    [one] => &one["value"],
                    many => {
                        return Err(shape(format!(
                            "it returned {} series; expected one number, e.g. wrap the query in sum(...)",
                            many.len()
                        )));
                    }
                }
            }
            other => {
                return Err(shape(format!(
                    "it returned a {}; expected a scalar or an instant vector",
                    other.unwrap_or("result of no type")
                )));
            }
        };
        let text = sample[1]
            .as_str()
            .ok_or_else(|| shape(format!("sample {sample} has no value")))?;
        let value: f64 = text
            .parse()
            .map_err(|_| shape(format!("value {text:?} is not a number")))?;
        if !value.is_finite() {
            return Err(shape(format!(
                "value {text} is not a finite number of events"
            )));
        }
        Ok(value)
    }

    /// Good and total events from two instant queries at `at` (with their
    /// window already filled in).
    pub fn good_total(
        &self,
        good: &str,
        total: &str,
        at: Timestamp,
    ) -> Result<GoodTotal, PromError> {
        Ok(GoodTotal {
            good: self.instant(good, at)?,
            total: self.instant(total, at)?,
        })
    }
}

#[cfg(test)]
mod tests;
