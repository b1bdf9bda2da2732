//! What every handler gets: the environment's bindings, the configuration and the time of the request.

use crate::config::Config;
use crate::error::ApiResult;
use crate::store::Db;
use portal_core::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::cell::OnceCell;
use std::rc::Rc;
use worker::{console_error, kv::KvStore, Context, D1PreparedStatement, D1Result, Date, Env, Queue};

pub const DB_BINDING: &str = "DB";
pub const KV_BINDING: &str = "PORTAL_SWITCH";
pub const JOBS_BINDING: &str = "JOBS";

/// The body of every message on the jobs queue: the outbox row to carry out.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JobMessage {
    pub outbox_id: String,
}

pub struct App {
    pub env: Env,
    pub db: Db,
    pub config: Rc<Config>,
    pub now: Timestamp,
    /// A request's context: queue hand-overs then finish after the response is sent.
    ctx: Option<Context>,
}

thread_local! {
    // Vars and secrets are fixed for the life of an isolate: read and check them once.
    static CONFIG: OnceCell<Rc<Config>> = const { OnceCell::new() };
}

fn config(env: &Env) -> ApiResult<Rc<Config>> {
    if let Some(c) = CONFIG.with(|c| c.get().cloned()) {
        return Ok(c);
    }
    let loaded = Rc::new(Config::from_env(env)?);
    CONFIG.with(|c| c.set(loaded.clone()).ok());
    Ok(loaded)
}

impl App {
    pub fn new(env: Env) -> ApiResult<Self> {
        let db = Db(env.d1(DB_BINDING)?);
        let config = config(&env)?;
        Ok(App { env, db, config, now: now(), ctx: None })
    }

    /// For a request: outbox rows are handed to the queue after the answer has gone out.
    pub fn with_context(mut self, ctx: Context) -> Self {
        self.ctx = Some(ctx);
        self
    }

    pub fn kv(&self) -> ApiResult<KvStore> {
        Ok(self.env.kv(KV_BINDING)?)
    }

    fn jobs(&self) -> ApiResult<Queue> {
        Ok(self.env.queue(JOBS_BINDING)?)
    }

    /// Writes a command's batch (state, audit and outbox rows at once), then hands its outbox rows
    /// to the queue. A failed hand-over loses nothing: the cron re-sends open outbox rows.
    pub async fn commit(
        &self,
        statements: Vec<D1PreparedStatement>,
        outbox_ids: &[String],
    ) -> ApiResult<Vec<D1Result>> {
        let results = self.db.batch(statements).await?;
        self.enqueue(outbox_ids).await;
        Ok(results)
    }

    pub async fn enqueue(&self, outbox_ids: &[String]) {
        if outbox_ids.is_empty() {
            return;
        }
        let messages: Vec<JobMessage> =
            outbox_ids.iter().map(|id| JobMessage { outbox_id: id.clone() }).collect();
        let queue = match self.jobs() {
            Ok(q) => q,
            Err(e) => return console_error!("outbox rows left for the cron to re-send: {outbox_ids:?}: {e:?}"),
        };
        let ids = outbox_ids.to_vec();
        let send = async move {
            if let Err(e) = queue.send_batch(messages).await {
                console_error!("outbox rows left for the cron to re-send: {ids:?}: {e:?}");
            }
        };
        // The rows are committed: whether the hand-over finishes now or just after the answer,
        // the cron re-sends what never reached the queue.
        match &self.ctx {
            Some(ctx) => ctx.wait_until(send),
            None => send.await,
        }
    }
}

pub fn now() -> Timestamp {
    Timestamp(Date::now().as_millis() as i64)
}
