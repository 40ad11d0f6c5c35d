// Plays an HLS manifest with hls.js in headless Chromium at 1x, for a video still encoding.
// Usage: node hls_progressive.mjs <page-url> <manifest-url> [seek-seconds]
// Prints one JSON line per moment the test waits for ({"event": "manifest" | "seeking" |
// "playing"}), then the result: {ok, ended, duration, currentTime, playbackRate, startedAt,
// playSeconds (wall clock from the first "playing" to the end), stallSeconds (time spent
// waiting for data after playback began), fragments [{type, sn, start}], errors, picture}.
// With a seek: the player seeks there before it starts, plays 1.5 s, pauses and reads the
// picture: `picture` = {time, red} (mean red value of the frame drawn on a canvas).
import { launchChromium } from "./browser.mjs";

const [pageUrl, manifestUrl, seekArg] = process.argv.slice(2);
const seek = seekArg === undefined ? null : Number(seekArg);
const browser = await launchChromium();
try {
  const page = await browser.newPage();
  await page.exposeFunction("report", (event) => console.log(JSON.stringify({ event })));
  await page.goto(pageUrl);
  const result = await page.evaluate(
    async ([src, seekTo]) => {
      const video = document.querySelector("video");
      const errors = [];
      const fragments = [];
      const hls = new Hls({ enableWorker: false });
      hls.on(Hls.Events.ERROR, (_e, d) => errors.push(`${d.type}:${d.details}:${d.fatal}`));
      hls.on(Hls.Events.FRAG_LOADED, (_e, d) =>
        fragments.push({ type: d.frag.type, sn: d.frag.sn, start: d.frag.start }),
      );
      const parsed = new Promise((resolve) => {
        hls.on(Hls.Events.MANIFEST_PARSED, (_e, d) => resolve(d));
        hls.on(Hls.Events.ERROR, (_e, d) => d.fatal && resolve(null));
      });
      hls.loadSource(src);
      hls.attachMedia(video);
      const manifest = await parsed;
      if (manifest === null) return { ok: false, errors, fragments };
      await window.report("manifest");
      let startedAt = null;
      let stallSince = null;
      let stallSeconds = 0;
      video.addEventListener("waiting", () => {
        if (startedAt !== null && stallSince === null) stallSince = performance.now();
      });
      const playing = new Promise((resolve) =>
        video.addEventListener("playing", () => {
          if (startedAt === null) {
            startedAt = performance.now();
            resolve();
          } else if (stallSince !== null) {
            stallSeconds += (performance.now() - stallSince) / 1000;
            stallSince = null;
          }
        }),
      );
      video.muted = true;
      video.playbackRate = 1;
      if (seekTo !== null) {
        video.currentTime = seekTo;
        await window.report("seeking");
      }
      await video.play();
      await playing;
      await window.report("playing");
      let picture = null;
      if (seekTo !== null) {
        await new Promise((resolve) => {
          const check = () => (video.currentTime >= seekTo + 1.5 ? resolve() : setTimeout(check, 50));
          check();
        });
        video.pause();
        await new Promise((resolve) => setTimeout(resolve, 200));
        const canvas = document.createElement("canvas");
        canvas.width = 32;
        canvas.height = 18;
        const g = canvas.getContext("2d");
        g.drawImage(video, 0, 0, 32, 18);
        const px = g.getImageData(0, 0, 32, 18).data;
        let red = 0;
        for (let i = 0; i < px.length; i += 4) red += px[i];
        picture = { time: video.currentTime, red: red / (px.length / 4) };
      } else {
        await new Promise((resolve) => {
          video.addEventListener("ended", resolve);
          setTimeout(resolve, (video.duration + 30) * 1000);
        });
      }
      const playSeconds = (performance.now() - startedAt) / 1000;
      if (stallSince !== null) stallSeconds += (performance.now() - stallSince) / 1000;
      return {
        ok: errors.filter((e) => e.endsWith(":true")).length === 0,
        ended: video.ended,
        duration: video.duration,
        currentTime: video.currentTime,
        playbackRate: video.playbackRate,
        playSeconds,
        stallSeconds,
        fragments,
        errors,
        picture,
      };
    },
    [manifestUrl, seek],
  );
  console.log(JSON.stringify(result));
} finally {
  await browser.close();
}
