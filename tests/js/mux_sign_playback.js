// @mux/mux-node signs a playback token with its own jwt.signPlaybackId (it puts `kid` in the
// payload, not the header); the signed playback id's HLS master is fetched with it.
'use strict';
const Mux = require('@mux/mux-node').default;
const { done, fail } = require('./common');

async function main() {
  const mux = new Mux({
    tokenId: 'unused',
    tokenSecret: 'unused',
    jwtSigningKey: process.env.MUX_SIGNING_KEY,
    jwtPrivateKey: process.env.MUX_PRIVATE_KEY,
  });
  const pid = process.env.PLAYBACK_ID;
  const token = await mux.jwt.signPlaybackId(pid, { type: 'video', expiration: '10m' });
  const thumb = await mux.jwt.signPlaybackId(pid, { type: 'thumbnail' });
  const [, payload] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  const header = JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString());
  const base = process.env.MUX_BASE_URL;
  const master = await fetch(`${base}/${pid}.m3u8?token=${token}`);
  const image = await fetch(`${base}/${pid}/thumbnail.jpg?token=${thumb}`);
  done({ token, claims, header, masterStatus: master.status, thumbnailStatus: image.status });
}

main().catch(fail);
