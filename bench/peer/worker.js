// The peer: the JavaScript Worker a user would write instead of ours, for the hot routes only
// (bench/peer.mjs runs it beside the Rust worker and checks that both answer byte for byte alike).
// Hono + D1, written plainly: Hono's router and context, hono/jwt for the HS256 session token,
// JSON.stringify for bodies, template literals for the pages. The SQL is copied from src/store/;
// the access rules are ported from core/src/access.rs, as far as these routes need them.
//
//   GET  /healthz
//   the portal gate on every /portal/{org}/... (isolate memory 5 s, then KV, then D1)
//   GET  /portal/{org}                                   sign-in page (1 read: the organization's name)
//   GET  /portal/static/portal.{hash}.css                the stylesheet the pages link
//   GET  /portal/{org}/api/account                       session check (D1, every request) + 1 batch of 2 reads
//   POST /portal/{org}/api/guardians/{id}/invitation     session, guardian + family (1 batch of 2 reads),
//                                                        1 guarded batch of 5 writes, queue, guardian + family again
//
// D1 is reached exactly as the Rust worker reaches it: the same statements in the same round trips
// (bench/peer.mjs counts both sides' and refuses to measure when they differ). What the Rust worker
// makes once per isolate, so does this one: the HMAC key of the session token, the gate's fixed
// answers.
import { Hono } from 'hono';
import { verify } from 'hono/jwt';
// The pages' one stylesheet, as a string (esbuild bundles an import `with { type: 'text' }` so).
import STYLESHEET from '../../templates/portal/portal.css' with { type: 'text' };

// ---------------------------------------------------------------------------------------------
// SQL, as src/store/ has it.

const SESSION_COLUMNS =
  'SELECT s.kind, s.org_id, s.subject_id, s.epoch, s.expires_at, s.ended_at, s.end_reason, ' +
  'o.slug AS org_slug, o.name AS org_name, o.portal_enabled, o.customer_session_epoch, ';
const LOAD_GUARDIAN_SESSION =
  SESSION_COLUMNS +
  'g.family_id, f.name AS family_name, g.person_id, f.primary_guardian_id, g.first_name, g.last_name, g.email, ' +
  'g.access_state, g.can_make_payments, g.can_view_full_ledger, g.can_manage_enrollments, p.password_hash, o.invitation_ttl_hours, ' +
  'o.payment_gateway_kind, o.payment_gateway_account_id, o.require_recurring_authorization, ' +
  'o.show_full_ledger_history, o.allow_drop_requests, o.allow_transfer_requests, o.allow_cancel_waitlist ' +
  'FROM sessions s JOIN organizations o ON o.id = s.org_id ' +
  'JOIN guardians g ON g.id = s.subject_id JOIN families f ON f.id = g.family_id ' +
  'LEFT JOIN people p ON p.id = g.person_id ' +
  'WHERE s.id = ?1';
const GUARDIAN_SELECT =
  'SELECT g.id, g.family_id, g.person_id, g.first_name, g.last_name, g.email, g.phone, ' +
  'g.access_state, g.accepted_at, g.can_make_payments, g.can_view_full_ledger, g.can_manage_enrollments, ' +
  '(f.primary_guardian_id = g.id) AS is_primary, ' +
  'i.expires_at AS invitation_expires_at, i.created_at AS invitation_sent_at ' +
  'FROM guardians g JOIN families f ON f.id = g.family_id ' +
  "LEFT JOIN invitations i ON i.guardian_id = g.id AND i.state = 'pending'";
const FIND_GUARDIAN = GUARDIAN_SELECT + ' WHERE g.id = ?1 AND g.org_id = ?2';
const FAMILY_GUARDIANS = GUARDIAN_SELECT + ' WHERE g.family_id = ?1 ORDER BY is_primary DESC, g.created_at, g.id';
/** The family of guardian ?1, read beside the guardian in one batch. */
const FAMILY_OF_GUARDIAN =
  'SELECT id, name, primary_guardian_id, status, merged_into_id FROM families ' +
  'WHERE id = (SELECT family_id FROM guardians WHERE id = ?1 AND org_id = ?2) AND org_id = ?2';
const EMAIL_IN_FAMILY = 'SELECT id FROM guardians WHERE family_id = ?1 AND email = ?2';
const FAMILIES_OF_PERSON =
  'SELECT g.id AS guardian_id, f.id, f.name FROM guardians g JOIN families f ON f.id = g.family_id ' +
  "WHERE g.person_id = ?1 AND g.access_state = 'can_log_in' AND f.status = 'active' ORDER BY f.name, f.id";
const PORTAL_ENABLED = 'SELECT portal_enabled FROM organizations WHERE slug = ?1';
const ORGANIZATION_BY_SLUG = 'SELECT id, slug, name, invitation_ttl_hours FROM organizations WHERE slug = ?1';
const MARK_INVITED =
  "UPDATE guardians SET access_state = 'invite_sent', email = ?2, last_change_id = ?3, updated_at = ?4 " +
  "WHERE id = ?1 AND access_state != 'can_log_in' " +
  "AND NOT EXISTS (SELECT 1 FROM invitations WHERE guardian_id = ?1 AND state = 'pending' AND created_at > ?5)";
const GUARDIAN_CHANGED_BY = 'EXISTS (SELECT 1 FROM guardians WHERE id = ? AND last_change_id = ?)';
const SUPERSEDE_PENDING =
  "UPDATE invitations SET state = 'superseded', ended_at = ? WHERE guardian_id = ? AND state = 'pending'" +
  ` AND ${GUARDIAN_CHANGED_BY}`;
const INSERT_INVITATION =
  'INSERT INTO invitations (id, org_id, family_id, guardian_id, token_hash, email, sent_by_kind, ' +
  `sent_by_id, sent_by_label, created_at, expires_at) SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE ${GUARDIAN_CHANGED_BY}`;
const INSERT_AUDIT =
  'INSERT INTO audit_log (id, org_id, at, actor_kind, actor_id, actor_label, action, ' +
  `target_kind, target_id, target_label, family_id, reason) SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE ${GUARDIAN_CHANGED_BY}`;
const INSERT_OUTBOX =
  `INSERT INTO outbox (id, org_id, kind, payload, created_at, enqueued_at) SELECT ?, ?, ?, ?, ?, ? WHERE ${GUARDIAN_CHANGED_BY}`;
const NOT_HANDED_OVER =
  'UPDATE outbox SET enqueued_at = NULL WHERE id IN (?1) AND processed_at IS NULL AND failed_at IS NULL';

// ---------------------------------------------------------------------------------------------
// Answers.

const UNAVAILABLE = 'Our Customer Portal is currently unavailable. Please check back later.';
const RESEND_COOLDOWN_SECONDS = 60;

class ApiError extends Error {
  constructor(status, code, message, headers = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };
const json = (status, value) => new Response(JSON.stringify(value), { status, headers: JSON_HEADERS });
const errorResponse = (e) =>
  new Response(JSON.stringify({ error: { code: e.code, message: e.message } }), { status: e.status, headers: { ...JSON_HEADERS, ...e.headers } });

const sessionError = {
  missing: () => new ApiError(401, 'not_authenticated', 'Sign in first: this request has no session token.'),
  invalid: () => new ApiError(401, 'invalid_session', 'The session token is not valid.'),
  wrongAudience: () => new ApiError(401, 'invalid_session', 'The session token is for another organization or portal.'),
  expired: () => new ApiError(401, 'session_expired', 'The session has expired. Please sign in again.'),
  ended: () => new ApiError(401, 'session_ended', 'The session has ended. Please sign in again.'),
};

/** An ended session says why where it can, by its `end_reason` (core/src/session.rs). */
const ENDED_BECAUSE = {
  signed_out: 'You signed out. Please sign in again.',
  password_changed: 'Your password was changed. Please sign in with your new password.',
  password_reset: 'Your password was changed. Please sign in with your new password.',
  access_revoked: "Your access to this family's account has ended. If you have questions, contact the Primary Guardian.",
  primary_changed: "Your access to this family's account has ended. If you have questions, contact the Primary Guardian.",
  families_merged: "Your access to this family's account has ended. If you have questions, contact the Primary Guardian.",
  moved: "Your access to this family's account has ended. If you have questions, contact the Primary Guardian.",
  switched_family: 'You moved to another family account in another window. Please sign in again.',
};
const endedBecause = (reason) =>
  Object.hasOwn(ENDED_BECAUSE, reason ?? '') ? new ApiError(401, 'session_ended', ENDED_BECAUSE[reason]) : sessionError.ended();

// ---------------------------------------------------------------------------------------------
// Pages (templates/portal/*.html, as askama renders them: the parts these pages use).

const escapeHtml = (s) =>
  String(s).replace(/[<>&"']/g, (ch) => ({ '<': '&#60;', '>': '&#62;', '&': '&#38;', '"': '&#34;', "'": '&#39;' })[ch]);

/** FNV-1a, 32 bits: the stylesheet is named by the hash of its content (src/routes/portal/pages/mod.rs). */
function fnv1a(bytes) {
  let hash = 0x811c9dc5;
  for (const b of bytes) hash = Math.imul(hash ^ b, 0x01000193) >>> 0;
  return hash;
}
// Once per isolate, when the module loads (the Rust worker computes it at compile time).
const STYLESHEET_FILE = `portal.${fnv1a(new TextEncoder().encode(STYLESHEET)).toString(16).padStart(8, '0')}.css`;

const HTML_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'content-security-policy':
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; " +
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
};

/** The frame of every page (layout.html); `orgName` is null where the organization is not known. */
const layout = (orgName, title, body) => {
  const site = orgName == null ? 'Customer Portal' : `${escapeHtml(orgName)} Customer Portal`;
  const brand = orgName == null ? 'Customer Portal' : `${escapeHtml(orgName)}<span>Customer Portal</span>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} – ${site}</title>
<link rel="stylesheet" href="/portal/static/${STYLESHEET_FILE}">
</head>
<body>
<a class="skip" href="#main">Skip to main content</a>
<header>
<div class="wrap">
<p class="brand">${brand}</p>

</div>
</header>
<main id="main">
<div class="wrap">
${body}
</div>
</main>
<footer>
<div class="wrap"><p>${site}</p></div>
</footer>
</body>
</html>`;
};

const html = (status, body) => new Response(body, { status, headers: HTML_HEADERS });

/** message.html, on a page that does not know the organization (the gate's): the body. */
const messagePage = (title, message) =>
  layout(
    null,
    title,
    `
<div class="panel">
<h1>${escapeHtml(title)}</h1>
<p class="message">${escapeHtml(message)}</p>

</div>
`,
  );

// The gate's answers never change: their bodies are made once per isolate, when the module loads.
const NOT_FOUND_PAGE = messagePage('Page not found', 'There is no such page in the Customer Portal.');
const UNAVAILABLE_PAGE = messagePage('Customer Portal unavailable', UNAVAILABLE);
const NO_SUCH_PORTAL_JSON = JSON.stringify({ error: { code: 'organization_not_found', message: 'There is no such Customer Portal.' } });
const UNAVAILABLE_JSON = JSON.stringify({ error: { code: 'portal_unavailable', message: UNAVAILABLE } });
const notFoundPage = () => html(404, NOT_FOUND_PAGE);

/** fields.html's input, empty and without a hint or an error. */
const input = (id, label, type, autocomplete) => `
<div class="field">
<label for="${id}">${label}</label>
<input id="${id}" name="${id}" type="${type}" value="" autocomplete="${autocomplete}" spellcheck="false">
</div>
`;

const signInPage = (org, orgName) =>
  layout(
    orgName,
    'Sign in',
    `
<div class="panel">

<h1>Sign in</h1>
<p>Sign in to the ${escapeHtml(orgName)} Customer Portal with the e-mail address your invitation was sent to.</p>
<form id="sign-in" method="post" action="/portal/${escapeHtml(org)}" novalidate>
${input('email', 'E-mail address', 'email', 'username')}
${input('password', 'Password', 'password', 'current-password')}
<button type="submit">Sign in</button>
</form>
<p><a href="/portal/${escapeHtml(org)}/forgot-password">Forgot your password?</a></p>
</div>
`,
  );

// ---------------------------------------------------------------------------------------------
// The rules these routes need (core/src/access.rs).

const fullName = (g) => `${g.first_name} ${g.last_name}`;

function sameFamilyPrimaryError(me, target) {
  if (me.family_id !== target.family_id) return 'guardian_not_found';
  if (!me.is_primary) return 'primary_guardian_only';
  return null;
}

function mayInvite(me, target) {
  const wrong = sameFamilyPrimaryError(me, target);
  if (wrong) return new ApiError(wrong === 'guardian_not_found' ? 404 : 403, wrong, wrong === 'guardian_not_found' ? 'No guardian with that id.' : 'Only the Primary Guardian of this family can do this.');
  if (target.is_primary || target.access_state === 'can_log_in') {
    return new ApiError(409, 'already_has_access', `${fullName(target)} can already log in.`);
  }
  return null;
}

function cooldown(lastSentAt, now) {
  if (lastSentAt != null && lastSentAt + RESEND_COOLDOWN_SECONDS * 1000 > now) {
    const seconds = Math.floor((lastSentAt + RESEND_COOLDOWN_SECONDS * 1000 - now + 999) / 1000);
    return new ApiError(429, 'resend_cooldown', `An invitation was sent moments ago. Try again in ${seconds} seconds.`, { 'retry-after': String(seconds) });
  }
  return null;
}

function visibility(me, target) {
  const actions = [];
  const sameFamilyPrimary = !sameFamilyPrimaryError(me, target);
  if (!mayInvite(me, target)) actions.push(target.access_state === 'invite_sent' ? 'resend_invitation' : 'send_invitation');
  if (sameFamilyPrimary && me.id !== target.id && (target.access_state === 'invite_sent' || target.access_state === 'can_log_in')) {
    actions.push('revoke');
  }
  if (sameFamilyPrimary && target.access_state === 'can_log_in') actions.push('reset_password');
  const editable = me.id === target.id || (sameFamilyPrimary && target.access_state !== 'can_log_in');
  if (sameFamilyPrimary && !target.is_primary) actions.push('set_permissions');
  return { contactVisible: me.id === target.id || editable, editable, actions };
}

const STATUS_LABELS = {
  no_access: 'No Access',
  invite_sent: 'Invite Sent',
  invite_expired: 'Invite Expired',
  can_log_in: 'Can Log In',
  invite_revoked: 'Invite Revoked',
};

function accessStatus(row, now) {
  if (row.access_state === 'invite_sent' && !(row.invitation_expires_at != null && row.invitation_expires_at > now)) return 'invite_expired';
  return row.access_state;
}

const iso = (ms) => (ms == null ? null : new Date(ms).toISOString());

/** A guardian as the API shows it to `me` (keys in the order the Rust worker writes them). */
function guardianJson(row, me, now) {
  const isPrimary = row.is_primary !== 0;
  const target = { ...row, is_primary: isPrimary };
  const seen = visibility(me, target);
  const status = accessStatus(row, now);
  return {
    accepted_at: iso(row.accepted_at),
    access_label: STATUS_LABELS[status],
    access_status: status,
    actions: seen.actions,
    contact_editable: seen.editable,
    email: seen.contactVisible ? row.email : null,
    family_id: row.family_id,
    first_name: row.first_name,
    id: row.id,
    invitation_expires_at: iso(row.invitation_expires_at),
    is_primary: isPrimary,
    last_name: row.last_name,
    permissions: {
      can_make_payments: isPrimary || row.can_make_payments !== 0,
      can_manage_enrollments: isPrimary || row.can_manage_enrollments !== 0,
      can_view_full_ledger: isPrimary || row.can_view_full_ledger !== 0,
    },
    phone: seen.contactVisible ? row.phone : null,
  };
}

// ---------------------------------------------------------------------------------------------
// The portal switch: isolate memory (5 s), KV, then D1 (src/adapters/switch.rs).

const MEMORY_TTL_MS = 5000;
const memory = new Map();

async function portalView(env, slug) {
  const now = Date.now();
  const remembered = memory.get(slug);
  if (remembered && remembered.until > now) return remembered.view;
  let view;
  let cached = null;
  try {
    cached = await env.PORTAL_SWITCH.get(`portal-switch:${slug}`);
  } catch (e) {
    console.error('kv read failed, asking D1', e);
  }
  if (cached === 'on') view = 'enabled';
  else if (cached === 'off') view = 'disabled';
  else {
    const row = await env.DB.prepare(PORTAL_ENABLED).bind(slug).first();
    view = row ? (row.portal_enabled !== 0 ? 'enabled' : 'disabled') : 'unknown';
    if (row) {
      await env.PORTAL_SWITCH.put(`portal-switch:${slug}`, row.portal_enabled !== 0 ? 'on' : 'off', { expirationTtl: 3600 }).catch((e) => console.error(e));
    }
  }
  if (memory.size > 10_000) memory.clear();
  memory.set(slug, { view, until: now + MEMORY_TTL_MS });
  return view;
}

// ---------------------------------------------------------------------------------------------
// The session (src/http/session.rs): a bearer token or the cookie, verified, then its row.

function cookie(header, name) {
  for (const part of (header || '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name && v.join('=')) return v.join('=');
  }
  return null;
}

/** The session token's HMAC key, imported once per isolate (and again only if the secret changed). */
let imported = null;
function sessionKey(secret) {
  if (imported?.secret !== secret) {
    const key = crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
    imported = { secret, key };
  }
  return imported.key;
}

async function customer(c) {
  const req = c.req;
  let token = null;
  const auth = req.header('authorization');
  if (auth) {
    const [scheme, value] = auth.trim().split(/ (.*)/s);
    if (scheme.toLowerCase() === 'bearer' && value && value.trim()) token = value.trim();
  }
  let cookieSession = false;
  if (!token) {
    token = cookie(req.header('cookie'), 'portal_session');
    if (!token) throw sessionError.missing();
    if (!['GET', 'HEAD', 'OPTIONS'].includes(req.method)) {
      const origin = req.header('origin');
      const site = req.header('sec-fetch-site');
      if ((origin && origin !== new URL(req.url).origin) || (site && site !== 'same-origin' && site !== 'none')) {
        throw new ApiError(403, 'cross_site_request', 'This request came from another site and was refused.');
      }
    }
    cookieSession = true;
  }
  let claims;
  try {
    claims = await verify(token, await sessionKey(c.env.SESSION_SECRET), 'HS256');
  } catch (e) {
    throw e.name === 'JwtTokenExpired' ? sessionError.expired() : sessionError.invalid();
  }
  if (claims.kind !== 'guardian') throw sessionError.wrongAudience();
  const row = await c.env.DB.prepare(LOAD_GUARDIAN_SESSION).bind(claims.sid).first();
  if (!row) throw sessionError.ended();
  if (row.org_slug !== req.param('org')) throw sessionError.wrongAudience();
  if (row.portal_enabled === 0) throw new ApiError(503, 'portal_unavailable', UNAVAILABLE);
  const now = Date.now();
  if (row.kind !== claims.kind || row.org_id !== claims.org) throw sessionError.wrongAudience();
  if (row.ended_at != null) throw endedBecause(row.end_reason);
  if (row.expires_at <= now) throw sessionError.expired();
  if (row.epoch < row.customer_session_epoch) throw endedBecause(row.end_reason);
  if (row.access_state !== 'can_log_in' || row.person_id == null) throw endedBecause('access_revoked');
  return {
    sessionId: claims.sid,
    cookieSession,
    row,
    me: {
      id: row.subject_id,
      family_id: row.family_id,
      is_primary: row.primary_guardian_id === row.subject_id,
      access_state: 'can_log_in',
      first_name: row.first_name,
      last_name: row.last_name,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Small helpers for the write path.

const b64url = (bytes) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const randomBytes = (n) => crypto.getRandomValues(new Uint8Array(n));
const newId = (prefix) => `${prefix}_${b64url(randomBytes(16))}`;
async function sha256Hex(s) {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(s.trim())));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}
const pad2 = (n) => String(n).padStart(2, '0');
const readableUtc = (ms) => {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} at ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}`;
};

/** core/templates/email/invitation.{txt,html}, and the OutgoingEmail the outbox keeps. */
function invitationEmail({ to, orgName, orgSlug, firstName, familyName, invitedBy, token, expiresAt, baseUrl }) {
  const link = `${baseUrl}/portal/${orgSlug}/invitations/${token}`;
  const e = escapeHtml;
  return {
    kind: 'invitation',
    to,
    subject: `You're invited to the ${orgName} Customer Portal`,
    text:
      `Hello ${firstName},\n\n${invitedBy} invited you to log in to the ${familyName} family account in the ${orgName} Customer Portal.\n\n` +
      `Accept the invitation: ${link}\n\nThe link works once and expires on ${readableUtc(expiresAt)} UTC.`,
    html:
      `<p>Hello ${e(firstName)},</p>\n<p>${e(invitedBy)} invited you to log in to the ${e(familyName)} family account in the ${e(orgName)} Customer Portal.</p>\n` +
      `<p>Accept the invitation: ${e(baseUrl)}/portal/${e(orgSlug)}/invitations/${e(token)}</p>\n` +
      `<p>The link works once and expires on ${readableUtc(expiresAt)} UTC.</p>`,
    secret: token,
  };
}

async function readOptionalJson(c, cookieSession) {
  const len = c.req.header('content-length');
  if (len && Number(len.trim()) > 64 * 1024) throw new ApiError(413, 'body_too_large', 'The request body is larger than 65536 bytes.');
  const text = await c.req.text();
  const declared = c.req.header('content-type');
  if (cookieSession && !(declared && declared.split(';')[0].trim().toLowerCase() === 'application/json') && !(declared == null && text === '')) {
    throw new ApiError(415, 'unsupported_media_type', 'The request body must be JSON (Content-Type: application/json).');
  }
  if (text.trim() === '') return {};
  let body;
  try {
    body = JSON.parse(text);
  } catch (e) {
    throw new ApiError(400, 'malformed_json', `The request body is not valid JSON: ${e.message}.`);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new ApiError(422, 'invalid_field', 'The request body must be a JSON object.');
  return body;
}

// ---------------------------------------------------------------------------------------------
// The app.

const app = new Hono();

app.onError((e, c) => {
  if (e instanceof ApiError) return errorResponse(e);
  console.error('internal error', e);
  return errorResponse(new ApiError(500, 'internal_error', 'Something went wrong on our side. Please try again.'));
});

const TEXT_HEADERS = { 'content-type': 'text/plain; charset=utf-8' };
app.get('/healthz', () => new Response('ok', { headers: TEXT_HEADERS }));

// The portal switch, before any customer route.
app.use('/portal/:org/*', async (c, next) => {
  const org = c.req.param('org');
  if (org === 'static') return next(); // the stylesheet (a reserved slug): the 503 page needs it too
  const tail = c.req.path.slice(`/portal/${org}`.length).replace(/^\//, '');
  const isApi = tail === 'api' || tail.startsWith('api/');
  const view = await portalView(c.env, org);
  if (view === 'unknown') {
    if (isApi) return new Response(NO_SUCH_PORTAL_JSON, { status: 404, headers: JSON_HEADERS });
    return notFoundPage();
  }
  if (view === 'disabled') {
    if (isApi) return new Response(UNAVAILABLE_JSON, { status: 503, headers: JSON_HEADERS });
    return html(503, UNAVAILABLE_PAGE);
  }
  await next();
});

app.get('/portal/static/:file', (c) => {
  if (c.req.param('file') !== STYLESHEET_FILE) return notFoundPage();
  return new Response(STYLESHEET, {
    headers: { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'public, max-age=31536000, immutable', 'x-content-type-options': 'nosniff' },
  });
});

// The portal's entry page: someone already signed in goes on to My Account. (The Rust page also
// shows a one-shot notice left by a redirect, from a cookie; no request here carries one.)
app.get('/portal/:org', async (c) => {
  const org = c.req.param('org');
  const signedIn = await customer(c).then(
    () => true,
    () => false,
  );
  if (signedIn) return new Response(null, { status: 303, headers: { location: `/portal/${org}/account`, 'cache-control': 'no-store' } });
  const found = await c.env.DB.prepare(ORGANIZATION_BY_SLUG).bind(org).first();
  if (!found) return notFoundPage();
  return html(200, signInPage(org, found.name));
});

app.get('/portal/:org/api/account', async (c) => {
  const me = await customer(c);
  const db = c.env.DB;
  const now = Date.now();
  // Both reads in one round trip, as the Rust worker reads them.
  const [guardians, enterable] = await db.batch([
    db.prepare(FAMILY_GUARDIANS).bind(me.me.family_id),
    db.prepare(FAMILIES_OF_PERSON).bind(me.row.person_id),
  ]);
  const mine = guardians.results.find((g) => g.id === me.me.id);
  return json(200, {
    families: enterable.results.map((f) => ({ id: f.id, is_current: f.id === me.me.family_id, name: f.name })),
    family: { id: me.me.family_id, name: me.row.family_name },
    guardians: guardians.results.map((g) => guardianJson(g, me.me, now)),
    me: mine ? guardianJson(mine, me.me, now) : null,
    permissions: {
      can_make_payments: me.me.is_primary || me.row.can_make_payments !== 0,
      can_manage_enrollments: me.me.is_primary || me.row.can_manage_enrollments !== 0,
      can_view_full_ledger: me.me.is_primary || me.row.can_view_full_ledger !== 0,
    },
  });
});

/** A guardian of the organization and their family, in one round trip (one batch of two reads). */
async function loadTarget(db, orgId, guardianId) {
  const [guardians, families] = await db.batch([
    db.prepare(FIND_GUARDIAN).bind(guardianId, orgId),
    db.prepare(FAMILY_OF_GUARDIAN).bind(guardianId, orgId),
  ]);
  const [guardian] = guardians.results;
  const [family] = families.results;
  if (!guardian || !family) throw new ApiError(404, 'guardian_not_found', 'No guardian with that id.');
  return { guardian, family };
}

app.post('/portal/:org/api/guardians/:guardian_id/invitation', async (c) => {
  const me = await customer(c);
  const body = await readOptionalJson(c, me.cookieSession);
  for (const key of Object.keys(body)) {
    if (key !== 'email') throw new ApiError(422, 'invalid_field', `The request body has a wrong field: \`${key}\` is not a known field.`);
  }
  if (body.email != null && typeof body.email !== 'string') throw new ApiError(422, 'invalid_field', 'The request body has a wrong field: `email` must be a string.');
  const requested = body.email != null ? body.email.trim().toLowerCase() : null;
  const db = c.env.DB;
  const org = { id: me.row.org_id, slug: me.row.org_slug, name: me.row.org_name, ttlHours: me.row.invitation_ttl_hours };
  const guardianId = c.req.param('guardian_id');
  const { guardian: target, family } = await loadTarget(db, org.id, guardianId);
  const now = Date.now();
  const facts = { ...target, is_primary: target.is_primary !== 0 };
  const refused = mayInvite(me.me, facts) || cooldown(target.invitation_sent_at, now);
  if (refused) throw refused;
  const email = requested ?? target.email;
  if (!email) throw new ApiError(422, 'invalid_field', `${fullName(target)} has no e-mail address. Add one before sending an invitation.`);
  if (email !== target.email) {
    const taken = await db.prepare(EMAIL_IN_FAMILY).bind(target.family_id, email).first();
    if (taken && taken.id !== target.id) {
      throw new ApiError(409, 'email_in_use', 'Another guardian of this family, or another login, already uses that e-mail address.');
    }
  }

  const token = b64url(randomBytes(32));
  const tokenHash = await sha256Hex(token);
  const [invitationId, changeId, auditId, outboxId] = [newId('inv'), newId('chg'), newId('aud'), newId('obx')];
  const expiresAt = now + org.ttlHours * 3_600_000;
  const actorLabel = me.me.is_primary ? `${fullName(me.me)} (Primary Guardian)` : fullName(me.me);
  const mail = invitationEmail({
    to: email,
    orgName: org.name,
    orgSlug: org.slug,
    firstName: target.first_name,
    familyName: family.name,
    invitedBy: fullName(me.me),
    token,
    expiresAt,
    baseUrl: c.env.PUBLIC_BASE_URL,
  });
  const guard = [target.id, changeId];
  const results = await db.batch([
    db.prepare(MARK_INVITED).bind(target.id, email, changeId, now, now - RESEND_COOLDOWN_SECONDS * 1000),
    db.prepare(SUPERSEDE_PENDING).bind(now, target.id, ...guard),
    db
      .prepare(INSERT_INVITATION)
      .bind(invitationId, org.id, target.family_id, target.id, tokenHash, email, 'guardian', me.me.id, actorLabel, now, expiresAt, ...guard),
    db
      .prepare(INSERT_AUDIT)
      .bind(auditId, org.id, now, 'guardian', me.me.id, actorLabel, 'invitation_sent', 'guardian', target.id, fullName(target), target.family_id, null, ...guard),
    db.prepare(INSERT_OUTBOX).bind(outboxId, org.id, 'email', JSON.stringify(mail), now, now, ...guard),
  ]);
  if (!(results[0].meta.changes > 0)) {
    const current = await db.prepare(FIND_GUARDIAN).bind(target.id, org.id).first();
    if (current && current.access_state !== 'can_log_in') {
      throw cooldown(current.invitation_sent_at, now) || cooldown(now - 59_000, now);
    }
    throw new ApiError(409, 'already_has_access', `${fullName(target)} can already log in.`);
  }
  // The hand-over finishes after the answer; a refused one leaves the row to the cron.
  c.executionCtx.waitUntil(
    c.env.JOBS.sendBatch([{ body: { outbox_id: outboxId } }]).catch(async (e) => {
      console.error('outbox row left for the cron', outboxId, e);
      await db.prepare(NOT_HANDED_OVER).bind(outboxId).run();
    }),
  );
  const { guardian: after } = await loadTarget(db, org.id, guardianId);
  return json(202, guardianJson(after, me.me, Date.now()));
});

app.notFound(() => errorResponse(new ApiError(404, 'route_not_found', 'There is no such route.')));

export default app;
