// Your Student(s)' Location selector, Evaluations, Attendance and Future Absences in Chromium, as a
// family and the office use them, at 1280 and 360 px: every page visited is checked by axe-core
// (zero violations), for its weight, third-party requests and sideways scrolling.
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

const shots = process.env.SHOTS_DIR;
async function shot(tab, name, width) {
  if (shots) await tab.page.screenshot({ path: `${shots}/${name}-${width}.png`, fullPage: true });
}

/** A Chicago school with attendance and future absences on, two locations, Mia in Swim 1 since March. */
async function school(slug) {
  const f = await portal.familyWithSecondary(slug);
  const staff = (method, path, json) => portal.request(method, `/office/${slug}/api${path}`, { token: f.staff, json });
  assert.equal((await staff('PATCH', '/settings/portal-options', { time_zone: 'America/Chicago', show_attendance: true, allow_future_absences: true })).status, 200);
  const north = (await staff('POST', '/locations', { name: 'North Pool' })).body;
  await staff('POST', '/locations', { name: 'East Gym' });
  const klass = (await staff('POST', '/classes', {
    name: 'Swim 1', location_id: north.id, days: ['mon', 'wed'], start_time: '17:00', end_time: '17:45',
    start_date: '2026-03-01', end_date: '2099-12-31', capacity: 10, waitlist: false,
  })).body;
  const mia = (await portal.request('POST', `/portal/${slug}/api/students`, { token: f.primary.token, json: { first_name: 'Mia', last_name: 'Lee', birth_date: '2018-05-01' } })).body;
  const enrollment = (await staff('POST', '/enrollments', { student_id: mia.id, class_id: klass.id })).body;
  await portal.dbOf(slug).prepare('UPDATE enrollments SET enrolled_at = ? WHERE id = ?').bind(Date.parse('2026-03-01T00:00:00Z'), enrollment.id).run();
  return { ...f, slug, staff, klass, mia, enrollment };
}

for (const width of [1280, 360]) {
  test(`the office records an evaluation and takes attendance; the family reads them and reports an absence (${width} px)`, async () => {
    const slug = `records-${width}`;
    const s = await school(slug);

    // The office: the family's Students tab, Evaluations, Record Evaluation.
    const office = await openTab(browser, portal.base, { width });
    await staffSignIn(office, portal.base, slug, s.org.owner_email, s.org.owner_password);
    await office.page.goto(`${portal.base}/office/${slug}/families/${s.family.id}/students`);
    await Promise.all([office.page.waitForNavigation(), office.page.getByRole('link', { name: 'Evaluations of Mia Lee' }).click()]);
    await office.page.getByLabel('Class (optional)').selectOption({ label: 'Swim 1 (North Pool)' });
    await office.page.getByLabel('Skill 1', { exact: true }).fill('Float');
    await office.page.getByLabel('Level of skill 1', { exact: true }).selectOption('passed');
    await office.page.getByLabel('Skill 2', { exact: true }).fill('Kick');
    await office.page.getByLabel('Level of skill 2', { exact: true }).selectOption('progressing');
    await office.page.getByLabel('Note (optional)').fill('Floats on her own now.');
    await submit(office.page, 'Record Evaluation');
    assert.match(await office.page.getByRole('status').textContent(), /The evaluation has been recorded/);
    await checkPage(office, 'the Office evaluations of a student');
    await shot(office, 'office-evaluations', width);

    // The attendance sheet of Monday 9 March 2026, reached from the Students tab.
    await office.page.goto(`${portal.base}/office/${slug}/families/${s.family.id}/students`);
    await Promise.all([office.page.waitForNavigation(), office.page.getByRole('link', { name: 'Attendance sheet of Swim 1' }).click()]);
    await office.page.getByLabel('Date of the class meeting').fill('2026-03-09');
    await submit(office.page, 'Show Sheet');
    await office.page.getByRole('radio', { name: 'Present: Mia Lee' }).check();
    await submit(office.page, 'Save Attendance');
    assert.match(await office.page.getByRole('status').textContent(), /The attendance has been saved/);
    assert.ok(await office.page.getByRole('radio', { name: 'Present: Mia Lee' }).isChecked());
    await checkPage(office, 'the attendance sheet');
    await shot(office, 'office-attendance', width);

    // The family: the Location selector, Evaluations, Evaluated Skills, Attendance.
    const tab = await openTab(browser, portal.base, { width });
    await signIn(tab, portal.base, slug, s.primary.email, s.primary.password);
    await tab.page.getByLabel('Location').selectOption({ label: 'North Pool' });
    await submit(tab.page, 'Choose Location');
    assert.match(await tab.page.getByRole('status').textContent(), /The location has been changed/);
    assert.equal(await tab.page.getByLabel('Location').inputValue(), (await portal.request('GET', `/portal/${slug}/api/locations`, { token: s.primary.token })).body.locations[1].id);
    const student = tab.page.getByRole('article', { name: 'Mia Lee' });
    await student.getByText('Evaluations', { exact: false }).first().click();
    assert.match(await student.textContent(), /Float: Passed/);
    assert.match(await student.getByRole('region', { name: 'Evaluated Skills of Mia Lee' }).textContent(), /Kick\s*Progressing/);
    await student.getByText('Attendance', { exact: false }).first().click();
    assert.match(await student.getByRole('region', { name: 'Attendance of Mia Lee in Swim 1' }).textContent(), /2026-03-09\s*Present/);
    await checkPage(tab, 'My Account with evaluations and attendance');
    await shot(tab, 'my-account-records', width);

    // Create Future Absence By Enrollment, then Cancel.
    await student.getByText('Future Absences', { exact: false }).first().click();
    await Promise.all([tab.page.waitForNavigation(), tab.page.getByRole('link', { name: 'Create Future Absence By Enrollment for Mia Lee' }).click()]);
    await checkPage(tab, 'Create Future Absence By Enrollment');
    await submit(tab.page, 'Create Future Absence By Enrollment');
    assert.match(await tab.page.getByRole('alert').textContent(), /Choose a class/);
    await checkPage(tab, 'Create Future Absence By Enrollment with errors');
    await tab.page.getByRole('radio', { name: /Swim 1/ }).check();
    await tab.page.getByLabel('Date', { exact: true }).fill('2027-03-15');
    await tab.page.getByLabel('Reason (optional)').fill('Dentist');
    await submit(tab.page, 'Create Future Absence By Enrollment');
    assert.match(await tab.page.getByRole('status').textContent(), /The future absence has been sent to the office/);
    assert.match(await student.textContent(), /Swim 1 on 2027-03-15 \(Dentist\)/);
    await checkPage(tab, 'My Account with a future absence');
    await shot(tab, 'my-account-absence', width);

    await Promise.all([tab.page.waitForNavigation(), tab.page.getByRole('link', { name: 'Create Future Absence By Date for Mia Lee' }).click()]);
    await tab.page.getByLabel('First day').fill('2027-03-16');
    await submit(tab.page, 'Create Future Absence By Date');
    assert.match(await tab.page.getByRole('alert').textContent(), /No class of this student meets in that time/);
    await checkPage(tab, 'Create Future Absence By Date with errors');
    await shot(tab, 'absence-by-date', width);
    await tab.page.goto(`${portal.base}/portal/${slug}/account`);
    await shot(tab, 'my-account-absence-listed', width);

    // The office's day list shows it, then the family cancels it.
    await office.page.goto(`${portal.base}/office/${slug}/absences?date=2027-03-15`);
    assert.match(await office.page.getByRole('main').textContent(), /Mia Lee[\s\S]*Swim 1 on 2027-03-15[\s\S]*Dentist/);
    await checkPage(office, "the day's absences");
    await shot(office, 'office-absences', width);

    await Promise.all([tab.page.waitForNavigation(), tab.page.getByRole('button', { name: /^Cancel the absence/ }).click()]);
    assert.match(await tab.page.getByRole('status').textContent(), /The future absence has been cancelled/);
    await office.context.close();
    await tab.context.close();
  });
}
