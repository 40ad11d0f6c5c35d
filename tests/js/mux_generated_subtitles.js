// @mux/mux-node: a direct upload whose new_asset_settings.input asks for generated
// subtitles, the file PUT to its URL, then generateSubtitles on the asset's audio track
// once the asset is ready (the same language: the track already there is answered).
'use strict';
const Mux = require('@mux/mux-node').default;
const { done, fail, readFile } = require('./common');

async function main() {
  const mux = new Mux({
    tokenId: process.env.MUX_TOKEN_ID,
    tokenSecret: process.env.MUX_TOKEN_SECRET,
    baseURL: process.env.MUX_BASE_URL,
  });
  const upload = await mux.video.uploads.create({
    cors_origin: '*',
    new_asset_settings: {
      playback_policy: ['public'],
      input: [{ generated_subtitles: [{ language_code: 'en', name: 'English (generated)' }] }],
    },
  });
  const put = await fetch(upload.url, { method: 'PUT', body: readFile() });
  let assetId = null;
  for (let i = 0; i < 600 && !assetId; i++) {
    assetId = (await mux.video.uploads.retrieve(upload.id)).asset_id || null;
    if (!assetId) await new Promise((r) => setTimeout(r, 200));
  }
  let asset = await mux.video.assets.retrieve(assetId);
  for (let i = 0; i < 600 && asset.status === 'preparing'; i++) {
    await new Promise((r) => setTimeout(r, 300));
    asset = await mux.video.assets.retrieve(assetId);
  }
  const audio = asset.tracks.find((t) => t.type === 'audio');
  const generated = await mux.video.assets.generateSubtitles(assetId, audio.id, {
    generated_subtitles: [{ language_code: 'en' }],
  });
  done({
    putStatus: put.status,
    assetId,
    status: asset.status,
    textTracks: asset.tracks.filter((t) => t.type === 'text'),
    generated,
  });
}

main().catch(fail);
