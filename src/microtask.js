// Injected by esbuild (scripts/build.sh) for the free `queueMicrotask` in wasm-bindgen's glue, and
// nowhere else: the global is left as it is. wasm-bindgen-futures runs its task queue on the next
// microtask through `queueMicrotask`, which in workerd is a call into the runtime that wraps the
// callback on every wake-up (bench/profile.mjs: about 5 % of the sign-in page's CPU). A resolved
// promise's `then` queues the same callback on the same V8 microtask queue, in the same order,
// without leaving V8.
const resolved = Promise.resolve();

export function queueMicrotask(callback) {
  resolved.then(callback);
}
