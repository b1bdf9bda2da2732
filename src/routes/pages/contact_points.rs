//! The contact point forms of both doors (Account Information in My Account, Contact Info in the
//! Office Portal's family): which list a page is about, the form's fields as the commands take
//! them, and a value as the form shows it. Each door has its own pages around these.

use crate::commands::contact_points::{AddressEdit, Edit, NewValues, PointView};
use crate::error::ApiError;
use crate::http::PathParam;
use crate::store::contact_points::Table;
use portal_core::contact::AddressInput;
use serde::Deserialize;

/// Which list a page is about: `addresses`, `emails` or `phones` in the address.
pub struct List(String);

impl From<String> for List {
    fn from(s: String) -> Self {
        List(s)
    }
}

impl PathParam for List {
    const NAME: &'static str = "list";
}

pub struct PointId(pub String);

impl From<String> for PointId {
    fn from(s: String) -> Self {
        PointId(s)
    }
}

impl PathParam for PointId {
    const NAME: &'static str = "id";
}

impl List {
    /// The table, the list's name in addresses, and its Add page's title.
    pub fn parts(&self) -> Option<(Table, &'static str, &'static str)> {
        match self.0.as_str() {
            "addresses" => Some((Table::Addresses, "addresses", "Add Mailing Address")),
            "emails" => Some((Table::Emails, "emails", "Add Email")),
            "phones" => Some((Table::Phones, "phones", "Add Phone")),
            _ => None,
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PointForm {
    /// A guardian id, or empty for Unassigned.
    pub owner: String,
    pub line1: String,
    pub line2: String,
    pub city: String,
    pub region: String,
    pub postal_code: String,
    pub country: String,
    pub email: String,
    pub subscribed: Option<String>,
    pub number: String,
    pub kind: String,
    pub sms_subscribed: Option<String>,
}

pub fn optional(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

impl PointForm {
    fn address(&self) -> AddressInput {
        AddressInput {
            line1: self.line1.clone(),
            line2: optional(&self.line2),
            city: self.city.clone(),
            region: optional(&self.region),
            postal_code: self.postal_code.clone(),
            country: self.country.clone(),
        }
    }

    pub fn new_values(&self, table: Table) -> NewValues {
        match table {
            Table::Addresses => NewValues::Address(self.address()),
            Table::Emails => NewValues::Email { email: self.email.clone(), subscribed: Some(self.subscribed.is_some()) },
            Table::Phones => NewValues::Phone { number: self.number.clone(), kind: Some(self.kind.clone()), sms_subscribed: Some(self.sms_subscribed.is_some()) },
        }
    }

    /// Every field of the list as the form has it. A login e-mail keeps its owner; its address is
    /// left out where the form does not show it (My Account) and sent where it does (staff), so
    /// that a changed one is refused as the API refuses it.
    pub fn edit(&self, table: Table, is_login: bool) -> Edit {
        let owner = (!is_login).then(|| optional(&self.owner));
        match table {
            Table::Addresses => {
                let a = self.address();
                Edit {
                    guardian_id: owner,
                    address: AddressEdit { line1: Some(a.line1), line2: Some(a.line2), city: Some(a.city), region: Some(a.region), postal_code: Some(a.postal_code), country: Some(a.country) },
                    ..Edit::default()
                }
            }
            Table::Emails => Edit { guardian_id: owner, email: (!(is_login && self.email.is_empty())).then(|| self.email.clone()), subscribed: Some(self.subscribed.is_some()), ..Edit::default() },
            Table::Phones => Edit {
                guardian_id: owner,
                number: Some(self.number.clone()),
                kind: Some(self.kind.clone()),
                sms_subscribed: Some(self.sms_subscribed.is_some()),
                ..Edit::default()
            },
        }
    }

    pub fn of(point: &PointView) -> PointForm {
        let yes = |b: bool| b.then(|| "yes".to_string());
        match point {
            PointView::Address(a) => PointForm {
                owner: a.guardian_id.as_ref().map(ToString::to_string).unwrap_or_default(),
                line1: a.line1.clone(),
                line2: a.line2.clone().unwrap_or_default(),
                city: a.city.clone(),
                region: a.region.clone().unwrap_or_default(),
                postal_code: a.postal_code.clone(),
                country: a.country.clone(),
                ..PointForm::default()
            },
            PointView::Email(e) => PointForm {
                owner: e.guardian_id.as_ref().map(ToString::to_string).unwrap_or_default(),
                email: e.email.clone(),
                subscribed: yes(e.subscribed),
                ..PointForm::default()
            },
            PointView::Phone(p) => PointForm {
                owner: p.guardian_id.as_ref().map(ToString::to_string).unwrap_or_default(),
                number: p.number.clone(),
                kind: p.kind.as_str().to_string(),
                sms_subscribed: yes(p.sms_subscribed),
                ..PointForm::default()
            },
        }
    }
}

/// The form's fields, for the error summary (the API's `guardian_id` is `owner` here).
pub const FIELDS: &[&str] = &["owner", "line1", "line2", "city", "region", "postal_code", "country", "email", "number", "kind"];

pub fn is_login(point: &PointView) -> bool {
    matches!(point, PointView::Email(e) if e.is_login)
}

pub trait AtFormField {
    /// The API's `guardian_id` is the form's `owner`.
    fn at_form_field(self) -> Self;
}

impl AtFormField for ApiError {
    fn at_form_field(self) -> Self {
        if self.field.as_deref() == Some("guardian_id") { self.at("owner") } else { self }
    }
}
