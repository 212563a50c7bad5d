// Installs window.affitor at once, so calls made now are queued; loads the tracker when the page
// has work for it, and hands the calls over. Shared by the script tag (affitor-tracker.js) and
// the ES module entry (module/index.js). All tracking logic lives in the WebAssembly module (or,
// where WebAssembly cannot run, in the same module compiled to JavaScript): the loader only
// records, loads, queues and hands over, and never throws into the page. By concern:
//
//   guest.js     reading the page's data without trusting it
//   settings.js  the tag's attributes with init()'s options over them
//   landings.js  the landing and the same-document navigations
//   work.js      whether the page has work now (the lazy start)
//   queue.js     window.affitorQueue
//   leaving.js   what waits in localStorage when the page goes before the tracker ran
//   loading.js   the wasm, or its JavaScript build
//   install.js   window.affitor, and the hand-over (this file)
//
//   tag      what the tracker reads its data-affitor-* settings from (anything with getAttribute)
//   version  the tracker's version, for window.affitor.version
//   files    { wasm: the wasm's URL, glue: the wasm-bindgen glue (a module namespace),
//              fallback: () => import() of the JavaScript build,
//              diagnose: () => import() of diagnose()'s module (loader/diagnose.js),
//              handoff: () => import() of the hand-off wasm's glue (loader/handoff-module.js) }

import { P, inert, isArray, read, stored } from './guest.js';
import { follow, record } from './landings.js';
import { PENDING, keepOnLeaving } from './leaving.js';
import { load } from './loading.js';
import { copyQueue, take, watch } from './queue.js';
import { programId, settings, tracked } from './settings.js';
import { capturable, handedOver, hasWork } from './work.js';

export { P, settings };

// Marks this tracker on window: a second copy of the tag (or the module's init()) finds it.
var MARK = Symbol.for('affitor.tracker');
// On that tracker: what a second tag calls with its own settings (see configure()).
var AGAIN = Symbol.for('affitor.again');
var OUTBOX = 'affitor_outbox';

/** The tracker this page runs (from the tag or the module), or undefined. */
export function installed() {
  return window[MARK];
}

function notLoaded() {
  return inert({ ok: false, error: 'tracker not loaded' });
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
  var config = tracked(tag);
  // What the loader holds for the tracker until it runs (leaving.js keeps it when the page goes):
  // the landings, and the calls made before: [method, a, b, resolve].
  var page = { landings: record(), calls: [], forgotten: false, tracker: null };
  var loading = false;
  var refused = null; // why WebAssembly may not run here
  var gaveUp = false; // the tracker did not load in time (or at all): calls answer at once
  var waiting; // the tracker, waiting for init() (a tag without a program id, see run)
  var waited = false;
  var deferred = false; // work waits for the settings (a tag without a program id, see wake)
  var ready, idle;
  var taken = keepOnLeaving(page);

  // The page's calls: once the tracker runs, they go to it. Before, they wait here (and start
  // the loading); once loading gave up they answer at once, and are still kept: a tracker that
  // arrives late runs them, or the next page view does (leaving.js).
  function method(name) {
    return function (a, b) {
      if (name === 'forget') page.forgotten = true;
      return new P(function (resolve) {
        if (page.tracker) return call(name, a, b, resolve);
        page.calls[page.calls.length] = [name, a, b, resolve];
        if (gaveUp) resolve(notLoaded());
        wake();
      });
    };
  }

  var api = {
    version: version,
    signup: method('signup'),
    trackClick: method('trackClick'),
    forget: method('forget'),
    // Before the tracker runs (on a page with nothing to track, it may not run at all), the click
    // id is read from its cookie, as the tracker reads it: affitor_click_id, else the legacy
    // customer_code.
    getClickId: function () {
      return cookie('affitor_click_id') || cookie('customer_code');
    },
    getData: function () {
      var id = api.getClickId();
      var p;
      try {
        // (The program id as the tracker writes it: src/config.rs program_id.)
        p = /^\s*(\d{1,15})\s*$/.exec(programId(config.now()));
      } catch (e) {} // a window.AFFITOR_PROGRAM_ID whose text throws
      return { clickId: id, programId: p ? String(+p[1]) : null, hasAttribution: !!id, affiliateUrl: cookie('affitor_aff_url') };
    }
  };
  var whenReady = new P(function (resolve) {
    ready = function () {
      idle();
      resolve(inert(api));
    };
  });
  // Asking for `ready` is a call: the tracker starts, and it resolves once it runs the calls.
  try {
    Object.defineProperty(api, 'ready', {
      enumerable: true,
      get: function () {
        wake();
        return whenReady;
      }
    });
  } catch (e) {}
  // The hosted tracker's init(options): before the start its options apply over the tag's
  // attributes. After the start, or naming another program id or API base than the tag (or an
  // earlier init) does, it changes nothing, and configure() says so. It resolves once the
  // tracker runs, or at once on a page with nothing to track yet (the tracker starts at its
  // first call).
  var started = new P(function (resolve) {
    idle = resolve;
  });
  api.init = function (o) {
    config.configure(o, 0, page.tracker);
    if (waiting) go(waiting);
    if (deferred) wake();
    check(); // (a list of other sites, with a click id held, is work)
    return started;
  };
  // affitor.diagnose(options?): its checks load only when it is called (loader/diagnose.js); an
  // async function, so it never throws and its Promise is the engine's own.
  // (Its argument is diagnose()'s own options: the settings are init()'s `options` over the tag.)
  api.diagnose = async function (o) {
    try {
      return await (await files.diagnose()).diagnose(o, function () {
        return { m: page.tracker, files: files, refused: refused, gaveUp: gaveUp, tag: config.now(), el: tag, api: api };
      });
    } catch (e) {
      var message = 'diagnose() could not load affitor-tracker-diagnose.js: ' + e;
      console.error('[Affitor] ' + message);
      return { ok: false, checks: [{ id: 'diagnose', ok: false, level: 'error', message: message }] };
    }
  };
  try {
    Object.defineProperty(w, MARK, { value: api });
    Object.defineProperty(api, AGAIN, {
      value: function (t) {
        config.configure(0, t);
      }
    });
  } catch (e) {}
  publish(api);

  follow(page.landings, function (entry) {
    if (page.tracker) page.tracker.navigated(entry);
    else if (capturable(entry[0])) wake();
  });

  // Calls into the tracker: it resolves `resolve` (never rejects), and never throws into the page.
  function call(name, a, b, resolve) {
    try {
      page.tracker[name](a, b, function (r) {
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
    if (page.tracker) return;
    var queue = read(w, 'affitorQueue');
    var list = copyQueue(queue);
    if (!list && queue != null) console.warn('[Affitor] window.affitorQueue is not an array, so its entries cannot be run');
    var rest = [];
    for (var i = 0; list && i < list.length; i++) {
      if (isArray(list[i]) && list[i][0] === 'init') config.configure(list[i][1]);
      else rest[rest.length] = list[i];
    }
    var now = config.now();
    if (!waited && programId(now) == null && document.readyState !== 'complete') {
      waited = true;
      waiting = m;
      addEventListener('load', function () {
        go(m);
      });
      return;
    }
    waiting = null;
    taken();
    m.start(now, rest, page.landings);
    page.tracker = m;

    // Entries pushed from now on run at once.
    take(function (entry) {
      if (entry && entry[0] === 'init') api.init(entry[1]);
      else m.run(entry);
    });
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
    var calls = page.calls;
    page.calls = [];
    for (i = 0; i < calls.length; i++) call(calls[i][0], calls[i][1], calls[i][2], calls[i][3]);
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
    if (page.tracker || gaveUp) return;
    gaveUp = true;
    if (e === undefined) console.error(message);
    else console.error(message, e); // as an argument: whatever was thrown, logging cannot throw
    for (var i = 0; i < page.calls.length; i++) page.calls[i][3](notLoaded());
    ready();
  }

  // Loads the tracker, once: at once on a page with work, else at the page's first call or
  // when work appears (work.js).
  function wake() {
    if (loading) return;
    var list = copyQueue(read(w, 'affitorQueue'));
    // A tag with no program id (Google Tag Manager may drop its attributes) starts only once
    // init() or the load event came (run): its settings, the list of other sites included, come
    // with init(), so the choice of wasm waits for them too.
    if (programId(queued(list)) == null && document.readyState !== 'complete') {
      if (!deferred) addEventListener('load', wake);
      deferred = true;
      return;
    }
    loading = true;
    var ms = read(read(w, 'AFFITOR_TEST_TIMINGS') || {}, 'loadTimeoutMs');
    // The hand-off's wasm where the page hands the click over (a list of other sites) or adopts
    // one another site handed over.
    var handoff = domains(list) || page.landings.some(function (l) {
      return handedOver(read(l, 0));
    });
    refused = load(files, run, giveUp, typeof ms === 'number' && ms >= 0 ? ms : 10000, handoff);
  }
  // The settings with the options of a queued ['init', options] over them (`list`: the queue's
  // entries; run() applies those options when the tracker starts).
  function queued(list) {
    var o = {};
    for (var i = 0; list && i < list.length; i++) if (isArray(list[i]) && list[i][0] === 'init') o = list[i][1];
    return settings(o, config.now());
  }
  // The business's other sites, if listed: the tag's, init()'s, or a queued init()'s.
  function domains(list) {
    return queued(list).getAttribute('data-affitor-domains');
  }
  // Whether the page has work now: its landings, its queue, what earlier pages left, a click id
  // to hand over on links to the business's other sites.
  // (Run from the page's push and from listeners: it never throws.)
  function check() {
    try {
      if (loading) return;
      var list = copyQueue(read(w, 'affitorQueue'));
      if (hasWork(page.landings, list, [stored(OUTBOX), stored(PENDING)]) || (domains(list) && api.getClickId())) wake();
    } catch (e) {
      console.error('[Affitor]', e);
    }
  }

  check();
  if (!loading) {
    // Nothing to track yet: init() resolves now, and the tracker starts when work appears: a
    // call, a queued call, an address with a click, what another tab left in the outbox when
    // this page comes back from the back/forward cache. A page that fills window.affitorQueue
    // after the tag is checked again at load. (A tag without a program id is reported by the
    // tracker when it starts, and by diagnose().)
    idle();
    watch(check);
    addEventListener('pageshow', function (e) {
      if (read(e, 'persisted')) check(); // (the first pageshow comes with load, checked below)
    });
    addEventListener('load', check);
  }
  return api;
}

// The cookie `name`'s decoded value, or null.
function cookie(name) {
  try {
    var m = document.cookie.match('(?:^|; )' + name + '=([^;]*)');
    return m && m[1] ? decodeURIComponent(m[1]) : null;
  } catch (e) {
    return null;
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
