// Installs window.affitor at once, so calls made now are queued; loads the tracker and hands the
// calls over. Shared by the script tag (affitor-tracker.js) and the ES module entry
// (module/index.js). All tracking logic lives in the WebAssembly module (or, where WebAssembly
// cannot run, in the same module compiled to JavaScript): this file only loads, queues and hands
// over, and never throws into the page.
//
//   tag      what the tracker reads its data-affitor-* settings from (anything with getAttribute)
//   version  the tracker's version, for window.affitor.version
//   files    { wasm: the wasm's URL, glue: the wasm-bindgen glue (a module namespace),
//              fallback: () => import() of the JavaScript build,
//              diagnose: () => import() of diagnose()'s module (loader/diagnose.js),
//              handoff: () => import() of the hand-off wasm's glue (loader/handoff-module.js) }

// Where signups made before the tracker ran wait, when the page leaves first.
var PENDING = 'affitor_pending';
// Where the landing (and same-document navigations) wait, when the page leaves before the
// tracker ran: [[url, referrer, time], …], at most LANDINGS_MAX, newest last.
var LANDINGS = 'affitor_landings';
var LANDINGS_MAX = 10;
// Marks this tracker on window: a second copy of the tag (or the module's init()) finds it.
var MARK = Symbol.for('affitor.tracker');
// On that tracker: what a second tag calls with its own settings (see again()).
var AGAIN = Symbol.for('affitor.again');

// init()'s options, by the script tag attribute each stands for: one line per option, for the
// tag's init() and the module's alike.
var OPTIONS = {
  'data-affitor-program-id': 'programId',
  'data-affitor-api-base': 'apiBase',
  'data-affitor-debug': 'debug',
  'data-affitor-test-mode': 'testMode',
  'data-affitor-cookie-domain': 'cookieDomain',
  'data-affitor-timeout': 'timeout'
};

/** init()'s options as the tracker reads a tag: `getAttribute(name)`, over `tag`'s own. */
export function settings(options, tag) {
  return {
    getAttribute: function (name) {
      var v = read(options, OPTIONS[name]);
      if (v === undefined || v === null || v === false) {
        try {
          return tag ? tag.getAttribute(name) : null;
        } catch (e) {
          return null;
        }
      }
      return v === true ? 'true' : String(v);
    }
  };
}
// An 8-byte empty module: compiling it throws where WebAssembly may not run.
var EMPTY_WASM = [0, 97, 115, 109, 1, 0, 0, 0];
// The engine's own Promise: an async function's result is one whatever window.Promise is (zone.js,
// Bluebird, a subclass). The tracker's promises are made with it, and awaited rather than given
// to a `then` the page may have replaced.
export var P = (async function () {})().constructor;
var defineProperty = Object.defineProperty;

/** The tracker this page runs (from the tag or the module), or undefined. */
export function installed() {
  return window[MARK];
}

// Page data may be a getter that throws, or a Proxy: every read of it goes through here.
function read(o, key) {
  try {
    return o[key];
  } catch (e) {}
}

function notLoaded() {
  return inert({ ok: false, error: 'tracker not loaded' });
}

// A promise resolved with an object calls the object's `then`, its prototype's included: on a
// page that polluted Object.prototype.then, ready and every signup() would wait for the page's
// `then` (forever, if it never calls back). What the tracker resolves a promise with has a `then`
// of its own, undefined and not enumerable (JSON, Object.keys and spreads do not show it).
function inert(o) {
  try {
    defineProperty(o, 'then', { __proto__: null, value: undefined });
  } catch (e) {}
  return o;
}

// A plain copy of window.affitorQueue's entries (each entry's items copied too), so that a
// frozen queue, a getter or a Proxy cannot throw inside the tracker. null if it is no array.
// A queue longer than this is a loop or junk (a `length` of 1e9 must not stall the page).
var MAX_QUEUE = 10000;

function copyQueue(queue) {
  var n;
  if (!isArray(queue)) return null;
  try {
    n = queue.length;
  } catch (e) {
    // A length that cannot be read: the entries are read until the first hole.
    for (n = 0; n < MAX_QUEUE; n++) {
      try {
        if (queue[n] === undefined) break;
      } catch (e2) {
        break;
      }
    }
  }
  if (n > MAX_QUEUE) {
    console.warn('[Affitor] window.affitorQueue has ' + n + ' entries: only the first ' + MAX_QUEUE + ' run');
    n = MAX_QUEUE;
  }
  var out = [];
  for (var i = 0; i < n; i++) {
    try {
      out[out.length] = copyEntry(queue[i]);
    } catch (e) {
      console.warn('[Affitor] skipped an affitorQueue entry that cannot be read:', e);
    }
  }
  return out;
}

function copyEntry(e) {
  return isArray(e) ? [e[0], e[1], e[2]] : e;
}

// Array.isArray, or instanceof where a page broke it; false for what cannot be asked at all.
function isArray(v) {
  try {
    return Array.isArray(v);
  } catch (e) {
    try {
      return v instanceof Array;
    } catch (e2) {
      return false;
    }
  }
}

export function install(tag, version, files) {
  var w = window;
  if (w[MARK]) {
    // A second copy of the tag changes nothing; one naming other settings is said.
    try {
      w[MARK][AGAIN](tag);
    } catch (e) {}
    return w[MARK];
  }
  var options = {}; // init()'s options given before the start, over the tag's attributes
  var waiting; // the tracker, waiting for init() (a tag without a program id, see run)
  var waited = false;
  // The wasm's download is what the lead waits for most: it starts first, as soon as it is known
  // that WebAssembly may run here (so a page that forbids it never downloads the wasm), and the
  // rest of this function runs while it is on its way. The first fetch() of a page costs 2–6 ms
  // on the main thread (the request leaves at its end); a plain-JS tracker pays it for its lead.
  var refused = wasmRefused();
  var wasm, handoff;
  warmLocks();
  // The landing, before any script of the page rewrites the address bar: the address the
  // document was navigated to, its referrer, and when; after those earlier page views kept
  // (taken: this page captures them). Each is [url, referrer, time]; the tracker sets url to
  // null once it is dealt with, and the page keeps those still open when it goes (keep()).
  var landings = [];
  try {
    var stored = localStorage.getItem(LANDINGS);
    if (stored) {
      localStorage.removeItem(LANDINGS);
      landings = JSON.parse(stored);
    }
  } catch (e) {}
  if (!isArray(landings)) landings = [];
  var landing = [location.href, document.referrer, Date.now()];
  try {
    var entry = performance.getEntriesByType('navigation')[0];
    // (Its name has no fragment in some engines: a hash route's is the page's own.)
    if (entry && typeof entry.name === 'string' && entry.name) landing[0] = entry.name.indexOf('#') < 0 ? entry.name + location.hash : entry.name;
  } catch (e) {}
  landings[landings.length] = landing;
  // A script of the page that changed the address before the tag ran: a navigation too.
  if (landing[0] !== location.href) landings[landings.length] = [location.href, null, landing[2]];
  // The cross-domain hand-off (docs/cross-domain.md) is in a wasm of its own, with its own glue
  // (which fetches it): run instead of the normal one where a page needs it, a list of other
  // sites configured or a landing carrying the click id another site handed over. Every byte
  // here is on the normal path: hence one test of the landing, one of the setting.
  if (!refused) wasm = (handoff = /affitor_click_id=/.test(landing[0]) || settings(options, tag).getAttribute('data-affitor-domains')) ? files.handoff() : fetchWasm(files.wasm);
  var calls = []; // [method, a, b, resolve]: calls made before the tracker took over
  var forgotten = false; // forget() was called: this page keeps nothing for the next one
  var tracker; // the module that runs, once it does
  var gaveUp = false; // the tracker did not load in time (or at all): calls answer at once
  var ready;

  // The page's calls: once the tracker runs, they go to it. Before, they wait here; once loading
  // gave up they answer at once, and are still kept: a tracker that arrives late runs them, or
  // the next page view does (see keep).
  function method(name) {
    return function (a, b) {
      if (name === 'forget') forgotten = true;
      return new P(function (resolve) {
        if (tracker) return call(name, a, b, resolve);
        calls[calls.length] = [name, a, b, resolve];
        if (gaveUp) resolve(notLoaded());
      });
    };
  }

  var api = {
    version: version,
    signup: method('signup'),
    trackClick: method('trackClick'),
    forget: method('forget'),
    getClickId: function () {
      return null;
    },
    getData: function () {
      return { clickId: null, programId: null, hasAttribution: false, affiliateUrl: null };
    }
  };
  api.ready = new P(function (resolve) {
    ready = function () {
      resolve(inert(api));
    };
  });
  // The hosted tracker's init(options): before the start its options apply over the tag's
  // attributes. After the start, or naming another program id or API base than the tag (or an
  // earlier init) does, it changes nothing, and configure() says so.
  var started = (async function () {
    await api.ready;
  })();
  api.init = function (o) {
    configure(o);
    if (waiting) go(waiting);
    return started;
  };
  // affitor.diagnose(options?): its checks load only when it is called (loader/diagnose.js); an
  // async function, so it never throws and its Promise is the engine's own.
  // (Its argument is diagnose()'s own options: the settings are init()'s `options` over the tag.)
  api.diagnose = async function (o) {
    try {
      return await (await files.diagnose()).diagnose(o, function () {
        return { m: tracker, files: files, refused: refused, gaveUp: gaveUp, tag: settings(options, tag), el: tag, api: api };
      });
    } catch (e) {
      var message = 'diagnose() could not load affitor-tracker-diagnose.js: ' + e;
      console.error('[Affitor] ' + message);
      return { ok: false, checks: [{ id: 'diagnose', ok: false, level: 'error', message: message }] };
    }
  };
  // `second`: a second tag (or the module's later init()), which changes nothing. What a call
  // that changes nothing asks otherwise than this tracker is named in one warning; another
  // program id or API base than the tag (or an earlier init) names is a clash, both named (a
  // leftover tag).
  function configure(o, second) {
    try {
      var other = second || settings(o || {});
      var mine = settings(options, tag);
      var names = [];
      var clash, k, v;
      for (k in OPTIONS) {
        v = other.getAttribute(k);
        if (v != null && v !== mine.getAttribute(k)) {
          names[names.length] = OPTIONS[k];
          if (/program|api/.test(k) && mine.getAttribute(k) != null) clash = 1;
        }
      }
      if (!(second || tracker || clash)) {
        for (k in OPTIONS) if (other.getAttribute(k) != null) options[OPTIONS[k]] = o[OPTIONS[k]];
      } else if (names.length) {
        console.warn('[Affitor] ignored, the tracker keeps its settings: ' + names.join(', ') +
          (/program|api/i.test(names) ? ' (it runs program ' + about(mine) + '; the other tag or init() names program ' + about(other) + ': remove the leftover)' : ''));
      }
    } catch (e) {}
  }
  function again(t) {
    configure(0, t);
  }
  function about(t) {
    return programId(t) + ' at ' + (t.getAttribute('data-affitor-api-base') || 'https://api.affitor.com');
  }
  function programId(t) {
    return t.getAttribute('data-affitor-program-id') || t.getAttribute('data-affitor-program') || read(w, 'AFFITOR_PROGRAM_ID');
  }
  try {
    Object.defineProperty(w, MARK, { value: api });
    Object.defineProperty(api, AGAIN, { value: again });
  } catch (e) {}
  publish(api);

  // Same-document navigations (a router's history calls, back/forward, Turbo Drive, the
  // Navigation API): each address goes to the tracker, or waits for it. The page's history
  // calls are wrapped, called through, and return what they return.
  function navigated() {
    try {
      var entry = [location.href, null, Date.now()];
      if (landings.length < 50) landings[landings.length] = entry;
      if (tracker) tracker.navigated(entry);
    } catch (e) {}
  }
  function wrap(name) {
    try {
      var original = history[name];
      if (typeof original !== 'function') return;
      history[name] = function () {
        var result = original.apply(this, arguments);
        navigated();
        return result;
      };
    } catch (e) {}
  }
  wrap('pushState');
  wrap('replaceState');
  // (A fragment navigation fires popstate too; Turbo Drive calls the history methods as well.)
  addEventListener('popstate', navigated);
  addEventListener('turbo:load', navigated);
  try {
    navigation.addEventListener('navigatesuccess', navigated);
  } catch (e) {}

  // If the page goes before the tracker runs, its signups wait in localStorage for the next
  // page view, where the tracker sends them: a fast redirect must not lose a lead. Each call is
  // written on its own, so one that cannot be (a BigInt) costs only itself.
  var kept = false; // whether this page added to PENDING
  var before; // PENDING as it was before that
  function keep() {
    var saved = [];
    if (forgotten) return; // consent withdrawn
    var list = copyQueue(read(w, 'affitorQueue')) || [];
    var i;
    for (i = 0; i < calls.length; i++) if (calls[i][0] === 'signup') save(saved, calls[i][1], calls[i][2]);
    for (i = 0; i < list.length; i++) {
      if (isArray(list[i]) && list[i][0] === 'signup') save(saved, list[i][1], list[i][2]);
    }
    if (!saved.length) return;
    try {
      var old = kept ? before : localStorage.getItem(PENDING);
      append(PENDING, old, saved);
      kept = true;
      before = old;
    } catch (e) {}
  }
  // The landings still open, each on its own (one that cannot be written costs only itself),
  // after those other page views kept since, the newest LANDINGS_MAX. (Back from the
  // back/forward cache, a landing kept twice is captured once: the next page view skips an
  // address it has seen.)
  function keepLandings() {
    if (forgotten) return;
    var items = [];
    for (var i = 0; i < landings.length; i++) {
      try {
        if (read(landings[i], 0)) items[items.length] = json(landings[i]);
      } catch (e) {}
    }
    if (!items.length) return;
    try {
      append(LANDINGS, localStorage.getItem(LANDINGS), items, LANDINGS_MAX);
    } catch (e) {}
  }
  // Writes at `key` the list stored as `old` (JSON text; anything else counts as none) with
  // `items` (JSON texts) after it, the newest `max` if given. Throws where storage does.
  function append(key, old, items, max) {
    var list = [];
    try {
      var stored = JSON.parse(old);
      if (isArray(stored)) for (var i = 0; i < stored.length; i++) list[i] = json(stored[i]);
    } catch (e) {}
    localStorage.setItem(key, '[' + list.concat(items).slice(-max).join(',') + ']');
  }
  function save(saved, key, email) {
    try {
      saved[saved.length] = '[' + json(key) + ',' + json(email) + ',' + json(location.href) + ']';
    } catch (e) {
      console.warn('[Affitor] a signup made before the tracker loaded cannot be kept for the next page view:', e);
    }
  }
  function json(v) {
    var s = JSON.stringify(v);
    return typeof s === 'string' ? s : 'null';
  }
  addEventListener('pagehide', keep);
  // After the start too: a landing whose click is unanswered when the page goes.
  addEventListener('pagehide', keepLandings);

  // The tracker runs on this page after all (perhaps back from the back/forward cache): what
  // this page kept is taken back, since the tracker is about to run those calls itself.
  function takeBack() {
    if (!kept) return;
    kept = false;
    try {
      if (before === null) localStorage.removeItem(PENDING);
      else localStorage.setItem(PENDING, before);
    } catch (e) {}
  }

  // Calls into the tracker: it resolves `resolve` (never rejects), and never throws into the page.
  function call(name, a, b, resolve) {
    try {
      tracker[name](a, b, function (r) {
        resolve(inert(r));
      });
    } catch (e) {
      console.error('[Affitor]', e);
      resolve({ ok: false, error: 'internal error' });
    }
  }
  function safe(f, fallback) {
    return function () {
      try {
        return f();
      } catch (e) {
        console.error('[Affitor]', e);
        return fallback();
      }
    };
  }

  // The tracker takes over: from now on the page's calls go to it. Throws if its start does.
  // A tag with no program id anywhere (Google Tag Manager's Custom HTML may drop the data-*
  // attributes, and configures it with init() instead) waits for init(), or the page's load
  // event, whichever comes first.
  function run(m) {
    if (tracker) return;
    var queue = read(w, 'affitorQueue');
    var list = copyQueue(queue);
    if (!list && queue != null) console.warn('[Affitor] window.affitorQueue is not an array, so its entries cannot be run');
    var rest = [];
    for (var i = 0; list && i < list.length; i++) {
      if (isArray(list[i]) && list[i][0] === 'init') configure(list[i][1]);
      else rest[rest.length] = list[i];
    }
    var config = settings(options, tag);
    if (!waited && programId(config) == null && document.readyState !== 'complete') {
      waited = true;
      waiting = m;
      addEventListener('load', function () {
        go(m);
      });
      return;
    }
    waiting = null;
    takeBack();
    m.start(config, list ? rest : [], landings);
    tracker = m;
    removeEventListener('pagehide', keep);

    // The page's queue: emptied (its entries ran) and its push replaced, so that entries pushed
    // from now on run at once. A frozen queue is swapped for a new array.
    function push() {
      for (var i = 0; i < arguments.length; i++) {
        try {
          var entry = copyEntry(arguments[i]);
          if (isArray(entry) && entry[0] === 'init') api.init(entry[1]);
          else m.run(entry);
        } catch (e) {
          console.warn('[Affitor] skipped an affitorQueue entry that cannot be read:', e);
        }
      }
      return read(queue, 'length');
    }
    if (list) {
      try {
        queue.length = 0;
        queue.push = push;
      } catch (e) {}
    }
    if (!list || read(queue, 'push') !== push) {
      queue = [];
      queue.push = push;
      try {
        w.affitorQueue = queue;
      } catch (e) {}
    }

    // getData()'s clickId is the stored click id, as getClickId() answers it.
    api.getClickId = safe(
      function () {
        return m.getData().clickId;
      },
      function () {
        return null;
      }
    );
    api.getData = safe(m.getData, api.getData);
    for (var i = 0; i < calls.length; i++) call(calls[i][0], calls[i][1], calls[i][2], calls[i][3]);
    calls = [];
    ready();
  }

  // The tracker, once it waited for init() or the load event.
  function go(m) {
    try {
      run(m);
    } catch (e) {
      giveUp('[Affitor] the tracker could not start:', e);
    }
  }

  // Loading ends: the calls made so far answer 'tracker not loaded', ready resolves.
  function giveUp(message, e) {
    if (tracker || gaveUp) return;
    gaveUp = true;
    if (e === undefined) console.error(message);
    else console.error(message, e); // as an argument: whatever was thrown, logging cannot throw
    for (var i = 0; i < calls.length; i++) calls[i][3](notLoaded());
    ready();
  }

  var ms = read(read(w, 'AFFITOR_TEST_TIMINGS') || {}, 'loadTimeoutMs');
  if (typeof ms !== 'number' || !(ms >= 0)) ms = 10000;
  try {
    setTimeout(function () {
      giveUp('[Affitor] the tracker did not load within ' + ms / 1000 + ' s: calls answer "tracker not loaded"; signups are sent if it loads later, or by the next page view');
    }, ms);
  } catch (e) {}

  // Imports nothing more on the normal path: the glue is here, and the wasm (its fetch started
  // above) streams in while it compiles. Where WebAssembly may not run, or the wasm does not
  // start, the JavaScript build takes over.
  (async function () {
    try {
      if (refused) throw refused;
      await start(handoff ? await wasm : files.glue, { module_or_path: wasm });
    } catch (e) {
      if (e !== refused) console.warn('[Affitor] the wasm did not start: its JavaScript build takes over:', e);
      try {
        await start(await files.fallback());
      } catch (e2) {
        giveUp('[Affitor] the tracker could not load:', e2);
      }
    }
  })();

  async function start(m, init) {
    await m.default(init);
    run(m);
  }
  return api;
}

// The page's fetch may throw, hang or resolve to anything: the glue then fails (or the load
// timeout ends it), never the page.
function fetchWasm(url) {
  try {
    return fetch(url);
  } catch (e) {
    return P.reject(e);
  }
}

// A page's first Web Lock request waits for the browser to connect it to its lock manager
// (Chromium: 9.7 ms median, 2.1 ms once the page has asked anything of navigator.locks; 30 cold
// pages each, bench/first-lock.mjs). A lead takes two locks before it leaves: asking for the
// list of locks now, while the wasm downloads, takes that wait off its way. Nothing is held or
// changed.
async function warmLocks() {
  try {
    await navigator.locks.query();
  } catch (e) {}
}

// Whether WebAssembly may run here, decided before anything is downloaded: a
// Content-Security-Policy without 'wasm-unsafe-eval' makes every engine refuse (each with its own
// message, so the message is not read; Chromium and Firefox refuse the compile, WebKit only the
// instance, hence both), and some browsers have no WebAssembly at all (iOS Lockdown Mode).
// Returns the reason it may not, after saying it once on the console.
function wasmRefused() {
  try {
    new WebAssembly.Instance(new WebAssembly.Module(new Uint8Array(EMPTY_WASM)));
    return null;
  } catch (e) {
    var missing = typeof WebAssembly !== 'object';
    if (missing) console.warn('[Affitor] no WebAssembly in this browser (iOS Lockdown Mode?): the tracker runs its JavaScript build');
    else console.error("[Affitor] this page's Content-Security-Policy forbids WebAssembly, so the tracker runs its larger JavaScript build: add 'wasm-unsafe-eval' to script-src");
    return e || 'refused';
  }
}

// window.affitor = api. Another script's window.affitor (Affitor's hosted tracker, say) is
// replaced, with a warning; one that cannot be replaced is reported, and the tracker still runs
// window.affitorQueue (and the module entry's functions): no lead is lost silently.
function publish(api) {
  var w = window;
  var old = read(w, 'affitor');
  try {
    w.affitor = api;
  } catch (e) {}
  if (read(w, 'affitor') !== api) {
    console.error('[Affitor] window.affitor is held by another script: reach this tracker through window.affitorQueue (or the module entry)');
  } else if (old) {
    var v = read(old, 'version');
    console.warn('[Affitor] replaced window.affitor of another script' + (typeof v === 'string' ? ' (version ' + v + ')' : '') + ': if that is Affitor\'s hosted tracker, remove its tag');
  }
}
