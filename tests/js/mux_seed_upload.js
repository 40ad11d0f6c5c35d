// Seed 002's createMuxUploadUrl, as written, with only the base URL changed
// ('https://api.mux.com' -> MUX_BASE_URL); then the file is PUT to the URL it returned.
'use strict';
const { done, fail, readFile } = require('./common');

async function createMuxUploadUrl(params) {
  const response = await fetch(`${process.env.MUX_BASE_URL}/video/v1/uploads`, {
    method: 'POST',
    headers: {
      'Authorization': `Basic ${Buffer.from(
        `${process.env.MUX_TOKEN_ID}:${process.env.MUX_TOKEN_SECRET}`
      ).toString('base64')}`,
      'Content-Type': 'application/json',
    },
    body: JSON.stringify({
      cors_origin: process.env.NEXT_PUBLIC_APP_URL,
      new_asset_settings: {
        playback_policy: ['public'],
        mp4_support: 'standard',
        master_access: 'temporary',
      },
    }),
  });

  if (!response.ok) {
    throw new Error('Failed to create Mux upload URL');
  }

  const data = await response.json();

  return {
    videoId: data.data.id,
    uploadUrl: data.data.url,
    provider: 'mux',
    assetId: data.data.asset_id,
  };
}

async function main() {
  const upload = await createMuxUploadUrl({ userId: 'u1', filename: 'clip.mp4' });
  const put = await fetch(upload.uploadUrl, { method: 'PUT', body: readFile() });
  done({ ...upload, putStatus: put.status });
}

main().catch(fail);
