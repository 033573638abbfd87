//! sloe-promql: reads SLIs back from Prometheus (or anything that serves
//! its HTTP API: Thanos, Mimir, VictoriaMetrics) with instant queries on
//! `/api/v1/query`.
//!
//! Range queries (`/api/v1/query_range`) give the per-slice counts of
//! timeslice budgeting.
//!
//! Owns the HTTP client and the API's JSON; it is blocking on purpose (the
//! CLI is short-lived). It knows nothing of SLO specs: the caller expands
//! the `{{window}}` placeholder and judges the counts. It must not depend on
//! the store, the CLI or report renderers.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
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

    /// POSTs `form` to `/api/v1/<endpoint>` and returns the answer's `data`.
    fn call(&self, endpoint: &str, query: &str, form: &[(&str, &str)]) -> Result<Value, PromError> {
        let url = format!("{}/api/v1/{endpoint}", self.base);
        let transport = |message: String| PromError::Transport {
            url: url.clone(),
            query: query.to_owned(),
            message,
        };
        let response = self.agent.post(&url).send_form(form);
        let mut body: Value = match response {
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
        Ok(body["data"].take())
    }

    /// The value of an instant `query` at `at`: a scalar, or a vector of at
    /// most one series (no series is 0: nothing was counted). Several
    /// series are an error: aggregate them, e.g. with `sum(...)`.
    pub fn instant(&self, query: &str, at: Timestamp) -> Result<f64, PromError> {
        let url = self.url();
        let shape = |message: String| PromError::Shape {
            url: url.clone(),
            query: query.to_owned(),
            message,
        };
        let time = seconds(at);
        let data = self.call("query", query, &[("query", query), ("time", &time)])?;
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
        sample_value(sample).map(|(_, v)| v).map_err(shape)
    }

    /// The values of `query` evaluated at `start`, `start + step`, ... up
    /// to `end` (a range query, in pieces of at most 10,000 steps, under
    /// Prometheus's 11,000-point limit): `(time, value)` for every step the
    /// query has a value at; a step without one counted nothing. Like
    /// [`Prometheus::instant`], the query must give at most one series.
    pub fn range(
        &self,
        query: &str,
        start: Timestamp,
        end: Timestamp,
        step: SignedDuration,
    ) -> Result<Vec<(Timestamp, f64)>, PromError> {
        self.range_in_pieces(query, start, end, step, 10_000)
    }

    /// [`Prometheus::range`] with at most `steps` steps per request.
    fn range_in_pieces(
        &self,
        query: &str,
        start: Timestamp,
        end: Timestamp,
        step: SignedDuration,
        steps: i32,
    ) -> Result<Vec<(Timestamp, f64)>, PromError> {
        let url = format!("{}/api/v1/query_range", self.base);
        let shape = |message: String| PromError::Shape {
            url: url.clone(),
            query: query.to_owned(),
            message,
        };
        if !step.is_positive() {
            return Err(shape(format!("step {step} is not positive")));
        }
        let mut out = Vec::new();
        let mut from = start;
        while from <= end {
            let last = from
                .checked_add(step * (steps.max(1) - 1))
                .map_or(end, |t| t.min(end));
            let form_step = format!("{:.3}", step.as_secs_f64());
            let (a, b) = (seconds(from), seconds(last));
            let data = self.call(
                "query_range",
                query,
                &[
                    ("query", query),
                    ("start", &a),
                    ("end", &b),
                    ("step", &form_step),
                ],
            )?;
            if data["resultType"].as_str() != Some("matrix") {
                return Err(shape(format!(
                    "it returned a {}; expected a range vector (matrix)",
                    data["resultType"].as_str().unwrap_or("result of no type")
                )));
            }
            let result = data["result"]
                .as_array()
                .ok_or_else(|| shape("the matrix result is not a list".to_owned()))?;
            match result.as_slice() {
                [] => {}
                [one] => {
                    let values = one["values"]
                        .as_array()
                        .ok_or_else(|| shape("a series has no values".to_owned()))?;
                    for v in values {
                        out.push(sample_value(v).map_err(&shape)?);
                    }
                }
                many => {
                    return Err(shape(format!(
                        "it returned {} series; expected one, e.g. wrap the query in sum(...)",
                        many.len()
                    )));
                }
            }
            match last.checked_add(step) {
                Ok(next) if last < end => from = next,
                _ => break,
            }
        }
        Ok(out)
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

/// A time as the API takes it: Unix seconds with milliseconds.
fn seconds(t: Timestamp) -> String {
    format!("{:.3}", t.as_millisecond() as f64 / 1000.0)
}

/// `[time, "value"]` as the API writes a sample: a finite number.
fn sample_value(sample: &Value) -> Result<(Timestamp, f64), String> {
    let at = sample[0]
        .as_f64()
        .and_then(|s| Timestamp::from_millisecond((s * 1000.0).round() as i64).ok())
        .ok_or_else(|| format!("sample {sample} has no time"))?;
    let text = sample[1]
        .as_str()
        .ok_or_else(|| format!("sample {sample} has no value"))?;
    let value: f64 = text
        .parse()
        .map_err(|_| format!("value {text:?} is not a number"))?;
    if !value.is_finite() {
        return Err(format!("value {text} is not a finite number of events"));
    }
    Ok((at, value))
}

#[cfg(any(test, feature = "testing"))]
pub mod testing;
#[cfg(test)]
mod tests;
