//! Where an organization lives, at the edge: the directory database is the truth, KV mirrors it,
//! and each isolate keeps a few seconds' memory of it (as of the portal switch), so that finding a
//! request's database costs no I/O on a hot path.

use crate::app::App;
use crate::error::ApiResult;
use crate::store::directory::{self, Placement};
use crate::store::Db;
use std::cell::RefCell;
use std::collections::HashMap;
use worker::console_error;

/// How long an isolate trusts what it read, an unknown slug included (a flood of made-up slugs
/// then costs one directory read per slug and isolate every few seconds).
const MEMORY_TTL_MS: i64 = 5_000;
/// KV entries expire by themselves, so a lost KV write heals without help.
const KV_TTL_SECONDS: u64 = 3_600;

thread_local! {
    static MEMORY: RefCell<HashMap<String, (Option<Placement>, i64)>> = RefCell::new(HashMap::new());
}

fn kv_key(slug: &str) -> String {
    format!("dir:{slug}")
}

fn remember(slug: &str, placement: Option<&Placement>, now_ms: i64) {
    MEMORY.with(|m| {
        let mut m = m.borrow_mut();
        if m.len() > 10_000 {
            m.clear(); // bounded, as the switch's memory
        }
        m.insert(slug.to_string(), (placement.cloned(), now_ms + MEMORY_TTL_MS));
    });
}

/// The directory database.
pub fn directory_db(app: &App) -> Db {
    Db::new(app.env.clone(), &app.config.directory)
}

/// Where `slug` lives, or `None` for an organization the directory does not know.
pub async fn placement(app: &App, slug: &str) -> ApiResult<Option<Placement>> {
    let now_ms = app.now().millis();
    if let Some(known) = MEMORY.with(|m| m.borrow().get(slug).filter(|(_, until)| *until > now_ms).map(|(p, _)| p.clone())) {
        return Ok(known);
    }
    let kv = app.kv()?;
    let mirrored = match kv.get(&kv_key(slug)).text().await {
        Ok(v) => v.and_then(|v| serde_json::from_str::<Placement>(&v).ok()),
        Err(e) => {
            console_error!("kv read failed, asking the directory: {e:?}");
            None
        }
    };
    let placement = match mirrored {
        Some(p) => Some(p),
        None => {
            let found = directory::find(&directory_db(app), slug).await?;
            if let Some(p) = &found {
                publish_kv(app, slug, p).await;
            }
            found
        }
    };
    remember(slug, placement.as_ref(), now_ms);
    Ok(placement)
}

/// Where `slug` lives now, from the directory itself (not KV), remembered by this isolate: a write
/// that its memory would refuse during a move asks again, so writes resume as soon as a move ends.
pub async fn placement_now(app: &App, slug: &str) -> ApiResult<Option<Placement>> {
    let found = directory::find(&directory_db(app), slug).await?;
    remember(slug, found.as_ref(), app.now().millis());
    Ok(found)
}

async fn publish_kv(app: &App, slug: &str, placement: &Placement) {
    let put = match (app.kv(), serde_json::to_string(placement)) {
        (Ok(kv), Ok(value)) => match kv.put(&kv_key(slug), value) {
            Ok(b) => b.expiration_ttl(KV_TTL_SECONDS).execute().await.map_err(|e| format!("{e:?}")),
            Err(e) => Err(format!("{e:?}")),
        },
        (Err(e), _) => Err(e.message.clone()),
        (_, Err(e)) => Err(e.to_string()),
    };
    if let Err(e) = put {
        console_error!("kv write of the directory entry for {slug} failed (the next miss reads the directory): {e}");
    }
}

/// After the directory has changed: tell this isolate at once and KV for the others.
pub async fn publish(app: &App, slug: &str, placement: &Placement) {
    remember(slug, Some(placement), app.now().millis());
    publish_kv(app, slug, placement).await;
}
