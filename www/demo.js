// The demo site's own code: the signup form, which calls the tracker the way CONTRACT.md §2
// tells a site to, and the live panel, which shows what the dev collector received.
//
// Everything here is guarded: the tracker may be missing, late or blocked (e.g. by a CSP), and
// the demo must keep working and say so. No inline scripts anywhere, so CSP tests can use a
// strict `script-src 'self'`.

'use strict';

const EVENTS_URL = '/api/v1/dev/events';
const STREAM_URL = '/api/v1/dev/stream';
const SIGNUP_URL = '/demo/api/signup';
const POLL_MS = 2000;
const CLICK_ID_REFRESH_MS = 1000;
const TRACKER_WAIT_MS = 5000;
// The test-mode switch's state; demo-settings.js applies it to the tag before the tracker starts.
const TEST_MODE_KEY = 'affitor-demo-test-mode';

const $ = (id) => document.getElementById(id);

// ---- the tracker ------------------------------------------------------------------------------

/** Resolves to window.affitor once the tracker script has run, or null if it never does. */
function waitForTracker() {
  if (window.affitor) return Promise.resolve(window.affitor);
  const tag = document.querySelector('script[src*="affitor-tracker.js"]');
  return new Promise((resolve) => {
    const done = () => resolve(window.affitor || null);
    if (tag) {
      tag.addEventListener('load', done);
      tag.addEventListener('error', done);
    }
    // The tag may already have failed before this script ran; don't wait forever.
    setTimeout(done, TRACKER_WAIT_MS);
  });
}

async function showTrackerState() {
  const status = $('tracker-status');
  const clickId = $('click-id');
  if (!status || !clickId) return;

  const affitor = await waitForTracker();
  if (!affitor) {
    status.textContent = 'not loaded (is dist/ built?)';
    return;
  }
  const version = affitor.version ? ` v${affitor.version}` : '';
  status.textContent = `starting${version}…`;
  try {
    await affitor.ready;
    status.textContent = `ready${version}`;
  } catch (err) {
    status.textContent = `failed: ${err && err.message ? err.message : err}`;
    return;
  }
  const testLead = $('make-test-lead');
  if (testLead) testLead.disabled = !tagInTestMode();
  // The click id changes when a click is captured after the page loaded, so keep it current.
  const update = () => {
    try {
      clickId.textContent = affitor.getClickId() || 'none';
    } catch (err) {
      clickId.textContent = `error: ${err.message}`;
    }
  };
  update();
  setInterval(update, CLICK_ID_REFRESH_MS);
}

// ---- the signup form --------------------------------------------------------------------------

/** The site's own backend call: create the account, get the new user's id. */
async function createAccount(email, name) {
  const res = await fetch(SIGNUP_URL, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email, name }),
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.error || `HTTP ${res.status}`);
  return body.userId;
}

function setSignupStatus(text, state) {
  const status = $('signup-status');
  status.textContent = text;
  status.dataset.state = state;
}

async function onSignup(event) {
  event.preventDefault();
  const email = $('email').value.trim();
  const name = $('name').value.trim();
  const submit = $('signup-submit');
  submit.disabled = true;
  $('signup-result').textContent = '';
  setSignupStatus('Creating account…', 'pending');

  let userId;
  try {
    userId = await createAccount(email, name);
  } catch (err) {
    setSignupStatus(`Signup failed: ${err.message}`, 'error');
    submit.disabled = false;
    return;
  }

  if ($('redirect').checked) {
    // The "redirect right after signup" variant: fire and forget, then leave the page at once.
    // Getting the lead out anyway is the tracker's job.
    if (window.affitor) {
      window.affitor.signup(userId, email);
    } else {
      window.affitorQueue = window.affitorQueue || [];
      window.affitorQueue.push(['signup', userId, email]);
    }
    location.href = '/welcome';
    return;
  }

  let result;
  try {
    // The contract's snippet, as a site would paste it.
    if (window.affitor) {
      result = await window.affitor.signup(userId, email);
    } else {
      window.affitorQueue = window.affitorQueue || [];
      window.affitorQueue.push(['signup', userId, email]);
    }
  } catch (err) {
    // The contract says this cannot happen; if it does, make it visible instead of hanging.
    console.error('[demo] affitor.signup threw', err);
    result = { ok: false, error: `the tracker threw: ${err && err.message ? err.message : err}` };
  }
  showSignupResult(userId, result);
  submit.disabled = false;
}

function showSignupResult(userId, result) {
  if (result === undefined) {
    setSignupStatus(`Account ${userId} created; lead queued until the tracker loads`, 'queued');
    return;
  }
  $('signup-result').textContent = JSON.stringify(result, null, 2);
  const account = `Account ${userId} created`;
  if (result && result.ok && result.queued) {
    // Accepted by the tracker but not yet by the collector: it keeps trying.
    setSignupStatus(`${account}; lead queued, the tracker will keep sending it`, 'queued');
  } else if (result && result.ok && result.duplicate) {
    setSignupStatus(`${account}; lead already sent from this browser`, 'ok');
  } else if (result && result.ok) {
    const note = result.provisional ? ' (provisional: the program confirms leads from its server)' : '';
    setSignupStatus(`${account}; lead sent${note}`, 'ok');
  } else {
    const why = (result && (result.error || (result.status && `HTTP ${result.status}`))) || 'unknown error';
    setSignupStatus(`${account}; lead not sent: ${why}`, 'error');
  }
}

// ---- test mode ----------------------------------------------------------------------------------

/** Whether this page's tracker runs in test mode (its tag says so). */
function tagInTestMode() {
  const tag = document.querySelector('script[src*="affitor-tracker.js"]');
  return Boolean(tag && tag.getAttribute('data-affitor-test-mode') === 'true');
}

function startTestMode() {
  const toggle = $('test-mode');
  const button = $('make-test-lead');
  const status = $('test-lead-status');
  if (!toggle || !button || !status) return;
  toggle.checked = tagInTestMode();
  $('tracker-mode').textContent = toggle.checked ? 'test mode' : 'live';
  status.textContent = toggle.checked ? '' : 'Turn test mode on to make a test lead from this page.';
  toggle.addEventListener('change', () => {
    try {
      if (toggle.checked) localStorage.setItem(TEST_MODE_KEY, 'true');
      else localStorage.removeItem(TEST_MODE_KEY);
    } catch (err) {
      status.textContent = `Cannot keep the setting: ${err.message}`;
      return;
    }
    // The tracker reads its settings once, when it starts: reload to start it again.
    location.reload();
  });
  button.addEventListener('click', async () => {
    if (!window.affitor) return;
    button.disabled = true;
    // A customer key of its own each time: a second lead for the same customer is a duplicate.
    const key = `test_customer_${Date.now().toString(36)}`;
    status.textContent = `Sending a test lead for ${key}…`;
    const result = await window.affitor.signup(key, `${key}@example.com`);
    status.textContent = result && result.ok
      ? `Test lead sent for ${key}${result.queued ? ' (queued: the tracker keeps sending it)' : ''}.`
      : `Test lead not sent: ${(result && (result.error || result.status)) || 'unknown error'}.`;
    button.disabled = false;
  });
}

// ---- the live panel ---------------------------------------------------------------------------

function createPanel(list) {
  let events = new Map(); // id → log entry, oldest first
  let liveDuringFetch = null; // events pushed by the stream while a full refresh is in flight

  function field(label, value, className) {
    const span = document.createElement('span');
    span.className = `event-field ${className}`;
    const name = document.createElement('span');
    name.className = 'event-label';
    name.textContent = `${label} `;
    const text = document.createElement('code');
    text.textContent = value === null || value === undefined || value === '' ? '—' : String(value);
    span.append(name, text);
    return span;
  }

  function renderEntry(entry) {
    const li = document.createElement('li');
    li.className = `event event-${entry.type}`;
    li.dataset.eventId = entry.id;

    const head = document.createElement('div');
    head.className = 'event-head';
    const type = document.createElement('strong');
    type.className = 'event-type';
    type.textContent = entry.type;
    head.append(type);
    const flags = [entry.test_mode && 'test mode', entry.response && entry.response.provisional && 'provisional'];
    for (const flag of flags.filter(Boolean)) {
      const badge = document.createElement('span');
      badge.className = 'badge';
      badge.textContent = flag;
      head.append(badge);
    }
    const time = document.createElement('time');
    time.className = 'event-time';
    time.dateTime = entry.received_at;
    time.textContent = new Date(entry.received_at).toLocaleTimeString();
    head.append(time);

    const body = entry.body || {};
    const fields =
      entry.type === 'click'
        ? [
            field('partner', entry.response && entry.response.partner_code, 'event-partner'),
            field('click_id', entry.response && entry.response.click_id, 'event-click-id'),
          ]
        : [
            field('customer_key', body.customer_key, 'event-customer-key'),
            field('email', body.email, 'event-email'),
            field('click_id', body.click_id, 'event-click-id'),
          ];
    li.append(head, ...fields);
    return li;
  }

  function render() {
    // Newest first: the event a person just caused is at the top.
    list.replaceChildren(...[...events.values()].reverse().map(renderEntry));
    $('events-empty').hidden = events.size > 0;
  }

  return {
    add(entry) {
      events.set(entry.id, entry);
      if (liveDuringFetch) liveDuringFetch.push(entry);
      render();
    },
    clear() {
      events = new Map();
      render();
    },
    /** Replaces the list with the collector's log, keeping what streamed in meanwhile. */
    async refresh() {
      liveDuringFetch = [];
      try {
        const res = await fetch(EVENTS_URL, { cache: 'no-store' });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        const log = await res.json();
        events = new Map(log.map((e) => [e.id, e]));
        for (const e of liveDuringFetch) events.set(e.id, e);
        render();
      } finally {
        liveDuringFetch = null;
      }
    },
  };
}

// The live panel, the same on every page of the demo.
const PANEL = `
  <div class="panel-header">
    <h2>Events received by the collector</h2>
    <button id="reset-events" type="button">Reset events</button>
  </div>
  <p class="panel-meta">
    Tracker: <span id="tracker-status">loading…</span> (<span id="tracker-mode">live</span>) ·
    Current click id: <code id="click-id">none</code> ·
    Feed: <span id="panel-status">connecting…</span>
  </p>
  <div class="panel-controls">
    <label class="checkbox">
      <input id="test-mode" type="checkbox">
      Test mode: every event is marked as a test (reloads the page)
    </label>
    <button id="make-test-lead" type="button" disabled>Make a test lead</button>
  </div>
  <p id="test-lead-status" class="status" aria-live="polite"></p>
  <ol id="events-list" class="events"></ol>
  <p id="events-empty" class="muted">No events yet.</p>`;

function startPanel() {
  const host = $('events-panel');
  if (!host) return;
  host.innerHTML = PANEL;
  const list = $('events-list');
  const panel = createPanel(list);
  const status = $('panel-status');
  let pollTimer = null;

  const refresh = () =>
    panel.refresh().catch(() => {
      status.textContent = 'collector unreachable';
    });

  // The fallback when server-sent events are unavailable or the stream dropped.
  function startPolling() {
    if (pollTimer) return;
    status.textContent = `polling every ${POLL_MS / 1000} s`;
    refresh();
    pollTimer = setInterval(refresh, POLL_MS);
  }
  function stopPolling() {
    clearInterval(pollTimer);
    pollTimer = null;
  }

  if (typeof EventSource === 'function') {
    const source = new EventSource(STREAM_URL);
    source.addEventListener('open', () => {
      stopPolling();
      status.textContent = 'live';
      refresh(); // catch up on anything sent while disconnected
    });
    source.addEventListener('tracked', (e) => panel.add(JSON.parse(e.data)));
    source.addEventListener('reset', () => panel.clear());
    source.addEventListener('error', startPolling);
  } else {
    startPolling();
  }

  $('reset-events').addEventListener('click', async () => {
    await fetch(EVENTS_URL, { method: 'DELETE' });
    panel.clear();
  });
}

// ---- start ------------------------------------------------------------------------------------

const form = $('signup-form');
if (form) form.addEventListener('submit', onSignup);
startPanel();
startTestMode();
showTrackerState();
