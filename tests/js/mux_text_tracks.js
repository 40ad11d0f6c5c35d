// @mux/mux-node's text track methods: createTrack (a WebVTT URL), the asset's tracks until the
// track is ready, deleteTrack. Env: MUX_BASE_URL, MUX_TOKEN_ID, MUX_TOKEN_SECRET, ASSET_ID,
// TRACK_URL. Prints {created, ready, afterDelete}.
'use strict';
const Mux = require('@mux/mux-node').default;
const { done, fail } = require('./common');

async function main() {
  const mux = new Mux({
    tokenId: process.env.MUX_TOKEN_ID,
    tokenSecret: process.env.MUX_TOKEN_SECRET,
    baseURL: process.env.MUX_BASE_URL,
  });
  const assetId = process.env.ASSET_ID;
  const created = await mux.video.assets.createTrack(assetId, {
    url: process.env.TRACK_URL,
    type: 'text',
    text_type: 'subtitles',
    language_code: 'es',
    name: 'Español',
    closed_captions: false,
  });
  let ready = null;
  for (let i = 0; i < 200 && !ready; i++) {
    const asset = await mux.video.assets.retrieve(assetId);
    const track = (asset.tracks || []).find((t) => t.id === created.id);
    if (track && track.status !== 'preparing') ready = track;
    else await new Promise((r) => setTimeout(r, 200));
  }
  await mux.video.assets.deleteTrack(assetId, created.id);
  const after = await mux.video.assets.retrieve(assetId);
  done({ created, ready, afterDelete: (after.tracks || []).map((t) => t.id) });
}

main().catch(fail);
