// Browser tests: the built Workers in Miniflare on a loopback port (tests/e2e/harness.mjs starts
// them the same way), driven by Debian's chromium through playwright-core. Every page a test
// visits is checked with axe-core (zero violations), for its size and for third-party requests.
import { Miniflare, convertV4MiniflareOptions } from 'miniflare';
import { createServer } from 'node:net';
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { openPortal, workerOptions, ROOT } from '../e2e/harness.mjs';

export { ROOT };
export const UNAVAILABLE = 'Our Customer Portal is currently unavailable. Please check back later.';
/** Each page, as transferred (HTML plus what it loads), stays under this. */
export const PAGE_BUDGET_BYTES = 50 * 1024;

const AXE_SOURCE = readFileSync(`${ROOT}node_modules/axe-core/axe.min.js`, 'utf8');

/** A port nobody listens on now (the Worker's e-mails must name the real address up front). */
export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Both Workers on http://127.0.0.1:PORT, with the migrations applied; e-mailed links point there.
 * Returns the e2e harness's Portal (API calls go through Miniflare directly) with `base` added.
 */
export async function startServedPortal(bindings = {}) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const options = workerOptions({ PUBLIC_BASE_URL: base, ...bindings });
  const mf = new Miniflare(convertV4MiniflareOptions({ cf: false, host: '127.0.0.1', port, ...options }));
  await mf.ready;
  const portal = await openPortal(mf);
  portal.base = base;
  return portal;
}

export function chromiumPath() {
  return execSync('command -v chromium', { shell: '/bin/bash' }).toString().trim();
}

export async function launchBrowser() {
  return chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox'] });
}

/**
 * A browser tab that records what it loads: every request must go to `base` (no third party) or
 * to one of `allowed` (the payment gateway, on the one page that loads it).
 */
export async function openTab(browser, base, { width = 1280, height = 900, allowed = [] } = {}) {
  const context = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  const foreign = [];
  const ours = [base, ...allowed].map((origin) => `${origin}/`);
  page.on('request', (req) => {
    const url = req.url();
    if (!ours.some((o) => url.startsWith(o)) && !url.startsWith('data:') && url !== 'about:blank') foreign.push(url);
  });
  return { context, page, foreign };
}

/**
 * Runs axe-core in the page (evaluated, since the CSP refuses added script tags) and asserts zero
 * violations. `iframes: false` leaves out frames of another origin (the payment gateway's element),
 * which axe could only check from inside them; their own frame element is still checked.
 */
export async function assertAccessible(page, what = page.url(), { iframes = true } = {}) {
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async (iframes) => {
    // eslint-disable-next-line no-undef
    const result = await axe.run(document, { resultTypes: ['violations'], iframes });
    return result.violations.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  }, iframes);
  assert.deepEqual(violations, [], `axe-core violations on ${what}`);
}

/** What the current page took to load: its HTML and every subresource, as the browser counted them. */
export async function pageBytes(page) {
  return page.evaluate(() => {
    const [nav] = performance.getEntriesByType('navigation');
    const resources = performance.getEntriesByType('resource');
    return (nav ? nav.encodedBodySize : 0) + resources.reduce((n, r) => n + r.encodedBodySize, 0);
  });
}

/**
 * Checks a page the way every test wants it checked: accessible, under budget, nothing loaded
 * from elsewhere, readable without sideways scrolling.
 */
export async function checkPage(tab, what, { iframes = true } = {}) {
  const { page, foreign } = tab;
  await assertAccessible(page, what, { iframes });
  assert.deepEqual(foreign, [], `third-party requests on ${what}`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `${what} scrolls sideways by ${overflow}px`);
  const bytes = await pageBytes(page);
  assert.ok(bytes < PAGE_BUDGET_BYTES, `${what} is ${bytes} bytes`);
  return bytes;
}

/** The first link in the newest e-mail of `kind` to `to`, as the person would click it. */
export async function linkInMail(portal, to, kind) {
  const [mail] = await portal.waitForMail(to, (m) => m.kind === kind);
  const m = /(https?:\/\/[^\s"<>]+)/.exec(mail.text);
  if (!m) throw new Error(`no link in ${mail.text}`);
  return m[1];
}

/** Clicks the button named exactly `name` and waits for the page its form leads to. */
export async function submit(page, name) {
  const [response] = await Promise.all([page.waitForNavigation(), page.getByRole('button', { name, exact: true }).click()]);
  return response;
}

/** Signs in on the organization's sign-in page as a person would; answers the page it led to. */
export async function signIn(tab, base, slug, email, password) {
  await tab.page.goto(`${base}/portal/${slug}`);
  await tab.page.getByLabel('E-mail address').fill(email);
  await tab.page.getByLabel('Password', { exact: true }).fill(password);
  return submit(tab.page, 'Sign in');
}

/** Signs a staff member in on the Office Portal's sign-in page; answers the page it led to (FAMILIES). */
export async function staffSignIn(tab, base, slug, email, password) {
  await tab.page.goto(`${base}/office/${slug}`);
  await tab.page.getByLabel('E-mail address').fill(email);
  await tab.page.getByLabel('Password', { exact: true }).fill(password);
  return submit(tab.page, 'Sign in');
}
