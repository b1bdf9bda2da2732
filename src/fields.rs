//! Named fields read out of a JSON object: a request body or a D1 row.
//!
//! Every body and row struct is declared with `record!`, which reads each field through one small
//! reader per field type instead of a serde deserializer per struct (those cost ~2 KB of wasm each,
//! a sixth of the upload over sixty structs).

use serde_json::{Map, Value};

/// A JSON object whose fields a `record!` struct reads.
pub struct Fields(Map<String, Value>);

/// Why a field could not be read: its name (a dotted path when nested) and what was wrong.
#[derive(Debug)]
pub struct FieldError {
    pub field: String,
    pub problem: &'static str,
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}` {}", self.field, self.problem)
    }
}

impl Fields {
    pub fn from_value(value: Value) -> Option<Fields> {
        match value {
            Value::Object(map) => Some(Fields(map)),
            _ => None,
        }
    }

    pub fn get<T: Field>(&self, name: &str) -> Result<T, FieldError> {
        T::read(self.0.get(name).filter(|v| !v.is_null())).map_err(|problem| match problem {
            Problem::Nested(inner) => FieldError { field: format!("{name}.{}", inner.field), problem: inner.problem },
            Problem::Is(problem) => FieldError { field: name.to_string(), problem },
        })
    }

    /// For fields that tell "absent" (leave it) from `null` (clear it) apart.
    pub fn present(&self, name: &str) -> Result<Option<Option<String>>, FieldError> {
        match self.0.get(name) {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(None)),
            Some(_) => self.get::<String>(name).map(|s| Some(Some(s))),
        }
    }

    /// The first field not in `known`, if any.
    pub fn unknown(&self, known: &[&str]) -> Option<FieldError> {
        let name = self.0.keys().find(|k| !known.contains(&k.as_str()))?;
        Some(FieldError { field: name.clone(), problem: "is not a known field" })
    }
}

pub enum Problem {
    Is(&'static str),
    Nested(FieldError),
}

/// A field type: reads itself from the value present (`None` when absent or `null`).
pub trait Field: Sized {
    fn read(value: Option<&Value>) -> Result<Self, Problem>;
}

/// A struct read from named fields; `record!` implements it.
pub trait FromFields: Sized {
    /// Refuse fields it does not name (request bodies that say `#[strict]`).
    const STRICT: bool;
    const NAMES: &'static [&'static str];
    fn from_fields(fields: &Fields) -> Result<Self, FieldError>;

    fn read_object(fields: &Fields) -> Result<Self, FieldError> {
        if Self::STRICT {
            if let Some(e) = fields.unknown(Self::NAMES) {
                return Err(e);
            }
        }
        Self::from_fields(fields)
    }
}

const MISSING: &str = "is missing";

impl Field for String {
    fn read(value: Option<&Value>) -> Result<Self, Problem> {
        match value {
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(Problem::Is("must be a string")),
            None => Err(Problem::Is(MISSING)),
        }
    }
}

impl Field for i64 {
    fn read(value: Option<&Value>) -> Result<Self, Problem> {
        match value {
            Some(v) => v.as_i64().ok_or(Problem::Is("must be an integer")),
            None => Err(Problem::Is(MISSING)),
        }
    }
}

impl Field for bool {
    fn read(value: Option<&Value>) -> Result<Self, Problem> {
        match value {
            Some(v) => v.as_bool().ok_or(Problem::Is("must be true or false")),
            None => Err(Problem::Is(MISSING)),
        }
    }
}

impl Field for Vec<String> {
    fn read(value: Option<&Value>) -> Result<Self, Problem> {
        let items = match value {
            Some(Value::Array(items)) => items,
            Some(_) => return Err(Problem::Is("must be a list of strings")),
            None => return Err(Problem::Is(MISSING)),
        };
        items
            .iter()
            .map(|v| v.as_str().map(str::to_string).ok_or(Problem::Is("must be a list of strings")))
            .collect()
    }
}

impl<T: Field> Field for Option<T> {
    fn read(value: Option<&Value>) -> Result<Self, Problem> {
        value.map(|v| T::read(Some(v))).transpose()
    }
}

/// A nested object (`primary_guardian` of a new family, say).
impl<T: FromFields> Field for T {
    fn read(value: Option<&Value>) -> Result<Self, Problem> {
        match value {
            Some(Value::Object(map)) => {
                // Reads a copy: nested objects are a few fields of a small body.
                T::read_object(&Fields(map.clone())).map_err(Problem::Nested)
            }
            Some(_) => Err(Problem::Is("must be an object")),
            None => Err(Problem::Is(MISSING)),
        }
    }
}

/// Declares a struct read from named fields: a D1 row, or with `#[strict]` a request body that
/// refuses fields it does not name. Field types: `String`, `i64`, `bool`, `Vec<String>`, another
/// `record!`, and `Option` of those (absent or `null` is `None`). A row's first field may be
/// `name: flatten Other`: a `record!` read from the same columns (rows only: a strict body would
/// not know the flattened names).
macro_rules! record {
    (@ false; $(#[$m:meta])* $vis:vis struct $name:ident {
        $(#[$flm:meta])* $flvis:vis $flat:ident : flatten $flty:ty,
        $($(#[$fm:meta])* $fvis:vis $field:ident : $ty:ty),* $(,)?
    }) => {
        $(#[$m])* $vis struct $name { $(#[$flm])* $flvis $flat: $flty, $($(#[$fm])* $fvis $field: $ty),* }
        impl $crate::fields::FromFields for $name {
            const STRICT: bool = false;
            const NAMES: &'static [&'static str] = &[$(stringify!($field)),*];
            fn from_fields(f: &$crate::fields::Fields) -> Result<Self, $crate::fields::FieldError> {
                Ok($name {
                    $flat: <$flty as $crate::fields::FromFields>::from_fields(f)?,
                    $($field: f.get(stringify!($field))?),*
                })
            }
        }
    };
    (@ $strict:literal; $(#[$m:meta])* $vis:vis struct $name:ident {
        $($(#[$fm:meta])* $fvis:vis $field:ident : $ty:ty),* $(,)?
    }) => {
        $(#[$m])* $vis struct $name { $($(#[$fm])* $fvis $field: $ty),* }
        impl $crate::fields::FromFields for $name {
            const STRICT: bool = $strict;
            const NAMES: &'static [&'static str] = &[$(stringify!($field)),*];
            fn from_fields(f: &$crate::fields::Fields) -> Result<Self, $crate::fields::FieldError> {
                Ok($name { $($field: f.get(stringify!($field))?),* })
            }
        }
    };
    (#[strict] $($rest:tt)*) => { record!(@ true; $($rest)*); };
    ($($rest:tt)*) => { record!(@ false; $($rest)*); };
}
pub(crate) use record;
