// The Worker's entry: worker-build's generated handlers, exported as a plain module handler object.
//
// worker-build exports a `WorkerEntrypoint` subclass wrapped in a `Proxy`: on every request the
// runtime constructs the class, and the proxy wraps the instance and each handler it hands out in
// proxies of their own, to rebuild exported Rust objects after a trap. This Worker exports no Rust
// objects: its handlers are stateless functions, and the wasm-bindgen glue itself re-instantiates
// the module at the next call after a panic (`--force-enable-abort-handler`,
// `--experimental-reset-state-function`, which worker-build passes; tested by
// `a_panic_is_answered_500_and_the_next_request_is_served`). The class and the proxies cost about
// a tenth of a `/healthz` request's CPU (bench/profile.mjs), so the handlers are taken without them.
// scripts/build.sh bundles this file with worker-build's output into build/<worker>/index.js.
import Generated from './generated.js';

const handlers = {};
// The generated class's prototype holds the handlers this Worker was built with (a Proxy without
// a `get` hook passes `prototype` through): `fetch` and `scheduled` (http), `queue` (jobs). Each
// reads the bindings and the context from `this`, as on an entrypoint instance.
for (const name of ['fetch', 'queue', 'scheduled']) {
  const generated = Generated.prototype[name];
  if (typeof generated === 'function') handlers[name] = (event, env, ctx) => generated.call({ env, ctx }, event);
}

export default handlers;
