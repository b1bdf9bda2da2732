// QR Codes in Chromium: the family opens QR Code under a student in My Account and sees the
// symbol (absent while the organization does not show QR codes); staff open what a scan leads to
// and use Rotate QR Code. Every page is checked by axe-core, for its weight, for third-party
// requests and for sideways scrolling, at 1280 and 360 px.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { startServedPortal, launchBrowser, openTab, checkPage, submit, signIn, staffSignIn } from './harness.mjs';
import { SESSION_SECRET } from '../e2e/harness.mjs';

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

async function setOptions(slug, staff, options) {
  const res = await portal.request('PATCH', `/office/${slug}/api/settings/portal-options`, { token: staff, json: options });
  assert.equal(res.status, 200, res.text);
}

/** A family (primary Ann, secondary Bob) with a student, Mia. */
async function school(slug) {
  const f = await portal.familyWithSecondary(slug);
  const mia = await portal.request('POST', `/office/${slug}/api/families/${f.family.id}/students`, {
    token: f.staff, json: { first_name: 'Mia', last_name: 'Lee', birth_date: '2019-04-02' },
  });
  assert.equal(mia.status, 201, mia.text);
  return { ...f, slug, mia: mia.body };
}

/** The code the student's row stands for (see tests/e2e/qr_codes.test.mjs). */
async function currentCode(s) {
  const row = await portal.dbOf(s.slug).prepare('SELECT nonce FROM student_qr_codes WHERE student_id = ?').bind(s.mia.id).first();
  const key = createHmac('sha256', SESSION_SECRET).update('portal-access student QR codes').digest();
  return createHmac('sha256', key).update(`qr:${s.mia.id}:${row.nonce}`).digest().subarray(0, 16).toString('base64url');
}

test('the family sees each student\'s QR code in My Account only while the organization shows them', async () => {
  const s = await school('qr-family');
  const off = await openTab(browser, portal.base);
  await signIn(off, portal.base, s.slug, s.primary.email, s.primary.password);
  assert.equal(await off.page.getByText('QR Code', { exact: false }).count(), 0);
  await off.page.close();

  await setOptions(s.slug, s.staff, { show_qr_codes: true });
  for (const width of [1280, 360]) {
    const tab = await openTab(browser, portal.base, { width });
    await signIn(tab, portal.base, s.slug, s.primary.email, s.primary.password);
    await tab.page.locator('summary', { hasText: 'QR Code of Mia Lee' }).click();
    const image = tab.page.getByRole('img', { name: 'QR code for Mia' });
    await image.waitFor();
    await tab.page.waitForFunction(() => document.querySelector('img.qr-code')?.complete);
    assert.ok(await image.evaluate((img) => img.naturalWidth > 0), 'the SVG loads and draws');
    assert.match(await tab.page.locator('details.qr-code').textContent(), /staff scan it/);
    await checkPage(tab, `My Account with a QR code at ${width}`);
    await tab.page.close();
  }
});

test('staff open a scanned code and rotate it; the old code then leads nowhere', async () => {
  const s = await school('qr-desk');
  await setOptions(s.slug, s.staff, { show_qr_codes: true });
  assert.equal((await portal.request('GET', `/portal/${s.slug}/api/students/${s.mia.id}/qr-code`, { token: s.primary.token })).status, 200);
  const code = await currentCode(s);
  for (const width of [1280, 360]) {
    const tab = await openTab(browser, portal.base, { width });
    await staffSignIn(tab, portal.base, s.slug, s.org.owner_email, s.org.owner_password);
    await tab.page.goto(`${portal.base}/office/${s.slug}/qr/${await currentCode(s)}`);
    assert.equal(await tab.page.getByRole('heading', { level: 1 }).textContent(), 'Mia Lee');
    await checkPage(tab, `a scanned QR code at ${width}`);
    if (width === 1280) {
      await Promise.all([tab.page.waitForNavigation(), tab.page.getByRole('link', { name: 'Family details of Lee' }).click()]);
      assert.equal(await tab.page.getByRole('heading', { level: 1 }).textContent(), 'Lee');
      await tab.page.goBack();
      await submit(tab.page, 'Rotate QR Code');
      assert.equal(await tab.page.getByRole('status').textContent(), 'The student has a new QR code. The old one no longer works.');
      assert.match(tab.page.url(), new RegExp(`/office/${s.slug}/families/${s.family.id}/students$`));
      await checkPage(tab, 'Students after Rotate QR Code');
      const gone = await tab.page.goto(`${portal.base}/office/${s.slug}/qr/${code}`);
      assert.equal(gone.status(), 404);
      await checkPage(tab, 'a rotated QR code');
      // The Students tab has the button too.
      await tab.page.goto(`${portal.base}/office/${s.slug}/families/${s.family.id}/students`);
      await submit(tab.page, 'Rotate QR Code of Mia Lee');
      assert.equal(await tab.page.getByRole('status').textContent(), 'The student has a new QR code. The old one no longer works.');
    }
    await tab.page.close();
  }
});
