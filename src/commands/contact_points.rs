//! Account Information's contact points: list them per guardian with an Unassigned group, and add,
//! edit (opt-outs, reassign), delete them under `portal_core::contact`'s rule. Customers and staff
//! call the same commands; a customer's write is guarded on their session still being live.

use crate::adapters::crypto::new_id;
use crate::app::App;
use crate::commands::require_live;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::store::contact_points::{self as store, AddressRow, EmailRow, OwnerRow, OwnerSeen, PhoneRow, Table, Values};
use crate::store::sessions::still_live;
use crate::store::won;
use portal_core::contact::{
    check_login_email_delete, check_login_email_edit, may_add, may_change, may_reassign, parse_address, parse_e164, parse_email, AddressInput,
    ContactPointError, Editor, Owner, PhoneKind,
};
use portal_core::ids::GuardianId;
use serde::Serialize;

/// Who edits, in which family: a customer carries their session (each write is guarded on it).
pub struct Who<'a> {
    pub org_id: &'a str,
    pub family_id: &'a str,
    pub editor: Editor,
    pub session_id: Option<&'a str>,
}

#[derive(Debug, Serialize)]
pub struct AddressView {
    pub city: String,
    pub country: String,
    pub guardian_id: Option<GuardianId>,
    pub id: String,
    pub line1: String,
    pub line2: Option<String>,
    pub postal_code: String,
    pub region: Option<String>,
}

impl From<AddressRow> for AddressView {
    fn from(a: AddressRow) -> Self {
        AddressView {
            city: a.city,
            country: a.country,
            guardian_id: a.guardian_id.map(GuardianId),
            id: a.id,
            line1: a.line1,
            line2: a.line2,
            postal_code: a.postal_code,
            region: a.region,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct EmailView {
    pub email: String,
    pub guardian_id: Option<GuardianId>,
    pub id: String,
    pub is_login: bool,
    pub subscribed: bool,
}

impl From<EmailRow> for EmailView {
    fn from(e: EmailRow) -> Self {
        EmailView { email: e.email, guardian_id: e.guardian_id.map(GuardianId), id: e.id, is_login: e.is_login, subscribed: e.subscribed }
    }
}

#[derive(Debug, Serialize)]
pub struct PhoneView {
    pub guardian_id: Option<GuardianId>,
    pub id: String,
    pub kind: PhoneKind,
    pub number: String,
    pub sms_subscribed: bool,
}

impl From<PhoneRow> for PhoneView {
    fn from(p: PhoneRow) -> Self {
        PhoneView { guardian_id: p.guardian_id.map(GuardianId), id: p.id, kind: p.kind, number: p.number, sms_subscribed: p.sms_subscribed }
    }
}

/// One group of Account Information: a guardian's values, or the Unassigned ones.
#[derive(Debug, Serialize, Default)]
pub struct PointsView {
    pub addresses: Vec<AddressView>,
    pub emails: Vec<EmailView>,
    pub phones: Vec<PhoneView>,
}

#[derive(Debug, Serialize)]
pub struct GuardianPoints {
    pub guardian_id: GuardianId,
    pub name: String,
    /// They accepted an invitation: only they edit their values.
    #[serde(skip)]
    pub accepted: bool,
    #[serde(flatten)]
    pub points: PointsView,
}

#[derive(Debug, Serialize)]
pub struct ContactInfoView {
    pub guardians: Vec<GuardianPoints>,
    pub unassigned: PointsView,
}

pub async fn contact_info(app: &App, family_id: &str) -> ApiResult<ContactInfoView> {
    let all = store::family(&app.db, family_id).await?;
    let mut guardians: Vec<GuardianPoints> =
        all.owners.iter().map(|o| GuardianPoints {
            guardian_id: GuardianId(o.id.clone()),
            name: o.name.clone(),
            accepted: o.access_state == "can_log_in",
            points: PointsView::default(),
        }).collect();
    let mut unassigned = PointsView::default();
    for a in all.addresses {
        group(&mut guardians, &mut unassigned, &a.guardian_id).addresses.push(a.into());
    }
    for e in all.emails {
        group(&mut guardians, &mut unassigned, &e.guardian_id).emails.push(e.into());
    }
    for p in all.phones {
        group(&mut guardians, &mut unassigned, &p.guardian_id).phones.push(p.into());
    }
    Ok(ContactInfoView { guardians, unassigned })
}

/// The group a value of `owner` is listed in.
fn group<'a>(guardians: &'a mut [GuardianPoints], unassigned: &'a mut PointsView, owner: &Option<String>) -> &'a mut PointsView {
    match owner.as_deref().and_then(|id| guardians.iter().position(|g| *g.guardian_id == *id)) {
        Some(i) => &mut guardians[i].points,
        None => unassigned,
    }
}

fn owner_of(owners: &[OwnerRow], guardian_id: Option<&str>) -> ApiResult<Option<Owner>> {
    match guardian_id {
        None => Ok(None),
        Some(id) => owners
            .iter()
            .find(|o| o.id == id)
            .map(|o| Some(Owner { guardian_id: o.id.clone(), name: o.name.clone(), accepted: o.access_state == "can_log_in" }))
            .ok_or_else(|| ApiError::invalid_field("guardian_id", "guardian_id must be a guardian of this family, or null for Unassigned.")),
    }
}

fn seen<'a>(owners: &'a [OwnerRow], owner: &Option<Owner>) -> Option<OwnerSeen<'a>> {
    let id = owner.as_ref()?.guardian_id.as_str();
    owners.iter().find(|o| o.id == id).map(|o| OwnerSeen { guardian_id: &o.id, access_state: &o.access_state })
}

async fn owners(app: &App, family_id: &str) -> ApiResult<Vec<OwnerRow>> {
    app.db.all(store::FAMILY_OWNERS, &[crate::store::text(family_id)]).await
}

/// The batch wrote nothing: the customer's session ended, or someone changed the family or the
/// owner meanwhile.
async fn lost(app: &App, who: &Who<'_>) -> ApiError {
    if let Some(session) = who.session_id {
        if let Err(e) = require_live(app, session).await {
            return e;
        }
    }
    ApiError::conflict(ErrorCode::ConcurrentChange, "The contact information changed meanwhile. Reload it and try again.")
}

async fn write(app: &App, who: &Who<'_>, statement: worker::D1PreparedStatement) -> ApiResult<()> {
    let results = app.db.batch(vec![statement]).await?;
    if won(&results, 0)? {
        Ok(())
    } else {
        Err(lost(app, who).await)
    }
}

/// A new contact point as sent.
pub enum NewValues {
    Address(AddressInput),
    Email { email: String, subscribed: Option<bool> },
    Phone { number: String, kind: Option<String>, sms_subscribed: Option<bool> },
}

/// What a new or edited value parses to (owned, for `store::Values` to borrow).
enum Parsed {
    Address(portal_core::contact::Address),
    Email { email: String, subscribed: bool },
    Phone { number: String, kind: PhoneKind, sms_subscribed: bool },
}

impl Parsed {
    fn values(&self) -> Values<'_> {
        match self {
            Parsed::Address(a) => Values::Address(a),
            Parsed::Email { email, subscribed } => Values::Email { email, subscribed: *subscribed },
            Parsed::Phone { number, kind, sms_subscribed } => Values::Phone { number, kind: *kind, sms_subscribed: *sms_subscribed },
        }
    }
}

fn parse_new(v: NewValues) -> Result<Parsed, ContactPointError> {
    Ok(match v {
        NewValues::Address(a) => Parsed::Address(parse_address(&a)?),
        NewValues::Email { email, subscribed } => Parsed::Email { email: parse_email(&email)?.to_string(), subscribed: subscribed.unwrap_or(true) },
        NewValues::Phone { number, kind, sms_subscribed } => Parsed::Phone {
            number: parse_e164(&number)?,
            kind: kind.as_deref().map_or(Ok(PhoneKind::Mobile), PhoneKind::parse)?,
            sms_subscribed: sms_subscribed.unwrap_or(true),
        },
    })
}

/// Any one contact point, as its request answers.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum PointView {
    Address(AddressView),
    Email(EmailView),
    Phone(PhoneView),
}

pub async fn find(app: &App, family_id: &str, table: Table, id: &str) -> ApiResult<PointView> {
    let not_found = || ApiError::not_found(ErrorCode::ContactPointNotFound, "There is no such contact information in this family.");
    Ok(match table {
        Table::Addresses => PointView::Address(store::find_address(&app.db, family_id, id).await?.ok_or_else(not_found)?.into()),
        Table::Emails => PointView::Email(store::find_email(&app.db, family_id, id).await?.ok_or_else(not_found)?.into()),
        Table::Phones => PointView::Phone(store::find_phone(&app.db, family_id, id).await?.ok_or_else(not_found)?.into()),
    })
}

fn owner_id(p: &PointView) -> Option<&str> {
    match p {
        PointView::Address(a) => a.guardian_id.as_deref(),
        PointView::Email(e) => e.guardian_id.as_deref(),
        PointView::Phone(p) => p.guardian_id.as_deref(),
    }
}

/// Adds a contact point for `guardian_id` (None: Unassigned).
pub async fn add(app: &App, who: &Who<'_>, guardian_id: Option<&str>, values: NewValues) -> ApiResult<PointView> {
    let owners = owners(app, who.family_id).await?;
    let owner = owner_of(&owners, guardian_id)?;
    may_add(&who.editor, owner.as_ref())?;
    let parsed = parse_new(values)?;
    let (prefix, table) = match parsed {
        Parsed::Address(_) => ("adr", Table::Addresses),
        Parsed::Email { .. } => ("eml", Table::Emails),
        Parsed::Phone { .. } => ("tel", Table::Phones),
    };
    let id = new_id(prefix)?;
    let values = parsed.values();
    let point = store::NewPoint { id: &id, org_id: who.org_id, family_id: who.family_id, owner: seen(&owners, &owner) };
    let session = who.session_id.map(|s| still_live(s, app.now()));
    write(app, who, store::insert(&app.db, &point, &values, app.now(), session)?).await?;
    find(app, who.family_id, table, &id).await
}

/// An edit as sent: each field absent keeps its value; `guardian_id: Some(None)` is Unassigned.
#[derive(Default)]
pub struct Edit {
    pub guardian_id: Option<Option<String>>,
    pub address: AddressEdit,
    pub email: Option<String>,
    pub subscribed: Option<bool>,
    pub number: Option<String>,
    pub kind: Option<String>,
    pub sms_subscribed: Option<bool>,
}

#[derive(Default)]
pub struct AddressEdit {
    pub line1: Option<String>,
    pub line2: Option<Option<String>>,
    pub city: Option<String>,
    pub region: Option<Option<String>>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
}

/// Edits a contact point: its values, its opt-out, its owner.
pub async fn edit(app: &App, who: &Who<'_>, table: Table, id: &str, edit: Edit) -> ApiResult<PointView> {
    let current = find(app, who.family_id, table, id).await?;
    let owners = owners(app, who.family_id).await?;
    let from = owner_of(&owners, owner_id(&current)).map_err(|_| ApiError::internal("a contact point's owner is not in its family"))?;
    let to = match &edit.guardian_id {
        Some(new) => owner_of(&owners, new.as_deref())?,
        None => from.clone(),
    };
    if to.as_ref().map(|o| &o.guardian_id) != from.as_ref().map(|o| &o.guardian_id) {
        may_reassign(&who.editor, from.as_ref(), to.as_ref())?;
    } else {
        may_change(&who.editor, from.as_ref())?;
    }
    let parsed = match current {
        PointView::Address(a) => {
            let e = edit.address;
            Parsed::Address(parse_address(&AddressInput {
                line1: e.line1.unwrap_or(a.line1),
                line2: e.line2.unwrap_or(a.line2),
                city: e.city.unwrap_or(a.city),
                region: e.region.unwrap_or(a.region),
                postal_code: e.postal_code.unwrap_or(a.postal_code),
                country: e.country.unwrap_or(a.country),
            })?)
        }
        PointView::Email(e) => {
            let email = match edit.email {
                Some(new) => parse_email(&new)?.to_string(),
                None => e.email.clone(),
            };
            check_login_email_edit(e.is_login, email != e.email || edit.guardian_id.is_some_and(|g| g.as_deref() != e.guardian_id.as_deref()))?;
            Parsed::Email { email, subscribed: edit.subscribed.unwrap_or(e.subscribed) }
        }
        PointView::Phone(p) => Parsed::Phone {
            number: match edit.number {
                Some(n) => parse_e164(&n)?,
                None => p.number,
            },
            kind: edit.kind.as_deref().map_or(Ok(p.kind), PhoneKind::parse)?,
            sms_subscribed: edit.sms_subscribed.unwrap_or(p.sms_subscribed),
        },
    };
    let values = parsed.values();
    let session = who.session_id.map(|s| still_live(s, app.now()));
    write(app, who, store::update(&app.db, id, who.family_id, seen(&owners, &from), seen(&owners, &to), &values, app.now(), session)?).await?;
    find(app, who.family_id, table, id).await
}

pub async fn delete(app: &App, who: &Who<'_>, table: Table, id: &str) -> ApiResult<()> {
    let current = find(app, who.family_id, table, id).await?;
    let owners = owners(app, who.family_id).await?;
    let owner = owner_of(&owners, owner_id(&current)).map_err(|_| ApiError::internal("a contact point's owner is not in its family"))?;
    may_change(&who.editor, owner.as_ref())?;
    if let PointView::Email(e) = &current {
        check_login_email_delete(e.is_login)?;
    }
    let session = who.session_id.map(|s| still_live(s, app.now()));
    write(app, who, store::delete(&app.db, table, id, who.family_id, seen(&owners, &owner), session)?).await
}

/// Account Information's contact points as a page shows them to one editor: each group (a guardian,
/// then Unassigned) with whether its values are theirs to edit, and the owners they may add to.
pub struct ContactSection {
    pub groups: Vec<Group>,
    /// (guardian id or "" for Unassigned, name): where the editor may add a value.
    pub owners: Vec<(String, String)>,
}

pub struct Group {
    pub name: String,
    pub may_change: bool,
    pub points: PointsView,
}

impl GuardianPoints {
    fn owner(&self) -> Owner {
        Owner { guardian_id: self.guardian_id.to_string(), name: self.name.clone(), accepted: self.accepted }
    }
}

impl ContactInfoView {
    pub fn section(self, editor: &Editor) -> ContactSection {
        let mut owners: Vec<(String, String)> =
            self.guardians.iter().filter(|g| may_add(editor, Some(&g.owner())).is_ok()).map(|g| (g.guardian_id.to_string(), g.name.clone())).collect();
        if may_add(editor, None).is_ok() {
            owners.push((String::new(), "Unassigned".into()));
        }
        let mut groups: Vec<Group> = self
            .guardians
            .into_iter()
            .map(|g| Group { may_change: may_change(editor, Some(&g.owner())).is_ok(), name: g.name, points: g.points })
            .collect();
        groups.push(Group { name: "Unassigned".into(), may_change: may_change(editor, None).is_ok(), points: self.unassigned });
        ContactSection { groups, owners }
    }
}
