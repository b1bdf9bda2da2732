// The peer: the JavaScript Worker a user would write instead of ours, for the hot routes only
// (bench/peer.mjs runs it beside the Rust worker and checks that both answer byte for byte alike).
// Hono + D1, written plainly: Hono's router and context, hono/jwt for the HS256 session token,
// JSON.stringify for bodies, template literals for the pages. The SQL is copied from src/store/;
// the access rules are ported from core/src/access.rs, as far as these routes need them.
//
//   GET  /healthz
//   the portal gate on every /portal/{org}/... (isolate memory 5 s, then KV, then D1)
//   GET  /portal/{org}                                   sign-in page
//   GET  /portal/{org}/api/account                       session check (D1, every request) + 2 reads
//   POST /portal/{org}/api/guardians/{id}/invitation     4 reads, 1 guarded batch of 5 writes, queue
import { Hono } from 'hono';
import { verify } from 'hono/jwt';

// ---------------------------------------------------------------------------------------------
// SQL, as src/store/ has it.

const SESSION_COLUMNS =
  'SELECT s.kind, s.org_id, s.subject_id, s.epoch, s.expires_at, s.ended_at, ' +
  'o.slug AS org_slug, o.name AS org_name, o.portal_enabled, o.customer_session_epoch, ';
const LOAD_GUARDIAN_SESSION =
  SESSION_COLUMNS +
  'g.family_id, f.name AS family_name, g.person_id, f.primary_guardian_id, g.first_name, g.last_name, g.email, ' +
  'g.access_state, g.can_make_payments, g.can_view_full_ledger, p.password_hash, o.invitation_ttl_hours, ' +
  'o.payment_gateway_kind, o.payment_gateway_account_id, o.require_recurring_authorization, ' +
  'o.show_full_ledger_history ' +
  'FROM sessions s JOIN organizations o ON o.id = s.org_id ' +
  'JOIN guardians g ON g.id = s.subject_id JOIN families f ON f.id = g.family_id ' +
  'LEFT JOIN people p ON p.id = g.person_id ' +
  'WHERE s.id = ?1';
const GUARDIAN_SELECT =
  'SELECT g.id, g.family_id, g.person_id, g.first_name, g.last_name, g.email, g.phone, ' +
  'g.access_state, g.accepted_at, g.can_make_payments, g.can_view_full_ledger, ' +
  '(f.primary_guardian_id = g.id) AS is_primary, ' +
  'i.expires_at AS invitation_expires_at, i.created_at AS invitation_sent_at ' +
  'FROM guardians g JOIN families f ON f.id = g.family_id ' +
  "LEFT JOIN invitations i ON i.guardian_id = g.id AND i.state = 'pending'";
const FIND_GUARDIAN = GUARDIAN_SELECT + ' WHERE g.id = ?1 AND g.org_id = ?2';
const FAMILY_GUARDIANS = GUARDIAN_SELECT + ' WHERE g.family_id = ?1 ORDER BY is_primary DESC, g.created_at, g.id';
const FIND_FAMILY = 'SELECT id, name, primary_guardian_id, status, merged_into_id FROM families WHERE id = ?1 AND org_id = ?2';
const EMAIL_IN_FAMILY = 'SELECT id FROM guardians WHERE family_id = ?1 AND email = ?2';
const FAMILIES_OF_PERSON =
  'SELECT g.id AS guardian_id, f.id, f.name FROM guardians g JOIN families f ON f.id = g.family_id ' +
  "WHERE g.person_id = ?1 AND g.access_state = 'can_log_in' AND f.status = 'active' ORDER BY f.name, f.id";
const PORTAL_ENABLED = 'SELECT portal_enabled FROM organizations WHERE slug = ?1';
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

// ---------------------------------------------------------------------------------------------
// Pages (templates/portal/*.html, as askama renders them).

const escapeHtml = (s) =>
  String(s).replace(/[<>&"']/g, (ch) => ({ '<': '&#60;', '>': '&#62;', '&': '&#38;', '"': '&#34;', "'": '&#39;' })[ch]);

const HTML_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'content-security-policy':
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'; " +
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
};

const layout = (title, body) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 28rem; margin: 4rem auto; padding: 0 1rem; color: #1d2433; }
  h1 { font-size: 1.4rem; }
  label { display: block; margin: 1rem 0 .25rem; }
  input { width: 100%; padding: .5rem; font-size: 1rem; box-sizing: border-box; }
  button { margin-top: 1.25rem; padding: .6rem 1.2rem; font-size: 1rem; }
  .message { padding: 1rem; background: #f3f5f9; border-radius: .5rem; }
  .error { color: #a61b1b; }
</style>
</head>
<body>
${body}
</body>
</html>`;

const html = (status, body) => new Response(body, { status, headers: HTML_HEADERS });

const messagePage = (status, title, message) =>
  html(status, layout(escapeHtml(title), `<main><h1>${escapeHtml(title)}</h1><p class="message" role="status">${escapeHtml(message)}</p></main>`));

const jsonFormEnd = (formId, button, next) => `<button type="submit">${escapeHtml(button)}</button>
  <p id="result" role="alert"></p>
</form>
<script>
document.getElementById('${escapeHtml(formId)}').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.target;
  const result = document.getElementById('result');
  const body = {};
  for (const el of form.elements) {
    if (!el.name) continue;
    body[el.name] = el.type === 'checkbox' ? el.checked : el.value;
  }
  const response = await fetch(form.action, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const data = await response.json().catch(() => ({}));
  if (response.ok) {
    result.className = '';
    result.textContent = 'Done.';
    window.location.assign('${escapeHtml(next)}');
  } else {
    result.className = 'error';
    result.textContent = (data.error && data.error.message) || 'Something went wrong.';
  }
});
</script>`;

const signInPage = (org) =>
  layout(
    'Customer Portal sign in',
    `
<main>
<h1>Customer Portal sign in</h1>

<form id="sign-in" method="post" action="/portal/${escapeHtml(org)}/api/session">
  <label for="email">E-mail address</label>
  <input id="email" name="email" type="email" autocomplete="username" required>
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required>
${jsonFormEnd('sign-in', 'Sign in', `/portal/${org}/account`)}
</main>
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
    claims = await verify(token, c.env.SESSION_SECRET, 'HS256');
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
  if (row.ended_at != null) throw sessionError.ended();
  if (row.expires_at <= now) throw sessionError.expired();
  if (row.epoch < row.customer_session_epoch) throw sessionError.ended();
  if (row.access_state !== 'can_log_in' || row.person_id == null) throw sessionError.ended();
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

app.get('/healthz', () => new Response('ok', { headers: { 'content-type': 'text/plain; charset=utf-8' } }));

// The portal switch, before any customer route.
app.use('/portal/:org/*', async (c, next) => {
  const org = c.req.param('org');
  const tail = c.req.path.slice(`/portal/${org}`.length).replace(/^\//, '');
  const isApi = tail === 'api' || tail.startsWith('api/');
  const view = await portalView(c.env, org);
  if (view === 'unknown') {
    if (isApi) throw new ApiError(404, 'organization_not_found', 'There is no such Customer Portal.');
    return messagePage(404, 'Page not found', 'There is no such page in the Customer Portal.');
  }
  if (view === 'disabled') {
    if (isApi) throw new ApiError(503, 'portal_unavailable', UNAVAILABLE);
    return messagePage(503, 'Customer Portal unavailable', UNAVAILABLE);
  }
  await next();
});

app.get('/portal/:org', (c) => html(200, signInPage(c.req.param('org'))));

app.get('/portal/:org/api/account', async (c) => {
  const me = await customer(c);
  const db = c.env.DB;
  const now = Date.now();
  // One after the other, as the Rust worker reads them.
  const guardians = await db.prepare(FAMILY_GUARDIANS).bind(me.me.family_id).all();
  const enterable = await db.prepare(FAMILIES_OF_PERSON).bind(me.row.person_id).all();
  const mine = guardians.results.find((g) => g.id === me.me.id);
  return json(200, {
    families: enterable.results.map((f) => ({ id: f.id, is_current: f.id === me.me.family_id, name: f.name })),
    family: { id: me.me.family_id, name: me.row.family_name },
    guardians: guardians.results.map((g) => guardianJson(g, me.me, now)),
    me: mine ? guardianJson(mine, me.me, now) : null,
    permissions: {
      can_make_payments: me.me.is_primary || me.row.can_make_payments !== 0,
      can_view_full_ledger: me.me.is_primary || me.row.can_view_full_ledger !== 0,
    },
  });
});

async function loadTarget(db, orgId, guardianId) {
  const notFound = () => new ApiError(404, 'guardian_not_found', 'No guardian with that id.');
  const guardian = await db.prepare(FIND_GUARDIAN).bind(guardianId, orgId).first();
  if (!guardian) throw notFound();
  const family = await db.prepare(FIND_FAMILY).bind(guardian.family_id, orgId).first();
  if (!family) throw notFound();
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
