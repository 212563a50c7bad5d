// affitor.diagnose() (docs/contract.md §9), built into dist/affitor-tracker-diagnose.js and loaded
// by the loader (install.js) only when diagnose() is called: no visitor downloads it.
//
// What only the tracker's rules can say (its settings as config::parse reads them, the cookie
// domain it writes at, the click cookies, the outbox) comes from `diagnosis(tag)`
// (src/diagnose.rs), an export of the JavaScript fallback's build only: the same crate, so the
// same rules, and it runs under a CSP that forbids WebAssembly. In the wasm every visitor
// downloads, that export cost 617–789 B gzip (measured), over twice the 300 B allowed; a second
// wasm would have cost a second build and could not run under such a CSP. Where the fallback is
// the tracker running, it is asked itself; elsewhere a fresh instance of it, which starts nothing.
// What this file checks itself is the page around the tracker: its CSP, the API's CORS answer,
// other tags, Web Locks.
//
// It never throws and its Promise never rejects: each check is caught on its own.

// The engine's own Promise (an async function's result is always one): a page may have replaced
// window.Promise (zone.js, Bluebird) or broken it.
const NativePromise = (async () => {})().constructor;

const LEAD_PATH = '/api/v1/track/lead';
const DAY_MS = 864e5;
// How long diagnose() waits for a tracker still loading (the loader gives up after 10 s).
const LOAD_WAIT_MS = 12e3;
// How long a request of the diagnosis may take.
const REQUEST_MS = 10e3;
// How long after a refused request a CSP violation report may still arrive.
const VIOLATION_WAIT_MS = 500;
// Other affiliate trackers' tags, by their script's address.
const OTHER_TRACKERS = /rewardful|wdfl\.co|tapfiliate|firstpromoter|partnerstack|tolt\.io|promotekit|getreditus/i;

/**
 * `state()`: the loader's view of the tracker, now: `{ m, files, refused, gaveUp, tag, el, api }`
 * (m: the running module, or undefined; files: the loader's, see install.js; refused: why
 * WebAssembly may not run here; gaveUp: the loader stopped waiting; tag: the settings, init()'s
 * options over the script tag's attributes; el: the script tag itself, if any; api:
 * window.affitor as the loader made it).
 */
export async function diagnose(options, state) {
  const checks = [];
  const add = (id, ok, level, message) => checks.push({ id, ok, level: ok ? 'info' : level, message });
  const safely = async (id, check) => {
    try {
      await check();
    } catch (e) {
      add(id, false, 'error', `the check itself failed: ${e}`);
    }
  };
  let s = {};
  let d = null;
  let why = '';
  await safely('webassembly', async () => {
    await within(state().api.ready, LOAD_WAIT_MS);
    s = state();
    s.wasm = !!s.m && s.m === s.files.glue;
    try {
      d = await facts(s);
    } catch (e) {
      why = String(e);
    }
  });
  const problems = (d && d.problems) || {};
  // Without the facts, the first check that needs them says why (an error: the fallback is how a
  // page that forbids WebAssembly runs the tracker); the others point to it.
  let unchecked = 0;
  const notChecked = (id) => {
    const first = !unchecked++;
    add(id, false, first ? 'error' : 'info', first ? `not checked: ${cannot(why)}` : 'not checked (see program-id)');
  };
  const also = (id) => (problems[id] ? ` (${problems[id].join('; ')})` : '');
  const host = location.hostname;

  if (d) {
    await safely('program-id', () => {
      if (d.programId) add('program-id', true, 'info', `program id ${d.programId}`);
      else add('program-id', false, 'error', (problems['program-id'] || ['no program id: add data-affitor-program-id="<your program id>" to the script tag']).join('; '));
    });
    await safely('api-base', () => {
      if (problems['api-base']) add('api-base', false, 'error', problems['api-base'].join('; '));
      else if (problems.timeout) add('api-base', false, 'warning', `API base ${d.apiBase}; ${problems.timeout.join('; ')}`);
      else add('api-base', true, 'info', `API base ${d.apiBase}`);
    });
    for (const [id, on, attribute, because] of [
      ['test-mode', d.testMode, 'data-affitor-test-mode', "every lead and click from this page is a test event, so no partner's lead counts"],
      ['debug', d.debug, 'data-affitor-debug', "every visitor's console shows the tracker's steps"],
    ]) {
      await safely(id, () => {
        if (on && !d.loopback) add(id, false, 'warning', `${id} is on, on ${host}: ${because}. Remove ${attribute} (init option ${id === 'debug' ? 'debug' : 'testMode'}) from live pages`);
        else if (problems[id]) add(id, false, 'warning', problems[id].join('; '));
        else add(id, true, 'info', on ? `on (${host} is a local host)` : 'off');
      });
    }
  } else {
    for (const id of ['program-id', 'api-base', 'test-mode', 'debug']) notChecked(id);
  }

  await safely('webassembly', () => {
    if (s.m && s.wasm) add('webassembly', true, 'info', 'the WebAssembly build runs');
    else if (s.m && s.refused && typeof WebAssembly !== 'object') {
      add('webassembly', false, 'info', 'this browser has no WebAssembly (turned off, as in iOS Lockdown Mode): the JavaScript build runs, the same tracker');
    } else if (s.m && s.refused) {
      add('webassembly', false, 'warning', "this page's Content-Security-Policy does not allow WebAssembly, so every visitor downloads the larger JavaScript build: add 'wasm-unsafe-eval' to its script-src");
    } else if (s.m) {
      add('webassembly', false, 'warning', 'the WebAssembly build could not start (see the [Affitor] warning above), so the JavaScript build runs: serve affitor_tracker_bg.wasm next to the tag, as Content-Type: application/wasm');
    } else {
      add('webassembly', false, 'error', s.gaveUp
        ? 'the tracker could not load (see the [Affitor] error above): serve affitor_tracker_bg.wasm and affitor_tracker_fallback.js next to the tag (with CORS if on another origin), and allow them in the CSP script-src'
        : `the tracker has not finished loading after ${LOAD_WAIT_MS / 1000} s`);
    }
  });

  if (d) {
    await safely('api-reachable', () => reachable(d, add));
    await safely('cookies', () => {
      const where = d.cookieDomain;
      const readers = where ? `${where.replace(/^\./, '')} and its subdomains` : `${host} only`;
      if (d.cookieOk) add('cookies', !problems.cookies, 'warning', `the click cookie is written and read back at ${where || host} (readable by ${readers})${also('cookies')}`);
      else {
        add('cookies', false, 'error', `the click cookie cannot be written at ${where || host}${also('cookies')}: ${
          where ? `data-affitor-cookie-domain must be ${host} or a parent domain of it (or be left out)` : 'this page may not set cookies (a sandboxed frame, or cookies blocked)'
        }`);
      }
    });
    await safely('click', () => {
      const landing = d.landing ? `; last landing with ?aff=: ${d.landing}` : '';
      if (!d.clickId) add('click', true, 'info', `no click id held: this browser has not arrived through a partner's link (open a page with ?aff=<partner code> to record one)${landing}`);
      else {
        // The API's click ids end with the click's time in ms (`cust_42_1714000000000`).
        const at = /_(\d{13})$/.exec(d.clickId);
        const age = at ? `, ${ago(Date.now() - Number(at[1]))} old` : '';
        add('click', true, 'info', `click id ${d.clickId}${d.partner ? ` from partner ${d.partner}` : ''}${age}${landing}`);
      }
    });
    await safely('outbox', () => {
      if (!d.outbox) add('outbox', true, 'info', 'no lead waiting');
      else {
        const text = `${d.outbox} lead(s) waiting, the oldest ${ago(d.oldestMs)} old after ${d.attempts} attempt(s)`;
        add('outbox', d.oldestMs <= DAY_MS, 'warning', d.oldestMs > DAY_MS ? `${text}: check that the API is reachable from your visitors' browsers (api-reachable)` : text);
      }
    });
  } else {
    for (const id of ['api-reachable', 'cookies', 'click', 'outbox']) notChecked(id);
  }

  await safely('duplicate-tracker', () => {
    const found = [];
    for (const script of document.scripts) {
      const src = script.src || '';
      if (script === s.el || script.type === 'module' || !src) continue;
      if (/affitor/i.test(src)) found.push(`another Affitor tag (${src}): a second copy changes nothing, and Affitor's hosted tracker records clicks and leads of its own; keep one tag`);
      else if (OTHER_TRACKERS.test(src)) found.push(`another affiliate tracker (${src}): check that each signup reaches Affitor too`);
    }
    if (s.api && window.affitor !== s.api) found.push('window.affitor is not this tracker (another script set it): remove the other script, or use window.affitorQueue');
    if (found.length) add('duplicate-tracker', false, 'warning', found.join('; '));
    else add('duplicate-tracker', true, 'info', 'no other tracker tag on the page');
  });
  await safely('locks', () => {
    if (navigator.locks && typeof navigator.locks.request === 'function') add('locks', true, 'info', 'Web Locks: tabs take turns on the outbox');
    else {
      const why = window.isSecureContext === false ? `this page is not a secure context (${location.protocol}), where browsers offer no Web Locks` : 'no Web Locks in this browser';
      add('locks', false, 'info', `${why}: tabs coordinate through storage (leads still go once)`);
    }
  });
  if (options && options.testLead) await safely('test-lead', () => testLead(d, add));

  const result = { ok: !checks.some((c) => !c.ok && c.level === 'error'), checks };
  log(result);
  return result;
}

/** The tracker's facts (src/diagnose.rs), from the JavaScript build (see the top). */
async function facts(s) {
  const m = s.m && !s.wasm ? s.m : await s.files.fallback();
  await m.default(); // its init: done already where it is the tracker running
  const d = JSON.parse(m.diagnosis(s.tag));
  const at = d.problems;
  d.problems = {};
  for (let i = 0; i + 1 < at.length; i += 2) (d.problems[at[i]] ||= []).push(at[i + 1]);
  return d;
}

function cannot(why) {
  return `the tracker's JavaScript build (affitor_tracker_fallback.js, next to the tag), which reads its settings for diagnose(), could not be loaded${why ? ` (${why})` : ''}: serve it with the tag's other files`;
}

/** Resolves when `promise` settles or after `ms`, whichever is first. */
function within(promise, ms) {
  return new NativePromise((resolve) => {
    const timer = setTimeout(resolve, ms);
    NativePromise.resolve(promise).then(() => {
      clearTimeout(timer);
      resolve();
    }, resolve);
  });
}

/**
 * `api-reachable`: an OPTIONS request to the lead endpoint, as the browser's preflight before a
 * lead is (with the lead's Content-Type): the API answers it without creating an event. A
 * Content-Security-Policy that refuses it is told by the `securitypolicyviolation` event.
 */
async function reachable(d, add) {
  const url = d.apiBase + LEAD_PATH;
  const origin = new URL(url, location.href).origin;
  let violated = false;
  let seen;
  const reported = new NativePromise((resolve) => (seen = resolve));
  const listen = (e) => {
    if (String(e.blockedURI || '').startsWith(origin) || e.effectiveDirective === 'connect-src') {
      violated = true;
      seen();
    }
  };
  addEventListener('securitypolicyviolation', listen);
  let status = 0;
  let error = '';
  const abort = typeof AbortController === 'function' ? new AbortController() : null;
  const timer = setTimeout(() => abort && abort.abort(), REQUEST_MS);
  try {
    const reply = await fetch(url, {
      method: 'OPTIONS',
      headers: { 'Content-Type': 'application/json' },
      credentials: 'omit',
      cache: 'no-store',
      signal: abort ? abort.signal : undefined,
    });
    status = reply.status;
  } catch (e) {
    error = String(e);
  }
  clearTimeout(timer);
  if (!status && !violated) await within(reported, VIOLATION_WAIT_MS);
  removeEventListener('securitypolicyviolation', listen);
  if (status >= 200 && status < 300) add('api-reachable', true, 'info', `the API answers this page's CORS requests (OPTIONS ${url}: HTTP ${status})`);
  else if (status) add('api-reachable', false, 'error', `OPTIONS ${url} answered HTTP ${status}: check data-affitor-api-base (a first-party proxy must forward ${LEAD_PATH}, OPTIONS included)`);
  else if (violated) add('api-reachable', false, 'error', `this page's Content-Security-Policy blocks requests to ${origin}: add ${origin} to its connect-src (or serve the API from the site's own origin, a first-party data-affitor-api-base)`);
  else add('api-reachable', false, 'error', `no answer from ${url} (${error}): the API is down or unreachable, an ad-blocker blocks it, or its CORS answer does not allow ${location.origin} (nor, then, its leads; an API that allows POST but not OPTIONS would fail only this check: diagnose({ testLead: true }) sends a test lead to tell)`);
}

/**
 * `test-lead`: docs/contract.md §6's test-mode lead, straight to the API: not the tracker's outbox,
 * not deduplicated, nothing stored.
 */
async function testLead(d, add) {
  if (!d) return add('test-lead', false, 'error', 'not sent: the settings could not be read (see program-id)');
  if (!d.programId) return add('test-lead', false, 'error', 'not sent: a test lead needs the program id (program-id)');
  const url = d.apiBase + LEAD_PATH;
  // Written out rather than through the page's JSON.stringify, which a page may have patched
  // (Prototype.js); the program id is canonical decimal digits (config::program_id).
  const body = `{"click_id":"test_lead_001","customer_key":"test_customer","additional_data":{"test_mode":true,"program_id":"${/^\d+$/.test(d.programId) ? d.programId : ''}"}}`;
  const abort = typeof AbortController === 'function' ? new AbortController() : null;
  const timer = setTimeout(() => abort && abort.abort(), REQUEST_MS);
  try {
    const reply = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body,
      credentials: 'omit',
      cache: 'no-store',
      signal: abort ? abort.signal : undefined,
    });
    let answer = {};
    try {
      answer = JSON.parse(await reply.text()) || {};
    } catch (e) {}
    const said = answer.message || answer.error || '';
    if (reply.ok && answer.success !== false) {
      add('test-lead', true, 'info', `the API took the test lead (HTTP ${reply.status}${said ? `: ${said}` : ''}${answer.data && answer.data.eventId ? `, event ${answer.data.eventId}` : ''})`);
    } else {
      add('test-lead', false, 'error', `the API refused the test lead: HTTP ${reply.status}${said ? `: ${said}` : ''}`);
    }
  } catch (e) {
    add('test-lead', false, 'error', `the test lead got no answer from ${url} (${e}): see api-reachable`);
  } finally {
    clearTimeout(timer);
  }
}

/** `ms` as a few words: "3 min", "2 h", "5 days". */
function ago(ms) {
  const min = Math.max(0, Math.round(ms / 6e4));
  if (min < 120) return `${min} min`;
  if (min < 2880) return `${Math.round(min / 60)} h`;
  return `${Math.round(min / 1440)} days`;
}

/** One `[Affitor]` line per check, at its level (a failed info check as info). */
function log(result) {
  const failed = result.checks.filter((c) => !c.ok);
  try {
    console.info(`[Affitor] diagnose(): ${result.ok ? 'ok' : 'problems found'} (${result.checks.length} checks, ${failed.length} to look at)`);
    for (const c of result.checks) {
      const line = `[Affitor] ${c.ok ? 'ok' : c.level} ${c.id}: ${c.message}`;
      if (c.ok || c.level === 'info') console.info(line);
      else if (c.level === 'warning') console.warn(line);
      else console.error(line);
    }
  } catch (e) {}
}
