// Shared by the scenarios: read the environment, print one JSON line as the result.
'use strict';
const fs = require('fs');

const base = process.env.VIDHOST_URL;
const token = process.env.VIDHOST_TOKEN;
const filePath = process.env.UPLOAD_FILE;

function done(result) {
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(0);
}

function fail(error) {
  process.stdout.write(JSON.stringify({ error: String(error && error.message ? error.message : error) }) + '\n');
  process.exit(1);
}

function readFile() {
  return fs.readFileSync(filePath);
}

module.exports = { base, token, filePath, done, fail, readFile };
