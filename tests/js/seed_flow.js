// Seed 003's usage example, as written: init -> tus.Upload({endpoint: upload_url}) -> complete.
// Node has no browser File and no page origin, so `file` is a Buffer and fetch URLs get the
// server's base; everything else is the seed's code.
'use strict';
const tus = require('tus-js-client');
const { base, token, done, fail, readFile } = require('./common');

async function main() {
  const file = readFile();
  const sessionId = process.env.SESSION_ID;
  const videoDuration = 2;
  const response = await fetch(base + '/api/v1/videos/upload/init', {
    method: 'POST',
    headers: {
      'Authorization': `Bearer ${token}`,
      'Content-Type': 'application/json'
    },
    body: JSON.stringify({
      session_id: sessionId,
      filename: 'practice_video.mp4',
      file_size: file.length,
      duration_seconds: videoDuration
    })
  });
  const { upload_url, upload_id: uploadId } = await response.json();
  const progress = [];
  const upload = new tus.Upload(file, {
    endpoint: upload_url,
    retryDelays: [0, 3000, 5000, 10000, 20000],
    metadata: {
      filename: 'practice_video.mp4',
      filetype: 'video/mp4',
      session_id: sessionId
    },
    headers: {
      'Authorization': `Bearer ${token}`
    },
    chunkSize: Number(process.env.CHUNK_SIZE || 5242880),
    onError: (error) => fail(error),
    onProgress: (bytesUploaded, bytesTotal) => {
      progress.push((bytesUploaded / bytesTotal * 100).toFixed(2));
    },
    onSuccess: async () => {
      const res = await fetch(base + '/api/v1/videos/upload/complete', {
        method: 'POST',
        headers: {
          'Authorization': `Bearer ${token}`,
          'Content-Type': 'application/json'
        },
        body: JSON.stringify({ upload_id: uploadId })
      });
      done({ upload_id: uploadId, upload_url, tus_url: upload.url, progress,
             complete_status: res.status, complete: await res.json() });
    }
  });
  upload.start();
}

main().catch(fail);
