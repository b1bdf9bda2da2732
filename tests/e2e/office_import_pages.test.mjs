// The Office Portal's report and import pages over plain HTTP: what a browser never sends but an
// attacker or a broken client may: cross-site posts, other body types, oversized files, unknown
// and other organizations' jobs, a job that is not a dry run. The browser test
// (tests/browser/office_import.test.mjs) walks the same pages in Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPortal, BASE } from './harness.mjs';

let portal;
let acme;
let other;
before(async () => {
  portal = await startPortal();
  acme = await portal.familyWithSecondary('acme');
  other = await portal.familyWithSecondary('other');
});
after(() => portal.close());

async function raw(method, path, { body, headers = {} } = {}) {
  const res = await portal.mf.dispatchFetch(`${BASE}${path}`, { method, body, headers, redirect: 'manual' });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

const staffCookie = (s) => ({ cookie: `office_session=${s.staff}` });

/** The edited report as the upload form posts it (multipart, our Origin). */
async function upload(csv, { updateMatching = true, headers = {}, stream = false } = {}) {
  const fd = new FormData();
  if (updateMatching) fd.set('update_matching', 'yes');
  if (csv !== null) fd.set('file', new Blob([csv], { type: 'text/csv' }), 'portal-access.csv');
  // Serialized here as a browser does (boundary and all), so the Worker gets exactly that.
  const encoded = new Response(fd);
  const bytes = Buffer.from(await encoded.arrayBuffer());
  const type = encoded.headers.get('content-type');
  const body = stream ? new Blob([bytes]).stream() : bytes;
  return portal.mf.dispatchFetch(`${BASE}/office/acme/import`, {
    method: 'POST', body, duplex: stream ? 'half' : undefined, headers: { 'content-type': type, origin: BASE, ...staffCookie(acme), ...headers }, redirect: 'manual',
  });
}

async function dryRun() {
  const report = await portal.request('GET', '/office/acme/api/reports/portal-access.csv?has_portal_access=yes', { token: acme.staff });
  const res = await upload(report.text.replace(/,Yes(\r?\n)/, ',No$1'));
  assert.equal(res.status, 303);
  const jobId = res.headers.get('location').split('/').pop();
  await portal.waitFor(async () => (await portal.request('GET', `/office/acme/api/imports/${jobId}`, { token: acme.staff })).body.status === 'done', 'the dry run');
  return jobId;
}

test('an upload starts a dry run and shows its confirmation page; nothing changes before Finish', async () => {
  const jobId = await dryRun();
  const job = await portal.request('GET', `/office/acme/api/imports/${jobId}`, { token: acme.staff });
  assert.equal(job.body.dry_run, true);
  assert.equal(job.body.changes.length, 1);
  const page = await raw('GET', `/office/acme/import/${jobId}`, { headers: staffCookie(acme) });
  assert.equal(page.status, 200);
  assert.match(page.text, /Contacts Import Confirmation/);
  assert.match(page.text, />Finish</);
  assert.equal(page.headers.get('refresh'), null, 'a finished check does not reload itself');
  const account = await portal.request('GET', '/portal/acme/api/account', { token: acme.primary.token });
  assert.equal(account.status, 200);
});

test('an unfinished job reloads itself and lets its script ask our API, nothing else', async () => {
  const report = await portal.request('GET', '/office/acme/api/reports/portal-access.csv', { token: acme.staff });
  const res = await upload(report.text);
  const jobId = res.headers.get('location').split('/').pop();
  const page = await raw('GET', `/office/acme/import/${jobId}`, { headers: staffCookie(acme) });
  if (page.headers.get('refresh') !== null) {
    assert.equal(page.headers.get('refresh'), '2');
    assert.match(page.headers.get('content-security-policy'), /connect-src 'self'$/);
    assert.match(page.text, /<progress id="job-progress"/);
    assert.match(page.text, /<script src="\/office\/static\/import-progress\.[0-9a-f]{8}\.js" defer><\/script>/);
  } else {
    assert.match(page.text, />Finish</, 'the queue was quicker than the page: the check is done');
  }
});

test('the upload form refuses what is not its own form, and an oversized file, with the right status', async () => {
  const crossSite = await upload('x', { headers: { origin: 'https://evil.example' } });
  assert.equal(crossSite.status, 403);
  const json = await raw('POST', '/office/acme/import', { body: '{}', headers: { 'content-type': 'application/json', origin: BASE, ...staffCookie(acme) } });
  assert.equal(json.status, 415);
  assert.match(json.text, /<h1>Request refused<\/h1>/);
  // Streamed (no Content-Length), as the bulk API's oversized test sends it: the Worker reads the
  // form and measures the file (an early 413 on a declared length can meet a reset connection).
  const big = await upload('ContactId,CustomerId,First Name,Last Name,Customer: Name,Has Access To Portal\r\n' + 'x'.repeat(6 * 1024 * 1024), { stream: true });
  assert.equal(big.status, 413);
  const unticked = await upload('ContactId\r\n', { updateMatching: false });
  assert.equal(unticked.status, 422);
  assert.match(await unticked.text(), /Tick Update matching data/);
  const noFile = await upload(null);
  assert.equal(noFile.status, 422);
  assert.match(await noFile.text(), /Choose the edited report/);
  const notCsv = await upload('just some words');
  assert.equal(notCsv.status, 422);
  const jobs = await portal.dbOf('acme').prepare("SELECT COUNT(*) AS n FROM import_jobs WHERE org_id = (SELECT id FROM organizations WHERE slug = 'acme')").first();
  const before = jobs.n;
  await upload('x', { headers: { origin: 'https://evil.example' } });
  const after = await portal.dbOf('acme').prepare("SELECT COUNT(*) AS n FROM import_jobs WHERE org_id = (SELECT id FROM organizations WHERE slug = 'acme')").first();
  assert.equal(after.n, before, 'a refused upload starts no job');
});

test("unknown jobs and another organization's jobs are the not-found page; Finish twice applies once", async () => {
  const unknown = await raw('GET', '/office/acme/import/imp_nope', { headers: staffCookie(acme) });
  assert.equal(unknown.status, 404);
  assert.match(unknown.text, /There is no such page in the Office Portal\./);
  const jobId = await dryRun();
  const theirs = await raw('GET', `/office/other/import/${jobId}`, { headers: staffCookie(other) });
  assert.equal(theirs.status, 404, "another organization's staff cannot see it");
  const finishForm = (who, org) => raw('POST', `/office/${org}/import/${jobId}/finish`, { body: '', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: BASE, ...staffCookie(who) } });
  assert.equal((await finishForm(other, 'other')).status, 404);
  const first = await finishForm(acme, 'acme');
  assert.equal(first.status, 303);
  const applied = first.headers.get('location').split('/').pop();
  assert.notEqual(applied, jobId);
  const again = await finishForm(acme, 'acme');
  assert.equal(again.status, 409, 'the dry run was applied already');
  assert.match(again.text, /There is a problem/);
  const progress = await raw('GET', `/office/acme/import/${applied}`, { headers: staffCookie(acme) });
  assert.equal(progress.status, 200);
  assert.match(progress.text, /Import Progress/);
  assert.doesNotMatch(progress.text, />Finish</, 'an applied import offers no Finish');
});

test('the report page refuses a filter that is not yes or no, beside the filter', async () => {
  const res = await raw('GET', '/office/acme/reports?has_customer=maybe', { headers: staffCookie(acme) });
  assert.equal(res.status, 422);
  assert.match(res.text, /href="#has_customer">Choose Yes, No or Any\./);
  const ok = await raw('GET', '/office/acme/reports?has_portal_access=no&family=Lee', { headers: staffCookie(acme) });
  assert.equal(ok.status, 200);
  assert.match(ok.text, /\/office\/acme\/api\/reports\/portal-access\.csv\?has_portal_access=no&(amp|#38);family=Lee/);
});
