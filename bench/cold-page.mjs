// A cold page as the bench measures one (and bench/profile.mjs traces one): a new browser
// context, the cache disabled, and `latency` ms added to each response by Chromium's emulation.
// Resolves { context, page, cdp } with CDP's Network and Performance domains on.

/** @param {import('playwright-core').Browser} browser */
export async function coldPage(browser, latency) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false, latency, downloadThroughput: -1, uploadThroughput: -1,
  });
  await cdp.send('Performance.enable');
  return { context, page, cdp };
}
