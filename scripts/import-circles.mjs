#!/usr/bin/env node
// Fails when the files of src/ import each other in a circle (file A uses B, B uses ... A).
//
// What counts as "A uses B": a `use` of, or a path in code to, an item that B defines: `crate::`,
// `super::`, `self::` paths, paths through a child module, and paths through a module brought in
// by `use` (`use crate::store;` then `store::outbox::f()`). The rule for modules and re-exports:
// - An item reached through a re-export (`pub use x::Y;`) is a use of the file that defines Y,
//   not of the file that re-exports it: a re-export forwards, it does not depend.
// - A parent module (mod.rs, lib.rs) declaring, re-exporting or assembling its own submodules
//   (`mod x;`, `pub use x::Y;`, `x::routes(router)`) is not a use of them: a module is the
//   owner of its children. A child using its parent's own items is a use like any other.
// Comments and string literals are left out. Usage: node scripts/import-circles.mjs
// [--pending PREFIX]...: a circle whose files all start with a PREFIX is printed but does not fail
// (work in progress elsewhere). SHOW_IMPORTS=PART also lists the imports of the files whose path
// contains PART, each with the first path that made it.
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pending = [];
for (let i = 2; i < process.argv.length; i++) {
  if (process.argv[i] === '--pending' && process.argv[i + 1]) pending.push(process.argv[++i]);
}

/** Comments, strings and char literals blanked out (newlines and braces of code kept). */
function strip(text) {
  let out = '';
  let i = 0;
  const n = text.length;
  const blank = (s) => s.replace(/[^\n]/g, ' ');
  while (i < n) {
    const c = text[i];
    const next = text[i + 1];
    if (c === '/' && next === '/') {
      const end = text.indexOf('\n', i);
      const stop = end === -1 ? n : end;
      out += blank(text.slice(i, stop));
      i = stop;
    } else if (c === '/' && next === '*') {
      let depth = 1;
      let j = i + 2;
      while (j < n && depth > 0) {
        if (text[j] === '/' && text[j + 1] === '*') { depth++; j += 2; }
        else if (text[j] === '*' && text[j + 1] === '/') { depth--; j += 2; }
        else j++;
      }
      out += blank(text.slice(i, j));
      i = j;
    } else if ((c === 'r' || c === 'b') && /^(br|r|b)?#*"/.test(text.slice(i, i + 40)) && !/\w/.test(text[i - 1] ?? '')) {
      const m = /^(br|r|b)?(#*)"/.exec(text.slice(i));
      const raw = m[1]?.includes('r');
      const close = '"' + m[2];
      let j = i + m[0].length;
      while (j < n) {
        if (!raw && text[j] === '\\') { j += 2; continue; }
        if (text.startsWith(close, j)) { j += close.length; break; }
        j++;
      }
      out += blank(text.slice(i, j));
      i = j;
    } else if (c === '"') {
      let j = i + 1;
      while (j < n && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += blank(text.slice(i, j + 1));
      i = j + 1;
    } else if (c === "'") {
      // A char literal ('x', '\n', '\u{..}'), not a lifetime ('a).
      const m = /^'(\\u\{[0-9a-fA-F]+\}|\\.|[^\\'])'/.exec(text.slice(i, i + 12));
      if (m) { out += blank(m[0]); i += m[0].length; } else { out += c; i++; }
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

// The module tree, from src/lib.rs through `mod x;` declarations and inline `mod x { ... }`.
const modules = new Map(); // key "a::b" -> { key, path: [..], file, code, children: Map, parent }
const files = new Map(); // file -> source (stripped)

function childFile(file, name) {
  const base = /(^|\/)(lib|mod)\.rs$/.test(file) ? dirname(file) : file.replace(/\.rs$/, '');
  for (const candidate of [join(base, `${name}.rs`), join(base, name, 'mod.rs')]) {
    if (existsSync(join(root, candidate))) return candidate;
  }
  return null;
}

function addModule(path, file, parent, span) {
  const key = path.join('::');
  const mod = { key, path, file, parent, span, children: new Map(), reexports: [], globs: [], aliases: new Map() };
  modules.set(key, mod);
  if (parent) parent.children.set(path[path.length - 1], mod);
  return mod;
}

/** The inline modules of `code` between `from` and `to`, with their brace spans. */
function inlineModules(code, from, to) {
  const found = [];
  const re = /\bmod\s+([A-Za-z_]\w*)\s*\{/g;
  re.lastIndex = from;
  let m;
  while ((m = re.exec(code)) && m.index < to) {
    const open = m.index + m[0].length - 1;
    let depth = 0;
    let j = open;
    for (; j < code.length; j++) {
      if (code[j] === '{') depth++;
      else if (code[j] === '}' && --depth === 0) break;
    }
    found.push({ name: m[1], start: open, end: j });
    re.lastIndex = j;
  }
  return found;
}

function load(path, file, parent, span) {
  if (!files.has(file)) files.set(file, strip(readFileSync(join(root, file), 'utf8')));
  const code = files.get(file);
  const mod = addModule(path, file, parent, span ?? [0, code.length]);
  const [from, to] = mod.span;
  const inner = inlineModules(code, from, to);
  mod.inner = inner;
  for (const im of inner) load([...path, im.name], file, mod, [im.start, im.end]);
  const outside = (i) => !inner.some((im) => i > im.start && i < im.end);
  const decl = /\bmod\s+([A-Za-z_]\w*)\s*;/g;
  decl.lastIndex = from;
  let m;
  while ((m = decl.exec(code)) && m.index < to) {
    if (!outside(m.index)) continue;
    const child = childFile(file, m[1]);
    if (child) load([...path, m[1]], child, mod);
  }
  return mod;
}

const crateRoot = load([], 'src/lib.rs', null);

/** A module's own text: its span without its inline submodules. */
function ownRanges(mod) {
  const ranges = [];
  let at = mod.span[0];
  for (const im of mod.inner) {
    ranges.push([at, im.start]);
    at = im.end;
  }
  ranges.push([at, mod.span[1]]);
  return ranges;
}

/** `a::{b, c::{d as e}, self}` -> [{ segs, alias, glob }]. */
function expandUse(tree) {
  const out = [];
  const parse = (prefix, s) => {
    s = s.trim();
    const brace = s.indexOf('{');
    if (brace === -1) {
      const m = /^(.*?)(?:\s+as\s+(\w+))?$/.exec(s);
      const segs = [...prefix, ...m[1].split('::').map((x) => x.trim()).filter(Boolean)];
      if (segs[segs.length - 1] === '*') out.push({ segs: segs.slice(0, -1), glob: true });
      else if (segs[segs.length - 1] === 'self') out.push({ segs: segs.slice(0, -1), alias: m[2] ?? segs[segs.length - 2] });
      else out.push({ segs, alias: m[2] ?? segs[segs.length - 1] });
      return;
    }
    const head = s.slice(0, brace).split('::').map((x) => x.trim()).filter(Boolean);
    const body = s.slice(brace + 1, s.lastIndexOf('}'));
    let depth = 0;
    let start = 0;
    for (let i = 0; i <= body.length; i++) {
      const c = body[i];
      if (c === '{') depth++;
      else if (c === '}') depth--;
      else if ((c === ',' && depth === 0) || i === body.length) {
        const part = body.slice(start, i);
        if (part.trim()) parse([...prefix, ...head], part);
        start = i + 1;
      }
    }
  };
  parse([], tree.replace(/\s+/g, ' '));
  return out;
}

// First pass: every module's `use` lines: re-exports, globs and module aliases.
const uses = []; // { mod, segs, alias, glob, pub, at }
for (const mod of modules.values()) {
  const code = files.get(mod.file);
  for (const [a, b] of ownRanges(mod)) {
    const re = /(?<![\w:])(pub(?:\s*\([^)]*\))?\s+)?use\s+([^;]+);/g;
    const text = code.slice(a, b);
    let m;
    while ((m = re.exec(text))) {
      for (const u of expandUse(m[2])) {
        const entry = { mod, ...u, pub: Boolean(m[1]), at: a + m.index, end: a + m.index + m[0].length };
        uses.push(entry);
        if (entry.pub && entry.glob) mod.globs.push(entry);
        else if (entry.pub) mod.reexports.push(entry);
      }
    }
  }
}

const defines = (mod, name) => {
  const code = files.get(mod.file);
  const re = new RegExp(`\\b(fn|struct|enum|trait|type|const|static|union)\\s+${name}\\b|macro_rules!\\s*${name}\\b`);
  return ownRanges(mod).some(([a, b]) => re.test(code.slice(a, b)));
};

/** The start module of a path used in `mod`, or null for another crate. */
function start(mod, first) {
  if (first === 'crate') return crateRoot;
  if (first === 'self') return mod;
  if (first === 'super') return mod.parent;
  if (mod.children.has(first)) return mod.children.get(first);
  if (mod === crateRoot) return null;
  const alias = mod.aliases.get(first);
  return alias ?? null;
}

/** What `segs` names from `mod`: { module } or { item, file } (following re-exports), or null. */
function resolve(mod, segs, depth = 0) {
  if (depth > 16 || segs.length === 0) return null;
  let node = start(mod, segs[0]);
  if (!node) return null;
  for (let i = 1; i < segs.length; i++) {
    const seg = segs[i];
    if (seg === 'super') { node = node.parent; if (!node) return null; continue; }
    if (seg === 'self') continue;
    if (node.children.has(seg)) { node = node.children.get(seg); continue; }
    // An item of `node`: defined there, or re-exported from elsewhere.
    const re = node.reexports.find((r) => r.alias === seg);
    if (re) {
      const target = resolve(node, re.segs, depth + 1);
      if (target?.module) { node = target.module; continue; }
      return target ?? { item: seg, file: node.file };
    }
    if (!defines(node, seg)) {
      for (const g of node.globs) {
        const from = resolve(node, g.segs, depth + 1);
        if (from?.module) {
          const target = resolve(from.module, ['self', seg], depth + 1);
          if (target && (target.file !== from.module.file || defines(from.module, seg))) return target;
        }
      }
    }
    return { item: seg, file: node.file };
  }
  return { module: node };
}

// Module aliases (`use crate::store;`), so that `store::outbox::f()` in code resolves.
for (const u of uses) {
  if (u.glob || u.pub || !u.alias) continue;
  const target = resolve(u.mod, u.segs);
  if (target?.module) u.mod.aliases.set(u.alias, target.module);
}

const isDescendant = (ancestor, mod) => {
  for (let m = mod; m; m = m.parent) if (m === ancestor) return true;
  return false;
};
const moduleOfFile = new Map();
for (const mod of modules.values()) if (!moduleOfFile.has(mod.file)) moduleOfFile.set(mod.file, mod);

const edges = new Map(); // file -> Map(file -> why)
function edge(mod, target, why) {
  if (!target?.file || target.file === mod.file) return;
  // A parent declaring, re-exporting or assembling its own children.
  if (isDescendant(moduleOfFile.get(mod.file), moduleOfFile.get(target.file))) return;
  if (!edges.has(mod.file)) edges.set(mod.file, new Map());
  const to = edges.get(mod.file);
  if (!to.has(target.file)) to.set(target.file, why);
}

// Second pass: private `use` lines, and paths in code.
for (const u of uses) {
  if (u.pub) continue;
  if (u.glob) {
    const target = resolve(u.mod, u.segs);
    if (target?.module) edge(u.mod, { file: target.module.file }, `use ${u.segs.join('::')}::*`);
    continue;
  }
  const target = resolve(u.mod, u.segs);
  if (target && !target.module) edge(u.mod, target, `use ${u.segs.join('::')}`);
}
for (const mod of modules.values()) {
  const code = files.get(mod.file);
  const inUse = uses.filter((u) => u.mod === mod);
  for (const [a, b] of ownRanges(mod)) {
    const re = /(?<![\w:])([a-z_]\w*)((?:\s*::\s*[A-Za-z_]\w*)+)/g;
    const text = code.slice(a, b);
    let m;
    while ((m = re.exec(text))) {
      const at = a + m.index;
      if (inUse.some((u) => at >= u.at && at < u.end)) continue;
      const segs = [m[1], ...m[2].split('::').map((s) => s.trim()).filter(Boolean)];
      const target = resolve(mod, segs);
      if (target && !target.module) edge(mod, target, segs.join('::'));
    }
  }
}

// Circles: the strongly connected components of more than one file (Tarjan).
let index = 0;
const stack = [];
const info = new Map();
const components = [];
function connect(v) {
  info.set(v, { index, low: index, onStack: true });
  index++;
  stack.push(v);
  for (const w of edges.get(v)?.keys() ?? []) {
    if (!info.has(w)) {
      connect(w);
      info.get(v).low = Math.min(info.get(v).low, info.get(w).low);
    } else if (info.get(w).onStack) {
      info.get(v).low = Math.min(info.get(v).low, info.get(w).index);
    }
  }
  if (info.get(v).low === info.get(v).index) {
    const component = [];
    let w;
    do {
      w = stack.pop();
      info.get(w).onStack = false;
      component.push(w);
    } while (w !== v);
    if (component.length > 1) components.push(component.sort());
  }
}
for (const file of files.keys()) if (!info.has(file)) connect(file);

/** One circle through the component's first file, for the message. */
function circle(component) {
  const inside = new Set(component);
  const from = component[0];
  const previous = new Map([[from, null]]);
  const queue = [from];
  while (queue.length) {
    const v = queue.shift();
    for (const w of edges.get(v)?.keys() ?? []) {
      if (!inside.has(w)) continue;
      if (w === from) {
        const path = [v];
        for (let p = previous.get(v); p; p = previous.get(p)) path.unshift(p);
        return [...path, from];
      }
      if (!previous.has(w)) { previous.set(w, v); queue.push(w); }
    }
  }
  return component;
}

let failed = 0;
for (const component of components) {
  const waiting = component.every((f) => pending.some((p) => f.startsWith(p)));
  const path = circle(component);
  console.log(`${waiting ? 'pending' : 'CIRCLE'}: ${component.length} files import each other: ${component.join(', ')}`);
  for (let i = 0; i + 1 < path.length; i++) {
    console.log(`  ${path[i]} -> ${path[i + 1]}  (${edges.get(path[i]).get(path[i + 1])})`);
  }
  if (!waiting) failed++;
}
const count = [...edges.values()].reduce((n, to) => n + to.size, 0);
console.log(`import circles: ${files.size} files, ${count} imports between them, ${failed} circle(s)${components.length - failed ? `, ${components.length - failed} pending` : ''}`);
if (process.env.SHOW_IMPORTS) {
  for (const [from, to] of edges) {
    if (!from.includes(process.env.SHOW_IMPORTS)) continue;
    for (const [file, why] of to) console.log(`${from} -> ${file}  (${why})`);
  }
}
process.exit(failed ? 1 : 0);
