//! What every handler gets: the environment's bindings, the configuration and the time of the request.

use crate::config::Config;
use crate::error::ApiResult;
use crate::store::replication::Bookmark;
use crate::store::{Binding, Db, TENANT_PREFIX};
use portal_core::time::Timestamp;
use serde::{Deserialize, Serialize};
use std::cell::OnceCell;
use std::rc::Rc;
use worker::{console_error, kv::KvStore, Context, D1PreparedStatement, D1Result, Env, Queue};

pub const KV_BINDING: &str = "PORTAL_SWITCH";
pub const JOBS_BINDING: &str = "JOBS";

/// The body of every message on the jobs queue: the outbox row to carry out, and the tenant
/// database that holds it (its organization's).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JobMessage {
    pub outbox_id: String,
    /// A message sent before there were several databases names none: it is the first one's.
    #[serde(default = "first_database")]
    pub database: String,
}

fn first_database() -> String {
    format!("{TENANT_PREFIX}1")
}

pub struct App {
    pub env: Env,
    /// The organization's database once the request's organization is known (routes::handle, a
    /// job's message); before that, and for requests without one, the first tenant database.
    pub db: Db,
    /// The organization's id as the directory has it, once the request's organization is known.
    pub org_id: Option<String>,
    /// The organization is moving to another database (its writes are refused): nothing may
    /// change its rows, not even a session's last use, or the move's verification would fail.
    pub moving: bool,
    pub config: Rc<Config>,
    /// The time of the request, read at its first use (a request that needs none never asks).
    now: OnceCell<Timestamp>,
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
    // The bindings' kinds are as fixed as the vars: checked here once (Config::from_env), taken
    // unchecked after.
    let loaded = Rc::new(Config::from_env(env)?);
    CONFIG.with(|c| c.set(loaded.clone()).ok());
    Ok(loaded)
}

impl App {
    pub fn new(env: Env) -> ApiResult<Self> {
        let config = config(&env)?;
        portal_core::time_zone::use_rules(&crate::adapters::time_zone::INTL);
        let db = Db::new(env.clone(), config.first_database());
        Ok(App { env, db, org_id: None, moving: false, config, now: OnceCell::new(), ctx: None })
    }

    /// The tenant database bound as `name`; an unknown name is an internal error (the directory
    /// or a queue message names a database this Worker does not have).
    pub fn database(&self, name: &str) -> ApiResult<&Binding> {
        self.config
            .database(name)
            .ok_or_else(|| crate::error::ApiError::internal(format!("no tenant database {name} is bound")))
    }

    /// From now on this request acts for organization `org_id` (if its creation finished), in its
    /// database `binding`.
    pub fn use_database(&mut self, binding: &Binding, org_id: Option<String>) {
        self.db = Db::new(self.env.clone(), binding);
        self.org_id = org_id;
    }

    /// From now on the request's queries run in D1 sessions on its database (read replication):
    /// the primary until its session check passes, then, for a GET, a replica continued from
    /// `bookmark` (store::replication).
    pub fn open_sessions(&mut self, bookmark: Option<Bookmark>) {
        self.db = Db::in_sessions(self.env.clone(), &self.db.binding().clone(), bookmark);
    }

    /// The same environment on another tenant database, for work that spans databases (the cron,
    /// the platform's routes). It has no request context: its queue hand-overs finish before it
    /// answers.
    pub fn on(&self, binding: &Binding) -> App {
        App {
            env: self.env.clone(),
            db: Db::new(self.env.clone(), binding),
            org_id: None,
            moving: false,
            config: self.config.clone(),
            now: self.now.clone(),
            ctx: None,
        }
    }

    /// The same environment on each tenant database in turn.
    pub fn on_each_database(&self) -> impl Iterator<Item = App> + '_ {
        self.config.databases.iter().map(|b| self.on(b))
    }

    /// The time of the request: the same at every call.
    pub fn now(&self) -> Timestamp {
        *self.now.get_or_init(now)
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

    /// Hands outbox rows to the queue; after the answer has gone out when this is a request.
    pub async fn enqueue(&self, outbox_ids: &[String]) {
        if outbox_ids.is_empty() {
            return;
        }
        let Some(hand_over) = self.hand_over(outbox_ids) else { return };
        // The rows are committed (stamped as handed over): whether the hand-over finishes now or
        // just after the answer, one that fails unstamps them and the cron re-sends them.
        match &self.ctx {
            Some(ctx) => ctx.wait_until(async move {
                hand_over.await;
            }),
            None => {
                hand_over.await;
            }
        }
    }

    /// Hands outbox rows to the queue now; false when they did not get there.
    pub async fn enqueue_now(&self, outbox_ids: &[String]) -> bool {
        match self.hand_over(outbox_ids) {
            Some(hand_over) => hand_over.await,
            None => false,
        }
    }

    /// The hand-over as a future of its own (it may outlive the request): `send_batch`; if the queue
    /// refuses, `enqueued_at` is cleared so that the cron sends the rows (they were written stamped,
    /// and the cron leaves stamped rows to the queue's own retries).
    fn hand_over(&self, outbox_ids: &[String]) -> Option<impl std::future::Future<Output = bool> + 'static> {
        let database = self.db.binding().name();
        let messages: Vec<JobMessage> = outbox_ids
            .iter()
            .map(|id| JobMessage { outbox_id: id.clone(), database: database.to_string() })
            .collect();
        // The future may outlive `self`: it takes a binding of its own.
        let queue = match self.jobs() {
            Ok(q) => q,
            Err(e) => {
                console_error!("outbox rows left for the cron to re-send: {outbox_ids:?}: {e:?}");
                return None;
            }
        };
        let db = Db::new(self.env.clone(), self.db.binding());
        let ids = outbox_ids.to_vec();
        Some(async move {
            let Err(e) = queue.send_batch(messages).await else { return true };
            console_error!("outbox rows left for the cron to re-send: {ids:?}: {e:?}");
            if let Err(e) = crate::store::outbox::not_handed_over(&db, &ids).await {
                console_error!("outbox rows {ids:?} stay stamped; the cron re-sends them later: {e:?}");
            }
            false
        })
    }
}

pub fn now() -> Timestamp {
    Timestamp(js_sys::Date::now() as i64)
}
