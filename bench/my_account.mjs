// My Account benchmark (issue 25): a family with 3 students, 30 enrollments, 100 attendance
// records, 20 evaluations and 10 makeup tokens, in an organization that shows attendance, passes
// and future absences and offers makeups by tokens; and the attendance sheet of a class of 30.
// Everything is seeded through the API (staff take attendance with PUT attendance, record
// evaluations, issue tokens); only the enrollments' start is moved back in SQL, as the attendance
// tests do, so that past meetings can be marked. Then wrk against the built http Worker in
// Miniflare: the My Account page (signed in by the session cookie), the JSON reads behind its
// Your Student(s) section, the staff sheet page and API, and marking the sheet (req/s, p50/p99),
// each with the D1 round trips one request makes (counted through bench/peer/count-d1.js in a
// second copy of the Worker: see countD1 in bench/portal.mjs).
//
//   BENCH_SHOW_SQL=1: also print each target's round trips, statement by statement
//   BENCH_SECONDS (10), BENCH_CONNECTIONS (16): each wrk run (a request may take 10 s: a page
//   of 17 round trips can pass wrk's 2 s on a busy machine, and would then drop out of the figures)
//
// Run after `bash scripts/build.sh`: `node bench/my_account.mjs` (also run by bench/run.sh).
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { countD1, startCounted } from './portal.mjs';
import { CONNECTIONS, SECONDS, wrk } from './wrk.mjs';

const STUDENTS = 3;
const CLASSES_EACH = 10;
const ATTENDANCE = 100;
const EVALUATIONS = 20;
const TOKENS = 10;
const ROSTER = 30;
const DAY = 86_400_000;
const TIMEOUT = 10;
const progress = (s) => process.stderr.write(`${s}\n`);
mkdirSync(new URL('./out', import.meta.url), { recursive: true });

const isoDay = (t) => new Date(t).toISOString().slice(0, 10);
/** Weekdays before yesterday, newest first: meetings that have started in any time zone. */
function pastWeekdays(n) {
  const days = [];
  for (let t = Date.now() - 2 * DAY; days.length < n; t -= DAY) {
    const d = new Date(t).getUTCDay();
    if (d !== 0 && d !== 6) days.push(isoDay(t));
  }
  return days;
}

// Miniflare's proxy can drop a connection on a loaded machine: a seeding request is sent again.
async function retried(send) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (e) {
      if (attempt === 5) throw e;
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }
}

async function seed(portal) {
  const slug = 'bench-account';
  const f = await portal.familyWithSecondary(slug);
  const call = (method, path, json, token = f.staff) => retried(() => portal.request(method, path, { token, json }));
  const staff = async (method, path, json, expected) => {
    const res = await call(method, `/office/${slug}/api${path}`, json);
    if (res.status !== expected) throw new Error(`${method} ${path}: ${res.status} ${res.text}`);
    return res.body;
  };
  await staff('PATCH', '/settings/portal-options', { time_zone: 'America/Chicago', show_attendance: true, makeups: 'tokens', show_passes: true, allow_future_absences: true }, 200);
  const locations = [await staff('POST', '/locations', { name: 'Main Pool' }, 201), await staff('POST', '/locations', { name: 'North Pool' }, 201)];
  const startDate = isoDay(Date.now() - 120 * DAY);
  const newClass = (name, location, capacity) =>
    staff('POST', '/classes', {
      name, location_id: location.id, days: ['mon', 'tue', 'wed', 'thu', 'fri'], start_time: '16:00', end_time: '16:45',
      start_date: startDate, end_date: '2099-06-30', capacity, waitlist: false,
    }, 201);
  const db = portal.dbOf(slug);
  /** Places taken "at the start of the term", so that every past meeting lists them. */
  const backdate = (ids) => db.batch(ids.map((id) => db.prepare('UPDATE enrollments SET enrolled_at = ? WHERE id = ?').bind(Date.parse(`${startDate}T00:00:00Z`), id)));

  progress('seeding the family: 3 students, 30 enrollments');
  const classes = [];
  for (let i = 0; i < CLASSES_EACH; i++) classes.push(await newClass(`Level ${i + 1}`, locations[i % 2], 50));
  const students = [];
  for (const name of ['Mia', 'Leo', 'Ava'].slice(0, STUDENTS)) {
    const s = await call('POST', `/portal/${slug}/api/students`, { first_name: name, last_name: 'Lee', birth_date: '2018-03-03' }, f.primary.token);
    if (s.status !== 201) throw new Error(`student: ${s.status} ${s.text}`);
    students.push(s.body);
  }
  const enrollments = [];
  for (const s of students) for (const c of classes) enrollments.push((await staff('POST', '/enrollments', { student_id: s.id, class_id: c.id }, 201)).id);
  await backdate(enrollments);

  progress('seeding 100 attendance records (staff PUT attendance), 20 evaluations');
  const statuses = ['present', 'present', 'absent', 'excused'];
  const days = pastWeekdays(Math.ceil(ATTENDANCE / (STUDENTS * CLASSES_EACH)));
  let marked = 0;
  for (let k = 0; marked < ATTENDANCE; k++) {
    const records = students.slice(0, ATTENDANCE - marked).map((s, j) => ({ student_id: s.id, status: statuses[(k + j) % statuses.length] }));
    await staff('PUT', `/classes/${classes[k % CLASSES_EACH].id}/attendance`, { date: days[Math.floor(k / CLASSES_EACH)], records }, 200);
    marked += records.length;
  }
  const levels = ['not_yet', 'progressing', 'passed'];
  for (let k = 0; k < EVALUATIONS; k++) {
    const skills = ['Floating', 'Kicking', 'Breathing', 'Front crawl'].map((name, j) => ({ name, level: levels[(k + j) % levels.length] }));
    await staff('POST', `/students/${students[k % STUDENTS].id}/evaluations`, { class_id: classes[k % CLASSES_EACH].id, skills, note: `Week ${k + 1}: good progress.` }, 201);
  }

  // The tokens route is built on another branch: without it, the rest still measures.
  let tokens = 0;
  for (let k = 0; k < TOKENS; k++) {
    const res = await call('POST', `/office/${slug}/api/families/${f.family.id}/makeup-tokens`, {
      student_id: students[k % STUDENTS].id, location_id: locations[k % 2].id, expires_on: isoDay(Date.now() + 60 * DAY),
    });
    if (res.status === 404 || res.status === 405) {
      console.log('tokens: route not built here, 0 tokens seeded');
      break;
    }
    if (res.status !== 201) throw new Error(`makeup token: ${res.status} ${res.text}`);
    tokens += 1;
  }

  progress('seeding a class of 30 with its marks');
  const swimTeam = await newClass('Swim Team', locations[0], ROSTER);
  const roster = await portal.createFamily(slug, f.staff, 'Roster', { first_name: 'Ros', last_name: 'Ter', email: `roster@${slug}.test` });
  const team = [];
  for (let i = 0; i < ROSTER; i++) {
    const s = await staff('POST', `/families/${roster.id}/students`, { first_name: `Swimmer${i + 1}`, last_name: 'Ter', birth_date: '2015-01-01' }, 201);
    team.push({ student: s, enrollment: (await staff('POST', '/enrollments', { student_id: s.id, class_id: swimTeam.id }, 201)).id });
  }
  await backdate(team.map((t) => t.enrollment));
  const sheetDay = days[0];
  const teamMarks = team.map((t, i) => ({ student_id: t.student.id, status: statuses[i % statuses.length] }));
  const sheet = await staff('PUT', `/classes/${swimTeam.id}/attendance`, { date: sheetDay, records: teamMarks }, 200);
  if (sheet.students.filter((s) => s.status).length !== ROSTER) throw new Error(`the sheet of ${sheetDay} holds ${sheet.students.length} students`);

  const count = async (sql, ...args) => (await retried(() => db.prepare(sql).bind(...args).first())).n;
  const seeded = {
    enrollments: await count('SELECT COUNT(*) AS n FROM enrollments WHERE family_id = ?', f.family.id),
    attendance: await count('SELECT COUNT(*) AS n FROM attendance a JOIN students s ON s.id = a.student_id WHERE s.family_id = ?', f.family.id),
    evaluations: await count('SELECT COUNT(*) AS n FROM evaluations e JOIN students s ON s.id = e.student_id WHERE s.family_id = ?', f.family.id),
    tokens,
  };
  return { slug, f, students, locations, swimTeam, sheetDay, teamMarks, seeded };
}

const load = () => loadavg()[0].toFixed(1);
const loadAtStart = load();
const portal = await startCounted();
const base = (await portal.mf.ready).toString().replace(/\/$/, '');
try {
  const { slug, f, students, locations, swimTeam, sheetDay, teamMarks, seeded } = await seed(portal);
  const account = `portal_session=${f.primary.token}; portal_location=${locations[0].id}`;
  const customer = `Bearer ${f.primary.token}`;
  const office = `office_session=${f.staff}`;
  const [mia] = students;
  const api = `/portal/${slug}/api`;

  // Marking the whole sheet again (an upsert per student, one batch) repeats as often as wrk likes.
  const markBody = JSON.stringify({ date: sheetDay, records: teamMarks });
  const markPath = `/office/${slug}/api/classes/${swimTeam.id}/attendance`;
  const script = new URL('./out/mark_sheet.lua', import.meta.url).pathname;
  writeFileSync(script, `wrk.method = "PUT"\nwrk.body = '${markBody}'\nwrk.headers["content-type"] = "application/json"\nwrk.headers["authorization"] = "Bearer ${f.staff}"\n`);

  const targets = [
    ['My Account page (primary; every section)', `/portal/${slug}/account`, { cookie: account }],
    ['`GET /api/account`', `${api}/account`, { authorization: customer }],
    ['`GET /api/students` (3)', `${api}/students`, { authorization: customer }],
    ['`GET /api/students/{id}/enrollments` (10)', `${api}/students/${mia.id}/enrollments`, { authorization: customer }],
    ['`GET /api/students/{id}/attendance` (one student)', `${api}/students/${mia.id}/attendance`, { authorization: customer }],
    ['`GET /api/students/{id}/evaluations` (one student)', `${api}/students/${mia.id}/evaluations`, { authorization: customer }],
    ['`GET /api/students/{id}/makeups` (one student)', `${api}/students/${mia.id}/makeups?location_id=${locations[0].id}`, { authorization: customer }],
    ['`GET /api/students/{id}/absences`', `${api}/students/${mia.id}/absences`, { authorization: customer }],
    ['`GET /api/passes`', `${api}/passes`, { authorization: customer }],
    ['staff attendance sheet page, class of 30', `/office/${slug}/classes/${swimTeam.id}/attendance?date=${sheetDay}`, { cookie: office }],
    ['staff `GET .../attendance?date=`, class of 30', `/office/${slug}/api/classes/${swimTeam.id}/attendance?date=${sheetDay}`, { authorization: `Bearer ${f.staff}` }],
  ];
  const rows = [];
  for (const [name, path, headers] of targets) {
    const { status, text, trips, statements, sql } = await countD1(portal, path, headers);
    if (process.env.BENCH_SHOW_SQL === '1') console.log(`${name}:\n${sql.map((t, i) => `  ${i + 1}. ${t.join('\n     ')}`).join('\n')}`);
    if (status !== 200) {
      console.log(`${name}: ${status}, not measured (${text.slice(0, 120)})`);
      continue;
    }
    progress(`measuring ${name}`);
    const [header, value] = Object.entries(headers)[0];
    rows.push({ name, r: wrk(`${base}${path}`, { header: `${header}: ${value}`, timeout: TIMEOUT }), bytes: Buffer.byteLength(text), trips, statements });
  }
  const marked = await countD1(portal, markPath, { authorization: `Bearer ${f.staff}`, 'content-type': 'application/json' }, { method: 'PUT', body: markBody });
  if (marked.status !== 200) throw new Error(`marking the sheet: ${marked.status} ${marked.text}`);
  progress('measuring marking the sheet');
  rows.push({ name: 'staff `PUT .../attendance`, 30 marks', r: wrk(`${base}${markPath}`, { script, timeout: TIMEOUT }), bytes: Buffer.byteLength(marked.text), trips: marked.trips, statements: marked.statements });

  console.log(`\nMy Account benchmark: wrk -t1 -c${CONNECTIONS} -d${SECONDS}s --timeout ${TIMEOUT}s, Miniflare on 127.0.0.1, ${new Date().toISOString()}, load average ${loadAtStart} → ${load()}`);
  console.log(`seeded: ${seeded.enrollments} enrollments of 3 students, ${seeded.attendance} attendance records, ${seeded.evaluations} evaluations, ${seeded.tokens} makeup tokens; a class of ${ROSTER} marked on ${sheetDay}`);
  console.log('| target | req/s | p50 ms | p99 ms | non-2xx | timeouts | bytes | D1 round trips (statements) |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const { name, r, bytes, trips, statements } of rows) {
    console.log(`| ${name} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.non2xx} | ${r.timeouts} | ${bytes} | ${trips} (${statements}) |`);
  }
} finally {
  await portal.mf.dispose();
}
