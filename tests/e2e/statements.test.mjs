// Statements for a location (My Account, Transaction History): Generate Statement for This
// Location (outstanding charges as of today) and Generate Ledger for This Location (every entry in
// the range, under the 30-day / full-history rule), as a printable page, CSV and PDF.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPortal, assertError, BASE } from './harness.mjs';

let portal;
before(async () => {
  portal = await startPortal();
});
after(async () => {
  await portal?.close();
});

const api = (slug) => `/portal/${slug}/api`;
const DAY = 86_400_000;

/** A family with a primary and a secondary, two locations and the statement options on. */
async function statementFamily(slug, options = {}) {
  const f = await portal.familyWithSecondary(slug);
  const res = await portal.request('PATCH', `/office/${slug}/api/settings/portal-options`, {
    token: f.staff,
    json: { allow_statements: true, allow_ledger_report: true, ...options },
  });
  assert.equal(res.status, 200, res.text);
  const location = async (name) => {
    const r = await portal.request('POST', `/office/${slug}/api/locations`, { token: f.staff, json: { name } });
    assert.equal(r.status, 201, r.text);
    return r.body.id;
  };
  const { org_id } = await portal.dbOf(slug).prepare('SELECT org_id FROM families WHERE id = ?').bind(f.family.id).first();
  return { ...f, slug, org_id, north: await location('North Pool'), east: await location('East Gym') };
}

/** A ledger entry written as staff or a payment would (payments by card carry no location yet). */
let n = 0;
async function entry(f, kind, amount_cents, description, location_id, daysAgo = 1) {
  await portal.dbOf(f.slug)
    .prepare(
      `INSERT INTO ledger_entries (id, org_id, family_id, kind, amount_cents, description, at, posted_by_kind, posted_by_id,
         posted_by_label, payment_id, location_id) VALUES (?, ?, ?, ?, ?, ?, ?, 'staff', NULL, 'Front desk', NULL, ?)`,
    )
    .bind(`led_stmt_${++n}`, f.org_id, f.family.id, kind, amount_cents, description, Date.now() - daysAgo * DAY, location_id)
    .run();
}

const get = (f, path, token = f.primary.token) => portal.request('GET', `${api(f.slug)}/statements/${path}`, { token });

/** A CSV answer's rows (the cells here hold no commas or quotes unless a test says so). */
function rows(res) {
  assert.equal(res.status, 200, res.text);
  assert.match(res.headers.get('content-type'), /^text\/csv/);
  return res.text.trim().split('\n').map((line) => line.split(','));
}

/** What the location owes by the ledger itself: charges and refunds less payments and applied credit. */
async function owedBySql(f, location_id) {
  const row = await portal.dbOf(f.slug)
    .prepare(
      `SELECT COALESCE(SUM(CASE WHEN kind IN ('charge', 'refund') THEN amount_cents WHEN kind IN ('payment', 'credit_applied') THEN -amount_cents ELSE 0 END), 0) AS owed
       FROM ledger_entries WHERE family_id = ? AND location_id IS ?`,
    )
    .bind(f.family.id, location_id)
    .first();
  return row.owed;
}

const cents = (decimal) => Math.round(Number(decimal) * 100);

test("each location's statement totals its own outstanding charges, as the ledger sums them", async () => {
  const f = await statementFamily('stmt-two');
  // North Pool: two charges and a refund, a payment covering the oldest charge and part of the next.
  await entry(f, 'charge', 4750, 'March tuition', f.north, 20);
  await entry(f, 'charge', 3000, 'April tuition', f.north, 10);
  await entry(f, 'payment', 5000, 'Payment with Card ending in 4242', f.north, 8);
  await entry(f, 'refund', 500, 'Refund of a cancelled class', f.north, 5);
  // East Gym: a charge, a credit waiting and part of it applied. Staff post through the API.
  const posted = async (json) => {
    const r = await portal.request('POST', `/office/${f.slug}/api/families/${f.family.id}/ledger`, { token: f.staff, json });
    assert.equal(r.status, 201, r.text);
  };
  await posted({ kind: 'charge', amount_cents: 1200, description: 'Swim cap', location_id: f.east });
  await posted({ kind: 'credit', amount_cents: 700, description: 'Missed class', location_id: f.east });
  await entry(f, 'credit_applied', 300, 'Credit applied to outstanding charges', f.east, 0);
  // No location: on neither statement.
  await entry(f, 'charge', 999, 'Registration fee', null, 3);

  const north = rows(await get(f, `outstanding?location_id=${f.north}&format=csv`));
  assert.deepEqual(north[0], ['Date', 'Type', 'Description', 'Amount', 'Outstanding']);
  assert.deepEqual(north.slice(1, -1).map((r) => [r[2], r[3], r[4]]), [
    ['April tuition', '30.00', '27.50'],
    ['Refund of a cancelled class', '5.00', '5.00'],
  ], 'the payment covers the oldest charge first');
  assert.deepEqual(north.at(-1).slice(1), ['Total outstanding', '', '', '32.50']);
  assert.equal(cents(north.at(-1)[4]), await owedBySql(f, f.north));

  const east = rows(await get(f, `outstanding?location_id=${f.east}&format=csv`));
  assert.deepEqual(east.slice(1, -1).map((r) => [r[1], r[2], r[4]]), [['Charge', 'Swim cap', '9.00']]);
  assert.equal(cents(east.at(-1)[4]), await owedBySql(f, f.east));
  assert.equal(cents(east.at(-1)[4]), 900, 'a credit not yet applied does not lower the statement');

  // The ledger of each location lists its own entries only; entries without one only without location_id.
  const northLedger = rows(await get(f, `ledger?location_id=${f.north}&format=csv`));
  assert.deepEqual(northLedger[0], ['Date', 'Type', 'Description', 'Amount']);
  const lines = northLedger.filter((r) => r[1] !== 'Total').slice(1);
  assert.deepEqual(lines.map((r) => r[2]), ['March tuition', 'April tuition', 'Payment with Card ending in 4242', 'Refund of a cancelled class']);
  const totals = Object.fromEntries(northLedger.filter((r) => r[1] === 'Total').map((r) => [r[2], r[3]]));
  assert.deepEqual(totals, { Charges: '77.50', Payments: '50.00', Refunds: '5.00', Credits: '0.00', 'Credits applied': '0.00', 'Balance for the period': '32.50' });
  const eastLedger = rows(await get(f, `ledger?location_id=${f.east}&format=csv`));
  assert.deepEqual(eastLedger.filter((r) => r[1] !== 'Total').slice(1).map((r) => r[1]).sort(), ['Charge', 'Credit', 'Credit applied']);
  const none = rows(await get(f, 'ledger?format=csv'));
  assert.deepEqual(none.filter((r) => r[1] !== 'Total').slice(1).map((r) => r[2]), ['Registration fee']);
  assertError(await get(f, 'outstanding?format=csv'), 422, 'invalid_field');

  // The secondary reads them too, as they read Transaction History.
  const bySecondary = rows(await get(f, `outstanding?location_id=${f.north}&format=csv`, f.secondary.token));
  assert.equal(bySecondary.at(-1)[4], '32.50');
});

test('the ledger shows the last 30 days unless the organization shows the full history to this viewer', async () => {
  const f = await statementFamily('stmt-range');
  await entry(f, 'charge', 2500, 'Old charge', f.north, 45);
  await entry(f, 'charge', 1000, 'Recent charge', f.north, 2);
  const descriptions = (res) => rows(res).filter((r) => r[1] !== 'Total').slice(1).map((r) => r[2]);
  assert.deepEqual(descriptions(await get(f, `ledger?location_id=${f.north}&format=csv`)), ['Recent charge']);
  const refused = await get(f, `ledger?location_id=${f.north}&from=2020-01-01`);
  assertError(refused, 422, 'range_not_allowed');
  assert.equal(refused.body.error.field, 'from');
  assertError(await get(f, `ledger?location_id=${f.north}&to=2030-01-01`), 422, 'range_not_allowed');

  const on = await portal.request('PATCH', `/office/${f.slug}/api/settings/portal-options`, { token: f.staff, json: { show_full_ledger_history: true } });
  assert.equal(on.status, 200, on.text);
  assert.deepEqual(descriptions(await get(f, `ledger?location_id=${f.north}&format=csv`)), ['Old charge', 'Recent charge'], 'all of it by default');
  const from = new Date(Date.now() - 10 * DAY).toISOString().slice(0, 10);
  assert.deepEqual(descriptions(await get(f, `ledger?location_id=${f.north}&from=${from}&format=csv`)), ['Recent charge']);
  assertError(await get(f, `ledger?location_id=${f.north}&from=2026-02-30`), 422, 'invalid_field');
  // A secondary without the full-ledger permission keeps the 30-day rule.
  assertError(await get(f, `ledger?location_id=${f.north}&from=2020-01-01`, f.secondary.token), 422, 'range_not_allowed');
  assert.deepEqual(descriptions(await get(f, `ledger?location_id=${f.north}&format=csv`, f.secondary.token)), ['Recent charge']);
  // The outstanding statement is as of today: it takes no range.
  assertError(await get(f, `outstanding?location_id=${f.north}&from=2020-01-01`), 422, 'invalid_field');
});

test('statements are refused when the organization does not offer them; another organization\'s location is not found', async () => {
  const f = await statementFamily('stmt-off', { allow_statements: false, allow_ledger_report: false });
  assertError(await get(f, `outstanding?location_id=${f.north}`), 403, 'statements_disabled');
  assertError(await get(f, `ledger?location_id=${f.north}`), 403, 'ledger_report_disabled');
  const on = await portal.request('PATCH', `/office/${f.slug}/api/settings/portal-options`, { token: f.staff, json: { allow_statements: true } });
  assert.equal(on.status, 200, on.text);
  assert.equal((await get(f, `outstanding?location_id=${f.north}`)).status, 200);
  assertError(await get(f, `ledger?location_id=${f.north}`), 403, 'ledger_report_disabled', 'each option on its own');

  const other = await statementFamily('stmt-off-other');
  assertError(await get(f, `outstanding?location_id=${other.north}`), 404, 'location_not_found');
  assertError(await get(f, 'outstanding?location_id=loc_nope'), 404, 'location_not_found');
  assertError(await get(other, `ledger?location_id=${f.north}`), 404, 'location_not_found');
  assertError(await get(f, `outstanding?location_id=${f.north}&format=xlsx`), 422, 'invalid_field');
  assertError(await portal.request('GET', `${api(f.slug)}/statements/outstanding?location_id=${f.north}`), 401, 'not_authenticated');
});

test('the CSV is formula-safe, with decimal amounts, as a download', async () => {
  const f = await statementFamily('stmt-csv');
  await entry(f, 'charge', 4750, '=HYPERLINK("http://evil.test","Pay here")', f.north, 3);
  await entry(f, 'charge', 5, '+1 swim cap', f.north, 2);
  const res = await get(f, `outstanding?location_id=${f.north}&format=csv`);
  assert.equal(res.status, 200, res.text);
  assert.match(res.headers.get('content-disposition'), /^attachment; filename="statement-\d{4}-\d{2}-\d{2}\.csv"$/);
  const lines = res.text.trim().split('\n');
  assert.ok(lines.includes(`${lines[1].slice(0, 10)},Charge,"'=HYPERLINK(""http://evil.test"",""Pay here"")",47.50,47.50`), res.text);
  assert.ok(lines.some((l) => l.endsWith(",Charge,'+1 swim cap,0.05,0.05")), res.text);
  assert.ok(lines.at(-1).endsWith(',Total outstanding,,,47.55'), res.text);
  for (const line of lines) for (const cell of line.split(',')) assert.doesNotMatch(cell, /^[=+@\t\r-]/, `a cell a spreadsheet would run: ${line}`);
  const ledger = await get(f, `ledger?location_id=${f.north}&format=csv`);
  assert.match(ledger.headers.get('content-disposition'), /^attachment; filename="ledger-\d{4}-\d{2}-\d{2}\.csv"$/);
});

test('the PDF opens in a PDF reader with the organization, family, location and totals', async () => {
  const f = await statementFamily('stmt-pdf');
  await entry(f, 'charge', 4750, 'March tuition – Läuft', f.north, 3);
  for (let i = 0; i < 90; i++) await entry(f, 'charge', 100, `Lesson ${i + 1} with a description long enough to wrap across the description column of the table`, f.north, 2);
  await entry(f, 'payment', 1000, 'Payment with Card ending in 4242', f.north, 1);
  const pdfOf = async (path) => {
    const res = await portal.mf.dispatchFetch(`${BASE}${api(f.slug)}/statements/${path}`, { headers: { authorization: `Bearer ${f.primary.token}` } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/pdf');
    assert.match(res.headers.get('content-disposition'), /^attachment; filename="(statement|ledger)-\d{4}-\d{2}-\d{2}\.pdf"$/);
    const file = join(mkdtempSync(join(tmpdir(), 'statement-')), 'statement.pdf');
    writeFileSync(file, Buffer.from(await res.arrayBuffer()));
    let text;
    try {
      text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
    } catch (e) {
      assert.fail(`pdftotext (Debian's poppler-utils, installed by scripts/test.sh) could not read the PDF: ${e.message}`);
    }
    return text;
  };
  const statement = await pdfOf(`outstanding?location_id=${f.north}&format=pdf`);
  assert.match(statement, /Statement of outstanding charges/);
  assert.match(statement, /stmt-pdf Swim School/);
  assert.match(statement, /Family: Lee/);
  assert.match(statement, /Location: North Pool/);
  assert.match(statement, /March tuition – Läuft/, 'WinAnsi text reads back');
  assert.match(statement, /Total outstanding\s+\$127\.50/);
  assert.match(statement, /Page 1 of [2-9]/, 'the lines run over several pages');
  assert.match(statement, /Lesson 90 with a description/);
  const ledger = await pdfOf(`ledger?location_id=${f.north}&format=pdf`);
  assert.match(ledger, /Ledger/);
  assert.match(ledger, /The last 30 days/);
  assert.match(ledger, /Charges\s+\$137\.50/);
  assert.match(ledger, /Payments\s+\$10\.00/);
  assert.match(ledger, /Balance for the period\s+\$127\.50/);
});

test('the printable page names the organization, family, location, date and totals, with a print stylesheet', async () => {
  const f = await statementFamily('stmt-html');
  await entry(f, 'charge', 4750, 'March <tuition>', f.east, 3);
  const res = await get(f, `outstanding?location_id=${f.east}`);
  assert.equal(res.status, 200, res.text);
  assert.match(res.headers.get('content-type'), /^text\/html/);
  assert.match(res.headers.get('content-security-policy'), /default-src 'none'|style-src 'self'/);
  for (const text of ['stmt-html Swim School', 'Statement of outstanding charges', 'Lee', 'East Gym', '$47.50', 'Total outstanding', 'Print']) {
    assert.ok(res.text.includes(text), `missing ${text}`);
  }
  assert.match(res.text, /March (&lt;|&#60;)tuition(&gt;|&#62;)/, 'descriptions are escaped');
  assert.doesNotMatch(res.text, /<tuition>/);
  assert.match(res.text, /<dt>Date<\/dt><dd>\d{4}-\d{2}-\d{2}<\/dd>/);
  const css = await portal.request('GET', res.text.match(/href="(\/portal\/static\/portal\.[0-9a-f]+\.css)"/)[1]);
  assert.match(css.text, /@page \{ size: auto; margin: 12mm; \}/);
  assert.match(css.text, /@media print/);
  const ledger = await get(f, `ledger?location_id=${f.east}`);
  assert.match(ledger.text, /The last 30 days/);
  assert.match(ledger.text, /Balance for the period/);
});
