// Mux's own Node SDK verifies a delivered webhook: mux.webhooks.unwrap(body, headers, secret).
// WEBHOOK_FILE holds {"body": <raw body>, "headers": {...}}; a tampered copy must be refused.
'use strict';
const fs = require('fs');
const Mux = require('@mux/mux-node').default;
const { done, fail } = require('./common');

async function main() {
  const { body, headers } = JSON.parse(fs.readFileSync(process.env.WEBHOOK_FILE, 'utf8'));
  const mux = new Mux({ tokenId: 'unused', tokenSecret: 'unused' });
  const event = await mux.webhooks.unwrap(body, headers, process.env.MUX_WEBHOOK_SECRET);
  let tamperedRefused = false;
  try {
    await mux.webhooks.unwrap(body.replace('"ready"', '"READY"'), headers, process.env.MUX_WEBHOOK_SECRET);
  } catch (e) {
    tamperedRefused = true;
  }
  done({ type: event.type, id: event.id, object: event.object, data: event.data, tamperedRefused });
}

main().catch(fail);
