/* A plain-JavaScript tracker of the same job as affitor-tracker.js on its normal path, the
   baseline of `npm run bench` (scripts/bench.mjs); not shipped. It reads the tag's settings,
   captures an `?aff=` click, runs window.affitorQueue, and POSTs each signup as the lead body of
   CONTRACT §4 with fetch keepalive. No outbox, retries or locks: the fastest honest tracker. */
(function (w, d) {
  if (w.affitor && w.affitor.version) return;
  var tag = d.currentScript;
  function attr(name) {
    return (tag && tag.getAttribute(name)) || null;
  }
  var program = attr('data-affitor-program-id') || w.AFFITOR_PROGRAM_ID || null;
  var programId = program !== null && /^\d+$/.test(String(program)) ? Number(program) : null;
  var api = (attr('data-affitor-api-base') || 'https://api.affitor.com').replace(/\/+$/, '');
  var debug = attr('data-affitor-debug') === 'true';
  var testMode = attr('data-affitor-test-mode') === 'true';
  var sessionId = 's_' + Date.now().toString(36) + '_' + Math.random().toString(36).slice(2, 10);

  function cookie(name) {
    var m = d.cookie.match(new RegExp('(?:^|; )' + name + '=([^;]*)'));
    return m ? decodeURIComponent(m[1]) : null;
  }
  function setCookie(name, value, days) {
    d.cookie = name + '=' + encodeURIComponent(value) + '; path=/; max-age=' + days * 86400 + '; SameSite=Lax' +
      (location.protocol === 'https:' ? '; Secure' : '');
  }
  function extra() {
    return testMode ? { test_mode: true, program_id: program } : {};
  }
  function post(path, body) {
    return fetch(api + path, {
      method: 'POST',
      keepalive: true,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        return { ok: r.ok, status: r.status, body: j };
      });
    }, function (e) {
      return { ok: false, error: String(e) };
    });
  }

  function signup(key, email) {
    if (key && typeof key === 'object') {
      email = key.email;
      key = key.customerKey !== undefined ? key.customerKey : key.customer_key;
    }
    if (typeof key === 'number' && isFinite(key)) key = String(key);
    key = typeof key === 'string' && key.trim() ? key.trim() : null;
    var clickId = cookie('affitor_click_id') || cookie('customer_code');
    if (!key && !clickId) return Promise.resolve({ ok: false, error: 'customer key or click id required' });
    email = typeof email === 'string' && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email.trim()) ? email.trim() : null;
    var history = cookie('affitor_click_ids');
    return post('/api/v1/track/lead', {
      click_id: clickId,
      customer_key: key,
      email: email,
      click_ids: history ? history.split('|').slice(-20) : [],
      program_id: programId,
      page_url: location.href,
      session_id: sessionId,
      has_attribution: !!clickId,
      debug_mode: debug,
      additional_data: extra()
    });
  }

  function trackClick(url) {
    var href = url || location.href;
    var partner = new URL(href, location.href).searchParams.get('aff');
    if (!partner) return Promise.resolve({ ok: false, error: 'no aff parameter' });
    var existing = cookie('affitor_click_id');
    return post('/api/v1/track/click', {
      affiliate_url: href,
      page_url: location.href,
      page_title: d.title,
      referrer_url: d.referrer || null,
      session_id: sessionId,
      user_agent: navigator.userAgent,
      screen_resolution: screen.width + 'x' + screen.height,
      viewport_size: innerWidth + 'x' + innerHeight,
      language: navigator.language,
      timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
      existing_click_id: existing || undefined,
      program_id: programId,
      additional_data: extra()
    }).then(function (r) {
      var id = r.body && r.body.click_id;
      if (id) {
        var days = r.body.cookie_window_days || 60;
        var ids = (cookie('affitor_click_ids') || '').split('|').filter(Boolean).concat(id).slice(-20);
        setCookie('affitor_click_id', id, days);
        setCookie('customer_code', id, days);
        setCookie('affitor_click_ids', ids.join('|'), days);
        setCookie('affitor_aff_url', href.split('#')[0], days);
      }
      return r;
    });
  }

  function run(entry) {
    if (!Array.isArray(entry)) return;
    if (entry[0] === 'signup') signup(entry[1], entry[2]);
    else if (entry[0] === 'trackClick') trackClick(entry[1]);
  }

  w.affitor = {
    version: 'baseline',
    signup: signup,
    trackClick: trackClick,
    getClickId: function () { return cookie('affitor_click_id'); },
    ready: Promise.resolve()
  };
  if (new URLSearchParams(location.search).has('aff')) trackClick();
  var queue = Array.isArray(w.affitorQueue) ? w.affitorQueue : [];
  var entries = queue.splice(0, queue.length);
  queue.push = function () {
    for (var i = 0; i < arguments.length; i++) run(arguments[i]);
    return 0;
  };
  w.affitorQueue = queue;
  for (var i = 0; i < entries.length; i++) run(entries[i]);
})(window, document);
