// Counts a Worker's D1 round trips and statements: bench/peer.mjs runs a second copy of the Rust
// http Worker and of the peer, each entered through this module, and checks that both reach D1 in
// the same round trips with the same number of statements on every route it measures (the copies
// it measures are the Workers as they are, without this module).
//
// Both Workers get the same thing: their `env.DB` is a wrapper around the real D1 binding (the
// Rust worker checks the binding's constructor name once per isolate: hence the class names).
// Every `first`/`all`/`run`/`raw` of a statement is one round trip with one statement, a `batch`
// one round trip with its statements, an `exec` one round trip. `GET /__d1` on the copy answers the
// round trips made since the last `GET /__d1` (after the work the answers left to `waitUntil`).
//
//   import worker from './index.js';
//   import { counting } from './count-d1.js';
//   export default counting(worker);

export function counting(worker) {
  let trips = [];
  let pending = [];
  const record = (kind, statements) => trips.push({ kind, statements });

  class D1PreparedStatement {
    constructor(inner, sql) {
      this.inner = inner;
      this.sql = sql;
    }
    bind(...values) {
      return new D1PreparedStatement(this.inner.bind(...values), this.sql);
    }
    first(column) {
      record('first', [this.sql]);
      return this.inner.first(column);
    }
    all() {
      record('all', [this.sql]);
      return this.inner.all();
    }
    run() {
      record('run', [this.sql]);
      return this.inner.run();
    }
    raw(options) {
      record('raw', [this.sql]);
      return this.inner.raw(options);
    }
  }

  const batch = (inner, statements) => {
    record('batch', statements.map((s) => s.sql));
    return inner.batch(statements.map((s) => s.inner));
  };

  class D1DatabaseSession {
    constructor(inner) {
      this.inner = inner;
    }
    prepare(sql) {
      return new D1PreparedStatement(this.inner.prepare(sql), sql);
    }
    batch(statements) {
      return batch(this.inner, statements);
    }
    getBookmark() {
      return this.inner.getBookmark();
    }
  }

  class D1Database {
    constructor(inner) {
      this.inner = inner;
    }
    prepare(sql) {
      return new D1PreparedStatement(this.inner.prepare(sql), sql);
    }
    batch(statements) {
      return batch(this.inner, statements);
    }
    exec(sql) {
      record('exec', [sql]);
      return this.inner.exec(sql);
    }
    withSession(constraint) {
      return new D1DatabaseSession(this.inner.withSession(constraint));
    }
    dump() {
      record('dump', []);
      return this.inner.dump();
    }
  }

  return {
    async fetch(request, env, ctx) {
      if (new URL(request.url).pathname === '/__d1') {
        await Promise.allSettled(pending);
        // The Rust http Worker hands the Office Portal's requests on to the office Worker (its
        // OFFICE service binding, a counted copy too): their round trips are the request's as well.
        const handedOn = env.OFFICE ? await (await env.OFFICE.fetch(request)).json() : [];
        const answer = JSON.stringify([...trips, ...handedOn]);
        trips = [];
        pending = [];
        return new Response(answer, { headers: { 'content-type': 'application/json' } });
      }
      // Every D1 database the Worker has: the peer's DB, the tenant databases DB_1 ... DB_N.
      const wrapped = {};
      const counted = new Proxy(env, {
        get: (target, key) =>
          typeof key === 'string' && /^DB(_\d+)?$/.test(key) && target[key]
            ? (wrapped[key] ??= new D1Database(target[key]))
            : target[key],
      });
      const context = {
        waitUntil(promise) {
          pending.push(promise);
          ctx.waitUntil(promise);
        },
        passThroughOnException() {
          ctx.passThroughOnException();
        },
        get props() {
          return ctx.props;
        },
      };
      return worker.fetch(request, counted, context);
    },
  };
}
