//! D1 read replication (the Sessions API): a request's queries run in D1 sessions, each
//! sequentially consistent. Its session check, the switch's D1 check and every command go to a
//! `first-primary` session, so a revocation stops the very next request; once the session check
//! has passed, a GET's reads may go to a replica (`first-unconstrained`, or continued from the
//! client's bookmark so that a family sees its own writes).

use std::cell::{Cell, OnceCell};
use wasm_bindgen::JsValue;
use worker::{D1Database, D1DatabaseSession, D1PreparedStatement, D1Result, D1SessionConstraint};

/// A point in a D1 database's history (`00000085-0000024c-00004c6d-8e61…`): a session continued
/// from it reads at least that fresh. What a client sends back is checked for the shape D1 gives
/// (anything else is ignored, never an error): D1 keeps the latest bookmark a session has seen by
/// comparing them as strings, so a made-up one would stick to the session for good.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bookmark(String);

impl Bookmark {
    pub fn parse(text: &str) -> Option<Bookmark> {
        let mut groups = text.split('-');
        let hex = |g: &str| g.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        let counters = groups.by_ref().take(3).filter(|g| g.len() == 8 && hex(g)).count();
        let tail_ok = groups.next().is_some_and(|g| (32..=64).contains(&g.len()) && hex(g));
        (counters == 3 && tail_ok && groups.next().is_none()).then(|| Bookmark(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How many statements each of a request's sessions ran (read in development, to show the wiring).
#[derive(Debug, Clone, Copy, Default)]
pub struct Statements {
    pub primary: u32,
    pub replica: u32,
}

/// A request's two D1 sessions on its organization's database, each opened at its first use.
pub(super) struct Sessions {
    primary: OnceCell<D1DatabaseSession>,
    replica: OnceCell<D1DatabaseSession>,
    /// Where the replica session starts: the client's bookmark, else `first-unconstrained`.
    bookmark: Option<Bookmark>,
    /// Set by the session check of a GET once it has passed: from then on reads may be stale.
    stale_reads: Cell<bool>,
    statements: Cell<Statements>,
}

impl Sessions {
    pub(super) fn new(bookmark: Option<Bookmark>) -> Self {
        Sessions {
            primary: OnceCell::new(),
            replica: OnceCell::new(),
            bookmark,
            stale_reads: Cell::new(false),
            statements: Cell::new(Statements::default()),
        }
    }

    pub(super) fn allow_stale_reads(&self) {
        self.stale_reads.set(true);
    }

    /// The session the next statement goes to.
    pub(super) fn current(&self, database: &D1Database) -> worker::Result<&D1DatabaseSession> {
        if self.stale_reads.get() {
            open(&self.replica, || match &self.bookmark {
                Some(b) => database.with_session(Some(b.as_str())),
                None => database.with_session_constraint(D1SessionConstraint::FirstUnconstrained),
            })
        } else {
            open(&self.primary, || database.with_session_constraint(D1SessionConstraint::FirstPrimary))
        }
    }

    /// One more statement prepared in the current session.
    pub(super) fn count_statement(&self) {
        let mut counts = self.statements.get();
        if self.stale_reads.get() {
            counts.replica += 1;
        } else {
            counts.primary += 1;
        }
        self.statements.set(counts);
    }

    /// The bookmark to hand back: the replica session's when the request read there (a later
    /// request then needs a replica only as fresh as what this one saw), else the primary's.
    pub(super) fn bookmark(&self) -> Option<Bookmark> {
        let session = self.replica.get().or(self.primary.get())?;
        session.get_bookmark().ok().flatten().and_then(|b| Bookmark::parse(&b))
    }

    /// The bookmark the client sent (if it was well formed).
    pub(super) fn client_bookmark(&self) -> Option<&Bookmark> {
        self.bookmark.as_ref()
    }

    pub(super) fn statements(&self) -> Statements {
        self.statements.get()
    }
}

fn open<'a>(
    cell: &'a OnceCell<D1DatabaseSession>,
    start: impl FnOnce() -> worker::Result<D1DatabaseSession>,
) -> worker::Result<&'a D1DatabaseSession> {
    if let Some(session) = cell.get() {
        return Ok(session);
    }
    let session = start()?;
    Ok(cell.get_or_init(|| session))
}

/// Where statements are prepared and batches sent: the binding itself (jobs, the cron, the
/// platform's routes: the primary) or one of a request's sessions.
pub(super) enum Handle<'a> {
    Binding(&'a D1Database),
    Session(&'a D1DatabaseSession),
}

impl Handle<'_> {
    pub(super) fn prepare(&self, sql: &str) -> D1PreparedStatement {
        match self {
            Handle::Binding(d) => d.prepare(sql),
            Handle::Session(s) => s.prepare(sql),
        }
    }

    pub(super) async fn batch(&self, statements: Vec<D1PreparedStatement>) -> worker::Result<Vec<D1Result>> {
        match self {
            Handle::Binding(d) => d.batch(statements).await,
            Handle::Session(s) => s.batch(statements).await,
        }
    }

    /// `batch` with the runtime's answer as it is (read as one JSON string by the caller).
    pub(super) fn batch_js(&self, statements: js_sys::Array) -> Result<js_sys::Promise, JsValue> {
        use wasm_bindgen::JsCast;
        use worker::worker_sys::types::{D1Database as DatabaseSys, D1DatabaseSession as SessionSys};
        match self {
            Handle::Binding(d) => AsRef::<JsValue>::as_ref(d).unchecked_ref::<DatabaseSys>().batch(statements),
            Handle::Session(s) => AsRef::<JsValue>::as_ref(s).unchecked_ref::<SessionSys>().session_batch(statements),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Bookmark;

    #[test]
    fn a_bookmark_in_d1s_shape_is_taken() {
        for b in [
            "00000085-0000024c-00004c6d-8e611177d83f7fb2f0396d0847be2cc6",
            "00000000-00000003-00000000-00000000000000000000000000000000",
            "00000085-0000024c-00004c6d-8e611177d83f7fb2f0396d0847be2cc62eaa94debb2f65eae0a58c44c4cf6a74",
        ] {
            assert_eq!(Bookmark::parse(b).map(|b| b.as_str().to_string()), Some(b.to_string()));
        }
    }

    #[test]
    fn anything_else_is_ignored() {
        for b in [
            "",
            "garbage",
            "first-primary",
            "first-unconstrained",
            "00000085-0000024c-00004c6d",
            "00000085-0000024c-00004c6d-8e61",
            "00000085-0000024C-00004c6d-8e611177d83f7fb2f0396d0847be2cc6",
            "00000085-0000024c-00004c6d-8e611177d83f7fb2f0396d0847be2cc6-00",
            "zzzzzzzz-0000024c-00004c6d-8e611177d83f7fb2f0396d0847be2cc6",
            "00000085-0000024c-00004c6d-8e611177d83f7fb2f0396d0847be2cc6\r\nx: y",
        ] {
            assert_eq!(Bookmark::parse(b), None, "{b:?}");
        }
    }
}
