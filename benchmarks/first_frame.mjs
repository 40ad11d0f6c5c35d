// Time to first frame with hls.js in headless Chromium (playwright-core from tests/js).
// Usage: node first_frame.mjs <page-url> <timeout-seconds> [<start-level>]
// <start-level>: hls.js `startLevel` (0: the lowest rung; default: hls.js's own choice).
// Launches the browser and loads the page (untimed), prints {"loaded": true}, then reads one
// line from stdin: the manifest URL. The page polls it every 100 ms until it answers 200
// (before issue 10 a video's manifest is 409 until the whole ladder is stored; after it, as
// soon as its segments can be produced), then hls.js loads it and plays (muted, autoplay).
// Prints one JSON line; every time is the wall clock in ms (performance.timeOrigin + now):
//   frame: the first requestVideoFrameCallback (a decoded frame handed to the compositor),
//   timeupdate: the first `timeupdate` with currentTime > 0, loadeddata: readyState >= 2,
//   manifest: the first 200 of the manifest, fragment: the first fragment loaded,
//   received: the URL reached the page; plus polls, the height of the first frame, errors.
import readline from "node:readline";

import { launchChromium } from "../tests/js/browser.mjs";

const [pageUrl, timeoutSeconds, startLevel] = process.argv.slice(2);
const browser = await launchChromium();
try {
  const page = await browser.newPage();
  await page.goto(pageUrl);
  await page.waitForFunction(() => typeof Hls !== "undefined");
  console.log(JSON.stringify({ loaded: true }));
  const lines = readline.createInterface({ input: process.stdin });
  const manifestUrl = (await lines[Symbol.asyncIterator]().next()).value.trim();
  lines.close();
  const result = await page.evaluate(
    async ({ src, timeoutMs, startLevel }) => {
      const wall = () => performance.timeOrigin + performance.now();
      const t = { received: wall() };
      const errors = [];
      const done = (extra) => ({ ...t, errors, ...extra });
      let polls = 0;
      for (;;) {
        polls++;
        try {
          const r = await fetch(src, { cache: "no-store" });
          if (r.ok) break;
        } catch (e) {
          // not reachable yet: try again
        }
        if (wall() - t.received > timeoutMs) return done({ ok: false, polls, why: "manifest" });
        await new Promise((r) => setTimeout(r, 100));
      }
      t.manifest = wall();
      t.polls = polls;
      const video = document.querySelector("video");
      video.muted = true;
      const config = { enableWorker: false };
      if (startLevel !== undefined) config.startLevel = startLevel;
      const hls = new Hls(config);
      hls.on(Hls.Events.ERROR, (_e, d) => errors.push(`${d.type}:${d.details}:${d.fatal}`));
      hls.on(Hls.Events.FRAG_LOADED, () => {
        t.fragment ??= wall();
      });
      video.addEventListener("loadeddata", () => {
        t.loadeddata ??= wall();
      });
      video.addEventListener("timeupdate", () => {
        if (video.currentTime > 0) t.timeupdate ??= wall();
      });
      const frame = new Promise((resolve) => {
        video.requestVideoFrameCallback((now, meta) => {
          t.frame = performance.timeOrigin + now;
          t.height = meta.height;
          resolve(true);
        });
      });
      const fatal = new Promise((resolve) => {
        hls.on(Hls.Events.ERROR, (_e, d) => d.fatal && resolve(false));
      });
      const late = new Promise((resolve) => setTimeout(() => resolve(false), timeoutMs));
      hls.on(Hls.Events.MANIFEST_PARSED, () => {
        video.play().catch((e) => errors.push(`play:${e}`));
      });
      hls.loadSource(src);
      hls.attachMedia(video);
      const ok = await Promise.race([frame, fatal, late]);
      // Give timeupdate a moment so it can be printed next to the frame callback.
      const until = wall() + 1000;
      while (ok && t.timeupdate === undefined && wall() < until) {
        await new Promise((r) => setTimeout(r, 20));
      }
      hls.destroy();
      return done({ ok, why: ok ? null : "frame" });
    },
    {
      src: manifestUrl,
      timeoutMs: Number(timeoutSeconds) * 1000,
      startLevel: startLevel === undefined ? undefined : Number(startLevel),
    },
  );
  console.log(JSON.stringify(result));
} finally {
  await browser.close();
}
