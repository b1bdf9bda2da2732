// Bulk portal access against the built worker: the contacts report, the queued CSV import with
// update matching, dry runs, row errors, retried chunks and the summary e-mail.
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

const HEADER = 'ContactId,CustomerId,First Name,Last Name,Customer Name,Has Access To Portal';

/**
 * An organization with `n` families seeded in D1: each a primary who can log in and a secondary
 * without access. Returns {staff, org, families: [{id, name, primary, secondary}]}.
 */
async function seededOrganization(slug, n) {
  const org = await portal.createOrganization(slug);
  const staff = await portal.staffSignIn(slug, org.owner_email, org.owner_password);
  const now = Date.now();
  const families = Array.from({ length: n }, (_, i) => ({
    id: `fam_${slug}_${i}`,
    name: i === 0 ? 'Lee, "The" Family' : `Family ${String(i).padStart(4, '0')}`,
    primary: `gdn_${slug}_${i}_p`,
    secondary: `gdn_${slug}_${i}_s`,
  }));
  const db = portal.dbOf(slug);
  const statements = families.flatMap((f, i) => [
    db
      .prepare('INSERT OR IGNORE INTO families (id, org_id, name, primary_guardian_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)')
      .bind(f.id, org.id, f.name, f.primary, now, now),
    db
      .prepare("INSERT OR IGNORE INTO guardians (id, org_id, family_id, first_name, last_name, email, access_state, created_at, updated_at) VALUES (?, ?, ?, 'Pat', ?, ?, 'can_log_in', ?, ?)")
      .bind(f.primary, org.id, f.id, `Primary ${i}`, `p${i}@${slug}.test`, now, now),
    db
      .prepare("INSERT OR IGNORE INTO guardians (id, org_id, family_id, first_name, last_name, email, access_state, created_at, updated_at) VALUES (?, ?, ?, 'Sam', ?, ?, 'no_access', ?, ?)")
      .bind(f.secondary, org.id, f.id, `Secondary ${i}`, `s${i}@${slug}.test`, now, now),
  ]);
  // Miniflare's D1 proxy can drop a connection on a loaded machine: a chunk is sent again (the
  // inserts are idempotent), as the benchmark's seeding does.
  for (let i = 0; i < statements.length; i += 300) {
    const chunk = statements.slice(i, i + 300);
    await portal.waitFor(async () => (await db.batch(chunk), true), `seed rows ${i}..${i + chunk.length}`, 60_000);
  }
  return { staff, org, families };
}

async function report(slug, staff, query = '') {
  const res = await portal.request('GET', `/office/${slug}/api/reports/portal-access.csv${query}`, { token: staff });
  assert.equal(res.status, 200, res.text);
  assert.match(res.headers.get('content-type'), /^text\/csv/);
  return res.text;
}

async function upload(slug, staff, csv, query = '?update_matching=true&dry_run=false') {
  return portal.request('POST', `/office/${slug}/api/imports/portal-access${query}`, {
    token: staff,
    body: csv,
    headers: { 'content-type': 'text/csv' },
  });
}

async function finished(slug, staff, jobId) {
  return portal.waitFor(async () => {
    const res = await portal.request('GET', `/office/${slug}/api/imports/${jobId}`, { token: staff });
    return res.body.status === 'done' || res.body.status === 'failed' ? res.body : null;
  }, `import ${jobId}`, 30_000);
}

async function importAndWait(slug, staff, csv, query) {
  const res = await upload(slug, staff, csv, query);
  assert.equal(res.status, 202, res.text);
  return finished(slug, staff, res.body.job_id);
}

async function accessState(slug, id) {
  return (await portal.dbOf(slug).prepare('SELECT access_state FROM guardians WHERE id = ?').bind(id).first()).access_state;
}

/** Sets "Has Access To Portal" of the lines of these contacts (the report's last column). */
function edit(csv, changes) {
  return csv
    .split('\n')
    .map((line) => {
      const id = line.split(',')[0];
      return id in changes ? line.replace(/,(Yes|No)$/, `,${changes[id]}`) : line;
    })
    .join('\n');
}

test('the report lists every contact with its customer and access, quoting what needs quoting', async () => {
  const { staff, families } = await seededOrganization('bulk-report', 3);
  const csv = await report('bulk-report', staff);
  const lines = csv.trim().split('\n');
  assert.equal(lines[0], HEADER);
  assert.equal(lines.length, 1 + 6);
  assert.ok(lines.includes(`${families[0].primary},${families[0].id},Pat,Primary 0,"Lee, ""The"" Family",Yes`), csv);
  assert.ok(lines.includes(`${families[1].secondary},${families[1].id},Sam,Secondary 1,Family 0001,No`), csv);

  const withAccess = (await report('bulk-report', staff, '?has_customer=yes&has_portal_access=yes')).trim().split('\n');
  assert.equal(withAccess.length, 1 + 3);
  assert.ok(withAccess.slice(1).every((l) => l.endsWith(',Yes')));
  assert.equal((await report('bulk-report', staff, '?has_portal_access=no&family=0002')).trim().split('\n').length, 2);
  assert.equal((await report('bulk-report', staff, '?has_customer=no')).trim(), HEADER);
  assertError(await portal.request('GET', '/office/bulk-report/api/reports/portal-access.csv?has_portal_access=maybe', { token: staff }), 422, 'invalid_field');
});

test('exporting the report and importing it unchanged changes nothing, and the uploader gets a summary', async () => {
  const { staff, families } = await seededOrganization('bulk-same', 4);
  const job = await importAndWait('bulk-same', staff, await report('bulk-same', staff));
  assert.equal(job.status, 'done');
  assert.deepEqual([job.total, job.processed, job.updated, job.unchanged, job.errors.length], [8, 8, 0, 8, 0]);
  assert.equal(await accessState('bulk-same', families[0].primary), 'can_log_in');
  const [summary] = await portal.waitForMail('owner@bulk-same.test', (m) => m.kind === 'import_summary');
  assert.match(summary.text, /8 rows: 0 changed, 8 unchanged, 0 with errors/);
  assert.ok(summary.text.includes(`/office/bulk-same/api/imports/${job.id}`));
});

/** The rows of a CSV text as a spreadsheet reads them (RFC 4180: quotes, doubled quotes, newlines). */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(cell), (cell = '');
    else if (c === '\n') row.push(cell), rows.push(row), (row = []), (cell = '');
    else cell += c;
  }
  if (cell !== '' || row.length) row.push(cell), rows.push(row);
  return rows;
}

test('names a spreadsheet would run as formulas are exported as text, and the report imports back unchanged', async () => {
  const slug = 'bulk-formula';
  const { staff, family, primary, secondary } = await portal.familyWithSecondary(slug);
  const renamed = await portal.request('PATCH', `/portal/${slug}/api/guardians/${secondary.id}`, {
    token: secondary.token,
    json: { first_name: '=HYPERLINK("http://evil","x")', last_name: '@SUM(1+1)' },
  });
  assert.equal(renamed.status, 200, renamed.text);
  const plus = await portal.createFamily(slug, staff, '+1', { first_name: '-2+3', last_name: '=1+1', email: `plus@${slug}.test` });
  const added = await portal.request('POST', `/office/${slug}/api/families/${plus.id}/guardians`, {
    token: staff,
    json: { first_name: '+cmd', last_name: '-x' },
  });
  assert.equal(added.status, 201, added.text);
  // The API refuses control characters in names; a tab or carriage return stored before is exported safely too.
  await portal.dbOf(slug).prepare('UPDATE guardians SET first_name = ?, last_name = ? WHERE id = ?').bind('\tTab', '\rReturn', primary.id).run();

  const csv = await report(slug, staff);
  assert.ok(csv.includes(`${secondary.id},${family.id},"'=HYPERLINK(""http://evil"",""x"")",'@SUM(1+1),Lee,Yes\n`), csv);
  const rows = parseCsv(csv);
  assert.deepEqual(rows[0], HEADER.split(','));
  const names = Object.fromEntries(rows.slice(1).map((r) => [r[0], r.slice(2, 5)]));
  assert.deepEqual(names, {
    [primary.id]: ["'\tTab", "'\rReturn", 'Lee'],
    [secondary.id]: [`'=HYPERLINK("http://evil","x")`, "'@SUM(1+1)", 'Lee'],
    [plus.primary_guardian_id]: ["'-2+3", "'=1+1", "'+1"],
    [added.body.id]: ["'+cmd", "'-x", "'+1"],
  });
  for (const cell of rows.flat()) assert.doesNotMatch(cell, /^[=+\-@\t\r]/);

  const job = await importAndWait(slug, staff, csv);
  assert.equal(job.status, 'done');
  assert.deepEqual([job.total, job.processed, job.updated, job.unchanged, job.errors.length], [4, 4, 0, 4, 0], JSON.stringify(job));
  assert.equal(await accessState(slug, secondary.id), 'can_log_in');
  assert.equal(await accessState(slug, primary.id), 'can_log_in');
});

test('three contacts flipped to No are revoked, exactly those, with e-mails; the same file again changes nothing more', async () => {
  const slug = 'bulk-flip';
  const { staff, families } = await seededOrganization(slug, 5);
  const flipped = [families[0].primary, families[2].primary, families[4].primary];
  const csv = edit(await report(slug, staff), Object.fromEntries(flipped.map((id) => [id, 'No'])));
  const job = await importAndWait(slug, staff, csv);
  assert.deepEqual([job.updated, job.unchanged, job.errors.length], [3, 7, 0]);
  assert.deepEqual(job.changes.map((c) => [c.contact_id, c.action]).sort(), flipped.map((id) => [id, 'revoke']).sort());
  for (const f of families) {
    assert.equal(await accessState(slug, f.primary), flipped.includes(f.primary) ? 'invite_revoked' : 'can_log_in');
  }
  for (const i of [0, 2, 4]) await portal.waitForMail(`p${i}@${slug}.test`, (m) => m.kind === 'access_revoked');
  assert.equal((await portal.mailbox(`p1@${slug}.test`)).length, 0);
  const audit = await portal.request('GET', `/office/${slug}/api/audit?guardian_id=${flipped[0]}`, { token: staff });
  assert.equal(audit.body.entries.find((e) => e.action === 'access_revoked').reason, 'Bulk import');

  const again = await importAndWait(slug, staff, csv);
  assert.deepEqual([again.updated, again.unchanged], [0, 10]);
  assert.equal((await portal.mailbox(`p0@${slug}.test`)).filter((m) => m.kind === 'access_revoked').length, 1);
});

test('a secondary flipped to Yes is a row error naming its line, and nothing else is affected', async () => {
  const slug = 'bulk-secondary';
  const { staff, families } = await seededOrganization(slug, 2);
  const csv = edit(await report(slug, staff), { [families[1].secondary]: 'Yes' });
  const line = csv.split('\n').findIndex((l) => l.startsWith(families[1].secondary)) + 1;
  const job = await importAndWait(slug, staff, csv);
  assert.deepEqual([job.updated, job.unchanged], [0, 3]);
  assert.equal(job.errors.length, 1);
  assert.equal(job.errors[0].row, line);
  assert.match(job.errors[0].message, /Primary Guardian/);
  assert.equal(await accessState(slug, families[1].secondary), 'no_access');
});

test("a primary flipped to Yes is invited; another organization's contact is a row error", async () => {
  const slug = 'bulk-invite';
  const { staff, families, org } = await seededOrganization(slug, 2);
  await portal.dbOf(slug).prepare("UPDATE guardians SET access_state = 'no_access' WHERE id = ?").bind(families[1].primary).run();
  const other = await seededOrganization('bulk-invite-other', 1);
  const csv = [
    HEADER,
    `${families[1].primary},${families[1].id},Pat,Primary 1,Family 0001,Yes`,
    `${other.families[0].primary},${other.families[0].id},Pat,Primary 0,x,No`,
    `${families[0].primary},${families[1].id},Pat,Primary 0,x,No`,
  ].join('\n');
  const job = await importAndWait(slug, staff, csv);
  assert.equal(job.updated, 1);
  assert.deepEqual(job.errors.map((e) => e.row), [3, 4]);
  assert.match(job.errors[0].message, /no contact/);
  assert.match(job.errors[1].message, /belongs to customer/);
  await portal.waitForMail(`p1@${slug}.test`, (m) => m.kind === 'invitation');
  assert.equal(await accessState(slug, families[1].primary), 'invite_sent');
  assert.equal(await accessState('bulk-invite-other', other.families[0].primary), 'can_log_in');
  assert.equal(await accessState(slug, families[0].primary), 'can_log_in');
  assert.ok(org.id);
});

test('a dry run reports exactly what would change and changes nothing', async () => {
  const slug = 'bulk-dry';
  const { staff, families } = await seededOrganization(slug, 3);
  const csv = edit(await report(slug, staff), { [families[0].primary]: 'No', [families[1].primary]: 'No' });
  const job = await importAndWait(slug, staff, csv, '?update_matching=true&dry_run=true');
  assert.equal(job.dry_run, true);
  assert.deepEqual(job.changes.map((c) => c.contact_id).sort(), [families[0].primary, families[1].primary].sort());
  assert.equal(job.updated, 2);
  assert.equal(await accessState(slug, families[0].primary), 'can_log_in');
  assert.equal((await portal.mailbox(`p0@${slug}.test`)).length, 0);
  const [summary] = await portal.waitForMail('owner@bulk-dry.test', (m) => m.kind === 'import_summary');
  assert.match(summary.subject, /^Dry run/);
});

test('columns are matched by name whatever their case, spacing and order', async () => {
  const slug = 'bulk-header';
  const { staff, families } = await seededOrganization(slug, 2);
  const csv = [
    'has access to portal , CUSTOMERID,contact id',
    `No,${families[0].id},${families[0].primary}`,
    `Yes,${families[1].id},${families[1].primary}`,
  ].join('\r\n');
  const job = await importAndWait(slug, staff, csv);
  assert.deepEqual([job.updated, job.unchanged, job.errors.length], [1, 1, 0]);
  assert.equal(await accessState(slug, families[0].primary), 'invite_revoked');
});

test('a bad row in the middle is reported and the rows around it are applied', async () => {
  const slug = 'bulk-bad-row';
  const { staff, families } = await seededOrganization(slug, 3);
  const csv = [
    HEADER,
    `${families[0].primary},${families[0].id},a,b,c,No`,
    `${families[1].primary},${families[1].id},a,b,c,Maybe`,
    `${families[2].primary},${families[2].id},a,b,c,No`,
  ].join('\n');
  const job = await importAndWait(slug, staff, csv);
  assert.equal(job.updated, 2);
  assert.deepEqual(job.errors.map((e) => [e.row, /Yes or No/.test(e.message)]), [[3, true]]);
  assert.equal(await accessState(slug, families[1].primary), 'can_log_in');
  assert.equal(await accessState(slug, families[2].primary), 'invite_revoked');
  // Saved with Windows line ends and a blank line, the bad row is still named by its line.
  const crlf = csv.replace(`\n${families[1].primary}`, `\n\n${families[1].primary}`).replaceAll('\n', '\r\n');
  const dry = await importAndWait(slug, staff, crlf, '?update_matching=true&dry_run=true');
  assert.deepEqual(dry.errors.map((e) => [e.row, /Yes or No/.test(e.message)]), [[4, true]]);
});

test('a file that cannot be read is refused before anything is stored, naming the line', async () => {
  const { staff } = await seededOrganization('bulk-refused', 1);
  const refused = async (body, status, code, pattern) => {
    const res = await upload('bulk-refused', staff, body);
    assertError(res, status, code);
    if (pattern) assert.match(res.body.error.message, pattern);
  };
  await refused(`${HEADER},Shoe Size\n`, 400, 'invalid_columns', /Unknown column "Shoe Size"/);
  await refused('ContactId,Has Access To Portal\ngdn_1,No\n', 400, 'invalid_columns', /CustomerId is missing/);
  await refused(`${HEADER}\ngdn_1,fam_1,a,b,c,No\ngdn_2,"fam_1,a,b,c,No\ngdn_3,fam_1,a,b,c,No\n`, 400, 'invalid_csv', /Line 3/);
  await refused(Buffer.concat([Buffer.from(`${HEADER}\ngdn_1,fam_1,a,b,c,No\ngdn_2,fam_1,Ren`), Buffer.from([0xe9]), Buffer.from('e,b,c,No\n')]), 400, 'invalid_csv', /line 3/);
  await refused('', 400, 'invalid_csv');
  await refused(`${HEADER}\n"gdn_x"x,fam_x,a,b,c,Yes\n`, 400, 'invalid_csv', /^Line 2 .*text after a closing quote/);
  await refused(`${HEADER}\r\ngdn_1,fam_1,a,b,c,No\r\ngdn_2,fam_1,a,b,c,"Yes`, 400, 'invalid_csv', /^Line 3 .*never closed/);
  await refused(`${HEADER}\n${'gdn_x,fam_x,a,b,c,No\n'.repeat(20_001)}`, 413, 'too_many_rows');
  // Streamed, so the Worker reads it whole and then refuses it: with a Content-Length it answers
  // before the body is sent, and a loaded machine can reset the connection under the client.
  const oversized = new Blob(['x'.repeat(4 * 1024 * 1024 + 1)]).stream();
  await refused(oversized, 413, 'body_too_large');
  assertError(await upload('bulk-refused', staff, `${HEADER}\n`, '?update_matching=false'), 422, 'invalid_field');
  assert.equal(await portal.countEverywhere("SELECT COUNT(*) AS n FROM import_jobs WHERE staff_email = 'owner@bulk-refused.test'"), 0);
  assertError(await portal.request('GET', '/office/bulk-refused/api/imports/imp_nope', { token: staff }), 404, 'import_not_found');
});

test('a large file runs in chunks, and a chunk delivered again applies no row twice', async () => {
  const slug = 'bulk-chunks';
  const { staff, families } = await seededOrganization(slug, 300); // 600 contacts: three chunks
  const flips = Object.fromEntries(families.filter((_, i) => i % 10 === 0).map((f) => [f.primary, 'No']));
  const job = await importAndWait(slug, staff, edit(await report(slug, staff), flips));
  assert.deepEqual([job.total, job.processed, job.updated, job.unchanged], [600, 600, 30, 570]);
  const db = portal.dbOf(slug);
  const { results: chunks } = await db
    .prepare("SELECT id FROM outbox WHERE kind = 'import_chunk' AND payload LIKE ?")
    .bind(`%${job.id}%`)
    .all();
  assert.equal(chunks.length, 3);
  // Delivered again: once as a duplicate message, once with the chunk marked unfinished (a crash).
  await db.prepare('UPDATE import_chunks SET done_at = NULL WHERE job_id = ? AND chunk = 0').bind(job.id).run();
  await db.prepare('UPDATE outbox SET processed_at = NULL WHERE id = ?').bind(chunks[0].id).run();
  const queue = await portal.mf.getQueueProducer('JOBS');
  await queue.send({ outbox_id: chunks[0].id });
  await queue.send({ outbox_id: chunks[0].id });
  await portal.waitFor(async () => (await db.prepare('SELECT done_at FROM import_chunks WHERE job_id = ? AND chunk = 0').bind(job.id).first()).done_at, 'the chunk again');
  const after = (await portal.request('GET', `/office/${slug}/api/imports/${job.id}`, { token: staff })).body;
  assert.deepEqual([after.processed, after.updated, after.unchanged], [600, 30, 570]);
  const revokedMails = (await portal.mailbox(`p0@${slug}.test`)).filter((m) => m.kind === 'access_revoked');
  assert.equal(revokedMails.length, 1);
});

test('with "portal access for new contacts" on, a family created by staff has its primary invited; off by default', async () => {
  const org = await portal.createOrganization('bulk-auto');
  const staff = await portal.staffSignIn('bulk-auto', org.owner_email, org.owner_password);
  const options = await portal.request('GET', '/office/bulk-auto/api/settings/portal-options', { token: staff });
  assert.equal(options.body.auto_portal_access_for_new_contacts, false);
  const off = await portal.createFamily('bulk-auto', staff, 'Off', { first_name: 'O', last_name: 'Off', email: 'off@bulk-auto.test' });
  assert.equal(off.guardians[0].access_status, 'no_access');
  await portal.request('PATCH', '/office/bulk-auto/api/settings/portal-options', { token: staff, json: { auto_portal_access_for_new_contacts: true } });
  const on = await portal.createFamily('bulk-auto', staff, 'On', { first_name: 'N', last_name: 'On', email: 'on@bulk-auto.test' });
  assert.equal(on.guardians[0].access_status, 'invite_sent');
  await portal.waitForMail('on@bulk-auto.test', (m) => m.kind === 'invitation');
});

// Finish on the confirmation page: applying a dry run, exactly its changes, without the file again.

async function apply(slug, staff, jobId, options = {}) {
  return portal.request('POST', `/office/${slug}/api/imports/${jobId}/apply`, { token: staff, ...options });
}

async function job(slug, staff, jobId) {
  const res = await portal.request('GET', `/office/${slug}/api/imports/${jobId}`, { token: staff });
  assert.equal(res.status, 200, res.text);
  return res.body;
}

async function accessStates(orgId, db) {
  const { results } = await db.prepare('SELECT id, access_state FROM guardians WHERE org_id = ? ORDER BY id').bind(orgId).all();
  return Object.fromEntries(results.map((r) => [r.id, r.access_state]));
}

test('Finish applies exactly the dry run: the contact changed to No loses access, nothing else changes, and the summary is e-mailed', async () => {
  const slug = 'apply-dry';
  const { staff, families, org } = await seededOrganization(slug, 3);
  const target = families[1].primary;
  const csv = edit(await report(slug, staff), { [target]: 'No' });
  const line = csv.split('\n').findIndex((l) => l.startsWith(target)) + 1;
  const dry = await importAndWait(slug, staff, csv, '?update_matching=true&dry_run=true');
  assert.deepEqual(dry.changes, [{ action: 'revoke', contact_id: target, row: line }]);
  assert.equal(dry.applied_by_job_id, null);
  const before = await accessStates(org.id, portal.dbOf(slug));

  const res = await apply(slug, staff, dry.id);
  assert.equal(res.status, 202, res.text);
  assert.deepEqual(Object.keys(res.body), ['job_id']);
  assert.notEqual(res.body.job_id, dry.id);
  const applied = await finished(slug, staff, res.body.job_id);
  assert.equal(applied.status, 'done');
  assert.equal(applied.dry_run, false);
  assert.equal(applied.dry_run_job_id, dry.id);
  assert.deepEqual([applied.total, applied.processed, applied.updated, applied.unchanged, applied.errors.length], [1, 1, 1, 0, 0]);
  assert.deepEqual(applied.changes, [{ action: 'revoke', contact_id: target, row: line }]);
  assert.deepEqual(await accessStates(org.id, portal.dbOf(slug)), { ...before, [target]: 'invite_revoked' });
  assert.equal((await job(slug, staff, dry.id)).applied_by_job_id, applied.id);

  await portal.waitForMail(`p1@${slug}.test`, (m) => m.kind === 'access_revoked');
  const audit = await portal.request('GET', `/office/${slug}/api/audit?guardian_id=${target}`, { token: staff });
  assert.equal(audit.body.entries.find((e) => e.action === 'access_revoked').reason, 'Bulk import');
  const summaries = await portal.waitForMail(`owner@${slug}.test`, (m) => m.kind === 'import_summary' && m.text.includes(applied.id));
  assert.match(summaries[0].text, /1 rows?: 1 changed, 0 unchanged, 0 with errors/);
  assert.doesNotMatch(summaries[0].subject, /^Dry run/);
});

test('a dry run whose contact changed since (name or access) is stale: 409 import_stale, and nothing changes', async () => {
  const slug = 'apply-stale';
  const { staff, secondary, org } = await portal.familyWithSecondary(slug);
  const dryRun = async () => importAndWait(slug, staff, edit(await report(slug, staff), { [secondary.id]: 'No' }), '?update_matching=true&dry_run=true');
  const jobsOfOrg = async () => (await portal.dbOf(slug).prepare('SELECT COUNT(*) AS n FROM import_jobs WHERE org_id = ?').bind(org.id).first()).n;

  const renamed = await dryRun();
  assert.equal(renamed.changes.length, 1);
  const rename = await portal.request('PATCH', `/portal/${slug}/api/guardians/${secondary.id}`, { token: secondary.token, json: { first_name: 'Robert' } });
  assert.equal(rename.status, 200, rename.text);
  const jobs = await jobsOfOrg();
  const refused = await apply(slug, staff, renamed.id);
  assertError(refused, 409, 'import_stale');
  assert.match(refused.body.error.message, new RegExp(`1 contact .*changed.*${secondary.id}.*run the import again`));
  assert.equal(await accessState(slug, secondary.id), 'can_log_in');
  assert.equal((await portal.request('GET', `/portal/${slug}/api/account`, { token: secondary.token })).status, 200);
  assert.equal((await job(slug, staff, renamed.id)).applied_by_job_id, null);
  assert.equal(await jobsOfOrg(), jobs);

  // Its access changed: staff revoked the login in between.
  const revoked = await dryRun();
  const revoke = await portal.request('POST', `/office/${slug}/api/guardians/${secondary.id}/revoke-login`, { token: staff, json: { reason: 'asked' } });
  assert.equal(revoke.status, 200, revoke.text);
  assertError(await apply(slug, staff, revoked.id), 409, 'import_stale');
  assert.equal((await job(slug, staff, revoked.id)).applied_by_job_id, null);
});

test('a contact changed after the apply started is not overwritten: its row fails, the other rows apply', async () => {
  const slug = 'apply-race';
  const { staff, families } = await seededOrganization(slug, 3);
  const mailOf = { [families[0].primary]: `p0@${slug}.test`, [families[2].primary]: `p2@${slug}.test` };
  const dry = await importAndWait(slug, staff, edit(await report(slug, staff), { [families[0].primary]: 'No', [families[2].primary]: 'No' }), '?update_matching=true&dry_run=true');
  assert.equal(dry.changes.length, 2);
  const [first, second] = dry.changes; // in line order, as the apply goes
  // Staff edit the second contact the moment the apply has written the first row: after the apply's
  // checks, before its write of the second row.
  await portal.dbOf(slug)
    .prepare(
      `CREATE TRIGGER apply_race AFTER INSERT ON import_results WHEN NEW.job_id != '${dry.id}' AND NEW.line = ${first.row}
       BEGIN UPDATE guardians SET first_name = 'Changed' WHERE id = '${second.contact_id}'; END`,
    )
    .run();
  try {
    const res = await apply(slug, staff, dry.id);
    assert.equal(res.status, 202, res.text);
    const applied = await finished(slug, staff, res.body.job_id);
    assert.deepEqual([applied.updated, applied.errors.length], [1, 1], JSON.stringify(applied));
    assert.deepEqual(applied.changes.map((c) => c.contact_id), [first.contact_id]);
    assert.equal(applied.errors[0].row, second.row);
    assert.match(applied.errors[0].message, /changed after the dry run.*run the import again/);
  } finally {
    await portal.dbOf(slug).prepare('DROP TRIGGER apply_race').run();
  }
  assert.equal(await accessState(slug, first.contact_id), 'invite_revoked');
  assert.equal(await accessState(slug, second.contact_id), 'can_log_in');
  await portal.waitForMail(mailOf[first.contact_id], (m) => m.kind === 'access_revoked');
  assert.equal((await portal.mailbox(mailOf[second.contact_id])).length, 0);
});

test('only a finished dry run not yet applied can be applied, once however often Finish is pressed', async () => {
  const slug = 'apply-refused';
  const { staff, families } = await seededOrganization(slug, 2);
  const csv = edit(await report(slug, staff), { [families[0].primary]: 'No' });

  const real = await importAndWait(slug, staff, await report(slug, staff));
  assert.equal(real.dry_run_job_id, null);
  assert.equal(real.applied_by_job_id, null);
  assertError(await apply(slug, staff, real.id), 409, 'import_not_dry_run');

  const dry = await importAndWait(slug, staff, csv, '?update_matching=true&dry_run=true');
  const setStatus = (status) => portal.dbOf(slug).prepare('UPDATE import_jobs SET status = ? WHERE id = ?').bind(status, dry.id).run();
  await setStatus('running');
  assertError(await apply(slug, staff, dry.id), 409, 'import_not_finished');
  await setStatus('failed');
  assertError(await apply(slug, staff, dry.id), 409, 'import_failed');
  await setStatus('done');

  // Five Finish clicks at once: one apply job.
  const answers = await Promise.all(Array.from({ length: 5 }, () => apply(slug, staff, dry.id, { json: {} })));
  assert.deepEqual(answers.map((a) => a.status).sort(), [202, 409, 409, 409, 409], answers.map((a) => a.text).join('\n'));
  for (const a of answers.filter((a) => a.status === 409)) assertError(a, 409, 'import_already_applied');
  const { results: applies } = await portal.dbOf(slug).prepare('SELECT id FROM import_jobs WHERE dry_run_job_id = ?').bind(dry.id).all();
  assert.deepEqual(applies.map((a) => a.id), [answers.find((a) => a.status === 202).body.job_id]);
  await finished(slug, staff, applies[0].id);
  assertError(await apply(slug, staff, dry.id), 409, 'import_already_applied');
  await portal.waitForMail(`p0@${slug}.test`, (m) => m.kind === 'access_revoked');
  assert.equal((await portal.mailbox(`p0@${slug}.test`)).filter((m) => m.kind === 'access_revoked').length, 1);
});

test("applying an unknown import or another organization's is 404; a body other than none or {} is refused", async () => {
  const slug = 'apply-404';
  const { staff, families } = await seededOrganization(slug, 1);
  const other = await seededOrganization('apply-404-other', 1);
  const theirs = await importAndWait('apply-404-other', other.staff, edit(await report('apply-404-other', other.staff), { [other.families[0].primary]: 'No' }), '?update_matching=true&dry_run=true');
  assertError(await apply(slug, staff, 'imp_nope'), 404, 'import_not_found');
  assertError(await apply(slug, staff, theirs.id), 404, 'import_not_found');
  assert.equal((await job('apply-404-other', other.staff, theirs.id)).applied_by_job_id, null);

  const dry = await importAndWait(slug, staff, edit(await report(slug, staff), { [families[0].primary]: 'No' }), '?update_matching=true&dry_run=true');
  assertError(await apply(slug, staff, dry.id, { json: { confirm: true } }), 422, 'invalid_field');
  assertError(await apply(slug, staff, dry.id, { json: [] }), 422, 'invalid_field');
  assertError(await apply(slug, staff, dry.id, { body: '{', headers: { 'content-type': 'application/json' } }), 400, 'malformed_json');
  assert.equal((await job(slug, staff, dry.id)).applied_by_job_id, null);
  assert.equal((await apply(slug, staff, dry.id)).status, 202);
});

test('a dry run that would change nothing applies as an empty job, which finishes and e-mails its summary', async () => {
  const slug = 'apply-nothing';
  const { staff, org } = await seededOrganization(slug, 2);
  const before = await accessStates(org.id, portal.dbOf(slug));
  const dry = await importAndWait(slug, staff, await report(slug, staff), '?update_matching=true&dry_run=true');
  assert.deepEqual([dry.updated, dry.unchanged], [0, 4]);
  const res = await apply(slug, staff, dry.id, { json: {} });
  assert.equal(res.status, 202, res.text);
  const applied = await finished(slug, staff, res.body.job_id);
  assert.equal(applied.status, 'done');
  assert.deepEqual([applied.total, applied.processed, applied.updated, applied.changes.length], [0, 0, 0, 0]);
  assert.deepEqual(await accessStates(org.id, portal.dbOf(slug)), before);
  await portal.waitForMail(`owner@${slug}.test`, (m) => m.kind === 'import_summary' && m.text.includes(applied.id));
});
