//! Invitations: the console of every invitation of the organization with its state, expiry and
//! sender, filtered by state, each linking to its family's details. The command of the JSON API's
//! `GET /invitations?status=`.

use super::frame::*;
use crate::app::App;
use crate::commands::access::{self, InvitationView};
use crate::error::ApiResult;
use crate::http::{get, OrgSlug, Query, Response, Router};
use crate::routes::pages::form::*;
use crate::store::invitations::InvitationFilter;
use askama::Template;
use serde::de::{value, IntoDeserializer};
use serde::Deserialize;
use std::rc::Rc;

/// The newest invitations shown, so that the page stays light.
const SHOWN: usize = 100;

pub fn routes(router: Router) -> Router {
    router.route("/office/:org/invitations", get(invitations_page))
}

/// The states the filter offers, as the API's `?status=` names them ("" is every state).
const STATES: [(&str, &str); 6] =
    [("", "All"), ("pending", "Pending"), ("expired", "Expired"), ("accepted", "Accepted"), ("revoked", "Revoked"), ("superseded", "Superseded")];

pub struct StateChoice {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

/// An invitation as the console shows it.
pub struct InvitationLine {
    pub invitation: InvitationView,
    pub state: &'static str,
    pub sent_at: String,
    pub expires_at: String,
    pub ended_at: Option<String>,
}

impl InvitationLine {
    fn of(invitation: InvitationView) -> Self {
        let state = STATES.iter().find(|(value, _)| *value == invitation.state).map_or("Unknown", |(_, label)| label);
        InvitationLine {
            state,
            sent_at: when(&invitation.sent_at),
            expires_at: when(&invitation.expires_at),
            ended_at: invitation.ended_at.as_deref().map(when),
            invitation,
        }
    }
}

#[derive(Template)]
#[template(path = "office/invitations.html")]
pub struct InvitationsPage {
    chrome: Chrome,
    states: Vec<StateChoice>,
    filtered: bool,
    invitations: Vec<InvitationLine>,
    more: bool,
    errors: Errors,
}

#[derive(Deserialize)]
pub struct InvitationsQuery {
    #[serde(default)]
    status: String,
}

pub async fn invitations_page(
    app: Rc<App>,
    OrgSlug(org): OrgSlug,
    FlashIn(flash): FlashIn,
    me: MaybeStaff,
    Query(query): Query<InvitationsQuery>,
) -> ApiResult<Response> {
    let (staff, chrome) = signed_in!(org, me, flash);
    let mut errors = Errors::default();
    // The API's own reading of `?status=`, so that the page and the API accept the same states.
    let filter = InvitationFilter::deserialize(query.status.as_str().into_deserializer()).map_err(|_: value::Error| ());
    let invitations = match filter {
        Ok(filter) => access::invitations(&app, &staff.org.id, filter).await?.invitations,
        Err(()) => {
            errors.field("status", "Choose a state from the list.");
            Vec::new()
        }
    };
    let chrome = chrome.at(Section::Invitations).with_errors(&errors);
    let status = if errors.is_empty() { 200 } else { 422 };
    let page = InvitationsPage {
        chrome: chrome.clone(),
        states: STATES.iter().map(|&(value, label)| StateChoice { value, label, selected: value == query.status }).collect(),
        filtered: !query.status.is_empty(),
        more: invitations.len() > SHOWN,
        invitations: invitations.into_iter().take(SHOWN).map(InvitationLine::of).collect(),
        errors,
    };
    respond(status, &page, &chrome)
}
