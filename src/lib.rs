//! portal-access on Cloudflare Workers: the edge adapter. The product rules live in `portal-core`;
//! this crate routes HTTP, talks to D1, KV and Queues, and does the crypto.

mod access;
mod app;
mod config;
mod crypto;
mod error;
mod gateway;
mod http;
mod imports;
mod jobs;
mod mail;
mod operations;
mod payments;
mod routes;
mod sign_in;
mod store;
mod switch;

use app::{App, JobMessage};
use worker::{console_error, event, Context, Env, MessageBatch, Request, Response, Result, ScheduleContext, ScheduledEvent};

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    let response = match App::new(env) {
        Ok(app) => routes::handle(&app.with_context(ctx), req).await,
        Err(e) => Err(e),
    };
    Ok(response.unwrap_or_else(error::ApiError::into_response))
}

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

#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    match App::new(env) {
        Ok(app) => jobs::scheduled(&app).await,
        Err(e) => console_error!("cron cannot start: {e:?}"),
    }
}
