// The player: hls.js (vendored) behind custom, keyboard-usable controls, a quality menu, a
// captions menu (the stream's subtitle tracks, or Off) and storyboard previews over the seek
// bar (storyboard.vtt cues -> storyboard.jpg#xywh tiles).

import { loadScript } from "./api.js";
import { formatDuration, h } from "./ui.js";

const ICONS = {
  volume: "M3 9v6h4l5 5V4L7 9H3zm13.5 3A4.5 4.5 0 0 0 14 8v8a4.5 4.5 0 0 0 2.5-4z",
  muted: "M3 9v6h4l5 5V4L7 9H3zm13.6 3 2.7-2.7-1.4-1.4-2.7 2.7-2.7-2.7-1.4 1.4 2.7 2.7-2.7 2.7 1.4 1.4 2.7-2.7 2.7 2.7 1.4-1.4z",
  full: "M4 4h6v2H6v4H4V4zm10 0h6v6h-2V6h-4V4zM4 14h2v4h4v2H4v-6zm14 0h2v6h-6v-2h4v-4z",
};

function icon(name) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("width", "20");
  svg.setAttribute("height", "20");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", ICONS[name]);
  path.setAttribute("fill", "currentColor");
  svg.append(path);
  return svg;
}

const HLS_JS = new URL("./vendor/hls.js/hls.min.js", import.meta.url).href;
let players = 0;

// Cues of a storyboard VTT: [{start, end, url, x, y, w, h}], sprite URLs made absolute.
export function parseStoryboard(text, base) {
  const seconds = (t) => t.split(":").reduce((acc, part) => acc * 60 + Number(part), 0);
  const cues = [];
  for (const block of text.split(/\r?\n\r?\n/)) {
    const lines = block.split(/\r?\n/).filter(Boolean);
    const timing = lines.findIndex((line) => line.includes("-->"));
    if (timing < 0 || !lines[timing + 1]) continue;
    const [start, end] = lines[timing].split("-->").map((s) => seconds(s.trim().split(" ")[0]));
    const target = new URL(lines[timing + 1].trim(), base);
    const xywh = (target.hash.match(/xywh=(\d+),(\d+),(\d+),(\d+)/) || []).slice(1).map(Number);
    target.hash = "";
    if (xywh.length === 4) {
      cues.push({ start, end, url: target.href, x: xywh[0], y: xywh[1], w: xywh[2], h: xywh[3] });
    }
  }
  return cues;
}

export async function createPlayer(container, { manifestUrl, storyboardUrl, poster, label }) {
  players += 1;
  const id = `player-${players}`;
  const video = h("video", { playsinline: true, preload: "metadata", "aria-label": label || "Video" });
  if (poster) video.poster = poster;
  const play = h("button", { type: "button", class: "icon", "aria-label": "Play", text: "▶" });
  const seek = h("input", {
    type: "range",
    class: "seek",
    min: "0",
    max: "0",
    step: "0.1",
    value: "0",
    "aria-label": "Seek",
  });
  const previewImg = h("div", { class: "preview-img" });
  const previewTime = h("span", { class: "preview-time" });
  const preview = h("div", { class: "preview", hidden: true, "aria-hidden": "true" }, previewImg, previewTime);
  const time = h("span", { class: "time", "aria-live": "off", text: "0:00 / 0:00" });
  const quality = h("select", { id: `${id}-quality`, class: "quality" }, h("option", { value: "-1", text: "Auto" }));
  const captions = h("select", { id: `${id}-captions`, class: "captions", hidden: true }, h("option", { value: "-1", text: "Captions off" }));
  const mute = h("button", { type: "button", class: "icon", "aria-label": "Mute", "aria-pressed": "false" }, icon("volume"));
  const full = h("button", { type: "button", class: "icon", "aria-label": "Full screen" }, icon("full"));
  const message = h("p", { class: "player-message", role: "status" });
  const figure = h(
    "div",
    { class: "player", id },
    video,
    h(
      "div",
      { class: "controls" },
      play,
      h("div", { class: "seek-wrap" }, seek, preview),
      time,
      h("label", { for: `${id}-quality`, class: "visually-hidden", text: "Quality" }),
      quality,
      h("label", { for: `${id}-captions`, class: "visually-hidden", text: "Captions" }),
      captions,
      mute,
      full,
    ),
    message,
  );
  container.append(figure);

  const update = () => {
    const duration = Number.isFinite(video.duration) ? video.duration : 0;
    seek.max = String(duration);
    if (document.activeElement !== seek || !seek.dataset.dragging) seek.value = String(video.currentTime);
    seek.setAttribute("aria-valuetext", `${formatDuration(video.currentTime)} of ${formatDuration(duration)}`);
    time.textContent = `${formatDuration(video.currentTime)} / ${formatDuration(duration)}`;
  };
  video.addEventListener("timeupdate", update);
  video.addEventListener("durationchange", update);
  video.addEventListener("play", () => {
    play.textContent = "❚❚";
    play.setAttribute("aria-label", "Pause");
  });
  video.addEventListener("pause", () => {
    play.textContent = "▶";
    play.setAttribute("aria-label", "Play");
  });
  play.addEventListener("click", () => (video.paused ? video.play().catch(() => {}) : video.pause()));
  video.addEventListener("click", () => play.click());
  seek.addEventListener("pointerdown", () => (seek.dataset.dragging = "1"));
  seek.addEventListener("pointerup", () => delete seek.dataset.dragging);
  seek.addEventListener("input", () => {
    video.currentTime = Number(seek.value);
    update();
  });
  mute.addEventListener("click", () => {
    video.muted = !video.muted;
    mute.setAttribute("aria-pressed", String(video.muted));
    mute.replaceChildren(icon(video.muted ? "muted" : "volume"));
  });
  full.addEventListener("click", () => {
    if (document.fullscreenElement) document.exitFullscreen();
    else figure.requestFullscreen().catch(() => {});
  });

  // Storyboard previews on hover (and while seeking with the keyboard).
  let cues = [];
  let hovering = null;
  if (storyboardUrl) {
    fetch(storyboardUrl)
      .then((r) => (r.ok ? r.text() : ""))
      .then((text) => {
        cues = text ? parseStoryboard(text, new URL(storyboardUrl, location.href)) : [];
        if (hovering !== null) showPreview(hovering); // the pointer was already there
      })
      .catch(() => {});
  }
  const showPreview = (t) => {
    const cue = cues.find((c) => t >= c.start && t < c.end) || cues[cues.length - 1];
    const duration = Number(seek.max);
    if (!cue || !duration) return;
    previewImg.style.width = `${cue.w}px`;
    previewImg.style.height = `${cue.h}px`;
    previewImg.style.backgroundImage = `url("${cue.url}")`;
    previewImg.style.backgroundPosition = `-${cue.x}px -${cue.y}px`;
    previewTime.textContent = formatDuration(t);
    const rect = seek.getBoundingClientRect();
    const x = (t / duration) * rect.width;
    preview.style.left = `${Math.min(Math.max(x - cue.w / 2, 0), Math.max(rect.width - cue.w, 0))}px`;
    preview.hidden = false;
  };
  seek.addEventListener("pointermove", (event) => {
    const rect = seek.getBoundingClientRect();
    const frac = Math.min(Math.max((event.clientX - rect.left) / rect.width, 0), 1);
    hovering = frac * Number(seek.max);
    showPreview(hovering);
  });
  seek.addEventListener("pointerleave", () => {
    hovering = null;
    preview.hidden = true;
  });
  // Arrow keys seek 5 s (the range's 0.1 s step is for pointers), as players do.
  seek.addEventListener("keydown", (event) => {
    const jump = { ArrowRight: 5, ArrowUp: 5, ArrowLeft: -5, ArrowDown: -5 }[event.key];
    if (jump) {
      event.preventDefault();
      const target = Math.max(0, Math.min(Number(seek.max) || 0, video.currentTime + jump));
      seek.value = String(target);
      video.currentTime = target;
    }
    requestAnimationFrame(() => showPreview(Number(seek.value)));
  });
  seek.addEventListener("blur", () => (preview.hidden = true));

  // Playback: hls.js where Media Source Extensions exist, native HLS (Safari) otherwise.
  await loadScript(HLS_JS);
  const Hls = window.Hls;
  let hls = null;
  if (Hls && Hls.isSupported()) {
    hls = new Hls({ autoStartLoad: false });
    hls.on(Hls.Events.MANIFEST_PARSED, () => {
      quality.replaceChildren(h("option", { value: "-1", text: "Auto" }));
      hls.levels
        .map((level, index) => ({ level, index }))
        .sort((a, b) => b.level.height - a.level.height)
        .forEach(({ level, index }) => quality.append(h("option", { value: String(index), text: `${level.height}p` })));
    });
    hls.on(Hls.Events.SUBTITLE_TRACKS_UPDATED, (_event, data) => {
      captions.replaceChildren(h("option", { value: "-1", text: "Captions off" }));
      data.subtitleTracks.forEach((track, index) =>
        captions.append(h("option", { value: String(index), lang: track.lang || "", text: track.name || track.lang })),
      );
      captions.value = String(hls.subtitleTrack);
      captions.hidden = data.subtitleTracks.length === 0;
    });
    captions.addEventListener("change", () => {
      const index = Number(captions.value);
      hls.subtitleDisplay = index >= 0;
      hls.subtitleTrack = index;
    });
    hls.on(Hls.Events.LEVEL_SWITCHED, (_event, data) => {
      const level = hls.levels[data.level];
      figure.dataset.level = level ? String(level.height) : ""; // the rendition playing
      quality.options[0].textContent = hls.autoLevelEnabled && level ? `Auto (${level.height}p)` : "Auto";
    });
    hls.on(Hls.Events.ERROR, (_event, data) => {
      if (!data.fatal) return;
      const status = data.response && data.response.code;
      message.textContent =
        status === 409 ? "This video is still processing." : status === 403 ? "This video is private." : "The video could not be played.";
    });
    hls.loadSource(manifestUrl);
    hls.attachMedia(video);
    hls.startLoad(-1);
    quality.addEventListener("change", () => {
      hls.currentLevel = Number(quality.value);
    });
  } else {
    video.src = manifestUrl;
    quality.hidden = true;
    // native HLS (Safari): the stream's subtitle renditions are the video's text tracks
    video.textTracks.addEventListener("addtrack", () => {
      const tracks = Array.from(video.textTracks).filter((t) => t.kind === "subtitles" || t.kind === "captions");
      captions.replaceChildren(h("option", { value: "-1", text: "Captions off" }));
      tracks.forEach((t, index) => captions.append(h("option", { value: String(index), text: t.label || t.language })));
      captions.hidden = tracks.length === 0;
      captions.onchange = () => tracks.forEach((t, index) => (t.mode = index === Number(captions.value) ? "showing" : "disabled"));
    });
  }
  return { video, hls, element: figure };
}
