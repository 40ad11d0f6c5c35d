// One video: the player, its details, the analysis (colour histograms drawn on a canvas),
// the enhanced file, a Download menu (MP4, M4A), the captions (upload, download, delete), an
// embed snippet and a share link (a signed link for a private video).

import { api, eventsSocket, playbackToken, statusSocket, token } from "../api.js";
import { createPlayer } from "../player.js";
import { captionsPanel } from "./captions.js";
import { downloadMenu } from "./downloads.js";
import { copyButton, errorText, formatBytes, formatDuration, h } from "../ui.js";
import { confirmDialog, stateLabel } from "./library.js";

const SHARE_TTL = 7 * 24 * 3600;

export async function mount(main, videoId) {
  let video;
  try {
    video = await api(`/api/videos/${encodeURIComponent(videoId)}`);
  } catch (error) {
    main.replaceChildren(h("h1", { text: "Video" }), h("p", { role: "alert", text: `Could not load this video: ${errorText(error)}` }));
    return;
  }
  const title = video.title || video.filename || video.id;
  const dialog = confirmDialog();
  const stage = h("section", { class: "stage", "aria-label": "Player" });
  const side = h("section", { class: "details-panel", "aria-labelledby": "details-title" });
  main.replaceChildren(
    h("div", { class: "page-head" }, h("h1", { text: title }), h("span", { class: `badge state-${video.state}`, id: "video-state", text: stateLabel(video.state) })),
    h("div", { class: "video-layout" }, stage, side),
    dialog.element,
  );
  if (video.description) stage.after(h("p", { class: "description", text: video.description }));

  if (video.state !== "ready") {
    const text = h("p", { role: "status", id: "processing-status", text: video.state === "failed" ? `Failed: ${video.error?.message || ""} (${video.error?.code})` : `This video is ${stateLabel(video.state)}.` });
    stage.append(text);
    if (video.state !== "failed") {
      statusSocket(video.id, (message) => {
        if (message.state === "PROCESSING") text.textContent = `Processing: ${Math.round(message.progress || 0)} %`;
        if (message.state === "READY" || message.state === "FAILED") location.reload();
      });
    }
  } else {
    const priv = video.visibility === "private";
    const [v, t, s] = priv ? await Promise.all(["v", "t", "s"].map((aud) => playbackToken(video.id, aud))) : [null, null, null];
    const q = (tok) => (tok ? `?token=${encodeURIComponent(tok.token)}` : "");
    await createPlayer(stage, {
      manifestUrl: v ? v.playbackUrl : video.playbackUrl,
      storyboardUrl: `/api/videos/${encodeURIComponent(video.id)}/storyboard.vtt${q(s)}`,
      poster: video.thumbnailUrl ? `${video.thumbnailUrl}${q(t)}` : null,
      label: title,
    });
  }

  side.append(h("h2", { id: "details-title", text: "Details" }), detailsList(video));
  if (video.state === "ready" && video.progress < 100) followLadder(video);
  if (video.renditions.length) {
    side.append(
      h("h3", { text: "Renditions" }),
      h("table", { class: "renditions" }, h("thead", {}, h("tr", {}, ["Name", "Size", "Bitrate"].map((c) => h("th", { scope: "col", text: c })))), h("tbody", {}, video.renditions.map((r) => h("tr", {}, h("td", { text: r.name }), h("td", { text: `${r.width}×${r.height}` }), h("td", { text: `${Math.round(r.bitrate / 1000)} kb/s` }))))),
    );
  }
  if (video.enhancedUrl) {
    const link = h("a", { href: video.enhancedUrl, id: "enhanced-link", download: "", text: "Download the enhanced file" });
    if (token()) playbackToken(video.id, "v").then((tok) => (link.href = `${video.enhancedUrl}?token=${encodeURIComponent(tok.token)}`), () => {});
    side.append(h("h3", { text: "Enhanced" }), h("p", {}, link));
  }
  if (video.state === "ready") side.append(downloadMenu(video), await sharing(video));
  side.append(captionsPanel(video));
  if (video.analysisUrl) side.append(await analysis(video));
  side.append(
    h("h3", { text: "Manage" }),
    h("button", {
      type: "button",
      class: "danger",
      text: "Delete video",
      onclick: async () => {
        if (!(await dialog.ask(`Delete “${title}”? This cannot be undone.`))) return;
        await api(`/api/videos/${encodeURIComponent(video.id)}`, { method: "DELETE" });
        location.assign("/");
      },
    }),
  );
}

function detailsList(video) {
  const rows = [
    ["State", stateLabel(video.state)],
    ["Renditions stored", ladderText(video.progress)],
    ["Visibility", video.visibility],
    ["Duration", formatDuration(video.duration)],
    ["Resolution", video.resolution ? `${video.resolution.width}×${video.resolution.height}` : "–"],
    ["Codecs", [video.videoCodec, video.audioCodec].filter(Boolean).join(" + ") || "–"],
    ["Frame rate", video.fps ? `${Math.round(video.fps * 100) / 100} fps` : "–"],
    ["Size", formatBytes(video.sizeBytes)],
    ["File", video.filename || "–"],
    ["Tags", video.tags.length ? video.tags.join(", ") : "–"],
  ];
  return h("dl", { class: "facts" }, rows.map(([k, v]) => [h("dt", { text: k }), h("dd", { text: v })]));
}

// The share of the ladder stored: a ready video plays at once while its other renditions
// are still encoded (ready is not 100 %).
function ladderText(progress) {
  const p = Number(progress || 0);
  return p >= 100 ? "all (100 %)" : `${Math.floor(p * 10) / 10} %`;
}

// Keep "Renditions stored" current until the whole ladder is stored (the owner's event socket).
function followLadder(video) {
  const cell = [...document.querySelectorAll(".facts dt")].find((dt) => dt.textContent === "Renditions stored")?.nextElementSibling;
  if (!cell) return;
  cell.id = "ladder-progress";
  let shown = Number(video.progress || 0);
  const socket = eventsSocket((message) => {
    if (message.type !== "progress" || message.videoId !== video.id || message.kind !== "transcode") return;
    shown = Math.max(shown, message.status === "completed" ? 100 : Number(message.progress || 0));
    cell.textContent = ladderText(shown);
    if (shown >= 100) socket.close();
  });
  // an update between the read above and the socket's open is caught by one more read
  socket.addEventListener("open", async () => {
    const fresh = await api(`/api/videos/${encodeURIComponent(video.id)}/status`).catch(() => null);
    if (fresh) {
      shown = Math.max(shown, Number(fresh.progress || 0));
      cell.textContent = ladderText(shown);
      if (shown >= 100) socket.close();
    }
  });
}

async function sharing(video) {
  const origin = location.origin;
  const box = h("div", { class: "share" }, h("h3", { text: "Share and embed" }));
  const share = h("input", { id: "share-link", readonly: true, value: `${origin}/embed/${video.id}` });
  const embed = h("textarea", { id: "embed-code", readonly: true, rows: "3" });
  const setEmbed = (src) => {
    share.value = src;
    embed.value = `<iframe src="${src}" width="640" height="360" title="${(video.title || "Video").replace(/"/g, "&quot;")}" allow="fullscreen; picture-in-picture" allowfullscreen></iframe>`;
  };
  setEmbed(`${origin}/embed/${video.id}`);
  box.append(
    h("label", { for: "share-link", text: video.visibility === "private" ? "Signed link" : "Share link" }),
    share,
    copyButton("Copy link", () => share.value),
    h("label", { for: "embed-code", text: "Embed code" }),
    embed,
    copyButton("Copy embed code", () => embed.value),
  );
  if (video.visibility === "private") {
    const hint = h("p", { class: "hint", id: "signed-hint" });
    box.append(hint);
    try {
      const signed = await playbackToken(video.id, "v", SHARE_TTL);
      setEmbed(`${origin}/embed/${video.id}?token=${encodeURIComponent(signed.token)}`);
      hint.textContent = `Private: this signed link plays until ${new Date(signed.expiresAt).toLocaleString()}.`;
    } catch (error) {
      hint.textContent = `No signed link: ${errorText(error)}`;
    }
  }
  return box;
}

async function analysis(video) {
  const box = h("div", { class: "analysis" }, h("h3", { text: "Analysis" }));
  try {
    const data = await api(video.analysisUrl);
    const profile = data.color_profile || {};
    const avg = profile.average_color;
    box.append(
      h("dl", { class: "facts" },
        h("dt", { text: "Container" }), h("dd", { text: data.format || "–" }),
        h("dt", { text: "Frames" }), h("dd", { text: String(data.frame_count ?? "–") }),
        h("dt", { text: "Bit rate" }), h("dd", { text: data.bit_rate ? `${Math.round(Number(data.bit_rate) / 1000)} kb/s` : "–" }),
        avg ? [h("dt", { text: "Average colour" }), h("dd", {}, swatch(avg), ` rgb(${avg.r}, ${avg.g}, ${avg.b})`)] : null),
    );
    if (profile.histograms) box.append(histogramChart(profile.histograms));
  } catch (error) {
    box.append(h("p", { text: `No analysis: ${errorText(error)}` }));
  }
  return box;
}

function swatch({ r, g, b }) {
  const el = h("span", { class: "swatch", "aria-hidden": "true" });
  el.style.backgroundColor = `rgb(${r}, ${g}, ${b})`;
  return el;
}

// The three 256-bin channel histograms as lines on one canvas.
export function histogramChart(histograms) {
  const width = 512;
  const height = 160;
  const canvas = h("canvas", { id: "histogram", width: String(width), height: String(height), role: "img", "aria-label": "Colour histograms of the red, green and blue channels" });
  const ctx = canvas.getContext("2d");
  const channels = [["r", "#d33"], ["g", "#2a2"], ["b", "#36f"]];
  const peak = Math.max(...channels.flatMap(([c]) => histograms[c] || [0])) || 1;
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, width, height);
  ctx.globalCompositeOperation = "multiply";
  for (const [c, colour] of channels) {
    const bins = histograms[c] || [];
    ctx.beginPath();
    ctx.moveTo(0, height);
    bins.forEach((v, i) => ctx.lineTo((i / 255) * width, height - Math.sqrt(v / peak) * (height - 4)));
    ctx.lineTo(width, height);
    ctx.closePath();
    ctx.fillStyle = `${colour}55`;
    ctx.fill();
    ctx.strokeStyle = colour;
    ctx.stroke();
  }
  return h("figure", { class: "histogram" }, canvas, h("figcaption", { class: "hint", text: "Colour histograms (red, green, blue), 0–255 from left to right (square-root scale)." }));
}
