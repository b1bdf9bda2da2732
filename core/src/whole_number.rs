//! Integers in JSON bodies as JSON itself has them: a number with no fractional part. `225.0` is
//! the integer 225 (JSON Schema's `"type": "integer"` says so too, and some clients send whole
//! numbers that way); `225.5`, a number beyond the i64 range, and anything not a number are refused
//! with serde's "must be an integer".
//!
//! For a field `n: i64`, `#[serde(deserialize_with = "portal_core::whole_number::i64")]`; for
//! `n: Option<i64>` (absent or null is `None`),
//! `#[serde(default, deserialize_with = "portal_core::whole_number::option_i64")]`.

use serde::de::{self, Deserializer, Visitor};
use std::fmt;

struct WholeNumber;

/// 2^63: the first float past i64::MAX (every float below it with no fraction fits).
const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;

impl Visitor<'_> for WholeNumber {
    type Value = i64;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an integer")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
        Ok(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
        i64::try_from(v).map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<i64, E> {
        if v.is_finite() && v.fract() == 0.0 && (-TWO_POW_63..TWO_POW_63).contains(&v) {
            Ok(v as i64)
        } else {
            Err(E::invalid_type(de::Unexpected::Float(v), &self))
        }
    }
}

/// An integer field: a JSON integer, or a JSON number with no fractional part, within i64.
pub fn i64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    d.deserialize_any(WholeNumber)
}

struct OptionalWholeNumber;

impl<'de> Visitor<'de> for OptionalWholeNumber {
    type Value = Option<i64>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an integer")
    }

    fn visit_none<E: de::Error>(self) -> Result<Option<i64>, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Option<i64>, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Option<i64>, D::Error> {
        i64(d).map(Some)
    }
}

/// An optional integer field: null (or, with `#[serde(default)]`, absent) is `None`.
pub fn option_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    d.deserialize_option(OptionalWholeNumber)
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Deserialize, Debug, PartialEq)]
    struct Body {
        #[serde(deserialize_with = "super::i64")]
        n: i64,
        #[serde(default, deserialize_with = "super::option_i64")]
        m: Option<i64>,
    }

    fn parse(json: &str) -> Result<Body, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn whole_floats_are_integers() {
        assert_eq!(parse(r#"{"n": 225}"#), Ok(Body { n: 225, m: None }));
        assert_eq!(parse(r#"{"n": 225.0, "m": 12.0}"#), Ok(Body { n: 225, m: Some(12) }));
        assert_eq!(parse(r#"{"n": -3e2, "m": null}"#), Ok(Body { n: -300, m: None }));
        assert_eq!(parse(r#"{"n": 9223372036854775807}"#).map(|b| b.n), Ok(i64::MAX));
        assert_eq!(parse(r#"{"n": -9223372036854775808.0}"#).map(|b| b.n), Ok(i64::MIN));
    }

    #[test]
    fn fractions_big_numbers_and_other_types_are_refused() {
        for bad in [r#"{"n": 225.5}"#, r#"{"n": 1e19}"#, r#"{"n": 9223372036854775808}"#, r#"{"n": "5"}"#, r#"{"n": null}"#, r#"{"n": true}"#, r#"{"n": 1, "m": 0.5}"#, r#"{"n": 1, "m": "2"}"#] {
            let e = parse(bad).unwrap_err();
            assert!(e.contains("expected an integer"), "{bad}: {e}");
        }
    }
}
