//! The organization's time-zone offsets from the runtime's own IANA database (V8's `Intl`), so
//! the Worker does not ship chrono-tz's tables of every zone's history (portal_core::time_zone).

use chrono::NaiveDate;
use portal_core::time_zone::ZoneRules;
use std::cell::RefCell;
use std::collections::HashMap;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// `Intl.DateTimeFormat`, constructed with `catch`: a zone name the runtime does not know
    /// is an error, not a trap.
    #[wasm_bindgen(js_namespace = Intl, js_name = DateTimeFormat)]
    #[derive(Clone)]
    type ZoneClock;
    #[wasm_bindgen(constructor, catch, js_namespace = Intl, js_class = "DateTimeFormat")]
    fn new(locales: &str, options: &js_sys::Object) -> Result<ZoneClock, JsValue>;
    #[wasm_bindgen(method, js_name = formatToParts)]
    fn format_to_parts(this: &ZoneClock, date: &js_sys::Date) -> js_sys::Array;
}

thread_local! {
    // A formatter is costly to make and an isolate serves few zones: one per zone, kept.
    static CLOCKS: RefCell<HashMap<&'static str, Option<ZoneClock>>> = RefCell::new(HashMap::new());
}

fn clock(zone: &'static str) -> Option<ZoneClock> {
    CLOCKS.with(|c| {
        c.borrow_mut()
            .entry(zone)
            .or_insert_with(|| {
                let options = js_sys::Object::new();
                for (key, value) in [("timeZone", zone), ("hourCycle", "h23"), ("year", "numeric"), ("month", "numeric"), ("day", "numeric"), ("hour", "numeric"), ("minute", "numeric"), ("second", "numeric")] {
                    js_sys::Reflect::set(&options, &key.into(), &value.into()).ok()?;
                }
                ZoneClock::new("en-US", &options).ok()
            })
            .clone()
    })
}

/// The wall-clock reading of `utc_millis` in `zone`, as seconds since the epoch read as UTC.
fn wall_clock_seconds(clock: &ZoneClock, utc_millis: i64) -> Option<i64> {
    let parts = clock.format_to_parts(&js_sys::Date::new(&JsValue::from_f64(utc_millis as f64)));
    let mut fields = [0i64; 6]; // year, month, day, hour, minute, second
    for part in parts.iter() {
        let kind = js_sys::Reflect::get(&part, &"type".into()).ok()?.as_string()?;
        let value = js_sys::Reflect::get(&part, &"value".into()).ok()?.as_string()?;
        let slot = ["year", "month", "day", "hour", "minute", "second"].iter().position(|k| *k == kind);
        if let Some(i) = slot {
            fields[i] = value.parse().ok()?;
        }
    }
    let [y, mo, d, h, mi, s] = fields;
    let date = NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, u32::try_from(mo).ok()?, u32::try_from(d).ok()?)?;
    Some(date.and_hms_opt(u32::try_from(h).ok()?, u32::try_from(mi).ok()?, u32::try_from(s).ok()?)?.and_utc().timestamp())
}

pub struct IntlRules;

pub static INTL: IntlRules = IntlRules;

impl ZoneRules for IntlRules {
    fn offset_seconds(&self, zone: &'static str, utc_millis: i64) -> i32 {
        let Some(clock) = clock(zone) else { return 0 };
        wall_clock_seconds(&clock, utc_millis)
            .map(|local| local - utc_millis.div_euclid(1000))
            .and_then(|offset| i32::try_from(offset).ok())
            .unwrap_or(0)
    }
}
