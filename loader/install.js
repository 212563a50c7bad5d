// Installs window.affitor at once, so calls made now are queued; then loads the tracker and
// hands the calls over. Shared by the script-tag loader (affitor-tracker.js) and the ES module
// entry (module/index.js). All tracking logic lives in the WebAssembly module (or, on a page
// whose Content-Security-Policy forbids WebAssembly, in the same module compiled to JavaScript):
// this file only loads and queues.
//
//   tag      what the tracker reads its data-affitor-* settings from (anything with getAttribute)
//   url      file name → the URL to load it from
//   load     URL → import() of that module
//   version  the tracker's version, for window.affitor.version

// Where signups made before the tracker ran wait, when the page leaves first.
var PENDING = 'affitor_pending';

export function install(tag, url, load, version) {
  var w = window;
  var calls = []; // [method, arguments, resolve] of calls made before the tracker took over
  var ready;
  var api;

  function queued(method) {
    return function () {
      var args = arguments;
      return new Promise(function (resolve) {
        calls.push([method, args, resolve]);
      });
    };
  }

  // The tracker's answers must never throw into the page, whatever happens inside it.
  function safe(f, fallback) {
    return function (a, b, c) {
      try {
        return f(a, b, c);
      } catch (e) {
        console.error('[Affitor]', e);
        return fallback();
      }
    };
  }

  // signup() promises are made here; the tracker resolves them (and never rejects them).
  function promised(f) {
    return function (a, b) {
      return new Promise(function (resolve) {
        safe(f, function () {
          resolve({ ok: false, error: 'internal error' });
        })(a, b, resolve);
      });
    };
  }

  function failed(error) {
    return function () {
      return Promise.resolve({ ok: false, error: error });
    };
  }

  // If the page goes before the tracker runs, its signups wait in localStorage for the next
  // page view, where the tracker sends them: a fast redirect must not lose a lead.
  var kept = false;
  function keep() {
    var saved = [];
    var queue = w.affitorQueue;
    var i;
    for (i = 0; i < calls.length; i++) {
      if (calls[i][0] === 'signup') saved.push([calls[i][1][0], calls[i][1][1], location.href]);
    }
    for (i = 0; Array.isArray(queue) && i < queue.length; i++) {
      if (Array.isArray(queue[i]) && queue[i][0] === 'signup') saved.push([queue[i][1], queue[i][2], location.href]);
    }
    if (!saved.length) return;
    try {
      var before = JSON.parse(localStorage.getItem(PENDING) || '[]');
      localStorage.setItem(PENDING, JSON.stringify(before.concat(saved)));
      kept = true;
    } catch (e) {}
  }
  addEventListener('pagehide', keep);

  // The tracker runs here after all (perhaps back from the back/forward cache).
  function stopKeeping() {
    removeEventListener('pagehide', keep);
    if (kept) {
      try {
        localStorage.removeItem(PENDING);
      } catch (e) {}
    }
  }

  function handOver() {
    for (var i = 0; i < calls.length; i++) calls[i][2](api[calls[i][0]].apply(api, calls[i][1]));
    calls = [];
    ready(api);
  }

  api = w.affitor = {
    version: version,
    signup: queued('signup'),
    trackClick: queued('trackClick'),
    getClickId: function () {
      return null;
    },
    getData: function () {
      return { clickId: null, programId: null, hasAttribution: false, affiliateUrl: null };
    }
  };
  api.ready = new Promise(function (resolve) {
    ready = resolve;
  });

  // The tracker takes over: from now on the page's calls go to it.
  function run(m) {
    stopKeeping();
    m.start(tag, w.affitorQueue, m.wake);
    var queue = (w.affitorQueue = w.affitorQueue || []);
    if (Array.isArray(queue)) {
      queue.push = function () {
        for (var i = 0; i < arguments.length; i++) m.run(arguments[i]);
        return 0;
      };
    }
    api.signup = promised(m.signup);
    api.trackClick = promised(m.trackClick);
    api.getClickId = safe(m.getClickId, function () {
      return null;
    });
    api.getData = safe(m.getData, api.getData);
    handOver();
  }

  // Imports the tracker module `file`, initialises it with `init`, and hands over to it.
  function start(file, init) {
    return load(url(file)).then(function (m) {
      return m.default(init).then(function () {
        run(m);
      });
    });
  }

  start('affitor_tracker.js', { module_or_path: url('affitor_tracker_bg.wasm') })
    .catch(function (e) {
      // A Content-Security-Policy without 'wasm-unsafe-eval' forbids compiling WebAssembly: the
      // same tracker compiled to JavaScript takes over (a larger download, the same behaviour).
      if (!/Content.Security.Policy|unsafe-eval/i.test(e && e.message)) throw e;
      console.error(
        "[Affitor] this page's Content-Security-Policy does not allow WebAssembly, so the tracker runs its larger JavaScript fallback: add 'wasm-unsafe-eval' to its script-src"
      );
      return start('affitor_tracker_fallback.js');
    })
    .catch(function (e) {
      console.error('[Affitor] the tracker could not load: ' + e);
      api.signup = api.trackClick = failed('tracker not loaded');
      handOver();
    });
  return api;
}
