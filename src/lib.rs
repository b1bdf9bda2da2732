//! portal-access on Cloudflare Workers: the edge adapter. The product rules live in `portal-core`;
//! this crate routes HTTP, talks to D1, KV and Queues, and does the crypto.
//!
//! It is deployed as three Workers sharing D1, KV and the queue: `http` (feature `portal`: the
//! Customer Portal's and the platform's requests, and the cron), `office` (feature `office`: the
//! Office Portal's requests, which reach it through `http`'s address) and `jobs` (feature `jobs`:
//! the queue consumer). Each leaves out the others' routes and entry points, so code only another
//! one reaches is dead there.
#![cfg_attr(not(all(feature = "portal", feature = "office", feature = "jobs")), allow(dead_code, unused_imports))]

mod adapters;
mod app;
mod commands;
mod config;
mod context;
mod error;
#[cfg(feature = "http")]
mod http;
mod jobs;
#[cfg(feature = "http")]
mod routes;
mod store;

use app::{App, JobMessage};
#[cfg(feature = "http")]
use std::{future::Future, task::Poll};
#[cfg(feature = "http")]
use wasm_bindgen::JsValue;
use worker::{console_error, event, Context, Env, MessageBatch, Result, ScheduleContext, ScheduledEvent};

/// The fetch handler. Takes the runtime's own request: `worker::Request` would read the method,
/// the URL, the headers and `request.cf` before we know what the request needs; the route table
/// wraps it only once a route is found (a gate answer never does).
///
/// Exported by hand rather than with `#[event(fetch)]`, whose async export puts every answer in a
/// promise settled from a spawned task: here the answer is polled once at once, and an answer
/// that needs no I/O (health, the gate, a static file) goes back as the `Response` itself. The
/// rest continue as a promise. (Polling once with a no-op waker is sound: a future registers the
/// waker of its latest poll, and the spawned task polls it again first.)
#[cfg(feature = "http")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn fetch(req: web_sys::Request, env: Env, ctx: worker::worker_sys::Context) -> std::result::Result<JsValue, JsValue> {
    let mut answer = Box::pin(answer(req, env, Context::new(ctx)));
    match answer.as_mut().poll(&mut std::task::Context::from_waker(std::task::Waker::noop())) {
        Poll::Ready(response) => response.map(JsValue::from),
        Poll::Pending => Ok(wasm_bindgen_futures::future_to_promise(async move { answer.await.map(JsValue::from) }).into()),
    }
}

#[cfg(feature = "http")]
async fn answer(req: web_sys::Request, env: Env, ctx: Context) -> std::result::Result<web_sys::Response, JsValue> {
    let response = match App::new(env) {
        Ok(app) => routes::handle(app.with_context(ctx), req).await,
        Err(e) => Err(e),
    };
    // An error the error answer itself cannot carry: thrown, and the runtime answers a bare 500.
    response.or_else(error::ApiError::into_response).map_err(|e| JsValue::from_str(&e.message))
}

#[cfg(feature = "jobs")]
/// Never returns `Err`: the runtime would fail the whole batch. Each message is acked or retried.
#[event(queue)]
async fn queue(batch: MessageBatch<JobMessage>, env: Env, _ctx: Context) -> Result<()> {
    match App::new(env) {
        Ok(app) => jobs::consume(&app, batch).await,
        Err(e) => {
            console_error!("queue consumer cannot start, retrying the batch: {e:?}");
            batch.retry_all();
        }
    }
    Ok(())
}

#[cfg(feature = "portal")]
#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    match App::new(env) {
        Ok(app) => jobs::scheduled(&app).await,
        Err(e) => console_error!("cron cannot start: {e:?}"),
    }
}
