// termination: start an upload, then abort(true), which sends DELETE to the upload URL.
'use strict';
const tus = require('tus-js-client');
const { base, token, done, fail, readFile } = require('./common');

const file = readFile();
let stopped = false;
const upload = new tus.Upload(file, {
  endpoint: base + '/api/v1/videos/tus',
  headers: { Authorization: `Bearer ${token}` },
  chunkSize: 128 * 1024,
  metadata: { filename: 'terminated.mp4' },
  onError: fail,
  onChunkComplete: () => {
    if (stopped) return;
    stopped = true;
    const url = upload.url;
    upload.abort(true).then(() => done({ url }), fail);
  },
  onSuccess: () => fail('the upload finished before it was terminated'),
});
upload.start();
