#!/usr/bin/env node
// `npx affitor-tracker test-lead [--api-base URL] [--program-id ID]`: sends docs/contract.md §6's
// test-mode lead and prints the API's answer, to check an API base (the real API, a first-party
// endpoint, or the dev collector) without a browser. Exit 0 when the API accepts it.
// An AFFITOR_API_KEY in the environment goes along as `Authorization: Bearer`.

import { parseArgs } from 'node:util';

const USAGE = 'usage: affitor-tracker test-lead [--api-base URL] [--program-id ID]';
const DEFAULT_API_BASE = 'https://api.affitor.com';
const TIMEOUT_MS = 10_000;
const EXIT = { ok: 0, refused: 1, usage: 2 };

function usageError(why) {
  console.error(`affitor-tracker: ${why}`);
  console.error(USAGE);
  return EXIT.usage;
}

/** `{ apiBase, programId }` from the command line, or `{ error }`. */
function parse(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { 'api-base': { type: 'string' }, 'program-id': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (err) {
    return { error: err.message };
  }
  const { values, positionals } = parsed;
  if (values.help) return { help: true };
  if (positionals.length !== 1 || positionals[0] !== 'test-lead') {
    return { error: positionals.length ? `unknown command: ${positionals.join(' ')}` : 'no command given' };
  }
  const apiBase = apiBaseOf(values['api-base'] ?? DEFAULT_API_BASE);
  if (!apiBase) return { error: `--api-base must be an http(s) URL: ${values['api-base']}` };
  // §6's example program id; a real check names the program's own.
  const programId = values['program-id'] ?? '42';
  if (!/^\d{1,15}$/.test(programId)) return { error: `--program-id must be digits: ${programId}` };
  return { apiBase, programId };
}

function apiBaseOf(value) {
  try {
    const url = new URL(value);
    if (!['http:', 'https:'].includes(url.protocol) || url.search || url.hash) return null;
    return (url.origin + url.pathname).replace(/\/+$/, '');
  } catch {
    return null;
  }
}

async function testLead({ apiBase, programId }) {
  const url = `${apiBase}/api/v1/track/lead`;
  const headers = { 'Content-Type': 'application/json', Accept: 'application/json' };
  if (process.env.AFFITOR_API_KEY) headers.Authorization = `Bearer ${process.env.AFFITOR_API_KEY}`;
  const body = {
    click_id: 'test_lead_001',
    customer_key: 'test_customer',
    additional_data: { test_mode: true, program_id: programId },
  };
  console.log(`POST ${url} (test mode, program ${programId})`);
  let res;
  try {
    res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (err) {
    const why = err.name === 'TimeoutError' ? `no answer within ${TIMEOUT_MS} ms` : (err.cause?.code ?? err.message);
    console.error(`affitor-tracker: the API could not be reached: ${why}`);
    return EXIT.refused;
  }
  const text = await res.text();
  console.log(`${res.status} ${text}`);
  let answer;
  try {
    answer = JSON.parse(text);
  } catch {
    answer = null;
  }
  if (res.ok && answer?.success === true) {
    console.log('test lead accepted');
    return EXIT.ok;
  }
  console.error('affitor-tracker: the test lead was not accepted');
  return EXIT.refused;
}

async function main(argv) {
  const args = parse(argv);
  if (args.help) {
    console.log(USAGE);
    return EXIT.ok;
  }
  if (args.error) return usageError(args.error);
  return testLead(args);
}

process.exitCode = await main(process.argv.slice(2));
