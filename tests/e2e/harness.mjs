// Starts the built worker in Miniflare (real workerd, D1, KV and Queues) with the migrations
// applied, and gives tests a small HTTP client. Each test file gets its own fresh instance.
import { Miniflare, convertV4MiniflareOptions } from 'miniflare';
import { readdirSync, readFileSync } from 'node:fs';
import { createHmac } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

export const ROOT = new URL('../..', import.meta.url).pathname;
export const BASE = 'http://portal.test';
export const PLATFORM_TOKEN = 'test-platform-token';
export const SESSION_SECRET = 'test-session-secret-'.padEnd(80, 'x');

/** The tenant databases (wrangler.toml's DB_1 ... DB_N): organizations are placed on both in turn. */
export const DATABASES = ['DB_1', 'DB_2'];

/**
 * The migrations' statements (comments dropped, one statement per `;` at line end), in order;
 * `files` picks some of the migration files by name; `folder` is the tenant databases' or the
 * directory's (`d1-migrations-directory`).
 */
export function migrationStatements(files = () => true, folder = 'd1-migrations') {
  const dir = `${ROOT}${folder}`;
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql') && files(f))
    .sort()
    .flatMap((f) =>
      readFileSync(`${dir}/${f}`, 'utf8')
        .split('\n')
        .map((line) => line.replace(/--.*$/, ''))
        .join('\n')
        .split(/;\s*\n/)
        .map((s) => s.trim())
        .filter(Boolean),
    );
}

/** One of the Workers built from this crate (`http`, `office` or `jobs`, see scripts/build.sh). */
function builtWorker(name) {
  return [
    { type: 'ESModule', path: `${ROOT}build/${name}/index.js` },
    { type: 'CompiledWasm', path: `${ROOT}build/${name}/index_bg.wasm` },
  ];
}

/**
 * The `http` Worker (every request, cron), the `office` Worker (the Office Portal's requests,
 * handed on by the http Worker over its OFFICE service binding) and the `jobs` Worker (queue
 * consumer), as wrangler.toml, wrangler.office.toml and wrangler.jobs.toml deploy them: the same
 * tenant D1 databases, directory, KV namespace and queue; the same vars.
 */
export function workerOptions(bindings = {}) {
  const shared = {
    modulesRoot: ROOT,
    compatibilityDate: '2026-11-01',
    d1Databases: { DB_1: 'portal-access', DB_2: 'portal-access-2' },
    queueProducers: { JOBS: { queueName: 'portal-jobs' } },
    bindings: {
      ENVIRONMENT: 'development',
      PUBLIC_BASE_URL: BASE,
      EMAIL_TRANSPORT: 'dev-mailbox',
      PLATFORM_ADMIN_TOKEN: PLATFORM_TOKEN,
      SESSION_SECRET,
      JOB_RETRY_BASE_SECONDS: '1',
      ...bindings,
    },
  };
  return {
    workers: [
      {
        ...shared,
        name: 'portal-access',
        modules: builtWorker('http'),
        d1Databases: { ...shared.d1Databases, DIRECTORY: 'portal-access-directory' },
        kvNamespaces: { PORTAL_SWITCH: 'portal-switch' },
        serviceBindings: { OFFICE: 'portal-access-office' },
        cronTriggers: ['* * * * *'],
      },
      {
        ...shared,
        name: 'portal-access-jobs',
        modules: builtWorker('jobs'),
        // Moves record their progress in the directory and publish its KV mirror.
        d1Databases: { ...shared.d1Databases, DIRECTORY: 'portal-access-directory' },
        kvNamespaces: { PORTAL_SWITCH: 'portal-switch' },
        queueConsumers: {
          'portal-jobs': { maxBatchSize: 10, maxBatchTimeout: 0, maxRetries: 2, deadLetterQueue: 'portal-jobs-dlq' },
          'portal-jobs-dlq': { maxBatchSize: 10, maxBatchTimeout: 0 },
        },
      },
      {
        ...shared,
        name: 'portal-access-office',
        modules: builtWorker('office'),
        d1Databases: { ...shared.d1Databases, DIRECTORY: 'portal-access-directory' },
        kvNamespaces: { PORTAL_SWITCH: 'portal-switch' },
      },
    ],
  };
}

export async function startPortal({ bindings = {} } = {}) {
  const mf = new Miniflare(convertV4MiniflareOptions({ cf: false, ...workerOptions(bindings) }));
  await mf.ready;
  return openPortal(mf);
}

/** The Portal of a started Miniflare: every database migrated (each tenant one, the directory). */
export async function openPortal(mf) {
  const dbs = {};
  for (const name of DATABASES) {
    const db = await mf.getD1Database(name);
    await db.batch(migrationStatements().map((s) => db.prepare(s)));
    dbs[name] = db;
  }
  const directory = await mf.getD1Database('DIRECTORY');
  await directory.batch(migrationStatements(undefined, 'd1-migrations-directory').map((s) => directory.prepare(s)));
  return new Portal(mf, dbs, await mf.getKVNamespace('PORTAL_SWITCH'), directory);
}

export class Portal {
  constructor(mf, dbs, kv, directory) {
    this.mf = mf;
    this.dbs = dbs;
    /** The first tenant database, for SQL that is about no one organization. */
    this.db = dbs[DATABASES[0]];
    this.kv = kv;
    this.directory = directory;
    /** slug → the database createOrganization placed it on. */
    this.placed = new Map();
    /** A binding that every organization goes to instead (a benchmark's one-database peer). */
    this.pin = null;
  }

  /** The database that holds organization `slug` (created through createOrganization). */
  dbOf(slug) {
    const binding = this.placed.get(slug);
    if (!binding) throw new Error(`organization ${slug} was not created through createOrganization`);
    return this.dbs[binding];
  }

  /** The database that holds organization `slug`, as the directory says (however it was created). */
  async locate(slug) {
    const row = await this.directory.prepare('SELECT database FROM organizations_directory WHERE slug = ?').bind(slug).first();
    if (!row) throw new Error(`organization ${slug} is not in the directory`);
    return this.dbs[row.database];
  }

  /** The sum of `n` that `sql` (a `SELECT COUNT(*) AS n ...`) answers on every tenant database. */
  async countEverywhere(sql, ...args) {
    let n = 0;
    for (const db of Object.values(this.dbs)) n += (await db.prepare(sql).bind(...args).first()).n;
    return n;
  }

  async close() {
    await this.mf.dispose();
  }

  /** `request('POST', '/path', {json, body, token, headers})` → {status, headers, body, text}. */
  async request(method, path, { json, body, token, headers = {} } = {}) {
    const init = { method, headers: { ...headers } };
    if (json !== undefined && method !== 'GET' && method !== 'HEAD') {
      init.body = JSON.stringify(json);
      init.headers['content-type'] = 'application/json';
    } else if (body !== undefined) {
      init.body = body;
      // A stream goes without Content-Length (chunked): the Worker must read it to know its size.
      if (body instanceof ReadableStream) init.duplex = 'half';
    }
    if (token) init.headers.authorization = `Bearer ${token}`;
    const res = await this.mf.dispatchFetch(`${BASE}${path}`, init);
    const text = await res.text();
    let parsed = text;
    if ((res.headers.get('content-type') || '').includes('application/json')) parsed = JSON.parse(text);
    return { status: res.status, headers: res.headers, body: parsed, text };
  }

  /** Places organizations on the tenant databases in turn (unless `database` says), so that every
   * test runs with organizations on several databases. */
  async createOrganization(slug, overrides = {}) {
    const json = {
      slug,
      name: `${slug} Swim School`,
      owner_email: `owner@${slug}.test`,
      owner_password: 'owner-password-1',
      // The first on DB_2: an organization there is found only if the request went to its database.
      database: this.pin ?? DATABASES[(this.placed.size + 1) % DATABASES.length],
      ...overrides,
    };
    const res = await this.request('POST', '/platform/api/organizations', { json, token: PLATFORM_TOKEN });
    if (res.status !== 201) throw new Error(`organization ${slug}: ${res.status} ${res.text}`);
    this.placed.set(slug, json.database);
    return { ...res.body, owner_email: json.owner_email, owner_password: json.owner_password, database: json.database };
  }

  async staffSignIn(slug, email, password) {
    const res = await this.request('POST', `/office/${slug}/api/session`, { json: { email, password } });
    if (res.status !== 200) throw new Error(`sign in ${email}: ${res.status} ${res.text}`);
    return res.body.token;
  }

  async mailbox(to) {
    const res = await this.request('GET', `/dev/mailbox?to=${encodeURIComponent(to)}`);
    if (res.status !== 200) throw new Error(`mailbox: ${res.status} ${res.text}`);
    return res.body.messages;
  }

  /** Waits until `to` has a message that `matches`; the queue delivers asynchronously. */
  async waitForMail(to, matches = () => true, timeoutMs = 10_000) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const found = (await this.mailbox(to)).filter(matches);
      if (found.length > 0) return found;
      await sleep(50);
    }
    throw new Error(`no matching e-mail to ${to} within ${timeoutMs} ms`);
  }

  async waitFor(probe, what, timeoutMs = 10_000) {
    const deadline = Date.now() + timeoutMs;
    let lastError;
    while (Date.now() < deadline) {
      try {
        const value = await probe();
        if (value) return value;
      } catch (e) {
        lastError = e; // e.g. a keep-alive socket the runtime closed while idle: try again
      }
      await sleep(50);
    }
    throw new Error(`timed out waiting for ${what}${lastError ? `: ${lastError.message}` : ''}`);
  }

  /** Staff creates a family; returns the family JSON. */
  async createFamily(slug, staffToken, name, primary) {
    const res = await this.request('POST', `/office/${slug}/api/families`, {
      token: staffToken,
      json: { name, primary_guardian: primary },
    });
    if (res.status !== 201) throw new Error(`family ${name}: ${res.status} ${res.text}`);
    return res.body;
  }

  /** The link token of the newest e-mail of `kind` to `to` (waiting for the queue). */
  async linkToken(to, kind, path = 'invitations') {
    const [mail] = await this.waitForMail(to, (m) => m.kind === kind);
    const m = new RegExp(`/${path}/([A-Za-z0-9_-]{43})`).exec(mail.text);
    if (!m) throw new Error(`no ${path} link in ${mail.text}`);
    return m[1];
  }

  async accept(slug, token, password, extra = {}) {
    return this.request('POST', `/portal/${slug}/api/invitations/accept`, {
      json: { token, password, confirm_adult: true, accept_terms: true, ...extra },
    });
  }

  async guardianSignIn(slug, email, password) {
    const res = await this.request('POST', `/portal/${slug}/api/session`, { json: { email, password } });
    if (res.status !== 200) throw new Error(`guardian sign in ${email}: ${res.status} ${res.text}`);
    return res.body.token;
  }

  /**
   * An organization with a family whose primary guardian can log in and whose secondary was
   * invited and accepted: {staff, family, primary, secondary} with ids and session tokens.
   */
  async familyWithSecondary(slug, orgOverrides = {}) {
    const org = await this.createOrganization(slug, orgOverrides);
    const staff = await this.staffSignIn(slug, org.owner_email, org.owner_password);
    const family = await this.createFamily(slug, staff, 'Lee', {
      first_name: 'Ann',
      last_name: 'Lee',
      email: `ann@${slug}.test`,
      phone: '+1 555 0100',
    });
    const primaryId = family.primary_guardian_id;
    const invited = await this.request('POST', `/office/${slug}/api/guardians/${primaryId}/invitation`, { token: staff });
    if (invited.status !== 202) throw new Error(`enable login: ${invited.status} ${invited.text}`);
    const primaryLink = await this.linkToken(`ann@${slug}.test`, 'invitation');
    const accepted = await this.accept(slug, primaryLink, 'ann-password-1');
    if (accepted.status !== 200) throw new Error(`primary accept: ${accepted.status} ${accepted.text}`);
    const primary = { id: primaryId, token: accepted.body.token, email: `ann@${slug}.test`, password: 'ann-password-1' };
    const added = await this.request('POST', `/portal/${slug}/api/guardians`, {
      token: primary.token,
      json: { first_name: 'Bob', last_name: 'Lee', email: `bob@${slug}.test` },
    });
    if (added.status !== 201) throw new Error(`add secondary: ${added.status} ${added.text}`);
    const secondaryId = added.body.id;
    const sent = await this.request('POST', `/portal/${slug}/api/guardians/${secondaryId}/invitation`, { token: primary.token });
    if (sent.status !== 202) throw new Error(`invite secondary: ${sent.status} ${sent.text}`);
    const link = await this.linkToken(`bob@${slug}.test`, 'invitation');
    const bob = await this.accept(slug, link, 'bob-password-1');
    if (bob.status !== 200) throw new Error(`secondary accept: ${bob.status} ${bob.text}`);
    const secondary = { id: secondaryId, token: bob.body.token, email: `bob@${slug}.test`, password: 'bob-password-1' };
    return { staff, family, primary, secondary, org };
  }

  async triggerCron() {
    const worker = await this.mf.getWorker();
    return worker.scheduled({ cron: '* * * * *', scheduledTime: new Date() });
  }
}

/** A real HS256 JWT signed with `secret`, for tests that forge or expire tokens. */
export function signJwt(claims, secret = SESSION_SECRET) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = b64({ alg: 'HS256', typ: 'JWT' });
  const body = b64(claims);
  const sig = createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${sig}`;
}

export function decodeJwt(token) {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
}

export function assertError(res, status, code) {
  if (res.status !== status || res.body?.error?.code !== code) {
    throw new Error(`expected ${status} ${code}, got ${res.status} ${res.text}`);
  }
  if (typeof res.body.error.message !== 'string' || res.body.error.message.length < 5) {
    throw new Error(`error without a readable message: ${res.text}`);
  }
}
