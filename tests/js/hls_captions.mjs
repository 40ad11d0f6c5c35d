// hls.js in headless Chromium: the subtitle tracks of an HLS stream, and one cue shown.
// Usage: node hls_captions.mjs <page-url> <manifest-url> <language> <seconds> <screenshot.png>
// Selects the subtitle track of <language>, seeks to <seconds> and waits until the track's
// active cues include one; prints one JSON line:
// {tracks: [{lang, name}], textTracks: [{language, label, mode}], cue: {start, end, text}|null,
//  errors}.
import { launchChromium } from "./browser.mjs";

const [pageUrl, manifestUrl, language, seconds, shot] = process.argv.slice(2);
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 700, height: 420 } });
  await page.goto(pageUrl);
  const result = await page.evaluate(
    async ([src, lang, at]) => {
      const video = document.querySelector("video");
      const errors = [];
      const hls = new Hls({ enableWorker: false, renderTextTracksNatively: true });
      hls.on(Hls.Events.ERROR, (_e, d) => errors.push(`${d.type}:${d.details}:${d.fatal}`));
      const tracksSeen = new Promise((resolve) => {
        hls.on(Hls.Events.SUBTITLE_TRACKS_UPDATED, (_e, d) => resolve(d.subtitleTracks));
        setTimeout(() => resolve([]), 15000);
      });
      hls.loadSource(src);
      hls.attachMedia(video);
      const tracks = await tracksSeen;
      const index = tracks.findIndex((t) => t.lang === lang);
      hls.subtitleDisplay = true;
      hls.subtitleTrack = index;
      video.muted = true;
      await new Promise((resolve) => video.addEventListener("loadedmetadata", resolve, { once: true }));
      video.currentTime = at;
      await video.play().catch(() => {});
      video.pause();
      let cue = null;
      const deadline = Date.now() + 20000;
      while (cue === null && Date.now() < deadline) {
        for (const track of video.textTracks) {
          if (track.language !== lang || !track.activeCues) continue;
          for (const c of track.activeCues) cue = { start: c.startTime, end: c.endTime, text: c.text };
        }
        if (cue === null) await new Promise((r) => setTimeout(r, 100));
      }
      return {
        tracks: tracks.map((t) => ({ lang: t.lang, name: t.name })),
        textTracks: Array.from(video.textTracks).map((t) => ({
          language: t.language,
          label: t.label,
          mode: t.mode,
        })),
        cue,
        currentTime: video.currentTime,
        errors,
      };
    },
    [manifestUrl, language, Number(seconds)],
  );
  await page.waitForTimeout(300);
  await page.screenshot({ path: shot });
  console.log(JSON.stringify(result));
} finally {
  await browser.close();
}
