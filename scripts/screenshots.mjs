// Screenshots of every Customer Portal page at 1280 and 360 px wide, into docs/screenshots/, so
// reviewers see the portal without running it. Run by scripts/screenshots.sh (which builds first):
// the built Workers in Miniflare, data seeded through the API, Debian's chromium.
import { mkdirSync, rmSync } from 'node:fs';
import { startServedPortal, launchBrowser, linkInMail, ROOT } from '../tests/browser/harness.mjs';

const OUT = `${ROOT}docs/screenshots`;
const WIDTHS = [1280, 360];

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
const portal = await startServedPortal();
const browser = await launchBrowser();
const shots = [];

try {
  // A swim school; a family whose Primary Guardian (Ann) can log in and whose secondary (Bob) has
  // accepted; invitations for Cal (pending), Dee (used) and Eve (revoked); a reset link for Bob.
  const slug = 'riverside';
  const org = await portal.createOrganization(slug, { name: 'Riverside Swim School' });
  const staff = await portal.staffSignIn(slug, org.owner_email, org.owner_password);
  const family = await portal.createFamily(slug, staff, 'Lee', { first_name: 'Ann', last_name: 'Lee', email: 'ann@example.com' });
  await portal.request('POST', `/office/${slug}/api/guardians/${family.primary_guardian_id}/invitation`, { token: staff });
  const annLink = await portal.linkToken('ann@example.com', 'invitation');
  const ann = (await portal.accept(slug, annLink, 'ann-password-1')).body.token;
  const api = `/portal/${slug}/api`;
  const invite = async (first, email, { accept = false } = {}) => {
    const g = await portal.request('POST', `${api}/guardians`, { token: ann, json: { first_name: first, last_name: 'Lee', email } });
    await portal.request('POST', `${api}/guardians/${g.body.id}/invitation`, { token: ann });
    const link = await linkInMail(portal, email, 'invitation');
    if (accept) await portal.accept(slug, link.split('/').pop(), `${first.toLowerCase()}-password-1`);
    return { id: g.body.id, link };
  };
  await invite('Bob', 'bob@example.com', { accept: true });
  const cal = await invite('Cal', 'cal@example.com');
  const dee = await invite('Dee', 'dee@example.com', { accept: true });
  const eve = await invite('Eve', 'eve@example.com');
  await portal.request('POST', `${api}/guardians/${eve.id}/revoke`, { token: ann });
  await portal.request('POST', `/portal/${slug}/api/password-reset/request`, { json: { email: 'bob@example.com' } });
  const resetLink = await linkInMail(portal, 'bob@example.com', 'password_reset');

  for (const width of WIDTHS) {
    const context = await browser.newContext({ viewport: { width, height: width > 600 ? 800 : 740 } });
    const page = await context.newPage();
    const shot = async (name) => {
      const path = `${OUT}/${name}-${width}.png`;
      await page.screenshot({ path, fullPage: true });
      shots.push(path);
    };
    const go = (path) => page.goto(path.startsWith('http') ? path : `${portal.base}${path}`);
    const submit = (name) => Promise.all([page.waitForNavigation(), page.getByRole('button', { name, exact: true }).click()]);

    await go(`/portal/${slug}`);
    await shot('01-sign-in');
    await page.getByLabel('E-mail address').fill('ann@example.com');
    await page.getByLabel('Password', { exact: true }).fill('not-my-password');
    await submit('Sign in');
    await shot('02-sign-in-error');
    await go(`/portal/${slug}/forgot-password`);
    await shot('03-forgot-password');
    await page.getByLabel('E-mail address').fill('nobody@example.com');
    await submit('Send reset link');
    await shot('04-reset-link-sent');
    await go(resetLink);
    await page.getByLabel('New password').fill('short');
    await submit('Reset Password');
    await shot('05-password-reset-error');
    await go(cal.link);
    await shot('06-invitation');
    await submit('Accept invitation');
    await shot('07-invitation-error');
    await go(dee.link);
    await shot('08-invitation-used');
    await go(eve.link);
    await shot('09-invitation-revoked');
    await go(`/portal/${slug}`);
    await page.getByLabel('E-mail address').fill('ann@example.com');
    await page.getByLabel('Password', { exact: true }).fill('ann-password-1');
    await submit('Sign in');
    await shot('10-my-account');
    await submit('Sign out');
    await shot('11-signed-out');
    await go(`/portal/${slug}/no-such-page`);
    await shot('12-not-found');
    await context.close();
  }

  // The portal switched off (last: it ends every session).
  await portal.request('PUT', `/office/${slug}/api/settings/customer-portal`, { token: staff, json: { enabled: false } });
  for (const width of WIDTHS) {
    const context = await browser.newContext({ viewport: { width, height: width > 600 ? 800 : 740 } });
    const page = await context.newPage();
    await page.goto(`${portal.base}/portal/${slug}`);
    const path = `${OUT}/13-portal-unavailable-${width}.png`;
    await page.screenshot({ path, fullPage: true });
    shots.push(path);
    await context.close();
  }
} finally {
  await browser.close();
  await portal.close();
}
console.log(shots.map((p) => p.replace(ROOT, '')).join('\n'));
