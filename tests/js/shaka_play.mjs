// Plays a DASH (or HLS) manifest with Shaka Player in headless Chromium (playwright-core).
// Usage: node shaka_play.mjs <page-url> <manifest-url>
// Prints one JSON line: {ok, duration, currentTime, tracks, errors, decodedFrames}.
import { launchChromium } from "./browser.mjs";

const [pageUrl, manifestUrl] = process.argv.slice(2);
const browser = await launchChromium();
try {
  const page = await browser.newPage();
  await page.goto(pageUrl);
  const result = await page.evaluate(async (src) => {
    shaka.polyfill.installAll();
    const video = document.querySelector("video");
    const errors = [];
    const player = new shaka.Player();
    await player.attach(video);
    player.addEventListener("error", (e) => errors.push(`${e.detail.code}:${e.detail.severity}`));
    try {
      await player.load(src);
    } catch (e) {
      return { ok: false, duration: null, currentTime: 0, tracks: [], errors: [...errors, `load:${e.code}`] };
    }
    video.muted = true;
    video.playbackRate = 4;
    await video.play();
    await new Promise((resolve) => {
      video.addEventListener("ended", resolve);
      setTimeout(resolve, 60000);
    });
    const quality = video.getVideoPlaybackQuality();
    return {
      ok: video.ended && errors.length === 0,
      duration: video.duration,
      currentTime: video.currentTime,
      tracks: player.getVariantTracks().map((t) => `${t.width}x${t.height}:${t.audioCodec || "-"}`),
      decodedFrames: quality.totalVideoFrames,
      errors,
    };
  }, manifestUrl);
  console.log(JSON.stringify(result));
} finally {
  await browser.close();
}
