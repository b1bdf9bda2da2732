// Migration 0018 (makeup requests): enrollment_requests is rebuilt to take `makeup` requests,
// which name a student, a class and a date and no enrollment. On a copy of data in every request
// shape nothing is lost, each request gains its enrollment's student, and the new rules hold.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Miniflare, convertV4MiniflareOptions } from 'miniflare';
import { migrationStatements } from './harness.mjs';

const BEFORE = (f) => f < '0018';
const MAKEUP_REQUESTS = (f) => f.startsWith('0018');

let mf;
let db;
before(async () => {
  mf = new Miniflare(convertV4MiniflareOptions({
    modules: true,
    script: 'export default { fetch() { return new Response("ok"); } }',
    compatibilityDate: '2026-11-01',
    d1Databases: { DB: 'migration-makeup-requests-test' },
  }));
  db = await mf.getD1Database('DB');
});
after(() => mf.dispose());

const seed = [
  `INSERT INTO organizations (id, slug, name, created_at, updated_at) VALUES ('org_1', 'm', 'M Club', 1, 1)`,
  `INSERT INTO families (id, org_id, name, primary_guardian_id, created_at, updated_at) VALUES ('fam_1', 'org_1', 'Lee', 'gdn_1', 1, 1)`,
  `INSERT INTO locations (id, org_id, name, created_at) VALUES ('loc_1', 'org_1', 'North', 1)`,
  `INSERT INTO classes (id, org_id, location_id, name, days, start_time, end_time, start_date, end_date, capacity, waitlist, created_at, updated_at)
     VALUES ('cls_1', 'org_1', 'loc_1', 'Swim 1', '["mon"]', '17:00', '17:45', '2026-01-05', '2026-06-29', 2, 1, 1, 1)`,
  `INSERT INTO classes (id, org_id, location_id, name, days, start_time, end_time, start_date, end_date, capacity, waitlist, created_at, updated_at)
     VALUES ('cls_2', 'org_1', 'loc_1', 'Swim 2', '["wed"]', '17:00', '17:45', '2026-01-07', '2026-06-24', 2, 0, 1, 1)`,
  `INSERT INTO students (id, org_id, family_id, first_name, last_name, birth_date, created_at, updated_at) VALUES ('stu_1', 'org_1', 'fam_1', 'Ada', 'Lee', '2018-02-01', 1, 1)`,
  `INSERT INTO students (id, org_id, family_id, first_name, last_name, birth_date, created_at, updated_at) VALUES ('stu_2', 'org_1', 'fam_1', 'Bo', 'Lee', '2019-03-01', 1, 1)`,
  `INSERT INTO enrollments (id, org_id, family_id, student_id, class_id, status, kind, enrolled_at, ended_at, transferred_to_id, enrolled_by_kind, enrolled_by_label, last_change_id)
     VALUES ('enr_1', 'org_1', 'fam_1', 'stu_1', 'cls_1', 'transferred', 'regular', 10, 20, 'enr_2', 'staff', 'o@m.test', 'chg_1')`,
  `INSERT INTO enrollments (id, org_id, family_id, student_id, class_id, status, kind, enrolled_at, enrolled_by_kind, enrolled_by_label, last_change_id)
     VALUES ('enr_2', 'org_1', 'fam_1', 'stu_1', 'cls_2', 'active', 'regular', 20, 'guardian', 'Ann Lee', 'chg_2')`,
  `INSERT INTO enrollments (id, org_id, family_id, student_id, class_id, status, kind, enrolled_at, enrolled_by_kind, enrolled_by_label, last_change_id)
     VALUES ('enr_3', 'org_1', 'fam_1', 'stu_2', 'cls_1', 'active', 'regular', 30, 'staff', 'o@m.test', 'chg_3')`,
  `INSERT INTO enrollment_requests (id, org_id, family_id, enrollment_id, kind, status, to_class_id, reason, effective_date, requested_by_id, requested_by_label, requested_at, decided_by_label, decided_at, note, outcome, last_change_id)
     VALUES ('req_1', 'org_1', 'fam_1', 'enr_1', 'transfer', 'approved', 'cls_2', 'Wednesdays suit us', NULL, 'gdn_1', 'Ann Lee', 15, 'o@m.test', 19, 'Done', 'active', 'chg_1')`,
  `INSERT INTO enrollment_requests (id, org_id, family_id, enrollment_id, kind, status, to_class_id, reason, effective_date, requested_by_id, requested_by_label, requested_at)
     VALUES ('req_2', 'org_1', 'fam_1', 'enr_2', 'drop', 'pending', NULL, NULL, '2026-05-01', 'gdn_1', 'Ann Lee', 40)`,
  `INSERT INTO enrollment_requests (id, org_id, family_id, enrollment_id, kind, status, to_class_id, reason, effective_date, requested_by_id, requested_by_label, requested_at, decided_by_label, decided_at, note)
     VALUES ('req_3', 'org_1', 'fam_1', 'enr_3', 'drop', 'denied', NULL, 'Moving', NULL, 'gdn_2', 'Bob Lee', 50, 'o@m.test', 60, 'Stay')`,
];

const all = async (sql) => (await db.prepare(sql).all()).results;
const indexes = async () => (await all(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'enrollment_requests' AND sql IS NOT NULL ORDER BY name`)).map((i) => i.name);

test('every request keeps every value and gains its student; every index is kept', async () => {
  await db.batch(migrationStatements(BEFORE).map((s) => db.prepare(s)));
  await db.batch(seed.map((s) => db.prepare(s)));
  const before = await all('SELECT * FROM enrollment_requests ORDER BY id');
  const indexesBefore = await indexes();
  await db.batch(migrationStatements(MAKEUP_REQUESTS).map((s) => db.prepare(s)));

  const students = { enr_1: 'stu_1', enr_2: 'stu_1', enr_3: 'stu_2' };
  assert.deepEqual(
    await all('SELECT * FROM enrollment_requests ORDER BY id'),
    before.map((r) => ({ ...r, student_id: students[r.enrollment_id], date: null })),
  );
  assert.deepEqual(await all('PRAGMA foreign_key_check'), []);
  const after = await indexes();
  for (const name of indexesBefore) assert.ok(after.includes(name), `index ${name} kept`);
  assert.ok(after.includes('enrollment_requests_one_pending_makeup'));
});

const makeup = (id, { student = 'stu_1', cls = 'cls_1', date = '2026-03-02', status = 'pending', enrollment = null } = {}) => db.prepare(
  `INSERT INTO enrollment_requests (id, org_id, family_id, student_id, enrollment_id, kind, status, to_class_id, date, requested_by_id, requested_by_label, requested_at)
   VALUES (?, 'org_1', 'fam_1', ?, ?, 'makeup', ?, ?, ?, 'gdn_1', 'Ann Lee', 70)`).bind(id, student, enrollment, status, cls, date).run();

test('a makeup request names a class and a date and no enrollment; one pending per student, class and date', async () => {
  await makeup('req_m1');
  await assert.rejects(makeup('req_m2'), /UNIQUE/);
  await makeup('req_m3', { status: 'denied' });
  await makeup('req_m4', { date: '2026-03-09' });
  await makeup('req_m5', { student: 'stu_2' });
  await assert.rejects(makeup('req_m6', { date: null }), /CHECK/);
  await assert.rejects(makeup('req_m7', { cls: null, date: '2026-03-16' }), /CHECK/);
  await assert.rejects(makeup('req_m8', { student: 'stu_9', date: '2026-03-23' }), /FOREIGN KEY/);
  await assert.rejects(db.prepare(
    `INSERT INTO enrollment_requests (id, org_id, family_id, student_id, kind, requested_by_id, requested_by_label, requested_at)
     VALUES ('req_d1', 'org_1', 'fam_1', 'stu_1', 'drop', 'gdn_1', 'Ann Lee', 80)`).run(), /CHECK/);
  const pending = await all(`SELECT id FROM enrollment_requests WHERE kind = 'makeup' AND status = 'pending' ORDER BY id`);
  assert.deepEqual(pending.map((r) => r.id), ['req_m1', 'req_m4', 'req_m5']);
});
