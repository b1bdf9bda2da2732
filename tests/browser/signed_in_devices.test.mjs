// Signed-in devices in Chromium: My Account's Login/Security lists the person's sign-ins (this
// device marked) with Sign out and Sign out everywhere else; the Office Portal likewise, from the
// staff member's name in the header. Every page visited is checked by axe-core.
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

const FIREFOX_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0';
const notice = (page) => page.getByRole('status').textContent();
const devices = (page) => page.getByRole('list', { name: 'Signed-in devices' }).getByRole('listitem');

async function clickIn(page, item, name) {
  const [response] = await Promise.all([page.waitForNavigation(), item.getByRole('button', { name }).click()]);
  return response;
}

test('a person sees their sign-ins on Login/Security and signs one out, then everywhere else', async () => {
  const { primary } = await portal.familyWithSecondary('devpages');
  // Another sign-in, on "Firefox on Windows".
  const other = await portal.request('POST', '/portal/devpages/api/session', {
    json: { email: primary.email, password: primary.password },
    headers: { 'user-agent': FIREFOX_WINDOWS },
  });
  assert.equal(other.status, 200);

  for (const width of [1280, 360]) {
    const tab = await openTab(browser, portal.base, { width });
    await signIn(tab, portal.base, 'devpages', primary.email, primary.password);
    await tab.page.goto(`${portal.base}/portal/devpages/account#login-security`);
    const items = devices(tab.page);
    assert.ok((await items.count()) >= 3, 'the acceptance, the API sign-in and this one');
    const mine = items.filter({ hasText: 'This device' });
    assert.equal(await mine.count(), 1);
    assert.match(await mine.textContent(), /Lee family · Signed in \d{4}-\d\d-\d\d \d\d:\d\d UTC · Last used/);
    assert.match(await items.filter({ hasText: 'Firefox on Windows' }).textContent(), /Lee family/);
    await checkPage(tab, `My Account with signed-in devices at ${width}px`);
    await tab.page.screenshot({ path: `/tmp/shots/portal-devices-${width}.png`, fullPage: true });
    await tab.context.close();
  }

  const tab = await openTab(browser, portal.base);
  await signIn(tab, portal.base, 'devpages', primary.email, primary.password);
  const firefox = devices(tab.page).filter({ hasText: 'Firefox on Windows' });
  await clickIn(tab.page, firefox, /^Sign out Firefox on Windows/);
  assert.equal(new URL(tab.page.url()).pathname, '/portal/devpages/account');
  assert.equal(await notice(tab.page), 'That device has been signed out.');
  assert.equal(await devices(tab.page).filter({ hasText: 'Firefox on Windows' }).count(), 0);
  assert.equal((await portal.request('GET', '/portal/devpages/api/account', { token: other.body.token })).status, 401);
  await checkPage(tab, 'My Account after Sign out of a device');

  await submit(tab.page, 'Sign out everywhere else');
  assert.equal(await notice(tab.page), 'You have been signed out everywhere else.');
  assert.equal(await devices(tab.page).count(), 1);
  assert.equal(await tab.page.getByRole('button', { name: 'Sign out everywhere else' }).count(), 0, 'nothing else to sign out');
  assert.equal((await portal.request('GET', '/portal/devpages/api/account', { token: primary.token })).status, 401);

  // The header's Sign out is still the one named exactly "Sign out".
  await submit(tab.page, 'Sign out');
  assert.equal(new URL(tab.page.url()).pathname, '/portal/devpages');
});

test('a device signed out from elsewhere goes to sign-in, told why', async () => {
  const { secondary } = await portal.familyWithSecondary('devtold');
  const tab = await openTab(browser, portal.base);
  await signIn(tab, portal.base, 'devtold', secondary.email, secondary.password);
  const res = await portal.request('DELETE', '/portal/devtold/api/me/sessions?others=true', { token: secondary.token });
  assert.equal(res.status, 204);
  await tab.page.reload();
  assert.equal(new URL(tab.page.url()).pathname, '/portal/devtold');
  assert.equal(await notice(tab.page), 'This device was signed out from another of your devices. Please sign in again.');
  await checkPage(tab, 'signed out from elsewhere');
});

test('staff reach Signed-in devices from their name and sign other devices out', async () => {
  const org = await portal.createOrganization('devoffice');
  const elsewhere = await portal.request('POST', '/office/devoffice/api/session', {
    json: { email: org.owner_email, password: org.owner_password },
    headers: { 'user-agent': FIREFOX_WINDOWS },
  });
  // And one more, for Sign out everywhere else to end.
  const third = await portal.staffSignIn('devoffice', org.owner_email, org.owner_password);
  for (const width of [1280, 360]) {
    const tab = await openTab(browser, portal.base, { width });
    await staffSignIn(tab, portal.base, 'devoffice', org.owner_email, org.owner_password);
    await Promise.all([tab.page.waitForNavigation(), tab.page.getByRole('banner').getByRole('link', { name: org.owner_email }).click()]);
    assert.equal(new URL(tab.page.url()).pathname, '/office/devoffice/signed-in-devices');
    assert.equal(await tab.page.getByRole('heading', { level: 1 }).textContent(), 'Signed-in devices');
    assert.equal(await devices(tab.page).filter({ hasText: 'This device' }).count(), 1);
    await checkPage(tab, `Office Signed-in devices at ${width}px`);
    await tab.page.screenshot({ path: `/tmp/shots/office-devices-${width}.png`, fullPage: true });
    if (width === 360) await tab.context.close();
    else {
      await clickIn(tab.page, devices(tab.page).filter({ hasText: 'Firefox on Windows' }), /^Sign out Firefox on Windows/);
      assert.equal(await notice(tab.page), 'That device has been signed out.');
      assert.equal((await portal.request('GET', '/office/devoffice/api/me/sessions', { token: elsewhere.body.token })).status, 401);
      await submit(tab.page, 'Sign out everywhere else');
      assert.equal(await notice(tab.page), 'You have been signed out everywhere else.');
      assert.equal(await devices(tab.page).count(), 1);
      assert.equal((await portal.request('GET', '/office/devoffice/api/me/sessions', { token: third })).status, 401);
      await checkPage(tab, 'Office Signed-in devices after signing out elsewhere');
      await tab.context.close();
    }
  }
});
