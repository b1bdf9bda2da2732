// Makeup tokens in Chromium: staff issue a token from the Family details; where the organization
// offers tokens, the family sees Makeups under each student in My Account (in the seed's groups) and
// uses Use Makeup Token, which makes a one-day makeup visit. Every page is checked by axe-core, for
// its weight, for third-party requests and for sideways scrolling, at 1280 and 360 px.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServedPortal, launchBrowser, openTab, checkPage, submit, signIn, staffSignIn } from './harness.mjs';

let portal;
let browser;
before(async () => {
  portal = await startServedPortal();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await portal?.close();
});

const flash = (page) => page.getByRole('status').textContent();
const follow = (page, name) => Promise.all([page.waitForNavigation(), page.getByRole('link', { name }).first().click()]);
const summaryFields = (page) =>
  page.getByRole('alert').getByRole('link').evaluateAll((links) => links.map((a) => a.getAttribute('href')));

/** `YYYY-MM-DD` of the `weekday` (0 Sunday … 6 Saturday) at least a week after today (UTC). */
function coming(weekday) {
  const d = new Date();
  d.setUTCDate(d.getUTCDate() + 7 + ((weekday - d.getUTCDay() + 7) % 7));
  return d.toISOString().slice(0, 10);
}

async function setOptions(slug, staff, options) {
  const res = await portal.request('PATCH', `/office/${slug}/api/settings/portal-options`, { token: staff, json: options });
  assert.equal(res.status, 200, res.text);
}

/** A family (primary Ann, secondary Bob) with a student, Mia, two locations and a Mon/Wed class at the first. */
async function school(slug) {
  const f = await portal.familyWithSecondary(slug);
  const office = async (path, json) => {
    const res = await portal.request('POST', `/office/${slug}/api${path}`, { token: f.staff, json });
    assert.equal(res.status, 201, res.text);
    return res.body;
  };
  const main = await office('/locations', { name: 'Main Pool' });
  const north = await office('/locations', { name: 'North Pool' });
  const swim = await office('/classes', {
    name: 'Swim 1', location_id: main.id, days: ['mon', 'wed'], start_time: '16:00', end_time: '16:45',
    start_date: '2026-09-01', end_date: '2099-12-31', capacity: 6, waitlist: false,
  });
  const mia = await office(`/families/${f.family.id}/students`, { first_name: 'Mia', last_name: 'Lee', birth_date: '2019-04-02' });
  return { ...f, office, main, north, swim, mia };
}

test('staff issue a makeup token from the Family details', async () => {
  const s = await school('tok-desk');
  for (const width of [1280, 360]) {
    const tab = await openTab(browser, portal.base, { width });
    await staffSignIn(tab, portal.base, 'tok-desk', s.org.owner_email, s.org.owner_password);
    await tab.page.goto(`${portal.base}/office/tok-desk/families/${s.family.id}`);
    await follow(tab.page, 'Makeup Tokens');
    assert.equal(await tab.page.getByRole('heading', { level: 1 }).textContent(), 'Makeup Tokens');
    await checkPage(tab, `a family's Makeup Tokens at ${width}`);
    if (width === 1280) {
      assert.match(await tab.page.getByRole('main').textContent(), /No makeup tokens issued to this family yet/);
      // No expiry typed: what to fix, beside the field and in the summary.
      assert.equal((await submit(tab.page, 'Issue Makeup Token')).status(), 422);
      assert.deepEqual(await summaryFields(tab.page), ['#expires_on']);
      await checkPage(tab, 'Issue Makeup Token with errors');
      await tab.page.getByLabel('Location').selectOption({ label: 'North Pool' });
      await tab.page.getByLabel('Expiration date').fill('2099-06-30');
      await tab.page.getByLabel('Reason (optional)').fill('Missed class, sick');
      await submit(tab.page, 'Issue Makeup Token');
      assert.equal(await flash(tab.page), 'The makeup token has been issued.');
      const row = tab.page.getByRole('row', { name: /Mia Lee/ });
      assert.match(await row.textContent(), /Mia Lee\s*North Pool\s*Available\s*\d{4}-\d\d-\d\d\s*2099-06-30\s*Missed class, sick/);
    }
    await checkPage(tab, `a family's Makeup Tokens with a token at ${width}`);
    await tab.page.close();
  }
});

test('the family sees Makeups in the seed’s groups and uses a makeup token for a day the class meets', async () => {
  const s = await school('tok-family');
  await s.office(`/families/${s.family.id}/makeup-tokens`, { student_id: s.mia.id, location_id: s.main.id, expires_on: '2099-12-31' });
  await s.office(`/families/${s.family.id}/makeup-tokens`, { student_id: s.mia.id, location_id: s.north.id, expires_on: '2099-12-31' });

  // Makeups none (the default), then requests: the tokens section is absent.
  for (const mode of ['none', 'requests']) {
    await setOptions('tok-family', s.staff, { makeups: mode });
    const off = await openTab(browser, portal.base);
    await signIn(off, portal.base, 'tok-family', s.primary.email, s.primary.password);
    assert.equal(await off.page.getByText('Current Location Tokens').count(), 0, mode);
    await off.page.close();
  }

  await setOptions('tok-family', s.staff, { makeups: 'tokens' });
  for (const width of [1280, 360]) {
    const tab = await openTab(browser, portal.base, { width });
    await signIn(tab, portal.base, 'tok-family', s.primary.email, s.primary.password);
    const here = tab.page.getByRole('list', { name: 'Current Location Tokens of Mia Lee' });
    const elsewhere = tab.page.getByRole('list', { name: 'Tokens Available in Other Locations of Mia Lee' });
    const pending = tab.page.getByRole('list', { name: 'Pending Makeup Tokens of Mia Lee' });
    assert.match(await elsewhere.textContent(), /North Pool\s*Available/);
    await checkPage(tab, `My Account with Makeups at ${width}`);
    if (width === 1280) {
      // The chosen location is the first, Main Pool.
      assert.match(await here.textContent(), /Main Pool\s*Available/);
      await follow(tab.page, 'Use Makeup Token at Main Pool for Mia Lee');
      assert.equal(await tab.page.getByRole('heading', { level: 1 }).textContent(), 'Use Makeup Token');
      await checkPage(tab, 'Use Makeup Token');
      await tab.page.getByLabel(/Swim 1/).check();
      await tab.page.getByLabel('Date').fill(coming(2));
      assert.equal((await submit(tab.page, 'Use Makeup Token')).status(), 422);
      assert.deepEqual(await summaryFields(tab.page), ['#date']);
      assert.match(await tab.page.getByRole('alert').textContent(), /Swim 1 does not meet on/);
      await checkPage(tab, 'Use Makeup Token with errors');
      await tab.page.getByLabel('Date').fill(coming(1));
      await submit(tab.page, 'Use Makeup Token');
      assert.equal(await flash(tab.page), 'The makeup token has been used: the student has a place in the class that day.');
    }
    // Used at 1280: pending until its day has passed.
    assert.match(await pending.textContent(), new RegExp(`Main Pool\\s*Pending\\s*Makeup: Swim 1 on ${coming(1)}`));
    assert.match(await tab.page.getByRole('main').textContent(), /No tokens to use at this location\./);
    await checkPage(tab, `My Account with a pending makeup at ${width}`);
    await tab.page.close();
  }
  // A secondary without can_manage_enrollments reads the tokens and is offered no Use Makeup Token.
  const bob = await openTab(browser, portal.base);
  await signIn(bob, portal.base, 'tok-family', s.secondary.email, s.secondary.password);
  assert.match(await bob.page.getByRole('list', { name: 'Tokens Available in Other Locations of Mia Lee' }).textContent(), /North Pool/);
  assert.equal(await bob.page.getByRole('link', { name: /Use Makeup Token/ }).count(), 0);
  await bob.page.close();
});
