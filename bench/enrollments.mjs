// Enrollment benchmark: enrolling (one D1 batch, the capacity counted in the insert) and the Your
// Student(s) read of a family with 3 students holding 10 enrollments each, with wrk against the
// built Workers in Miniflare. Prints req/s and p50/p99 per scenario.
//   BENCH_SECONDS (10) per wrk run; BENCH_CONNECTIONS (16).
import { mkdirSync, writeFileSync } from 'node:fs';
import { CURRENT_BUILD, startBuild } from './portal.mjs';
import { CONNECTIONS, SECONDS, wrk } from './wrk.mjs';

// Enough distinct (student, class) pairs that no enrollment repeats within a run.
const STUDENTS = 120;
const CLASSES = 50;
mkdirSync(new URL('./out', import.meta.url), { recursive: true });


const portal = await startBuild(CURRENT_BUILD);
const slug = 'bench-school';
const f = await portal.familyWithSecondary(slug);
const base = (await portal.mf.ready).toString().replace(/\/$/, '');
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
const office = (path, json) => retried(() => portal.request('POST', `/office/${slug}/api${path}`, { token: f.staff, json }));
const location = (await office('/locations', { name: 'Main Pool' })).body;
const classes = [];
for (let i = 0; i < CLASSES; i++) {
  const c = await office('/classes', {
    name: `Class ${i}`,
    location_id: location.id,
    days: ['mon', 'thu'],
    start_time: '16:00',
    end_time: '16:45',
    start_date: '2026-09-01',
    end_date: '2099-06-30',
    capacity: 1000,
    waitlist: true,
  });
  classes.push(c.body.id);
}

// The read: a family of 3 students with 10 enrollments each.
const students = [];
for (const name of ['Mia', 'Leo', 'Ava']) {
  const s = await retried(() =>
    portal.request('POST', `/portal/${slug}/api/students`, {
      token: f.primary.token,
      json: { first_name: name, last_name: 'Lee', birth_date: '2018-03-03' },
    }),
  );
  students.push(s.body.id);
  for (const c of classes.slice(0, 10)) await office('/enrollments', { student_id: s.body.id, class_id: c });
}

// The write: many students of another family, each enrolled once per class in turn.
const other = await portal.createFamily(slug, f.staff, 'Park', { first_name: 'Pia', last_name: 'Park', email: 'pia@bench-school.test' });
const many = [];
for (let i = 0; i < STUDENTS; i++) {
  many.push((await office(`/families/${other.id}/students`, { first_name: `Kid${i}`, last_name: 'Park', birth_date: '2017-01-01' })).body.id);
}
const script = new URL('./out/enroll.lua', import.meta.url).pathname;
const pairs = classes.flatMap((c) => many.map((s) => `'${JSON.stringify({ student_id: s, class_id: c })}'`));
writeFileSync(
  script,
  `local bodies = {${pairs.join(',')}}
local n = 0
request = function()
  n = n + 1
  return wrk.format("POST", "/office/${slug}/api/enrollments", {["authorization"] = "Bearer ${f.staff}", ["content-type"] = "application/json"}, bodies[((n - 1) % #bodies) + 1])
end
`,
);

const auth = `Authorization: Bearer ${f.primary.token}`;
const rows = [
  ['Your Student(s): one student, 10 enrollments', wrk(`${base}/portal/${slug}/api/students/${students[0]}/enrollments`, { header: auth })],
  ['the family\'s students (3)', wrk(`${base}/portal/${slug}/api/students`, { header: auth })],
  ['open classes (50)', wrk(`${base}/portal/${slug}/api/classes`, { header: auth })],
  ['enroll (1 batch, capacity in the insert)', wrk(`${base}/`, { script })],
];
const made = await retried(() => portal.dbOf(slug).prepare('SELECT COUNT(*) AS n FROM enrollments WHERE family_id = ?').bind(other.id).first());
console.log(`\nenrollment benchmark: wrk -t1 -c${CONNECTIONS} -d${SECONDS}s, Miniflare on 127.0.0.1, ${new Date().toISOString()}`);
console.log('| scenario | req/s | p50 ms | p99 ms | non-2xx |');
console.log('|---|---:|---:|---:|---:|');
for (const [name, r] of rows) console.log(`| ${name} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.non2xx} |`);
console.log(`enrollments written by the enroll run: ${made.n} (of ${pairs.length} distinct pairs)`);
await portal.close();
