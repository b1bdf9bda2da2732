// Punch passes in Chromium: staff sell a pass from the Family details (and switch one off); the
// family sees Passes under each student in My Account and uses Redeem a Punch, which makes a
// one-day visit. Every page is checked by axe-core, for its weight, for third-party requests and
// for sideways scrolling, at 1280 and 360 px.
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

/** A family (primary Ann, secondary Bob) with a student, Mia, and a Mon/Wed class. */
async function school(slug) {
  const f = await portal.familyWithSecondary(slug);
  const office = async (path, json) => {
    const res = await portal.request('POST', `/office/${slug}/api${path}`, { token: f.staff, json });
    assert.equal(res.status, 201, res.text);
    return res.body;
  };
  const location = await office('/locations', { name: 'Main Pool' });
  const swim = await office('/classes', {
    name: 'Swim 1', location_id: location.id, days: ['mon', 'wed'], start_time: '16:00', end_time: '16:45',
    start_date: '2026-09-01', end_date: '2099-12-31', capacity: 6, waitlist: false,
  });
  const mia = await office(`/families/${f.family.id}/students`, { first_name: 'Mia', last_name: 'Lee', birth_date: '2019-04-02' });
  return { ...f, office, swim, mia };
}

test('staff sell a pass from the Family details and switch it off and on', async () => {
  const s = await school('pass-desk');
  for (const width of [1280, 360]) {
    const tab = await openTab(browser, portal.base, { width });
    await staffSignIn(tab, portal.base, 'pass-desk', s.org.owner_email, s.org.owner_password);
    await tab.page.goto(`${portal.base}/office/pass-desk/families/${s.family.id}`);
    await follow(tab.page, 'Passes');
    assert.equal(await tab.page.getByRole('heading', { level: 1 }).textContent(), 'Passes');
    await checkPage(tab, `a family's Passes at ${width}`);
    if (width === 1280) {
      assert.match(await tab.page.getByRole('main').textContent(), /No passes sold to this family yet/);
      // Nothing typed: what to fix, beside each field and in the summary.
      assert.equal((await submit(tab.page, 'Sell a Pass')).status(), 422);
      assert.deepEqual(await summaryFields(tab.page), ['#punches', '#amount']);
      await checkPage(tab, 'Sell a Pass with errors');
      await tab.page.getByLabel('Name of Punch Pass').fill('10 Swims');
      await tab.page.getByLabel('Punches').fill('10');
      await tab.page.getByLabel('Amount paid in dollars').fill('90.00');
      await tab.page.getByLabel('For').selectOption({ label: 'Mia Lee only' });
      await submit(tab.page, 'Sell a Pass');
      assert.equal(await flash(tab.page), 'The pass has been sold.');
      const row = tab.page.getByRole('row', { name: /10 Swims/ });
      assert.match(await row.textContent(), /Mia Lee only[\s\S]*0 used \/ 10 remaining[\s\S]*Yes[\s\S]*None[\s\S]*\$90\.00/);
      await submit(tab.page, 'Deactivate 10 Swims');
      assert.equal(await flash(tab.page), 'The pass is no longer active: it takes no redemptions.');
      assert.match(await row.textContent(), /Activate 10 Swims[\s\S]*10 remaining\s*\d{4}-\d\d-\d\d\s*No/);
      await submit(tab.page, 'Activate 10 Swims');
      assert.equal(await flash(tab.page), 'The pass is active again.');
    }
    await checkPage(tab, `a family's Passes with a pass at ${width}`);
    await tab.page.close();
  }
});

test('the family sees Passes under each student and redeems a punch for a day the class meets', async () => {
  const s = await school('pass-family');
  await s.office(`/families/${s.family.id}/passes`, { name: '5 Swims', punches: 5, amount_paid_cents: 5000, expires_on: '2099-12-31' });

  // Passes off: the section is absent.
  const off = await openTab(browser, portal.base);
  await signIn(off, portal.base, 'pass-family', s.primary.email, s.primary.password);
  assert.equal(await off.page.getByText('Passes', { exact: false }).count(), 0);
  await off.page.close();

  await setOptions('pass-family', s.staff, { show_passes: true, allow_pass_redemption: true });
  for (const width of [1280, 360]) {
    const tab = await openTab(browser, portal.base, { width });
    await signIn(tab, portal.base, 'pass-family', s.primary.email, s.primary.password);
    const table = tab.page.getByRole('list', { name: 'Passes of Mia Lee' });
    assert.match(await table.textContent(), /5 Swims/);
    await checkPage(tab, `My Account with Passes at ${width}`);
    if (width === 1280) {
      assert.match(await table.textContent(), /5 Swims\s*Active\s*0 used \/ 5 remaining · Purchased \d{4}-\d\d-\d\d · Expires 2099-12-31 · Amount Paid \$50\.00/);
      await follow(tab.page, 'Redeem a Punch of 5 Swims for Mia Lee');
      assert.equal(await tab.page.getByRole('heading', { level: 1 }).textContent(), 'Redeem a Punch');
      await checkPage(tab, 'Redeem a Punch');
      await tab.page.getByLabel(/Swim 1/).check();
      await tab.page.getByLabel('Date').fill(coming(2));
      assert.equal((await submit(tab.page, 'Redeem a Punch')).status(), 422);
      assert.deepEqual(await summaryFields(tab.page), ['#date']);
      assert.match(await tab.page.getByRole('alert').textContent(), /Swim 1 does not meet on/);
      await checkPage(tab, 'Redeem a Punch with errors');
      await tab.page.getByLabel('Date').fill(coming(1));
      await submit(tab.page, 'Redeem a Punch');
      assert.equal(await flash(tab.page), 'A punch has been redeemed: the student has a place in the class that day.');
      assert.match(await table.textContent(), /1 used \/ 4 remaining/);
    }
    await tab.page.close();
  }
  // A secondary without can_manage_enrollments reads the passes and is offered no redemption.
  const bob = await openTab(browser, portal.base);
  await signIn(bob, portal.base, 'pass-family', s.secondary.email, s.secondary.password);
  assert.match(await bob.page.getByRole('list', { name: 'Passes of Mia Lee' }).textContent(), /5 Swims/);
  assert.equal(await bob.page.getByRole('link', { name: /Redeem a Punch/ }).count(), 0);
  await bob.page.close();
});
