// Small helpers the other parts share: JSON answers and bodies, the Cookie header, addresses.

export const json = (status, value, headers = {}) =>
  new Response(JSON.stringify(value), {
    status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...headers },
  });

export const isPlainObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

// A malformed escape keeps the raw value rather than losing the cookie.
function decode(value) {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** A Cookie header as a Map of decoded values; the first of two same-named cookies wins, as in browsers. */
export function parseCookies(header) {
  const jar = new Map();
  if (typeof header !== 'string') return jar;
  for (const pair of header.split(';')) {
    const at = pair.indexOf('=');
    if (at < 0) continue;
    const name = pair.slice(0, at).trim();
    let value = pair.slice(at + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (name && !jar.has(name)) jar.set(name, decode(value));
  }
  return jar;
}

export const nonEmpty = (v) => (typeof v === 'string' && v.trim() !== '' ? v : null);

/** The first address of an X-Forwarded-For-style list, or null. */
export const firstOfList = (value) => (typeof value === 'string' ? value.split(',')[0].trim().toLowerCase() || null : null);

/** IPv4 seen through an IPv6 socket ("::ffff:1.2.3.4") as the IPv4 address it is. */
export const plainAddress = (address) => address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
