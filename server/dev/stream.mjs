// Server-sent events for the demo's live panel.

const SSE_PING_MS = 15_000;

export function createSseHub() {
  const clients = new Set();
  const ping = setInterval(() => broadcastRaw(': ping\n\n'), SSE_PING_MS);
  ping.unref();

  function broadcastRaw(text) {
    for (const res of clients) res.write(text);
  }

  return {
    attach(res) {
      res.writeHead(200, {
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-store',
        Connection: 'keep-alive',
      });
      res.write('retry: 2000\n\n');
      clients.add(res);
      res.on('close', () => clients.delete(res));
    },
    send: (event, data) => broadcastRaw(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`),
    closeAll() {
      clearInterval(ping);
      for (const res of clients) res.end();
      clients.clear();
    },
  };
}
