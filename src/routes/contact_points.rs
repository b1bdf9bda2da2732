//! Account Information's contact points, JSON: the customer's routes (`/portal/{org}/api/...`, their
//! own family) and staff's (`/office/{org}/api/families/{family_id}/...`), one set of handlers for
//! each door over the same commands.

use crate::app::App;
use crate::commands::contact_points::{self as commands, AddressEdit, Edit, NewValues, Who};
use crate::commands::families;
use crate::error::ApiResult;
use crate::http::{get, json, no_content, patch, post, Customer, Json, Path, PathParam, Response, Router, Staff};
use crate::store::contact_points::Table;
use portal_core::contact::{AddressInput, Editor};
use portal_core::ids::FamilyId;
use serde::{Deserialize, Deserializer};
use std::rc::Rc;

/// A contact point's id in a path (`{id}`).
pub struct PointId(String);

impl From<String> for PointId {
    fn from(s: String) -> Self {
        PointId(s)
    }
}

impl PathParam for PointId {
    const NAME: &'static str = "id";
}

/// The family's own, in the Customer Portal (registered from `routes::portal`).
pub fn portal_routes(router: Router) -> Router {
    router
        .route("/portal/:org/api/contact-info", get(customer_info))
        .route("/portal/:org/api/addresses", post(customer_add_address))
        .route("/portal/:org/api/addresses/:id", patch(customer_edit_address).delete(customer_delete_address))
        .route("/portal/:org/api/emails", post(customer_add_email))
        .route("/portal/:org/api/emails/:id", patch(customer_edit_email).delete(customer_delete_email))
        .route("/portal/:org/api/phones", post(customer_add_phone))
        .route("/portal/:org/api/phones/:id", patch(customer_edit_phone).delete(customer_delete_phone))
}

/// Staff's, in the Office Portal (registered from `routes::office`).
pub fn office_routes(router: Router) -> Router {
    router
        .route("/office/:org/api/families/:family_id/contact-info", get(staff_info))
        .route("/office/:org/api/families/:family_id/addresses", post(staff_add_address))
        .route("/office/:org/api/families/:family_id/addresses/:id", patch(staff_edit_address).delete(staff_delete_address))
        .route("/office/:org/api/families/:family_id/emails", post(staff_add_email))
        .route("/office/:org/api/families/:family_id/emails/:id", patch(staff_edit_email).delete(staff_delete_email))
        .route("/office/:org/api/families/:family_id/phones", post(staff_add_phone))
        .route("/office/:org/api/families/:family_id/phones/:id", patch(staff_edit_phone).delete(staff_delete_phone))
}

/// `null` read as `Some(None)` (Unassigned), an absent field as `None` (unchanged).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewAddress {
    #[serde(default)]
    guardian_id: Option<String>,
    line1: String,
    line2: Option<String>,
    city: String,
    region: Option<String>,
    postal_code: String,
    country: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewEmail {
    #[serde(default)]
    guardian_id: Option<String>,
    email: String,
    subscribed: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPhone {
    #[serde(default)]
    guardian_id: Option<String>,
    number: String,
    kind: Option<String>,
    sms_subscribed: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddressChange {
    #[serde(default, deserialize_with = "present")]
    guardian_id: Option<Option<String>>,
    line1: Option<String>,
    #[serde(default, deserialize_with = "present")]
    line2: Option<Option<String>>,
    city: Option<String>,
    #[serde(default, deserialize_with = "present")]
    region: Option<Option<String>>,
    postal_code: Option<String>,
    country: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailChange {
    #[serde(default, deserialize_with = "present")]
    guardian_id: Option<Option<String>>,
    email: Option<String>,
    subscribed: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhoneChange {
    #[serde(default, deserialize_with = "present")]
    guardian_id: Option<Option<String>>,
    number: Option<String>,
    kind: Option<String>,
    sms_subscribed: Option<bool>,
}

impl NewAddress {
    fn split(self) -> (Option<String>, NewValues) {
        let input = AddressInput { line1: self.line1, line2: self.line2, city: self.city, region: self.region, postal_code: self.postal_code, country: self.country };
        (self.guardian_id, NewValues::Address(input))
    }
}

impl NewEmail {
    fn split(self) -> (Option<String>, NewValues) {
        (self.guardian_id, NewValues::Email { email: self.email, subscribed: self.subscribed })
    }
}

impl NewPhone {
    fn split(self) -> (Option<String>, NewValues) {
        (self.guardian_id, NewValues::Phone { number: self.number, kind: self.kind, sms_subscribed: self.sms_subscribed })
    }
}

impl From<AddressChange> for Edit {
    fn from(c: AddressChange) -> Self {
        Edit {
            guardian_id: c.guardian_id,
            address: AddressEdit { line1: c.line1, line2: c.line2, city: c.city, region: c.region, postal_code: c.postal_code, country: c.country },
            ..Edit::default()
        }
    }
}

impl From<EmailChange> for Edit {
    fn from(c: EmailChange) -> Self {
        Edit { guardian_id: c.guardian_id, email: c.email, subscribed: c.subscribed, ..Edit::default() }
    }
}

impl From<PhoneChange> for Edit {
    fn from(c: PhoneChange) -> Self {
        Edit { guardian_id: c.guardian_id, number: c.number, kind: c.kind, sms_subscribed: c.sms_subscribed, ..Edit::default() }
    }
}

fn customer(me: &Customer) -> Who<'_> {
    Who {
        org_id: &me.org.id,
        family_id: &me.me.family_id,
        editor: Editor::Guardian { guardian_id: me.me.id.clone(), is_primary: me.me.is_primary },
        session_id: Some(&me.session_id),
    }
}

/// Staff act in one of their organization's families (404 for another's).
async fn staff<'a>(app: &App, staff: &'a Staff, family_id: &'a FamilyId) -> ApiResult<Who<'a>> {
    families::find(app, &staff.org.id, family_id).await?;
    Ok(Who { org_id: &staff.org.id, family_id, editor: Editor::Staff, session_id: None })
}

async fn add(app: &App, who: &Who<'_>, (guardian_id, values): (Option<String>, NewValues)) -> ApiResult<Response> {
    json(201, &commands::add(app, who, guardian_id.as_deref(), values).await?)
}

async fn edit(app: &App, who: &Who<'_>, table: Table, id: &PointId, edit: Edit) -> ApiResult<Response> {
    json(200, &commands::edit(app, who, table, &id.0, edit).await?)
}

async fn remove(app: &App, who: &Who<'_>, table: Table, id: &PointId) -> ApiResult<Response> {
    commands::delete(app, who, table, &id.0).await?;
    no_content()
}

pub async fn customer_info(app: Rc<App>, me: Customer) -> ApiResult<Response> {
    json(200, &commands::contact_info(&app, &me.me.family_id).await?)
}

pub async fn staff_info(app: Rc<App>, me: Staff, Path(family_id): Path<FamilyId>) -> ApiResult<Response> {
    let who = staff(&app, &me, &family_id).await?;
    json(200, &commands::contact_info(&app, who.family_id).await?)
}

pub async fn customer_add_address(app: Rc<App>, me: Customer, Json(b): Json<NewAddress>) -> ApiResult<Response> {
    add(&app, &customer(&me), b.split()).await
}
pub async fn customer_add_email(app: Rc<App>, me: Customer, Json(b): Json<NewEmail>) -> ApiResult<Response> {
    add(&app, &customer(&me), b.split()).await
}
pub async fn customer_add_phone(app: Rc<App>, me: Customer, Json(b): Json<NewPhone>) -> ApiResult<Response> {
    add(&app, &customer(&me), b.split()).await
}
pub async fn customer_edit_address(app: Rc<App>, me: Customer, Path(id): Path<PointId>, Json(b): Json<AddressChange>) -> ApiResult<Response> {
    edit(&app, &customer(&me), Table::Addresses, &id, b.into()).await
}
pub async fn customer_edit_email(app: Rc<App>, me: Customer, Path(id): Path<PointId>, Json(b): Json<EmailChange>) -> ApiResult<Response> {
    edit(&app, &customer(&me), Table::Emails, &id, b.into()).await
}
pub async fn customer_edit_phone(app: Rc<App>, me: Customer, Path(id): Path<PointId>, Json(b): Json<PhoneChange>) -> ApiResult<Response> {
    edit(&app, &customer(&me), Table::Phones, &id, b.into()).await
}
pub async fn customer_delete_address(app: Rc<App>, me: Customer, Path(id): Path<PointId>) -> ApiResult<Response> {
    remove(&app, &customer(&me), Table::Addresses, &id).await
}
pub async fn customer_delete_email(app: Rc<App>, me: Customer, Path(id): Path<PointId>) -> ApiResult<Response> {
    remove(&app, &customer(&me), Table::Emails, &id).await
}
pub async fn customer_delete_phone(app: Rc<App>, me: Customer, Path(id): Path<PointId>) -> ApiResult<Response> {
    remove(&app, &customer(&me), Table::Phones, &id).await
}

pub async fn staff_add_address(app: Rc<App>, me: Staff, Path(f): Path<FamilyId>, Json(b): Json<NewAddress>) -> ApiResult<Response> {
    add(&app, &staff(&app, &me, &f).await?, b.split()).await
}
pub async fn staff_add_email(app: Rc<App>, me: Staff, Path(f): Path<FamilyId>, Json(b): Json<NewEmail>) -> ApiResult<Response> {
    add(&app, &staff(&app, &me, &f).await?, b.split()).await
}
pub async fn staff_add_phone(app: Rc<App>, me: Staff, Path(f): Path<FamilyId>, Json(b): Json<NewPhone>) -> ApiResult<Response> {
    add(&app, &staff(&app, &me, &f).await?, b.split()).await
}
pub async fn staff_edit_address(app: Rc<App>, me: Staff, Path(f): Path<FamilyId>, Path(id): Path<PointId>, Json(b): Json<AddressChange>) -> ApiResult<Response> {
    edit(&app, &staff(&app, &me, &f).await?, Table::Addresses, &id, b.into()).await
}
pub async fn staff_edit_email(app: Rc<App>, me: Staff, Path(f): Path<FamilyId>, Path(id): Path<PointId>, Json(b): Json<EmailChange>) -> ApiResult<Response> {
    edit(&app, &staff(&app, &me, &f).await?, Table::Emails, &id, b.into()).await
}
pub async fn staff_edit_phone(app: Rc<App>, me: Staff, Path(f): Path<FamilyId>, Path(id): Path<PointId>, Json(b): Json<PhoneChange>) -> ApiResult<Response> {
    edit(&app, &staff(&app, &me, &f).await?, Table::Phones, &id, b.into()).await
}
pub async fn staff_delete_address(app: Rc<App>, me: Staff, Path(f): Path<FamilyId>, Path(id): Path<PointId>) -> ApiResult<Response> {
    remove(&app, &staff(&app, &me, &f).await?, Table::Addresses, &id).await
}
pub async fn staff_delete_email(app: Rc<App>, me: Staff, Path(f): Path<FamilyId>, Path(id): Path<PointId>) -> ApiResult<Response> {
    remove(&app, &staff(&app, &me, &f).await?, Table::Emails, &id).await
}
pub async fn staff_delete_phone(app: Rc<App>, me: Staff, Path(f): Path<FamilyId>, Path(id): Path<PointId>) -> ApiResult<Response> {
    remove(&app, &staff(&app, &me, &f).await?, Table::Phones, &id).await
}
