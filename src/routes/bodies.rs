//! Request bodies, queries, path ids and list answers that more than one front door takes (the Office Portal's
//! staff and My Account's families send the same fields; staff and the platform operator see the
//! same failed e-mails): one definition, imported by each.

use crate::error::ApiResult;
use crate::http::PathParam;
use crate::store::families::ContactChange;
use portal_core::family::{parse_optional_email, parse_person_name, parse_phone, Contact};
use crate::commands::enrollments::{ClassView, RequestView};
use portal_core::ids::{ClassId, StudentId};
use serde::{Deserialize, Serialize};

/// A new contact's details, as staff and the primary (My Account) send them.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactBody {
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

impl ContactBody {
    pub fn parse(&self) -> ApiResult<Contact> {
        Ok(Contact::parse(&self.first_name, &self.last_name, self.email.as_deref(), self.phone.as_deref())?)
    }
}

/// Contact fields to change, as the primary (My Account) and staff send them: `null` clears `email`
/// or `phone`; an absent field stays as it is.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactPatch {
    first_name: Option<String>,
    last_name: Option<String>,
    #[serde(default, with = "serde_with::rust::double_option")]
    email: Option<Option<String>>,
    #[serde(default, with = "serde_with::rust::double_option")]
    phone: Option<Option<String>>,
}

impl ContactPatch {
    pub fn parse(self) -> ApiResult<ContactChange> {
        Ok(ContactChange {
            first_name: self.first_name.as_deref().map(|n| parse_person_name(n, "first name")).transpose()?,
            last_name: self.last_name.as_deref().map(|n| parse_person_name(n, "last name")).transpose()?,
            email: self.email.map(|e| parse_optional_email(e.as_deref()).map(|e| e.map(|e| e.as_str().to_string()))).transpose()?,
            phone: self.phone.map(|p| p.filter(|p| !p.trim().is_empty()).map(|p| parse_phone(&p)).transpose()).transpose()?,
        })
    }
}

/// The optional reason of a revoke.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevokeBody {
    pub reason: Option<String>,
}

/// `?open=true`: only classes that have not ended.
#[derive(Deserialize)]
pub struct ClassQuery {
    pub open: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewStudent {
    pub first_name: String,
    pub last_name: String,
    pub birth_date: String,
}

/// A student's fields to change, as families and staff send them; absent or null: unchanged.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudentChange {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub birth_date: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewEnrollment {
    pub student_id: StudentId,
    pub class_id: ClassId,
}

/// `{"classes": [...]}`, to staff and families.
#[derive(Serialize)]
pub struct ClassList {
    pub classes: Vec<ClassView>,
}

/// `{"requests": [...]}`, to staff and families.
#[derive(Serialize)]
pub struct RequestList {
    pub requests: Vec<RequestView>,
}

/// An outbox row's id in a path (`{outbox_id}`).
pub struct OutboxId(pub String);

impl From<String> for OutboxId {
    fn from(s: String) -> Self {
        OutboxId(s)
    }
}

impl PathParam for OutboxId {
    const NAME: &'static str = "outbox_id";
}

/// `?status=failed`, the only list there is (the parameter is taken so that it can grow).
#[derive(Deserialize)]
pub struct OutboxQuery {
    #[serde(default)]
    #[allow(dead_code)]
    status: OutboxStatus,
}

#[derive(Deserialize, Default, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum OutboxStatus {
    /// Given up on: refused by the provider for good, or dead-lettered after the queue's retries.
    #[default]
    Failed,
}
