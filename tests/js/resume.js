// Resume from a stored URL: upload part, abort, then a new Upload with uploadUrl finishes it.
'use strict';
const tus = require('tus-js-client');
const { base, token, done, fail, readFile } = require('./common');

const file = readFile();
const options = {
  headers: { Authorization: `Bearer ${token}` },
  chunkSize: 256 * 1024,
  metadata: { filename: 'resumed.mp4', filetype: 'video/mp4' },
  onError: fail,
};

let aborted = false;
const first = new tus.Upload(file, {
  ...options,
  endpoint: base + '/api/v1/videos/tus',
  onChunkComplete: (chunk, uploaded) => {
    if (!aborted && uploaded >= 2 * 256 * 1024) {
      aborted = true;
      first.abort().then(() => resume(first.url, uploaded)).catch(fail);
    }
  },
  onSuccess: () => fail('the first upload was not interrupted'),
});
first.start();

async function resume(storedUrl, uploadedBefore) {
  const head = await fetch(storedUrl, {
    method: 'HEAD',
    headers: { Authorization: `Bearer ${token}`, 'Tus-Resumable': '1.0.0' },
  });
  const offsetAtResume = Number(head.headers.get('upload-offset'));
  const second = new tus.Upload(file, {
    ...options,
    uploadUrl: storedUrl,
    onSuccess: () => done({ url: second.url, stored_url: storedUrl,
                            uploaded_before: uploadedBefore, offset_at_resume: offsetAtResume }),
  });
  second.start();
}
