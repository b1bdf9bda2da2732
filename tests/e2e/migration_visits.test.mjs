// Migration 0010 (portal options and one-day enrollments): the enrollments table is rebuilt to
// take `pass` visits and a `date`; on a copy of data in every enrollment table nothing is lost,
// the requests still point at their enrollments, and the new rules hold.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Miniflare, convertV4MiniflareOptions } from 'miniflare';
import { migrationStatements } from './harness.mjs';

const BEFORE = (f) => f < '0010';
const VISITS = (f) => f.startsWith('0010');

let mf;
let db;
before(async () => {
  mf = new Miniflare(convertV4MiniflareOptions({
    modules: true,
    script: 'export default { fetch() { return new Response("ok"); } }',
    compatibilityDate: '2026-11-01',
    d1Databases: { DB: 'migration-visits-test' },
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
     VALUES ('enr_3', 'org_1', 'fam_1', 'stu_2', 'cls_1', 'waitlisted', 'makeup', 30, 'staff', 'o@m.test', 'chg_3')`,
  `INSERT INTO enrollment_requests (id, org_id, family_id, enrollment_id, kind, status, to_class_id, reason, effective_date, requested_by_id, requested_by_label, requested_at)
     VALUES ('req_1', 'org_1', 'fam_1', 'enr_2', 'transfer', 'pending', 'cls_1', 'Tuesdays suit us', NULL, 'gdn_1', 'Ann Lee', 40)`,
];

const all = async (sql) => (await db.prepare(sql).all()).results;

test('the enrollments keep every value, their requests still point at them, and options default to off', async () => {
  await db.batch(migrationStatements(BEFORE).map((s) => db.prepare(s)));
  await db.batch(seed.map((s) => db.prepare(s)));
  const enrollmentsBefore = await all('SELECT * FROM enrollments ORDER BY id');
  const requestsBefore = await all('SELECT * FROM enrollment_requests ORDER BY id');
  await db.batch(migrationStatements(VISITS).map((s) => db.prepare(s)));

  const enrollmentsAfter = await all('SELECT * FROM enrollments ORDER BY id');
  assert.deepEqual(enrollmentsAfter, enrollmentsBefore.map((e) => ({ ...e, date: null })));
  assert.deepEqual(await all('SELECT * FROM enrollment_requests ORDER BY id'), requestsBefore);
  assert.deepEqual(await all('PRAGMA foreign_key_check'), []);
  const [org] = await all(`SELECT time_zone, makeups, show_attendance, show_passes, show_credit, allow_statements FROM organizations`);
  assert.deepEqual(org, { time_zone: 'UTC', makeups: 'none', show_attendance: 0, show_passes: 0, show_credit: 0, allow_statements: 0 });
});

test('a visit has a date and a regular enrollment has none; one visit a day, one regular place a class', async () => {
  const insert = (id, student, cls, kind, date, status = 'active') => db.prepare(
    `INSERT INTO enrollments (id, org_id, family_id, student_id, class_id, status, kind, date, enrolled_at, enrolled_by_kind, enrolled_by_label)
     VALUES (?, 'org_1', 'fam_1', ?, ?, ?, ?, ?, 50, 'staff', 'o@m.test')`).bind(id, student, cls, status, kind, date).run();
  await insert('enr_p1', 'stu_2', 'cls_2', 'pass', '2026-03-04');
  await insert('enr_m1', 'stu_2', 'cls_2', 'makeup', '2026-03-11');
  await assert.rejects(insert('enr_p2', 'stu_2', 'cls_2', 'pass', '2026-03-04'), /UNIQUE/);
  await assert.rejects(insert('enr_p3', 'stu_2', 'cls_2', 'pass', null), /CHECK/);
  await assert.rejects(insert('enr_r1', 'stu_2', 'cls_2', 'regular', '2026-03-04'), /CHECK/);
  await assert.rejects(insert('enr_r2', 'stu_1', 'cls_2', 'regular', null), /UNIQUE/);
  await insert('enr_r3', 'stu_2', 'cls_2', 'regular', null);
  const kinds = await all(`SELECT kind, date FROM enrollments WHERE student_id = 'stu_2' AND class_id = 'cls_2' ORDER BY id`);
  assert.deepEqual(kinds, [{ kind: 'makeup', date: '2026-03-11' }, { kind: 'pass', date: '2026-03-04' }, { kind: 'regular', date: null }]);
});
