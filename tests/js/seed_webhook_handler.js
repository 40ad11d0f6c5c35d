// Seed 002's webhook handler (POST /api/webhooks/video-processing), as written: its
// verifyWebhookSignature, handleVideoReady and handleVideoError, served by node:http in
// place of Next.js. `db.videos.update` is an in-memory table that prints every update as one
// JSON line; `notifyClients` prints too. Listens on PORT; prints {"listening": port}.
'use strict';
const http = require('http');

const db = {
  videos: {
    async update({ where, data }) {
      console.log(JSON.stringify({ update: where.id, data }));
    },
  },
};

async function notifyClients(videoId, status) {
  console.log(JSON.stringify({ notify: videoId, status }));
}

// --- seed 002, as written (types dropped) ---------------------------------------------
async function POST(request) {
  try {
    const signature = request.headers.get('x-webhook-signature');
    const body = await request.text();

    // Verify webhook signature
    if (!verifyWebhookSignature(body, signature)) {
      return NextResponse.json({ error: 'Invalid signature' }, { status: 401 });
    }

    const event = JSON.parse(body);

    if (event.type === 'video.asset.ready') {
      await handleVideoReady(event.data);
    } else if (event.type === 'video.asset.errored') {
      await handleVideoError(event.data);
    }

    return NextResponse.json({ received: true });

  } catch (error) {
    console.error('Webhook processing failed:', error);
    return NextResponse.json(
      { error: 'Webhook processing failed' },
      { status: 500 }
    );
  }
}

async function handleVideoReady(data) {
  const videoId = data.id;

  // Update video status in database
  await db.videos.update({
    where: { id: videoId },
    data: {
      status: 'ready',
      playbackUrl: data.playback_url,
      thumbnailUrl: data.thumbnail_url,
      duration: data.duration,
      metadata: {
        width: data.tracks?.[0]?.width,
        height: data.tracks?.[0]?.height,
        bitrate: data.tracks?.[0]?.max_bitrate,
        codec: data.tracks?.[0]?.codec,
      },
      processedAt: new Date(),
    }
  });

  // Notify connected clients via WebSocket/SSE (optional)
  await notifyClients(videoId, 'ready');
}

async function handleVideoError(data) {
  const videoId = data.id;

  await db.videos.update({
    where: { id: videoId },
    data: {
      status: 'error',
      error: data.error_message,
      updatedAt: new Date(),
    }
  });

  await notifyClients(videoId, 'error');
}

function verifyWebhookSignature(body, signature) {
  if (!signature) return false;

  const secret = process.env.WEBHOOK_SECRET;
  if (!secret) return false;

  const crypto = require('crypto');
  const expectedSignature = crypto
    .createHmac('sha256', secret)
    .update(body)
    .digest('hex');

  return signature === `sha256=${expectedSignature}`;
}
// --- end of seed 002 --------------------------------------------------------------------

// Next.js's NextResponse.json and NextRequest, as far as the handler uses them.
const NextResponse = {
  json(body, init = {}) {
    return { status: init.status || 200, body: JSON.stringify(body) };
  },
};

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    if (req.method !== 'POST' || req.url !== '/api/webhooks/video-processing') {
      res.writeHead(404).end();
      return;
    }
    const text = Buffer.concat(chunks).toString('utf8');
    const request = {
      headers: { get: (name) => req.headers[name.toLowerCase()] ?? null },
      text: async () => text,
    };
    const answer = await POST(request);
    console.log(JSON.stringify({ answered: answer.status }));
    res.writeHead(answer.status, { 'Content-Type': 'application/json' }).end(answer.body);
  });
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => {
  console.log(JSON.stringify({ listening: server.address().port }));
});
