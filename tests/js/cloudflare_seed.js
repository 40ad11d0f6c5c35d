// Seed 002's createCloudflareUploadUrl, as written, but for the base URL: the fetch goes to
// CLOUDFLARE_API_BASE (vidhost) instead of https://api.cloudflare.com. Prints its result.
'use strict';
const { done, fail } = require('./common');

async function createCloudflareUploadUrl(params) {
  const response = await fetch(
    `${process.env.CLOUDFLARE_API_BASE}/client/v4/accounts/${process.env.CLOUDFLARE_ACCOUNT_ID}/stream/direct_upload`,
    {
      method: 'POST',
      headers: {
        'Authorization': `Bearer ${process.env.CLOUDFLARE_API_TOKEN}`,
        'Content-Type': 'application/json',
      },
      body: JSON.stringify({
        maxDurationSeconds: 3600, // 1 hour max
        expiry: new Date(Date.now() + 6 * 60 * 60 * 1000).toISOString(), // 6 hours
        meta: {
          userId: params.userId,
          filename: params.filename,
          ...params.metadata
        },
        requireSignedURLs: false, // Set to true for private videos
      }),
    }
  );

  if (!response.ok) {
    throw new Error('Failed to create Cloudflare upload URL');
  }

  const data = await response.json();

  return {
    videoId: data.result.uid,
    uploadUrl: data.result.uploadURL,
    provider: 'cloudflare',
    expiresAt: data.result.expiry,
  };
}

createCloudflareUploadUrl({
  userId: 'user-42',
  filename: 'practice.mp4',
  metadata: { communityId: 'c-1' },
}).then(done, fail);
