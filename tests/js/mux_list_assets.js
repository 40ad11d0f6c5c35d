// @mux/mux-node's auto-pagination over assets.list() (a CursorPage: it follows next_cursor).
'use strict';
const Mux = require('@mux/mux-node').default;
const { done, fail } = require('./common');

async function main() {
  const mux = new Mux({
    tokenId: process.env.MUX_TOKEN_ID,
    tokenSecret: process.env.MUX_TOKEN_SECRET,
    baseURL: process.env.MUX_BASE_URL,
  });
  const ids = [];
  for await (const asset of mux.video.assets.list({ limit: Number(process.env.PAGE_LIMIT) })) {
    ids.push(asset.id);
  }
  const first = await mux.video.assets.list({ limit: Number(process.env.PAGE_LIMIT) });
  done({ ids, firstPage: first.data.map((a) => a.id), hasNext: first.hasNextPage() });
}

main().catch(fail);
