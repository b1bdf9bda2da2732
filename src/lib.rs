//! portal-access on Cloudflare Workers: the edge adapter. The product rules live in `portal-core`;
//! this crate routes HTTP, talks to D1, KV and Queues, and does the crypto.
//!
//! It is deployed as two Workers sharing D1, KV and the queue: `http` (feature `http`: requests
//! and the cron) and `jobs` (feature `jobs`: the queue consumer). Each leaves out the other's
//! entry points, so code only the other one reaches is dead there.
#![cfg_attr(not(all(feature = "http", feature = "jobs")), allow(dead_code, unused_imports))]

mod adapters;
mod app;
mod commands;
mod config;
mod error;
#[cfg(feature = "http")]
mod http;
mod jobs;
#[cfg(feature = "http")]
mod routes;
mod store;

use app::{App, JobMessage};
use worker::{console_error, event, Context, Env, MessageBatch, Response, Result, ScheduleContext, ScheduledEvent};

/// Takes the runtime's own request: `worker::Request` would read the method, the URL, the headers
/// and `request.cf` before we know what the request needs. The route table wraps it only once a
/// route is found (a gate answer never does).
#[cfg(feature = "http")]
#[event(fetch)]
async fn fetch(req: web_sys::Request, env: Env, ctx: Context) -> Result<Response> {
    let response = match App::new(env) {
        Ok(app) => routes::handle(app.with_context(ctx), req).await,
        Err(e) => Err(e),
    };
    Ok(response.unwrap_or_else(error::ApiError::into_response))
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

#[cfg(feature = "http")]
#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    match App::new(env) {
        Ok(app) => jobs::scheduled(&app).await,
        Err(e) => console_error!("cron cannot start: {e:?}"),
    }
}
