// Account Information's contact points: addresses, e-mails and phones per guardian with an
// Unassigned group, their opt-outs, reassigning, and who may edit them (today's contact rule).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPortal, assertError } from './harness.mjs';

let portal;
before(async () => {
  portal = await startPortal();
});
after(async () => {
  await portal?.close();
});

const api = (slug) => `/portal/${slug}/api`;
const address = { line1: '1 Main St', city: 'Springfield', region: 'IL', postal_code: '62701', country: 'US' };

async function info(slug, token) {
  const res = await portal.request('GET', `${api(slug)}/contact-info`, { token });
  assert.equal(res.status, 200, res.text);
  return res.body;
}

/** Primary Ann and accepted secondary Bob, plus Cy (a contact who has not accepted). */
async function family(slug) {
  const f = await portal.familyWithSecondary(slug);
  const cy = await portal.request('POST', `${api(slug)}/guardians`, { token: f.primary.token, json: { first_name: 'Cy', last_name: 'Lee' } });
  assert.equal(cy.status, 201, cy.text);
  return { ...f, cy: { id: cy.body.id } };
}

test("today's e-mail and phone are listed per guardian, the login e-mail marked", async () => {
  const slug = 'contact-list';
  const { primary, secondary, cy } = await family(slug);
  const listed = await info(slug, primary.token);
  assert.deepEqual(listed.guardians.map((g) => g.name), ['Ann Lee', 'Bob Lee', 'Cy Lee'], 'the primary first');
  const ann = listed.guardians.find((g) => g.guardian_id === primary.id);
  assert.deepEqual(ann.emails.map((e) => [e.email, e.is_login, e.subscribed]), [[primary.email, true, true]]);
  assert.deepEqual(ann.phones.map((p) => [p.number, p.kind, p.sms_subscribed]), [['+1 555 0100', 'mobile', true]]);
  assert.deepEqual(listed.guardians.find((g) => g.guardian_id === secondary.id).emails.map((e) => e.email), [secondary.email]);
  assert.deepEqual(listed.guardians.find((g) => g.guardian_id === cy.id).emails, []);
  assert.deepEqual(listed.unassigned, { addresses: [], emails: [], phones: [] });
});

test('the primary adds, edits and deletes Unassigned values, theirs, and those of guardians who have not accepted', async () => {
  const slug = 'contact-primary';
  const { primary, secondary, cy } = await family(slug);
  const t = primary.token;
  const added = await portal.request('POST', `${api(slug)}/addresses`, { token: t, json: { ...address, guardian_id: null } });
  assert.equal(added.status, 201, added.text);
  assert.deepEqual({ ...added.body, id: undefined }, { ...address, id: undefined, guardian_id: null, line2: null });
  const cyPhone = await portal.request('POST', `${api(slug)}/phones`, { token: t, json: { guardian_id: cy.id, number: '+44 20 7946 0958', kind: 'home' } });
  assert.equal(cyPhone.status, 201, cyPhone.text);
  assert.equal(cyPhone.body.number, '+442079460958', 'stored as E.164');
  const mine = await portal.request('POST', `${api(slug)}/emails`, { token: t, json: { guardian_id: primary.id, email: 'ann@work.test' } });
  assert.equal(mine.status, 201, mine.text);

  // Reassign to and from Unassigned.
  const toAnn = await portal.request('PATCH', `${api(slug)}/addresses/${added.body.id}`, { token: t, json: { guardian_id: primary.id } });
  assert.equal(toAnn.status, 200, toAnn.text);
  assert.equal(toAnn.body.guardian_id, primary.id);
  const back = await portal.request('PATCH', `${api(slug)}/addresses/${added.body.id}`, { token: t, json: { guardian_id: null, line2: 'Apt 4' } });
  assert.deepEqual([back.body.guardian_id, back.body.line2], [null, 'Apt 4']);
  const listed = await info(slug, t);
  assert.equal(listed.unassigned.addresses.length, 1);
  assert.deepEqual(listed.guardians.find((g) => g.guardian_id === cy.id).phones.map((p) => p.kind), ['home']);

  // Bob has accepted: his values are his alone.
  const bobs = listed.guardians.find((g) => g.guardian_id === secondary.id).emails[0];
  assertError(await portal.request('PATCH', `${api(slug)}/emails/${bobs.id}`, { token: t, json: { subscribed: false } }), 403, 'contact_locked');
  assertError(await portal.request('POST', `${api(slug)}/phones`, { token: t, json: { guardian_id: secondary.id, number: '+15550100' } }), 403, 'contact_locked');
  assertError(await portal.request('PATCH', `${api(slug)}/addresses/${added.body.id}`, { token: t, json: { guardian_id: secondary.id } }), 403, 'contact_locked');

  assert.equal((await portal.request('DELETE', `${api(slug)}/phones/${cyPhone.body.id}`, { token: t })).status, 204);
  assert.equal((await portal.request('DELETE', `${api(slug)}/addresses/${added.body.id}`, { token: t })).status, 204);
  assertError(await portal.request('DELETE', `${api(slug)}/addresses/${added.body.id}`, { token: t }), 404, 'contact_point_not_found');
});

test('an accepted secondary edits only theirs and may add Unassigned values', async () => {
  const slug = 'contact-secondary';
  const { primary, secondary, cy } = await family(slug);
  const t = secondary.token;
  const mine = await portal.request('POST', `${api(slug)}/phones`, { token: t, json: { guardian_id: secondary.id, number: '+1 (555) 010-0177', kind: 'work' } });
  assert.equal(mine.status, 201, mine.text);
  const optOut = await portal.request('PATCH', `${api(slug)}/phones/${mine.body.id}`, { token: t, json: { sms_subscribed: false } });
  assert.equal(optOut.body.sms_subscribed, false);
  const unassigned = await portal.request('POST', `${api(slug)}/emails`, { token: t, json: { email: 'family@home.test' } });
  assert.equal(unassigned.status, 201, unassigned.text);
  assert.equal(unassigned.body.guardian_id, null);
  assertError(await portal.request('DELETE', `${api(slug)}/emails/${unassigned.body.id}`, { token: t }), 403, 'contact_locked');
  assertError(await portal.request('POST', `${api(slug)}/addresses`, { token: t, json: { ...address, guardian_id: cy.id } }), 403, 'contact_locked');
  const anns = (await info(slug, t)).guardians.find((g) => g.guardian_id === primary.id).phones[0];
  assertError(await portal.request('PATCH', `${api(slug)}/phones/${anns.id}`, { token: t, json: { kind: 'home' } }), 403, 'contact_locked');
  // Giving one of theirs to Unassigned is theirs to do; taking it back is the primary's.
  assert.equal((await portal.request('PATCH', `${api(slug)}/phones/${mine.body.id}`, { token: t, json: { guardian_id: null } })).status, 200);
  assertError(await portal.request('PATCH', `${api(slug)}/phones/${mine.body.id}`, { token: t, json: { guardian_id: secondary.id } }), 403, 'contact_locked');
});

test('the login e-mail is never changed or deleted here; its opt-out is', async () => {
  const slug = 'contact-login';
  const { primary, staff, family: fam } = await family(slug);
  const login = (await info(slug, primary.token)).guardians[0].emails[0];
  assert.equal(login.is_login, true);
  assertError(await portal.request('PATCH', `${api(slug)}/emails/${login.id}`, { token: primary.token, json: { email: 'new@x.test' } }), 409, 'login_email');
  assertError(await portal.request('DELETE', `${api(slug)}/emails/${login.id}`, { token: primary.token }), 409, 'login_email');
  assertError(await portal.request('PATCH', `${api(slug)}/emails/${login.id}`, { token: primary.token, json: { guardian_id: null } }), 409, 'login_email');
  const out = await portal.request('PATCH', `${api(slug)}/emails/${login.id}`, { token: primary.token, json: { subscribed: false } });
  assert.equal(out.status, 200, out.text);
  assert.deepEqual([out.body.subscribed, out.body.email], [false, primary.email]);
  const office = `/office/${slug}/api/families/${fam.id}`;
  assertError(await portal.request('PATCH', `${office}/emails/${login.id}`, { token: staff, json: { email: 'x@y.test' } }), 409, 'login_email');
});

test('bad values are refused with the field named', async () => {
  const slug = 'contact-invalid';
  const { primary } = await family(slug);
  const t = primary.token;
  const cases = [
    ['phones', { number: '555 0100' }, 'number'],
    ['phones', { number: '+15550100', kind: 'pager' }, 'kind'],
    ['emails', { email: 'not an address' }, 'email'],
    ['addresses', { ...address, country: 'USA' }, 'country'],
    ['addresses', { ...address, postal_code: 'ABCDE' }, 'postal_code'],
    ['addresses', { ...address, line1: ' ' }, 'line1'],
    ['addresses', { ...address, guardian_id: 'gdn_nobody' }, 'guardian_id'],
  ];
  for (const [list, json, field] of cases) {
    const res = await portal.request('POST', `${api(slug)}/${list}`, { token: t, json });
    assertError(res, 422, 'invalid_field');
    assert.equal(res.body.error.field, field, `${list} ${JSON.stringify(json)}`);
  }
});

test("staff edit any family's contact points, never another organization's", async () => {
  const slug = 'contact-staff';
  const { staff, family: fam, secondary } = await family(slug);
  const office = `/office/${slug}/api/families/${fam.id}`;
  const added = await portal.request('POST', `${office}/phones`, { token: staff, json: { guardian_id: secondary.id, number: '+15550142' } });
  assert.equal(added.status, 201, added.text);
  const listed = await portal.request('GET', `${office}/contact-info`, { token: staff });
  assert.equal(listed.status, 200);
  assert.ok(listed.body.guardians.find((g) => g.guardian_id === secondary.id).phones.some((p) => p.id === added.body.id));
  const other = await portal.familyWithSecondary('contact-staff-other');
  assertError(await portal.request('GET', `/office/contact-staff-other/api/families/${fam.id}/contact-info`, { token: other.staff }), 404, 'family_not_found');
  assertError(
    await portal.request('DELETE', `/office/contact-staff-other/api/families/${other.family.id}/phones/${added.body.id}`, { token: other.staff }),
    404,
    'contact_point_not_found',
  );
  assert.equal((await portal.request('DELETE', `${office}/phones/${added.body.id}`, { token: staff })).status, 204);
});

test('contact points are customer writes: refused while the portal is off', async () => {
  const slug = 'contact-off';
  const { primary } = await family(slug);
  await portal.dbOf(slug).prepare('UPDATE organizations SET portal_enabled = 0 WHERE slug = ?').bind(slug).run();
  assertError(await portal.request('POST', `${api(slug)}/emails`, { token: primary.token, json: { email: 'a@b.test' } }), 503, 'portal_unavailable');
});
