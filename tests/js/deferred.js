// creation-defer-length: the source is a stream whose size the client does not know (here a
// PassThrough fed in pieces, as a recorder would; the total is not a multiple of chunkSize,
// see tus-js-client#779).
'use strict';
const fs = require('fs');
const { PassThrough } = require('stream');
const tus = require('tus-js-client');
const { base, token, filePath, done, fail } = require('./common');

const input = new PassThrough();
const data = fs.readFileSync(filePath);
for (let i = 0; i < data.length; i += 50000) input.write(data.subarray(i, i + 50000));
input.end();

const upload = new tus.Upload(input, {
  endpoint: base + '/api/v1/videos/tus',
  headers: { Authorization: `Bearer ${token}` },
  uploadLengthDeferred: true,
  chunkSize: 200 * 1024,
  metadata: { filename: 'stream.mp4', filetype: 'video/mp4' },
  onError: fail,
  onSuccess: () => done({ url: upload.url }),
});
upload.start();
