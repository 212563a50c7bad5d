// trackLead(): a lead sent by the site's backend (Affitor's Lead API), with the program's API
// key as a Bearer token and the docs/contract.md §4 body, the click id read from the visitor's
// Cookie header. It answers with the result object of the browser's signup().

import { COOKIE } from './cookies.js';
import { deliver } from './delivery.js';
import { nonEmpty, parseCookies } from './http.js';
import { leadOptions } from './options.js';
import { checkEmail, historyOf } from './rules.js';

const CUSTOMER_KEY_MAX = 256;

/** Resolves the result object of `signup()`; never throws, never rejects. */
export async function trackLead(input, options, userAgent) {
  try {
    return await sendLead(input ?? {}, options ?? {}, userAgent);
  } catch (err) {
    return { ok: false, error: `trackLead failed: ${err?.message ?? err}` };
  }
}

async function sendLead(input, options, userAgent) {
  const apiKey = nonEmpty(options.apiKey);
  if (!apiKey) return { ok: false, error: 'trackLead needs options.apiKey (the program API key); no lead was sent' };

  const lead = leadBody(input, options);
  if (lead.error) return { ok: false, error: lead.error };

  const opts = leadOptions(options);
  const request = {
    url: `${opts.apiBase}/api/v1/track/lead`,
    headers: {
      'Content-Type': 'application/json',
      Accept: 'application/json',
      Authorization: `Bearer ${apiKey}`,
      'User-Agent': userAgent,
    },
    body: JSON.stringify(lead.body),
  };
  return deliver(request, opts);
}

/** `{ body }` of docs/contract.md §4 from trackLead's input, or `{ error }` when it cannot be sent. */
function leadBody(input, options) {
  const jar = parseCookies(input.cookie);
  const clickId = nonEmpty(input.clickId) ?? nonEmpty(jar.get(COOKIE.clickId)) ?? nonEmpty(jar.get(COOKIE.legacy));

  let customerKey = null;
  if (typeof input.customerKey === 'number' && Number.isFinite(input.customerKey)) customerKey = String(input.customerKey);
  else if (nonEmpty(input.customerKey)) customerKey = input.customerKey;
  else if (input.customerKey !== undefined && input.customerKey !== null) {
    return { error: 'customerKey must be a non-empty string or a finite number; no lead was sent' };
  }
  if (customerKey !== null && customerKey.length > CUSTOMER_KEY_MAX) {
    return { error: `customerKey is longer than ${CUSTOMER_KEY_MAX} characters; no lead was sent` };
  }
  if (clickId === null && customerKey === null) {
    return { error: 'trackLead needs a click id (the visitor\'s cookie, or clickId) or a customerKey; no lead was sent' };
  }

  const programId = programIdOf(options.programId);
  if (programId === undefined) return { error: 'options.programId must be a program id (digits); no lead was sent' };

  return {
    body: {
      click_id: clickId,
      customer_key: customerKey,
      email: emailOf(input.email),
      click_ids: historyOf(jar.get(COOKIE.clickIds)),
      program_id: programId,
      page_url: nonEmpty(input.pageUrl),
      session_id: `server_${randomId()}`,
      has_attribution: clickId !== null,
      debug_mode: false,
      additional_data: input.testMode === true ? { test_mode: true, program_id: programId } : {},
    },
  };
}

/** A number, null when absent, undefined when it is not a program id. */
function programIdOf(value) {
  if (value === undefined || value === null || value === '') return null;
  const text = String(value).trim();
  return /^\d{1,15}$/.test(text) ? Number(text) : undefined;
}

/** The email to send, or null: a bad email is dropped with a warning and never costs the lead. */
function emailOf(value) {
  const { email, dropped } = checkEmail(value);
  if (dropped) console.warn('[Affitor] trackLead(): the email is not a valid address, sending the lead without it');
  return email;
}

function randomId() {
  const bytes = new Uint8Array(10);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(36).padStart(2, '0')).join('');
}
