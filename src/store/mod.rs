//! D1 access: binding helpers and the queries, one module per table group.

pub mod audit;
#[cfg(feature = "http")]
pub mod dev;
#[cfg(feature = "http")]
pub mod enrollments;
pub mod families;
pub mod imports;
pub mod invitations;
pub mod operations;
pub mod organizations;
pub mod outbox;
pub mod payments;
pub mod sandbox_gateway;
#[cfg(feature = "http")]
pub mod plans;
pub mod sessions;
pub mod staff;
pub mod throttle;

use crate::error::{ApiError, ApiResult};
use serde::de::DeserializeOwned;
use serde_json::Value;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement, D1Result};

/// A bound value. D1 takes JS numbers (not BigInt), strings and null.
pub enum Arg<'a> {
    Text(&'a str),
    Int(i64),
    Null,
}

impl From<&Arg<'_>> for JsValue {
    fn from(a: &Arg<'_>) -> JsValue {
        match a {
            Arg::Text(s) => JsValue::from_str(s),
            Arg::Int(n) => JsValue::from_f64(*n as f64),
            Arg::Null => JsValue::NULL,
        }
    }
}

pub fn text(s: &str) -> Arg<'_> {
    Arg::Text(s)
}
pub fn int(n: i64) -> Arg<'static> {
    Arg::Int(n)
}
pub fn opt_text(s: Option<&str>) -> Arg<'_> {
    s.map_or(Arg::Null, Arg::Text)
}
pub fn flag(b: bool) -> Arg<'static> {
    Arg::Int(i64::from(b))
}

/// A condition that later statements of a batch put on their inserts (`INSERT ... SELECT ... WHERE`).
pub struct Guard<'a> {
    pub sql: &'static str,
    pub args: Vec<Arg<'a>>,
}

/// The values of an `INSERT ... SELECT` guarded by `guard` (or unguarded), and its SQL tail.
pub fn guarded<'a>(mut values: Vec<Arg<'a>>, guard: Option<Guard<'a>>) -> (String, Vec<Arg<'a>>) {
    let placeholders = vec!["?"; values.len()].join(", ");
    match guard {
        Some(g) => {
            values.extend(g.args);
            (format!("SELECT {placeholders} WHERE {}", g.sql), values)
        }
        None => (format!("VALUES ({placeholders})"), values),
    }
}

pub struct Db(pub D1Database);

impl Db {
    pub fn stmt(&self, sql: &str, args: &[Arg<'_>]) -> ApiResult<D1PreparedStatement> {
        let values: Vec<JsValue> = args.iter().map(JsValue::from).collect();
        Ok(self.0.prepare(sql).bind(&values)?)
    }

    pub async fn first<T: DeserializeOwned>(&self, sql: &str, args: &[Arg<'_>]) -> ApiResult<Option<T>> {
        self.first_row(sql, args).await?.map(read_row).transpose()
    }

    async fn first_row(&self, sql: &str, args: &[Arg<'_>]) -> ApiResult<Option<Value>> {
        Ok(self.stmt(sql, args)?.first::<Value>(None).await?)
    }

    pub async fn all<T: DeserializeOwned>(&self, sql: &str, args: &[Arg<'_>]) -> ApiResult<Vec<T>> {
        rows(&self.stmt(sql, args)?.all().await?)
    }

    pub async fn run(&self, sql: &str, args: &[Arg<'_>]) -> ApiResult<usize> {
        changes(&self.stmt(sql, args)?.run().await?)
    }

    /// One atomic D1 batch: all statements apply or none.
    pub async fn batch(&self, statements: Vec<D1PreparedStatement>) -> ApiResult<Vec<D1Result>> {
        Ok(self.0.batch(statements).await?)
    }
}

/// How many rows a write statement changed.
pub fn changes(result: &D1Result) -> ApiResult<usize> {
    Ok(result.meta()?.and_then(|m| m.changes).unwrap_or(0))
}

/// Whether the batch statement at `index` changed a row: a guarded batch that lost a race
/// changes nothing.
pub fn won(results: &[D1Result], index: usize) -> ApiResult<bool> {
    Ok(results.get(index).map(changes).transpose()?.unwrap_or(0) > 0)
}

pub fn rows<T: DeserializeOwned>(result: &D1Result) -> ApiResult<Vec<T>> {
    result.results::<Value>()?.into_iter().map(read_row).collect()
}

fn read_row<T: DeserializeOwned>(row: Value) -> ApiResult<T> {
    serde_json::from_value(row).map_err(|e| ApiError::internal(format_args!("a D1 row does not fit: {e}")))
}
