// A family's Students in the Office Portal, in Chromium: Add Student, Edit (the birth date), Enroll
// in one of the organization's classes (a place, or the waitlist of a full class), and the
// enrollments shown with the student. Every page is checked by axe-core, for its weight, for
// third-party requests and for sideways scrolling, at 1280 and 360 px.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServedPortal, launchBrowser, openTab, checkPage, submit, staffSignIn } from './harness.mjs';

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

const summaryLinks = (page) =>
  page.getByRole('alert').getByRole('link').evaluateAll((links) => links.map((a) => [a.textContent.trim(), a.getAttribute('href')]));
const flash = (page) => page.getByRole('status').textContent();
const follow = (page, name) => Promise.all([page.waitForNavigation(), page.getByRole('link', { name, exact: true }).click()]);
/** A student's enrollments as [class, status] rows. */
const enrollmentRows = (page, student) =>
  page
    .getByRole('list', { name: `Enrollments of ${student}` })
    .getByRole('listitem')
    .evaluateAll((items) => items.map((li) => [li.querySelector('.name').textContent.trim(), li.querySelector('.tag').textContent.trim()]));

/** An organization with a family, a location and classes made through the office API. */
async function schoolWithClasses(slug) {
  const org = await portal.createOrganization(slug);
  const token = await portal.staffSignIn(slug, org.owner_email, org.owner_password);
  const office = async (path, json) => {
    const res = await portal.request('POST', `/office/${slug}/api${path}`, { token, json });
    assert.equal(res.status, 201, res.text);
    return res.body;
  };
  const family = await portal.createFamily(slug, token, 'Lee', { first_name: 'Ann', last_name: 'Lee', email: `ann@${slug}.test` });
  const location = await office('/locations', { name: 'Main Pool' });
  const addClass = (name, capacity, waitlist) =>
    office('/classes', {
      name, location_id: location.id, days: ['mon', 'wed'], start_time: '16:00', end_time: '16:45',
      start_date: '2026-09-01', end_date: '2099-12-31', capacity, waitlist,
    });
  return { org, token, family, office, addClass };
}

test('staff add a student, correct the birth date, and enroll them in a class and a full class’s waitlist', async () => {
  const s = await schoolWithClasses('kids-desk');
  await s.addClass('Tumbling 1', 6, false);
  const dolphins = await s.addClass('Dolphins', 1, true);
  // Another family's child holds the Dolphins' one place.
  const other = await portal.createFamily('kids-desk', s.token, 'Park', { first_name: 'Jin', last_name: 'Park', email: 'jin@kids-desk.test' });
  const kai = await s.office(`/families/${other.id}/students`, { first_name: 'Kai', last_name: 'Park', birth_date: '2018-05-05' });
  await s.office('/enrollments', { student_id: kai.id, class_id: dolphins.id });

  const tab = await openTab(browser, portal.base);
  await staffSignIn(tab, portal.base, 'kids-desk', s.org.owner_email, s.org.owner_password);
  await tab.page.goto(`${portal.base}/office/kids-desk/families/${s.family.id}/students`);
  assert.equal(await tab.page.getByRole('navigation', { name: 'Family' }).getByRole('link', { name: 'Students' }).getAttribute('aria-current'), 'page');
  assert.match(await tab.page.locator('main').textContent(), /This family has no students yet\./);

  await follow(tab.page, 'Add Student');
  const empty = await submit(tab.page, 'Add Student');
  assert.equal(empty.status(), 422);
  assert.deepEqual((await summaryLinks(tab.page)).map(([, href]) => href), ['#first_name', '#last_name', '#birth_date']);
  await checkPage(tab, 'Add Student with errors');
  await tab.page.getByLabel('First name').fill('Mia');
  await tab.page.getByLabel('Last name').fill('Lee');
  await tab.page.getByLabel('Birth date').fill('2099-01-01');
  assert.equal((await submit(tab.page, 'Add Student')).status(), 422, 'a birth date in the future is refused by the command');
  assert.deepEqual((await summaryLinks(tab.page)).map(([, href]) => href), ['#birth_date']);
  await tab.page.getByLabel('Birth date').fill('2017-03-04');
  const added = await submit(tab.page, 'Add Student');
  assert.equal(new URL(added.url()).pathname, `/office/kids-desk/families/${s.family.id}/students`);
  assert.match(await flash(tab.page), /The student has been added\./);
  assert.match(await tab.page.getByRole('region', { name: 'Mia Lee', exact: true }).textContent(), /Born 2017-03-04/);

  await follow(tab.page, 'Edit Mia Lee');
  assert.equal(await tab.page.getByLabel('Birth date').inputValue(), '2017-03-04');
  await tab.page.getByLabel('Birth date').fill('2016-04-02');
  await submit(tab.page, 'Save');
  assert.match(await flash(tab.page), /The student has been updated\./);
  assert.match(await tab.page.getByRole('region', { name: 'Mia Lee', exact: true }).textContent(), /Born 2016-04-02/);

  await follow(tab.page, 'Enroll Mia Lee');
  const none = await submit(tab.page, 'Enroll');
  assert.equal(none.status(), 422);
  assert.deepEqual(await summaryLinks(tab.page), [['Choose a class.', '#class_id']]);
  await checkPage(tab, 'Enroll with errors');
  await tab.page.getByLabel(/Tumbling 1/).check();
  await submit(tab.page, 'Enroll');
  assert.match(await flash(tab.page), /The student has been enrolled\./);

  await follow(tab.page, 'Enroll Mia Lee');
  assert.match(await tab.page.getByLabel(/Dolphins/).evaluate((input) => input.labels[0].textContent), /Full: joins the waitlist \(0 waiting\)/);
  await tab.page.getByLabel(/Dolphins/).check();
  await submit(tab.page, 'Enroll');
  assert.match(await flash(tab.page), /The class is full: the student is on its waitlist\./);
  assert.deepEqual(await enrollmentRows(tab.page, 'Mia Lee'), [['Tumbling 1', 'Enrolled'], ['Dolphins', 'Waitlisted']]);

  // Enrolled twice in the same class: the refusal beside the class.
  await follow(tab.page, 'Enroll Mia Lee');
  await tab.page.getByLabel(/Tumbling 1/).check();
  assert.equal((await submit(tab.page, 'Enroll')).status(), 422);
  assert.equal((await summaryLinks(tab.page))[0][1], '#class_id');

  assert.match(await tab.page.getByRole('alert').textContent(), /already/i);
  const { results } = await portal.dbOf('kids-desk')
    .prepare('SELECT e.status FROM enrollments e JOIN students s ON s.id = e.student_id WHERE s.family_id = ? ORDER BY e.enrolled_at')
    .bind(s.family.id)
    .all();
  assert.deepEqual(results.map((r) => r.status), ['active', 'waitlisted'], 'one place and one waitlist spot, nothing more');
  await tab.context.close();
});

test('the Students pages read well at 1280 and 360 px', async () => {
  const s = await schoolWithClasses('kids-widths');
  await s.addClass('Tumbling 1', 6, false);
  const mia = await s.office(`/families/${s.family.id}/students`, { first_name: 'Mia', last_name: 'Lee', birth_date: '2016-04-02' });
  const cls = await s.addClass('Sharks with a rather long class name for small screens', 6, false);
  await s.office('/enrollments', { student_id: mia.id, class_id: cls.id });
  for (const width of [1280, 360]) {
    const tab = await openTab(browser, portal.base, { width });
    await staffSignIn(tab, portal.base, 'kids-widths', s.org.owner_email, s.org.owner_password);
    const students = `${portal.base}/office/kids-widths/families/${s.family.id}/students`;
    await tab.page.goto(students);
    assert.deepEqual(await enrollmentRows(tab.page, 'Mia Lee'), [['Sharks with a rather long class name for small screens', 'Enrolled']]);
    await checkPage(tab, `Students at ${width}`);
    for (const [link, heading] of [['Add Student', 'Add Student'], ['Edit Mia Lee', 'Edit Student: Mia Lee'], ['Enroll Mia Lee', 'Enroll Mia Lee']]) {
      await tab.page.goto(students);
      await follow(tab.page, link);
      assert.equal(await tab.page.getByRole('heading', { level: 1 }).textContent(), heading);
      await checkPage(tab, `${heading} at ${width}`);
    }
    await tab.context.close();
  }
});

test("another family's student, or another organization's family, is the not-found page", async () => {
  const here = await schoolWithClasses('kids-here');
  const there = await schoolWithClasses('kids-there');
  const theirs = await there.office(`/families/${there.family.id}/students`, { first_name: 'Kai', last_name: 'Park', birth_date: '2018-05-05' });
  const neighbour = await portal.createFamily('kids-here', here.token, 'Park', { first_name: 'Jin', last_name: 'Park', email: 'jin@kids-here.test' });
  const next_door = await here.office(`/families/${neighbour.id}/students`, { first_name: 'Noa', last_name: 'Park', birth_date: '2018-05-05' });
  const tab = await openTab(browser, portal.base);
  await staffSignIn(tab, portal.base, 'kids-here', here.org.owner_email, here.org.owner_password);
  const base = `${portal.base}/office/kids-here/families`;
  for (const path of [
    `${there.family.id}/students`,
    `${there.family.id}/students/new`,
    `${here.family.id}/students/${theirs.id}/edit`,
    `${here.family.id}/students/${next_door.id}/edit`,
    `${here.family.id}/students/${next_door.id}/enroll`,
  ]) {
    const res = await tab.page.goto(`${base}/${path}`);
    assert.equal(res.status(), 404, path);
  }
  await tab.context.close();
});
