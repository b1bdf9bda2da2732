//! HTTP plumbing shared by every route: the route table, extractors (bodies, queries, path ids,
//! sessions), responses and cookies. No product rule lives here.

pub mod body;
pub mod bookmark;
pub mod cookies;
pub mod extract;
pub mod form;
pub mod response;
pub mod router;
pub mod session;

pub use body::{parse_json, read_body, MAX_JSON_BODY_BYTES};
pub use cookies::{cleared_cookie, session_cookie, GUARDIAN_COOKIE, STAFF_COOKIE};
pub use extract::{Bytes, DryRun, FromRequest, Json, SignInJson, OptionalJson, OrgSlug, Path, PathParam, Query, RequestParts};
pub use form::{Form, Upload};
pub use response::{json, no_content, page, see_other, signed_in_answer, Response};
pub use router::{delete, get, patch, post, put, Router};
pub use session::{Customer, Staff};
