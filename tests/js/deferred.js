// creation-defer-length: the source is a stream whose size the client does not know.
'use strict';
const fs = require('fs');
const tus = require('tus-js-client');
const { base, token, filePath, done, fail } = require('./common');

const upload = new tus.Upload(fs.createReadStream(filePath), {
  endpoint: base + '/api/v1/videos/tus',
  headers: { Authorization: `Bearer ${token}` },
  uploadLengthDeferred: true,
  chunkSize: 200 * 1024,
  metadata: { filename: 'stream.mp4', filetype: 'video/mp4' },
  onError: fail,
  onSuccess: () => done({ url: upload.url }),
});
upload.start();
