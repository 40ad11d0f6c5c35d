// Shaka Player (DASH) in headless Chromium: the text tracks of a manifest, and one's cues.
// Usage: node shaka_captions.mjs <page-url> <manifest-url> <language>
// Prints one JSON line: {textTracks: [{language, kind, mimeType}], cues: [{start, end, text}],
// errors}.
import { launchChromium } from "./browser.mjs";

const [pageUrl, manifestUrl, language] = process.argv.slice(2);
const browser = await launchChromium();
try {
  const page = await browser.newPage();
  await page.goto(pageUrl);
  const result = await page.evaluate(
    async ([src, lang]) => {
      shaka.polyfill.installAll();
      const video = document.querySelector("video");
      const errors = [];
      const player = new shaka.Player();
      await player.attach(video);
      player.addEventListener("error", (e) => errors.push(`${e.detail.code}:${e.detail.severity}`));
      try {
        await player.load(src);
      } catch (e) {
        return { textTracks: [], cues: [], errors: [...errors, `load:${e.code}`] };
      }
      const tracks = player.getTextTracks();
      const chosen = tracks.find((t) => t.language === lang);
      if (chosen) {
        player.selectTextTrack(chosen); // Shaka 5 shows the chosen track
        if (player.setTextTrackVisibility) await player.setTextTrackVisibility(true);
      }
      video.muted = true;
      await video.play().catch(() => {});
      let cues = [];
      const deadline = Date.now() + 20000;
      while (cues.length === 0 && Date.now() < deadline) {
        for (const t of video.textTracks) {
          if (t.cues) cues = Array.from(t.cues).map((c) => ({ start: c.startTime, end: c.endTime, text: c.text }));
          if (cues.length) break;
        }
        if (!cues.length) await new Promise((r) => setTimeout(r, 200));
      }
      return {
        textTracks: tracks.map((t) => ({ language: t.language, kind: t.kind, mimeType: t.mimeType })),
        cues,
        errors,
      };
    },
    [manifestUrl, language],
  );
  console.log(JSON.stringify(result));
} finally {
  await browser.close();
}
