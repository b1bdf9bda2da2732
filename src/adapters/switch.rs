//! The Customer Portal switch at the edge: D1 is the truth, KV mirrors it for the gate, and each
//! isolate keeps a few seconds' memory of it so the gate costs no I/O on a hot path. The copy
//! carries a scheduled maintenance window, and the gate compares its times with now on every
//! request: the portal is off from the window's first second and back at its end, whatever the
//! copy's age or the cron.

use crate::app::App;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::store::maintenance::{self, SwitchFacts};
use crate::store::organizations;
use portal_core::maintenance::MaintenanceWindow;
use portal_core::portal_switch::PORTAL_UNAVAILABLE_MESSAGE;
use portal_core::time::Timestamp;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use worker::console_error;

/// How the gate sees an organization's portal now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortalView {
    Enabled,
    Disabled,
    /// Off for scheduled maintenance, until the window's end.
    Maintenance(Rc<MaintenanceWindow>),
    UnknownOrganization,
}

/// What KV and the isolate's memory keep of an organization's switch.
#[derive(Debug, Clone)]
enum SwitchCopy {
    Known { enabled: bool, window: Option<Rc<MaintenanceWindow>> },
    Unknown,
}

impl SwitchCopy {
    fn of(facts: &SwitchFacts, now: Timestamp) -> Self {
        // A window over is no longer news: the copy forgets it.
        let window = facts.window.window().filter(|w| !w.is_over(now)).map(Rc::new);
        SwitchCopy::Known { enabled: facts.portal_enabled, window }
    }

    fn view(&self, now: Timestamp) -> PortalView {
        match self {
            SwitchCopy::Unknown => PortalView::UnknownOrganization,
            SwitchCopy::Known { enabled: false, .. } => PortalView::Disabled,
            SwitchCopy::Known { window: Some(w), .. } if w.is_on(now) => PortalView::Maintenance(w.clone()),
            SwitchCopy::Known { .. } => PortalView::Enabled,
        }
    }

    /// KV's text: `on` or `off`, then the window's start and end (ms) and note, `|`-separated.
    fn to_kv(&self) -> Option<String> {
        match self {
            SwitchCopy::Known { enabled, window } => {
                let on = if *enabled { "on" } else { "off" };
                Some(match window {
                    None => on.to_string(),
                    Some(w) => format!("{on}|{}|{}|{}", w.starts_at.millis(), w.ends_at.millis(), w.note.as_deref().unwrap_or("")),
                })
            }
            SwitchCopy::Unknown => None,
        }
    }

    /// KV's text read back; `None` for anything else (then D1 is asked).
    fn from_kv(text: &str) -> Option<Self> {
        let mut parts = text.splitn(4, '|');
        let enabled = match parts.next()? {
            "on" => true,
            "off" => false,
            _ => return None,
        };
        let window = match (parts.next(), parts.next(), parts.next()) {
            (None, ..) => None,
            (Some(starts), Some(ends), Some(note)) => Some(Rc::new(MaintenanceWindow {
                starts_at: Timestamp(starts.parse().ok()?),
                ends_at: Timestamp(ends.parse().ok()?),
                note: Some(note.to_string()).filter(|n| !n.is_empty()),
            })),
            _ => return None,
        };
        Some(SwitchCopy::Known { enabled, window })
    }
}

/// The 503 of a maintenance window: the fixed message with the window's note under it, and
/// `Retry-After` the seconds to its end.
pub fn maintenance_error(window: &MaintenanceWindow, now: Timestamp) -> ApiError {
    let message = match &window.note {
        Some(note) => format!("{PORTAL_UNAVAILABLE_MESSAGE}\n{note}"),
        None => PORTAL_UNAVAILABLE_MESSAGE.to_string(),
    };
    ApiError::new(503, ErrorCode::PortalUnavailable, message).with_retry_after(window.retry_after_seconds(now))
}

/// How long an isolate trusts what it read. Other isolates see a change within this plus KV's own
/// propagation (up to ~60 s on the real network); every mutating customer request checks D1.
const MEMORY_TTL_MS: i64 = 5_000;
/// KV entries expire by themselves, so a KV write lost after a D1 change heals without help.
const KV_TTL_SECONDS: u64 = 3_600;

thread_local! {
    static MEMORY: RefCell<HashMap<String, (SwitchCopy, i64)>> = RefCell::new(HashMap::new());
}

fn kv_key(slug: &str) -> String {
    format!("portal-switch:{slug}")
}

fn remember(slug: &str, copy: SwitchCopy, now_ms: i64) {
    MEMORY.with(|m| {
        let mut m = m.borrow_mut();
        if m.len() > 10_000 {
            m.clear(); // bounded: a flood of made-up slugs must not grow the isolate's memory
        }
        m.insert(slug.to_string(), (copy, now_ms + MEMORY_TTL_MS));
    });
}

/// Forgets this isolate's copy: the next request reads KV (which the change wrote before it
/// answered). For a change made in another Worker's isolate (the office Worker's).
#[cfg(not(feature = "office"))]
pub fn forget(slug: &str) {
    MEMORY.with(|m| m.borrow_mut().remove(slug));
}

pub async fn portal_view(app: &App, slug: &str) -> ApiResult<PortalView> {
    let now = app.now();
    if let Some(copy) = MEMORY.with(|m| {
        m.borrow().get(slug).filter(|(_, until)| *until > now.millis()).map(|(c, _)| c.clone())
    }) {
        return Ok(copy.view(now));
    }
    let kv = app.kv()?;
    let cached = match kv.get(&kv_key(slug)).text().await {
        Ok(v) => v,
        Err(e) => {
            console_error!("kv read failed, asking D1: {e:?}");
            None
        }
    };
    let copy = match cached.as_deref().and_then(SwitchCopy::from_kv) {
        Some(copy) => copy,
        None => {
            let copy = match maintenance::switch_facts(&app.db, slug).await? {
                Some(facts) => SwitchCopy::of(&facts, now),
                None => SwitchCopy::Unknown,
            };
            publish_kv(app, slug, &copy).await;
            copy
        }
    };
    let view = copy.view(now);
    remember(slug, copy, now.millis());
    Ok(view)
}

async fn publish_kv(app: &App, slug: &str, copy: &SwitchCopy) {
    let Some(value) = copy.to_kv() else { return };
    let put = match app.kv() {
        Ok(kv) => match kv.put(&kv_key(slug), value) {
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
    publish_copy(app, slug, SwitchCopy::Known { enabled, window: None }).await;
}

/// After a change that may concern a maintenance window: the switch and the window as D1 has them.
pub async fn publish_facts(app: &App, slug: &str, facts: &SwitchFacts) {
    publish_copy(app, slug, SwitchCopy::of(facts, app.now())).await;
}

async fn publish_copy(app: &App, slug: &str, copy: SwitchCopy) {
    remember(slug, copy.clone(), app.now().millis());
    publish_kv(app, slug, &copy).await;
}

/// Re-publishes the organizations changed in the last quarter hour (run by the cron).
pub async fn republish_recent(app: &App) -> ApiResult<()> {
    for r in organizations::changed_since(&app.db, app.now().plus_seconds(-15 * 60)).await? {
        publish_kv(app, &r.slug, &SwitchCopy::of(&r.facts, app.now())).await;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kv_copy_carries_the_window_and_reads_back() {
        let window = MaintenanceWindow { starts_at: Timestamp(1_000), ends_at: Timestamp(6_000), note: Some("Back | soon".into()) };
        let copy = SwitchCopy::Known { enabled: true, window: Some(Rc::new(window.clone())) };
        let text = copy.to_kv().unwrap();
        let back = SwitchCopy::from_kv(&text).unwrap();
        assert_eq!(back.view(Timestamp(999)), PortalView::Enabled);
        assert_eq!(back.view(Timestamp(1_000)), PortalView::Maintenance(Rc::new(window)));
        assert_eq!(back.view(Timestamp(6_000)), PortalView::Enabled);
        assert_eq!(SwitchCopy::from_kv("off").unwrap().view(Timestamp(0)), PortalView::Disabled);
        assert!(SwitchCopy::from_kv("maybe").is_none());
    }
}
