#!/usr/bin/env node
/**
 * A tiny webhook receiver for the demo: prints every request it gets (method, path,
 * headers, body) and answers 200. `PORT` (default 4000), `HOST` (default 127.0.0.1).
 */
const http = require('http');

const port = Number(process.env.PORT || 4000);
const host = process.env.HOST || '127.0.0.1';
let count = 0;

http
  .createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      count += 1;
      const body = Buffer.concat(chunks).toString('utf8');
      let pretty = body;
      try {
        pretty = JSON.stringify(JSON.parse(body), null, 2);
      } catch {
        /* not JSON: print as is */
      }
      const headers = Object.entries(req.headers)
        .map(([k, v]) => `    ${k}: ${v}`)
        .join('\n');
      console.log(
        `\n[receiver] #${count} ${new Date().toISOString()} ${req.method} ${req.url}\n${headers}\n  body:\n${pretty.replace(/^/gm, '    ')}`
      );
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ received: count }));
    });
  })
  .listen(port, host, () =>
    console.log(
      `[receiver] listening on http://${host}:${port} — webhook requests will be printed here`
    )
  );
