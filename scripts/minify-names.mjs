// Shortens the names the wasm module imports and exports ("./affitor_tracker_bg.js" /
// "__wbg_cookie_31e5a02763360ba9" → "a" / "b") and renames them to match in wasm-bindgen's JS
// glue. wasm-bindgen's names carry a module path and a hash each; shipped to every visitor,
// they were ~10% of the download. Nothing else in either file changes.

/** Short identifiers: a…z, A…Z, then two letters. */
function* names() {
  const abc = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
  for (const c of abc) yield c;
  for (const c of abc) for (const d of abc) yield c + d;
}

export function minifyNames(wasm, glue) {
  const r = reader(wasm);
  const out = [wasm.subarray(0, 8)];
  const imports = new Map(); // old import name → new
  const exports = new Map(); // old export name → new
  let module = null;
  while (r.pos < wasm.length) {
    const start = r.pos;
    const id = r.byte();
    const size = r.leb();
    const end = r.pos + size;
    if (id === 2) {
      const gen = names();
      const body = [];
      const count = r.leb();
      body.push(leb(count));
      for (let i = 0; i < count; i++) {
        const mod = r.name();
        const field = r.name();
        const descStart = r.pos;
        skipImportDesc(r);
        if (module !== null && mod !== module) throw new Error(`more than one import module: ${mod}`);
        module = mod;
        const short = imports.get(field) ?? gen.next().value;
        imports.set(field, short);
        body.push(name('a'), name(short), wasm.subarray(descStart, r.pos));
      }
      out.push(section(2, body));
    } else if (id === 7) {
      const gen = names();
      const body = [];
      const count = r.leb();
      body.push(leb(count));
      for (let i = 0; i < count; i++) {
        const field = r.name();
        const kindStart = r.pos;
        r.byte();
        r.leb();
        const short = gen.next().value;
        exports.set(field, short);
        body.push(name(short), wasm.subarray(kindStart, r.pos));
      }
      out.push(section(7, body));
    } else {
      out.push(wasm.subarray(start, end));
    }
    r.pos = end;
  }
  let js = glue;
  if (module !== null) js = replaceExact(js, JSON.stringify(module), '"a"');
  for (const [old, short] of imports) js = replaceWord(js, old, short, '(?=\\s*:)', true);
  // Some exports (wasm-bindgen's abort flags) are not used by the glue at all.
  for (const [old, short] of exports) js = replaceWord(js, `wasm.${old}`, `wasm.${short}`, '(?![\\w$])', false);
  return { wasm: Buffer.concat(out), glue: js };
}

function replaceExact(text, from, to) {
  if (!text.includes(from)) throw new Error(`glue does not mention ${from}`);
  return text.split(from).join(to);
}

function replaceWord(text, from, to, after, required) {
  const re = new RegExp(`(?<![\\w$.])${from.replace(/[.$]/g, '\\$&')}${after}`, 'g');
  if (required && !re.test(text)) throw new Error(`glue does not use ${from}`);
  return text.replace(re, to);
}

function skipImportDesc(r) {
  const kind = r.byte();
  if (kind === 0) r.leb(); // func: type index
  else if (kind === 1) { r.byte(); limits(r); } // table: reftype, limits
  else if (kind === 2) limits(r); // memory
  else if (kind === 3) { r.byte(); r.byte(); } // global: valtype, mutability
  else if (kind === 4) { r.byte(); r.leb(); } // tag
  else throw new Error(`unknown import kind ${kind}`);
}

function limits(r) {
  const flags = r.byte();
  r.leb();
  if (flags & 1) r.leb();
}

function reader(buf) {
  const r = {
    pos: 8,
    byte: () => buf[r.pos++],
    leb() {
      let n = 0, shift = 0, b;
      do { b = buf[r.pos++]; n += (b & 0x7f) * 2 ** shift; shift += 7; } while (b & 0x80);
      return n;
    },
    name() {
      const len = r.leb();
      const s = buf.subarray(r.pos, r.pos + len).toString('utf8');
      r.pos += len;
      return s;
    },
  };
  return r;
}

function leb(n) {
  const bytes = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n) b |= 0x80;
    bytes.push(b);
  } while (n);
  return Buffer.from(bytes);
}

function name(s) {
  const b = Buffer.from(s, 'utf8');
  return Buffer.concat([leb(b.length), b]);
}

function section(id, parts) {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([id]), leb(body.length), body]);
}
