// Makeup requests in Chromium: in the `requests` makeup mode the family uses Request a Makeup
// under a student in My Account, staff approve it on the office Requests page, and the makeup shows
// under Past Makeups once its date has passed. Absent in any other mode. Every page is checked by
// axe-core, for its weight and for sideways scrolling, at 1280 and 360 px.
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
/** Opens the Makeups section (folded while it lists nothing). */
const openMakeups = (page) =>
  page.evaluate(() => document.querySelectorAll('details').forEach((d) => {
    if (d.querySelector('summary')?.textContent.startsWith('Makeups')) d.open = true;
  }));
const shoot = (tab, name, width) => process.env.SHOTS && tab.page.screenshot({ path: `/tmp/shots/${name}-${width}.png`, fullPage: true });

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

test('the family requests a makeup, staff approve it, and it shows under Past Makeups once passed', async () => {
  const slug = 'mkr-journey';
  const s = await school(slug);
  const monday = coming(1);

  // Makeups off: the section is absent.
  const off = await openTab(browser, portal.base);
  await signIn(off, portal.base, slug, s.primary.email, s.primary.password);
  assert.equal(await off.page.getByRole('link', { name: /Request a Makeup/ }).count(), 0);
  assert.equal(await off.page.getByText('Past Makeups').count(), 0);
  await off.page.close();

  await setOptions(slug, s.staff, { makeups: 'requests' });
  for (const width of [1280, 360]) {
    const tab = await openTab(browser, portal.base, { width });
    await signIn(tab, portal.base, slug, s.primary.email, s.primary.password);
    await openMakeups(tab.page);
    await checkPage(tab, `My Account with Makeups at ${width}`);
    if (width === 1280) {
      assert.match(await tab.page.getByRole('main').textContent(), /No makeup requests\.[\s\S]*Past Makeups[\s\S]*No past makeups\./);
      await follow(tab.page, 'Request a Makeup for Mia Lee');
      assert.equal(await tab.page.getByRole('heading', { level: 1 }).textContent(), 'Request a Makeup');
      await checkPage(tab, 'Request a Makeup');
      await shoot(tab, 'makeup-request-form', width);
      // Nothing chosen: what to fix, beside each field and in the summary.
      assert.equal((await submit(tab.page, 'Request a Makeup')).status(), 422);
      assert.deepEqual(await summaryFields(tab.page), ['#class_id', '#date']);
      await tab.page.getByLabel(/Swim 1/).check();
      await tab.page.getByLabel('Date').fill(coming(2));
      assert.equal((await submit(tab.page, 'Request a Makeup')).status(), 422);
      assert.match(await tab.page.getByRole('alert').textContent(), /Swim 1 does not meet on/);
      await checkPage(tab, 'Request a Makeup with errors');
      await shoot(tab, 'makeup-request-errors', width);
      await tab.page.getByLabel('Date').fill(monday);
      await tab.page.getByLabel('Reason (optional)').fill('Missed a lesson');
      await submit(tab.page, 'Request a Makeup');
      assert.equal(await flash(tab.page), 'Your makeup request has been sent to the office.');
      const asked = tab.page.getByRole('list', { name: 'Makeup requests of Mia Lee' });
      assert.match(await asked.textContent(), new RegExp(`Swim 1 on ${monday}\\s*Pending[\\s\\S]*Reason: Missed a lesson`));
    }
    await shoot(tab, 'makeup-account', width);
    await tab.page.close();
  }

  // Staff approve it on the Requests page.
  for (const width of [1280, 360]) {
    const desk = await openTab(browser, portal.base, { width });
    await staffSignIn(desk, portal.base, slug, s.org.owner_email, s.org.owner_password);
    await desk.page.goto(`${portal.base}/office/${slug}/requests`);
    await checkPage(desk, `office Requests with a makeup at ${width}`);
    await shoot(desk, 'makeup-office-requests', width);
    if (width === 1280) {
      assert.match(await desk.page.getByRole('main').textContent(), new RegExp(`Makeup for Mia Lee in Swim 1 on ${monday}`));
      await submit(desk.page, 'Approve');
      assert.match(await flash(desk.page), /approved/i);
      assert.match(await desk.page.getByRole('table').textContent(), new RegExp(`Makeup for Mia Lee in Swim 1 on ${monday}\\s*Lee\\s*Approved`));
    }
    await desk.page.close();
  }
  await portal.waitForMail(s.primary.email, (m) => m.subject === 'Your makeup request for Mia Lee was approved');

  // Once the date has passed, the makeup is a Past Makeup.
  await portal.dbOf(slug).prepare(`UPDATE enrollments SET date = '2026-09-07' WHERE kind = 'makeup' AND class_id = ?`).bind(s.swim.id).run();
  for (const width of [1280, 360]) {
    const tab = await openTab(browser, portal.base, { width });
    await signIn(tab, portal.base, slug, s.primary.email, s.primary.password);
    await openMakeups(tab.page);
    const past = tab.page.getByRole('list', { name: 'Past Makeups of Mia Lee' });
    assert.match(await past.textContent(), /Swim 1\s*2026-09-07/);
    assert.match(await tab.page.getByRole('list', { name: 'Makeup requests of Mia Lee' }).textContent(), /Approved/);
    await checkPage(tab, `My Account with a Past Makeup at ${width}`);
    await shoot(tab, 'makeup-past', width);
    if (process.env.SHOTS) await tab.page.locator('article.student').first().screenshot({ path: `/tmp/shots/makeup-student-${width}.png` });
    await tab.page.close();
  }
});
