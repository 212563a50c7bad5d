// The tracker's settings: the script tag's data-affitor-* attributes, with init()'s options
// over them. The tracker reads them as it reads a tag (`getAttribute(name)`), and validates them
// (src/config.rs); here they are only gathered.

import { read } from './guest.js';

// init()'s options, by the script tag attribute each stands for: one line per option, for the
// tag's init() and the module's alike.
var OPTIONS = {
  'data-affitor-program-id': 'programId',
  'data-affitor-api-base': 'apiBase',
  'data-affitor-debug': 'debug',
  'data-affitor-test-mode': 'testMode',
  'data-affitor-cookie-domain': 'cookieDomain',
  'data-affitor-timeout': 'timeout',
  'data-affitor-domains': 'domains'
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
      try {
        return v === true ? 'true' : String(v);
      } catch (e) {
        return null; // an option whose text throws (a hostile toString) counts as none
      }
    }
  };
}

/** The program id `t` names (as written), else the page's window.AFFITOR_PROGRAM_ID. */
export function programId(t) {
  return t.getAttribute('data-affitor-program-id') || t.getAttribute('data-affitor-program') || read(window, 'AFFITOR_PROGRAM_ID');
}

/**
 * The settings of the tracker of `tag`: `now()` reads them; `configure(o, second, started)`
 * takes init()'s options `o` over the tag's, before the start. `second`: a second tag (or the
 * module's later init()), which changes nothing. What a call that changes nothing asks
 * otherwise than this tracker is named in one warning; another program id or API base than the
 * tag (or an earlier init) names is a clash, both named (a leftover tag).
 */
export function tracked(tag) {
  var options = {};
  function now() {
    return settings(options, tag);
  }
  function configure(o, second, started) {
    try {
      var other = second || settings(o || {});
      var mine = now();
      var names = [];
      var clash, k, v;
      for (k in OPTIONS) {
        v = other.getAttribute(k);
        if (v != null && v !== mine.getAttribute(k)) {
          names[names.length] = OPTIONS[k];
          if (/program|api/.test(k) && mine.getAttribute(k) != null) clash = 1;
        }
      }
      if (!(second || started || clash)) {
        for (k in OPTIONS) if (other.getAttribute(k) != null) options[OPTIONS[k]] = o[OPTIONS[k]];
      } else if (names.length) {
        console.warn('[Affitor] ignored, the tracker keeps its settings: ' + names.join(', ') +
          (/program|api/i.test(names) ? ' (it runs program ' + about(mine) + '; the other tag or init() names program ' + about(other) + ': remove the leftover)' : ''));
      }
    } catch (e) {}
  }
  return { now: now, configure: configure };
}

function about(t) {
  return programId(t) + ' at ' + (t.getAttribute('data-affitor-api-base') || 'https://api.affitor.com');
}
