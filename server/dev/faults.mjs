// Fault injection: per-endpoint FIFO queues, each lead/click POST consumes one fault; and a delay
// for every CORS preflight.
import { HttpError, isPlainObject } from './http.mjs';

const FAULT_KEYS = new Set(['status', 'retryAfter', 'stallMs', 'drop']);

function parseFault(fault, where) {
  const bad = (why) => new HttpError(400, `${where}: ${why}`);
  if (!isPlainObject(fault)) throw bad('each fault must be an object');
  const keys = Object.keys(fault);
  if (keys.length === 0 || keys.some((k) => !FAULT_KEYS.has(k))) {
    throw bad('a fault has one or more of status, retryAfter, stallMs, drop');
  }
  if ('status' in fault && !(Number.isInteger(fault.status) && fault.status >= 400 && fault.status <= 599)) {
    throw bad('status must be an integer from 400 to 599');
  }
  if ('retryAfter' in fault && !(Number.isInteger(fault.retryAfter) && fault.retryAfter >= 0 && 'status' in fault)) {
    throw bad('retryAfter must be a non-negative integer, given with a status');
  }
  if ('stallMs' in fault && !(Number.isFinite(fault.stallMs) && fault.stallMs >= 0)) {
    throw bad('stallMs must be a non-negative number');
  }
  if ('drop' in fault && fault.drop !== true) throw bad('drop must be true');
  if ('drop' in fault && 'status' in fault) throw bad('a fault cannot both drop and answer a status');
  return { ...fault };
}

export function createFaults() {
  const queues = { lead: [], click: [] };
  let preflightDelayMs = 0;

  return {
    snapshot: () => ({ lead: queues.lead.slice(), click: queues.click.slice(), preflightDelayMs }),
    take: (endpoint) => queues[endpoint].shift() ?? null,
    get preflightDelayMs() {
      return preflightDelayMs;
    },
    /** Validates everything first, so a bad request queues nothing. */
    add(spec) {
      if (!isPlainObject(spec)) throw new HttpError(400, 'Faults must be a JSON object');
      const unknown = Object.keys(spec).filter((k) => !['lead', 'click', 'preflightDelayMs'].includes(k));
      if (unknown.length) throw new HttpError(400, `Unknown fault keys: ${unknown.join(', ')}`);
      const parsed = {};
      for (const endpoint of ['lead', 'click']) {
        if (spec[endpoint] === undefined) continue;
        if (!Array.isArray(spec[endpoint])) throw new HttpError(400, `${endpoint} must be an array of faults`);
        parsed[endpoint] = spec[endpoint].map((f, i) => parseFault(f, `${endpoint}[${i}]`));
      }
      const delay = spec.preflightDelayMs;
      if (delay !== undefined && !(Number.isFinite(delay) && delay >= 0)) {
        throw new HttpError(400, 'preflightDelayMs must be a non-negative number');
      }
      for (const endpoint of Object.keys(parsed)) queues[endpoint].push(...parsed[endpoint]);
      if (delay !== undefined) preflightDelayMs = delay;
    },
    clear() {
      queues.lead = [];
      queues.click = [];
      preflightDelayMs = 0;
    },
  };
}
