// Plays an HLS manifest with hls.js in headless Chromium (driven by playwright-core).
// Usage: node hls_play.mjs <page-url> <manifest-url>
// Prints one JSON line: {ok, duration, currentTime, levels, fragmentsLoaded, errors}.
// A fatal hls.js error before the manifest is parsed (e.g. 403 without a playback token) ends
// the run at once with ok=false and that error in `errors`.
import { launchChromium } from "./browser.mjs";

const [pageUrl, manifestUrl] = process.argv.slice(2);
const browser = await launchChromium();
try {
  const page = await browser.newPage();
  await page.goto(pageUrl);
  const result = await page.evaluate(async (src) => {
    const video = document.querySelector("video");
    const errors = [];
    let fragmentsLoaded = 0;
    const hls = new Hls({ enableWorker: false });
    hls.on(Hls.Events.ERROR, (_e, data) => errors.push(`${data.type}:${data.details}:${data.fatal}`));
    hls.on(Hls.Events.FRAG_LOADED, () => fragmentsLoaded++);
    const parsed = new Promise((resolve) => {
      hls.on(Hls.Events.MANIFEST_PARSED, (_e, d) => resolve(d));
      hls.on(Hls.Events.ERROR, (_e, d) => d.fatal && resolve(null));
    });
    hls.loadSource(src);
    hls.attachMedia(video);
    const manifest = await parsed;
    if (manifest === null) {
      return { ok: false, duration: null, currentTime: 0, levels: [], fragmentsLoaded, errors };
    }
    video.muted = true;
    video.playbackRate = 4;
    await video.play();
    await new Promise((resolve) => {
      video.addEventListener("ended", resolve);
      setTimeout(resolve, 20000);
    });
    return {
      ok: video.ended && errors.filter((e) => e.endsWith(":true")).length === 0,
      duration: video.duration,
      currentTime: video.currentTime,
      levels: manifest.levels.map((l) => `${l.width}x${l.height}@${l.bitrate}`),
      fragmentsLoaded,
      errors,
    };
  }, manifestUrl);
  console.log(JSON.stringify(result));
} finally {
  await browser.close();
}
