// parallelUploads: partial uploads in parallel, then one final concatenation upload.
'use strict';
const tus = require('tus-js-client');
const { base, token, done, fail, readFile } = require('./common');

const file = readFile();
const upload = new tus.Upload(file, {
  endpoint: base + '/api/v1/videos/tus',
  headers: { Authorization: `Bearer ${token}` },
  parallelUploads: 3,
  metadata: { filename: 'parallel.mp4', filetype: 'video/mp4' },
  onError: fail,
  onSuccess: () => done({ url: upload.url }),
});
upload.start();
