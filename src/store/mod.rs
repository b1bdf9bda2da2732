//! D1 access: binding helpers and the queries, one module per table group.

pub mod access_end;
pub mod audit;
#[cfg(feature = "http")]
pub mod contact_points;
#[cfg(feature = "http")]
pub mod credit;
pub mod directory;
#[cfg(feature = "http")]
pub mod dev;
#[cfg(feature = "http")]
pub mod enrollments;
pub mod families;
pub mod guards;
pub mod imports;
pub mod invitations;
pub mod links;
pub mod moves;
pub mod maintenance;
pub mod operations;
pub mod organizations;
pub mod outbox;
pub mod payments;
pub mod sandbox_gateway;
#[cfg(feature = "http")]
pub mod plans;
pub mod replication;
pub mod resets;
pub mod revocation;
pub mod sessions;
// Signed-in devices and refresh tokens (issue 27, part B).
pub mod sign_ins;
pub mod staff;
pub mod throttle;
pub mod window;
// Attendance, future absences, evaluations (stu-a)
#[cfg(feature = "http")]
pub mod evaluations;
#[cfg(feature = "http")]
pub mod attendance;
#[cfg(feature = "http")]
pub mod absences;
// Your Student(s) part B.
#[cfg(feature = "http")]
pub mod one_day;
#[cfg(feature = "http")]
pub mod passes;
// Makeup tokens (issue 25, tok).
#[cfg(feature = "http")]
pub mod makeup_tokens;
// Changing the login e-mail (issue 26).
#[cfg(feature = "http")]
pub mod email_changes;
// QR codes (issue 25).
#[cfg(feature = "http")]
pub mod qr_codes;
// Statements for a location (issue 26, stmt).
#[cfg(feature = "http")]
pub mod statements;

use crate::error::{ApiError, ApiResult};
use serde::de::DeserializeOwned;
use js_sys::{Reflect, JSON};
use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use replication::{Bookmark, Handle, Sessions, Statements};
use std::cell::OnceCell;
use std::rc::Rc;
use worker::{D1Database, D1PreparedStatement, D1Result, Env};

/// The tenant databases' bindings are `DB_1` ... `DB_N` (wrangler.toml): each holds whole
/// organizations, and every command writes to its organization's one.
pub const TENANT_PREFIX: &str = "DB_";
/// The directory's database: which tenant database holds which organization.
pub const DIRECTORY_BINDING: &str = "DIRECTORY";

/// A D1 binding's name, with the JavaScript string to look it up made once per isolate: a string
/// from Rust goes through the runtime's `TextDecoder`, a few microseconds a call (bench/profile.mjs).
#[derive(Clone)]
pub struct Binding {
    name: Rc<str>,
    key: JsValue,
}

impl Binding {
    pub fn new(name: &str) -> Self {
        Binding { name: name.into(), key: JsValue::from_str(name) }
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

/// SQLite's 0/1 flag read as a `bool` at the store's boundary:
/// `#[serde(deserialize_with = "bool_from_int")]` on a row's field.
pub(crate) fn bool_from_int<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(<i64 as serde::Deserialize>::deserialize(d)? != 0)
}

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

/// `UPDATE ... WHERE <condition> AND <guard>`, with the guard's values after the statement's own.
pub fn guarded_update<'a>(db: &Db, sql: &str, mut args: Vec<Arg<'a>>, guard: Guard<'a>) -> ApiResult<D1PreparedStatement> {
    args.extend(guard.args);
    db.stmt(&format!("{sql} AND {}", guard.sql), &args)
}

/// A D1 database, looked up in the environment at its first use: a request that reads nothing
/// (health, the gate) never asks for it.
pub struct Db {
    env: Env,
    binding: Binding,
    database: OnceCell<D1Database>,
    /// A request's D1 sessions (read replication, see `replication`); without them (jobs, the
    /// cron, the platform's routes) every query goes to the primary, as the binding sends it.
    sessions: Option<Sessions>,
}

thread_local! {
    static RESULTS_KEY: JsValue = JsValue::from_str("results");
}

impl Db {
    pub fn new(env: Env, binding: &Binding) -> Self {
        Db { env, binding: binding.clone(), database: OnceCell::new(), sessions: None }
    }

    /// The same database for a request: in D1 sessions, a replica's continued from `bookmark`.
    pub fn in_sessions(env: Env, binding: &Binding, bookmark: Option<Bookmark>) -> Self {
        Db { sessions: Some(Sessions::new(bookmark)), ..Db::new(env, binding) }
    }

    /// The session check passed for a request that changes nothing: its reads from now on may be
    /// served by a replica (a moment stale). No effect outside a request.
    pub fn allow_stale_reads(&self) {
        if let Some(s) = &self.sessions {
            s.allow_stale_reads();
        }
    }

    /// The bookmark a client sends back so that its next request sees at least what this one did.
    pub fn bookmark(&self) -> Option<Bookmark> {
        self.sessions.as_ref()?.bookmark()
    }

    /// The bookmark the client sent with the request (if it was well formed).
    pub fn client_bookmark(&self) -> Option<&Bookmark> {
        self.sessions.as_ref()?.client_bookmark()
    }

    /// The statements each session ran (development: shows which reads went where).
    pub fn statements(&self) -> Statements {
        self.sessions.as_ref().map(Sessions::statements).unwrap_or_default()
    }

    pub fn binding(&self) -> &Binding {
        &self.binding
    }

    /// Without `Env::d1`'s checks that the binding is there and a D1 database (more calls into
    /// JavaScript): `app::config` made them once for the isolate, before any request gets here.
    fn database(&self) -> ApiResult<&D1Database> {
        if let Some(database) = self.database.get() {
            return Ok(database);
        }
        let binding = Reflect::get(&self.env, &self.binding.key).map_err(js_error)?;
        Ok(self.database.get_or_init(|| binding.unchecked_into()))
    }

    /// Where the next statement goes: the binding, or the request's session of the moment.
    fn handle(&self) -> ApiResult<Handle<'_>> {
        let database = self.database()?;
        Ok(match &self.sessions {
            Some(sessions) => Handle::Session(sessions.current(database)?),
            None => Handle::Binding(database),
        })
    }

    pub fn stmt(&self, sql: &str, args: &[Arg<'_>]) -> ApiResult<D1PreparedStatement> {
        let values: Vec<JsValue> = args.iter().map(JsValue::from).collect();
        let statement = self.handle()?.prepare(sql).bind(&values)?;
        if let Some(s) = &self.sessions {
            s.count_statement();
        }
        Ok(statement)
    }

    /// The first row, or `None`. D1's answer is read as one JSON string (`JSON.stringify` in the
    /// runtime) and parsed once by serde into `T`: one crossing of the JS boundary, instead of one
    /// per key and value (`serde_wasm_bindgen`) and a `serde_json::Value` in between.
    pub async fn first<T: DeserializeOwned>(&self, sql: &str, args: &[Arg<'_>]) -> ApiResult<Option<T>> {
        let stmt = self.stmt(sql, args)?;
        let row = d1_answer(stmt.inner().first(None)).await?;
        if row.is_null() || row.is_undefined() {
            return Ok(None);
        }
        parse_json_rows(&row).map(Some)
    }

    /// Every row, read as `first` reads one: the `results` array as one JSON string.
    pub async fn all<T: DeserializeOwned>(&self, sql: &str, args: &[Arg<'_>]) -> ApiResult<Vec<T>> {
        let stmt = self.stmt(sql, args)?;
        let answer = d1_answer(stmt.inner().all()).await?;
        let results = RESULTS_KEY.with(|key| Reflect::get(&answer, key)).map_err(js_error)?;
        if results.is_null() || results.is_undefined() {
            return Ok(Vec::new());
        }
        parse_json_rows(&results)
    }

    /// Two reads in one round trip (a D1 batch), both answers read as one JSON string: for a page
    /// or answer that needs both, one call to D1 instead of two.
    pub async fn all_two<A: DeserializeOwned, B: DeserializeOwned>(
        &self,
        (sql_a, args_a): (&str, &[Arg<'_>]),
        (sql_b, args_b): (&str, &[Arg<'_>]),
    ) -> ApiResult<(Vec<A>, Vec<B>)> {
        let statements: js_sys::Array = [self.stmt(sql_a, args_a)?, self.stmt(sql_b, args_b)?].into_iter().map(|s| JsValue::from(s.inner().clone())).collect();
        let answers = d1_answer(self.handle()?.batch_js(statements)).await?;
        let (a, b): (Rows<A>, Rows<B>) = parse_json_rows(&answers)?;
        Ok((a.results, b.results))
    }

    pub async fn run(&self, sql: &str, args: &[Arg<'_>]) -> ApiResult<usize> {
        changes(&self.stmt(sql, args)?.run().await?)
    }

    /// One atomic D1 batch: all statements apply or none.
    pub async fn batch(&self, statements: Vec<D1PreparedStatement>) -> ApiResult<Vec<D1Result>> {
        Ok(self.handle()?.batch(statements).await?)
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

/// The rows of a batch statement's result (value by value: `worker`'s `D1Result` keeps its JS
/// object to itself).
pub fn rows<T: DeserializeOwned>(result: &D1Result) -> ApiResult<Vec<T>> {
    result.results::<Value>()?.into_iter().map(read_row).collect()
}

fn read_row<T: DeserializeOwned>(row: Value) -> ApiResult<T> {
    serde_json::from_value(row).map_err(|e| ApiError::internal(format_args!("a D1 row does not fit: {e}")))
}

/// Awaits a D1 call; a failed query is an internal error, as `worker`'s own wrappers make it.
async fn d1_answer(call: Result<js_sys::Promise, JsValue>) -> ApiResult<JsValue> {
    let promise = call.map_err(js_error)?;
    JsFuture::from(promise).await.map_err(js_error)
}

fn js_error(e: JsValue) -> ApiError {
    let message = e
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| format!("{e:?}"));
    ApiError::internal(format_args!("d1: {message}"))
}

/// A D1 result as `JSON.stringify` writes it; only its rows are read.
#[derive(serde::Deserialize)]
struct Rows<T> {
    #[serde(default = "Vec::new")]
    results: Vec<T>,
}

/// A D1 row (or array of rows) as one JSON string, parsed once into `T`. D1 gives numbers, strings
/// and null only, which JSON carries exactly (integers up to 2^53, as before).
fn parse_json_rows<T: DeserializeOwned>(value: &JsValue) -> ApiResult<T> {
    let text: String = JSON::stringify(value).map_err(js_error)?.into();
    serde_json::from_str(&text).map_err(|e| ApiError::internal(format_args!("a D1 row does not fit: {e}")))
}
// Makeup requests (req).
#[cfg(feature = "http")]
pub mod makeup_requests;
