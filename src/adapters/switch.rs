//! The Customer Portal switch at the edge: D1 is the truth, KV mirrors it for the gate, and each
//! isolate keeps a few seconds' memory of it so the gate costs no I/O on a hot path.

use crate::app::App;
use crate::error::ApiResult;
use crate::store::organizations;
use std::cell::RefCell;
use std::collections::HashMap;
use worker::console_error;

/// How the gate sees an organization's portal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortalView {
    Enabled,
    Disabled,
    UnknownOrganization,
}

/// How long an isolate trusts what it read. Other isolates see a change within this plus KV's own
/// propagation (up to ~60 s on the real network); every mutating customer request checks D1.
const MEMORY_TTL_MS: i64 = 5_000;
/// KV entries expire by themselves, so a KV write lost after a D1 change heals without help.
const KV_TTL_SECONDS: u64 = 3_600;

thread_local! {
    static MEMORY: RefCell<HashMap<String, (PortalView, i64)>> = RefCell::new(HashMap::new());
}

fn kv_key(slug: &str) -> String {
    format!("portal-switch:{slug}")
}

fn remember(slug: &str, view: PortalView, now_ms: i64) {
    MEMORY.with(|m| {
        let mut m = m.borrow_mut();
        if m.len() > 10_000 {
            m.clear(); // bounded: a flood of made-up slugs must not grow the isolate's memory
        }
        m.insert(slug.to_string(), (view, now_ms + MEMORY_TTL_MS));
    });
}

pub async fn portal_view(app: &App, slug: &str) -> ApiResult<PortalView> {
    let now_ms = app.now().millis();
    if let Some(view) = MEMORY.with(|m| {
        m.borrow().get(slug).filter(|(_, until)| *until > now_ms).map(|(v, _)| *v)
    }) {
        return Ok(view);
    }
    let kv = app.kv()?;
    let cached = match kv.get(&kv_key(slug)).text().await {
        Ok(v) => v,
        Err(e) => {
            console_error!("kv read failed, asking D1: {e:?}");
            None
        }
    };
    let view = match cached.as_deref() {
        Some("on") => PortalView::Enabled,
        Some("off") => PortalView::Disabled,
        _ => {
            let view = match organizations::portal_enabled(&app.db, slug).await? {
                Some(true) => PortalView::Enabled,
                Some(false) => PortalView::Disabled,
                None => PortalView::UnknownOrganization,
            };
            if view != PortalView::UnknownOrganization {
                publish_kv(app, slug, view == PortalView::Enabled).await;
            }
            view
        }
    };
    remember(slug, view, now_ms);
    Ok(view)
}

async fn publish_kv(app: &App, slug: &str, enabled: bool) {
    let put = match app.kv() {
        Ok(kv) => match kv.put(&kv_key(slug), if enabled { "on" } else { "off" }) {
            Ok(b) => b.expiration_ttl(KV_TTL_SECONDS).execute().await.map_err(|e| format!("{e:?}")),
            Err(e) => Err(format!("{e:?}")),
        },
        Err(e) => Err(e.message.clone()),
    };
    if let Err(e) = put {
        console_error!("kv write for {slug} failed (the cron re-publishes): {e}");
    }
}

/// After D1 has changed: tell this isolate at once and KV for the others.
pub async fn publish(app: &App, slug: &str, enabled: bool) {
    let view = if enabled { PortalView::Enabled } else { PortalView::Disabled };
    remember(slug, view, app.now().millis());
    publish_kv(app, slug, enabled).await;
}

/// Re-publishes the organizations changed in the last quarter hour (run by the cron).
pub async fn republish_recent(app: &App) -> ApiResult<()> {
    for r in organizations::changed_since(&app.db, app.now().plus_seconds(-15 * 60)).await? {
        publish_kv(app, &r.slug, r.portal_enabled).await;
    }
    Ok(())
}
