// Mux's UpChunk in headless Chromium uploads a file to a direct-upload URL in chunks.
// Usage: node upchunk_upload.mjs <page-url> <file-url> <upload-url>
// Prints one JSON line: {ok, events: [{type, ...}], chunks, attemptFailures, error}.
import { chromium } from "playwright-core";

const [pageUrl, fileUrl, endpoint] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage();
  await page.goto(pageUrl);
  const result = await page.evaluate(async ([fileUrl, endpoint]) => {
    const blob = await (await fetch(fileUrl)).blob();
    const file = new File([blob], "clip.mp4", { type: "video/mp4" });
    const events = [];
    return await new Promise((resolve) => {
      const upload = UpChunk.createUpload({
        endpoint, file, chunkSize: 256, attempts: 5, delayBeforeAttempt: 1,
      });
      upload.on("chunkSuccess", (e) => events.push({ type: "chunkSuccess", chunk: e.detail.chunk,
        status: e.detail.response.statusCode, range: e.detail.response.headers.range || null }));
      upload.on("attemptFailure", (e) => events.push({ type: "attemptFailure", message: e.detail.message }));
      upload.on("error", (e) => resolve({ ok: false, error: e.detail.message, events, size: file.size }));
      upload.on("success", () => resolve({ ok: true, events, size: file.size }));
    });
  }, [fileUrl, endpoint]);
  console.log(JSON.stringify(result));
} finally {
  await browser.close();
}
