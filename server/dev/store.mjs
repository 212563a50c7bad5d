// The event log: JSON Lines on disk, mirrored in memory, plus the state derived from it (issued
// click ids, customers that already have a lead) so that a restart changes nothing.
import fs from 'node:fs';
import path from 'node:path';
import { isPlainObject } from './http.mjs';

export function createEventStore(dataDir, warn) {
  const file = path.join(dataDir, 'events.jsonl');
  fs.mkdirSync(dataDir, { recursive: true });

  let entries = [];
  let issuedClickIds = new Set();
  let leadCustomers = new Set();
  let lastClickMillis = 0;
  let seq = 0;

  function index(entry) {
    if (entry.type === 'click' && typeof entry.response?.click_id === 'string') {
      issuedClickIds.add(entry.response.click_id);
      const millis = Number(entry.response.click_id.split('_').pop());
      if (Number.isFinite(millis)) lastClickMillis = Math.max(lastClickMillis, millis);
    }
    if (entry.type === 'lead' && !entry.test_mode) {
      const key = leadKey(entry.body);
      if (key) leadCustomers.add(key);
    }
  }

  function load() {
    if (!fs.existsSync(file)) return;
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, i) => {
      if (!line.trim()) return;
      let entry;
      try {
        entry = JSON.parse(line);
      } catch {
        warn(`events.jsonl line ${i + 1} is not JSON; skipped`);
        return;
      }
      if (!isPlainObject(entry) || !['lead', 'click'].includes(entry.type) || !isPlainObject(entry.body)) {
        warn(`events.jsonl line ${i + 1} is not an event; skipped`);
        return;
      }
      entries.push(entry);
      index(entry);
    });
    seq = entries.length;
  }

  load();

  return {
    all: () => entries.slice(),
    newId: () => `evt_${Date.now().toString(36)}_${(++seq).toString(36)}`,
    isIssuedClickId: (id) => issuedClickIds.has(id),
    hasLead: (body) => leadCustomers.has(leadKey(body)),
    /** A click id in the API's `cust_<program>_<millis>` form, unique even within a millisecond. */
    nextClickId(program) {
      lastClickMillis = Math.max(Date.now(), lastClickMillis + 1);
      return `cust_${program}_${lastClickMillis}`;
    },
    append(entry) {
      // Synchronous on purpose: the line is on disk before the client hears "success", and
      // appends never interleave with a reset's truncation.
      fs.appendFileSync(file, JSON.stringify(entry) + '\n');
      entries.push(entry);
      index(entry);
    },
    clear() {
      fs.writeFileSync(file, '');
      entries = [];
      issuedClickIds = new Set();
      leadCustomers = new Set();
    },
  };
}

/** "Already has a lead" is per customer within a program; no customer_key means no such rule. */
function leadKey(body) {
  const customer = customerKeyOf(body);
  if (customer === null) return null;
  return `${body.program_id ?? ''}\u0000${customer}`;
}

/** The customer_key as the API sees it: a string (a number counts), or null when absent/empty. */
export function customerKeyOf(body) {
  const key = body.customer_key;
  if (typeof key === 'number' && Number.isFinite(key)) return String(key);
  if (typeof key === 'string' && key.trim() !== '') return key;
  return null;
}
