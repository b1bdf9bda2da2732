// A family's Contact Info tab in the Office Portal, over plain HTTP: staff see the family's
// addresses, e-mails and phones per guardian with an Unassigned group, and add, edit (opt-outs),
// reassign and delete them with form posts answering 303 back to the tab; a changed login e-mail
// is refused on the form with the reason; another organization's family is the 404 page. The
// browser test (tests/browser/office_contact_info.test.mjs) walks the same pages in Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPortal, BASE } from './harness.mjs';

let portal;
let home; // a family whose secondary (Bob) has accepted
let other; // another organization's family
before(async () => {
  portal = await startPortal();
  home = await portal.familyWithSecondary('oci-home');
  other = await portal.familyWithSecondary('oci-other');
});
after(() => portal?.close());

const FORM = 'application/x-www-form-urlencoded';
const tab = (family = home.family.id) => `/office/oci-home/families/${family}/contact-info`;

/** A request as the signed-in staff member's browser sends it; redirects are seen, not followed. */
async function asStaff(method, path, fields) {
  const init = { method, redirect: 'manual', headers: { cookie: `office_session=${home.staff}` } };
  if (fields !== undefined) {
    init.body = new URLSearchParams(fields).toString();
    init.headers = { ...init.headers, 'content-type': FORM, origin: BASE };
  }
  const res = await portal.mf.dispatchFetch(`${BASE}${path}`, init);
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** A post that succeeded: 303 back to the Contact Info tab, with its message. */
async function saved(path, fields, message) {
  const res = await asStaff('POST', path, fields);
  assert.equal(res.status, 303, `${path}: ${res.status} ${res.text.slice(0, 400)}`);
  assert.equal(res.headers.get('location'), tab());
  const shown = await portal.mf.dispatchFetch(`${BASE}${tab()}`, { headers: { cookie: `office_session=${home.staff}; ${res.headers.get('set-cookie').split(';')[0]}` } });
  assert.match(await shown.text(), message);
}

/** The family's contact points as the staff API lists them. */
async function info() {
  const res = await portal.request('GET', `/office/oci-home/api/families/${home.family.id}/contact-info`, { token: home.staff });
  assert.equal(res.status, 200, res.text);
  return res.body;
}
const of = (listed, guardianId) => listed.guardians.find((g) => g.guardian_id === guardianId);

test('the Contact Info tab lists each guardian\'s values and an Unassigned group, linked from Family details', async () => {
  const details = await asStaff('GET', `/office/oci-home/families/${home.family.id}`);
  assert.match(details.text, new RegExp(`href="${tab()}"[^>]*>Contact Info</a>`));
  const res = await asStaff('GET', tab());
  assert.equal(res.status, 200, res.text.slice(0, 300));
  assert.match(res.text, /aria-current="page">Contact Info</);
  const headings = [...res.text.matchAll(/<h3 id="group-\d+">([^<]+)<\/h3>/g)].map((m) => m[1]);
  assert.deepEqual(headings, ['Ann Lee', 'Bob Lee', 'Unassigned']);
  assert.match(res.text, new RegExp(`${home.secondary.email.replace('.', '\\.')} <span class="tag">Login</span>`));
  for (const name of ['Add Mailing Address', 'Add Email', 'Add Phone']) assert.match(res.text, new RegExp(`>${name}</a>`));
});

test('staff add, edit, opt out, reassign and delete values, even those of a guardian who has accepted', async () => {
  const base = tab();
  await saved(`${base}/addresses`, { owner: '', line1: '1 Main St', line2: '', city: 'Springfield', region: 'IL', postal_code: '62701', country: 'us' }, /The contact information has been saved\./);
  await saved(`${base}/emails`, { owner: home.secondary.id, email: 'bob@work.test', subscribed: 'yes' }, /bob@work\.test/);
  await saved(`${base}/phones`, { owner: home.secondary.id, number: '+44 20 7946 0958', kind: 'home' }, /\+442079460958 \(Home\) <span class="unsubscribed">Unsubscribed<\/span>/);
  let listed = await info();
  const address = listed.unassigned.addresses[0];
  assert.deepEqual([address.line1, address.country], ['1 Main St', 'US']);
  const work = of(listed, home.secondary.id).emails.find((e) => e.email === 'bob@work.test');
  const phone = of(listed, home.secondary.id).phones.find((p) => p.number === '+442079460958');
  assert.deepEqual([work.subscribed, phone.sms_subscribed], [true, false], 'an unticked box is an opt-out');

  // Opt out of e-mail blasts: "Unsubscribed" beside it.
  await saved(`${base}/emails/${work.id}`, { owner: home.secondary.id, email: 'bob@work.test' }, /bob@work\.test <span class="unsubscribed">Unsubscribed<\/span>/);
  // Reassign the address to Ann, then back to Unassigned with a second line.
  await saved(`${base}/addresses/${address.id}`, { owner: home.primary.id, line1: '1 Main St', line2: '', city: 'Springfield', region: 'IL', postal_code: '62701', country: 'US' }, /saved/);
  assert.deepEqual(of(await info(), home.primary.id).addresses.map((a) => a.id), [address.id]);
  await saved(`${base}/addresses/${address.id}`, { owner: '', line1: '1 Main St', line2: 'Apt 4', city: 'Springfield', region: '', postal_code: '62701', country: 'US' }, /1 Main St, Apt 4, Springfield 62701, US/);
  listed = await info();
  assert.deepEqual(listed.unassigned.addresses.map((a) => [a.id, a.line2, a.region]), [[address.id, 'Apt 4', null]]);
  assert.equal(of(listed, home.secondary.id).emails.find((e) => e.id === work.id).subscribed, false);

  await saved(`${base}/phones/${phone.id}/delete`, {}, /The contact information has been deleted\./);
  assert.equal(of(await info(), home.secondary.id).phones.some((p) => p.id === phone.id), false);
  const gone = await asStaff('POST', `${base}/phones/${phone.id}/delete`, {});
  assert.equal(gone.status, 404);
});

test('a value that breaks a rule is shown beside its field, and nothing is written', async () => {
  const before = await info();
  const res = await asStaff('POST', `${tab()}/phones`, { owner: home.primary.id, number: '555 0100', kind: 'mobile', sms_subscribed: 'yes' });
  assert.equal(res.status, 422);
  assert.match(res.text, /class="error-summary"/);
  assert.match(res.text, /<p class="error-message" id="number-error"><span class="visually-hidden">Error:<\/span> Enter the number in international format/);
  assert.match(res.text, /value="555 0100"/, 'what was typed is kept');
  const unknownOwner = await asStaff('POST', `${tab()}/emails`, { owner: other.primary.id, email: 'x@example.test' });
  assert.equal(unknownOwner.status, 422);
  assert.match(unknownOwner.text, /id="owner-error"/);
  assert.deepEqual(await info(), before);
});

test('staff cannot change the login e-mail of someone who can log in: the form says why; its opt-out still changes', async () => {
  const bob = of(await info(), home.secondary.id).emails.find((e) => e.is_login);
  const path = `${tab()}/emails/${bob.id}`;
  const form = await asStaff('GET', path);
  assert.equal(form.status, 200);
  assert.doesNotMatch(form.text, /id="owner"/, 'a login e-mail keeps its guardian');
  assert.match(form.text, /The guardian(&#39;|&#x27;|')s login e-mail address\./);

  const refused = await asStaff('POST', path, { email: 'bob.new@example.test', subscribed: 'yes' });
  assert.equal(refused.status, 422);
  assert.match(refused.text, /class="error-summary"/);
  assert.match(refused.text, /The login e-mail address cannot be changed, reassigned or deleted here/);
  const after = of(await info(), home.secondary.id).emails.find((e) => e.is_login);
  assert.equal(after.email, home.secondary.email);
  const row = await portal.dbOf('oci-home').prepare('SELECT email FROM guardians WHERE id = ?').bind(home.secondary.id).first();
  assert.equal(row.email, home.secondary.email, 'the login is unchanged');

  await saved(path, { email: home.secondary.email }, /Unsubscribed/);
  assert.equal(of(await info(), home.secondary.id).emails.find((e) => e.is_login).subscribed, false);
  const deleted = await asStaff('POST', `${path}/delete`, {});
  assert.equal(deleted.status, 409);
});

test('another organization\'s family, an unknown list or another family\'s value is the 404 page', async () => {
  const theirs = other.family.id;
  const theirEmail = (await portal.request('GET', `/office/oci-other/api/families/${theirs}/contact-info`, { token: other.staff })).body.guardians[0].emails[0];
  const page404 = (res, what) => {
    assert.equal(res.status, 404, `${what}: ${res.status}`);
    assert.match(res.text, /Page not found/, what);
  };
  page404(await asStaff('GET', tab(theirs)), 'the tab');
  page404(await asStaff('GET', `${tab(theirs)}/emails`), 'Add Email');
  page404(await asStaff('POST', `${tab(theirs)}/emails`, { owner: '', email: 'x@example.test' }), 'adding');
  page404(await asStaff('GET', `${tab(theirs)}/emails/${theirEmail.id}`), 'their value, their family');
  page404(await asStaff('GET', `${tab()}/emails/${theirEmail.id}`), 'their value, our family');
  page404(await asStaff('POST', `${tab()}/emails/${theirEmail.id}`, { email: 'x@example.test' }), 'editing their value');
  page404(await asStaff('POST', `${tab()}/emails/${theirEmail.id}/delete`, {}), 'deleting their value');
  page404(await asStaff('GET', `${tab()}/faxes`), 'an unknown list');
  const still = await portal.dbOf('oci-other').prepare('SELECT email FROM contact_emails WHERE id = ?').bind(theirEmail.id).first();
  assert.equal(still.email, theirEmail.email);
});
