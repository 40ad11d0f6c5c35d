// One video: the player, its details, the analysis (colour histograms drawn on a canvas),
// the enhanced file, a Download menu (MP4, M4A), the captions (upload, download, delete), an
// embed snippet and a share link (a signed link for a private video).

import { api, eventsSocket, playbackToken, statusSocket, token } from "../api.js";
import { createPlayer } from "../player.js";
import { captionsPanel } from "./captions.js";
import { downloadMenu } from "./downloads.js";
import { copyButton, errorText, formatBytes, formatDuration, h } from "../ui.js";
import { failureMessage } from "../messages.js";
import { editForm } from "./edit.js";
import { VISIBILITY, confirmDialog, stateLabel } from "./library.js";

const SHARE_TTL = 7 * 24 * 3600;

export async function mount(main, videoId) {
  let video;
  try {
    video = await api(`/api/videos/${encodeURIComponent(videoId)}`);
  } catch (error) {
    main.replaceChildren(h("h1", { text: "Video" }), h("p", { role: "alert", text: `Could not load this video: ${errorText(error)}` }));
    return;
  }
  let title = video.displayTitle;
  const dialog = confirmDialog();
  const stage = h("section", { class: "stage", "aria-label": "Player" });
  const side = h("section", { class: "details-panel", "aria-labelledby": "details-title" });
  const heading = h("h1", { text: title });
  const manage = h("section", { class: "manage", "aria-labelledby": "manage-title" }); // under the player
  const description = h("p", { class: "description", id: "video-description", hidden: !video.description, text: video.description || "" });
  main.replaceChildren(
    h("div", { class: "page-head" }, heading, h("span", { class: `badge state-${video.state}`, id: "video-state", text: stateLabel(video.state) })),
    h("div", { class: "video-layout" }, h("div", { class: "video-main" }, stage, description, manage), side),
    dialog.element,
  );

  let player = null;
  let leaving = false;
  const showPlayer = async (current) => {
    if (player?.hls) player.hls.destroy();
    stage.replaceChildren();
    const priv = current.visibility === "private";
    const [v, t, s] = priv ? await Promise.all(["v", "t", "s"].map((aud) => playbackToken(current.id, aud))) : [null, null, null];
    const q = (tok) => (tok ? `?token=${encodeURIComponent(tok.token)}` : "");
    player = await createPlayer(stage, {
      manifestUrl: v ? v.playbackUrl : current.playbackUrl,
      storyboardUrl: `/api/videos/${encodeURIComponent(current.id)}/storyboard.vtt${q(s)}`,
      poster: current.thumbnailUrl ? `${current.thumbnailUrl}${q(t)}` : null,
      label: current.displayTitle,
    });
  };
  if (video.state !== "ready") {
    const text = h("p", { role: "status", id: "processing-status", text: video.state === "failed" ? `Failed: ${failureMessage(video.error)}` : `This video is ${stateLabel(video.state)}.` });
    stage.append(text);
    if (video.state === "failed" && video.error) {
      // the server's own words, for whoever needs them, behind a disclosure
      stage.append(h("details", { class: "technical" }, h("summary", { text: "Technical details" }), h("p", { text: `${video.error.message || ""} (${video.error.code})` })));
    }
    if (video.state !== "failed") {
      statusSocket(video.id, (message) => {
        if (message.state === "PROCESSING") text.textContent = `Processing: ${Math.round(message.progress || 0)} %`;
        if (!leaving && (message.state === "READY" || message.state === "FAILED")) location.reload();
      });
    }
  } else {
    await showPlayer(video);
  }

  side.append(h("h2", { id: "details-title", text: "Details" }), detailsList(video));
  if (video.state === "ready" && video.progress < 100) followLadder(video);
  if (video.renditions.length) {
    side.append(
      h("h3", { text: "Renditions" }),
      h("table", { class: "renditions" }, h("thead", {}, h("tr", {}, ["Name", "Size", "Bitrate", "Peak", "VMAF"].map((c) => h("th", { scope: "col", text: c })))), h("tbody", {}, video.renditions.map(renditionRow))),
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
  else if (video.tasks.some((t) => t.type === "metadata_extraction" && t.status !== "completed" && t.status !== "failed")) {
    followAnalysis(video, side); // it completes after ready: shown when it does
  }
  let share = side.querySelector(".share");
  // Made private, the player's unsigned URLs answer 403 from the save on: it stops loading
  // first (a rung the ladder is still encoding, a level switch) and is rebuilt on signed URLs.
  const stopUnsigned = (changed) => {
    const hls = player?.hls;
    if (changed.visibility !== "private" || !hls) return null;
    hls.stopLoad();
    return () => hls.startLoad();
  };
  const edit = editForm(video, async (fresh, { visibilityChanged }) => {
    title = fresh.displayTitle;
    heading.textContent = title;
    document.title = `${title} · vidhost`;
    description.textContent = fresh.description || "";
    description.hidden = !fresh.description;
    document.getElementById("video-facts").replaceWith(detailsList({ ...fresh, progress: Math.max(fresh.progress, ladderShown) }));
    if (fresh.state === "ready" && visibilityChanged) {
      await showPlayer(fresh);
      const box = await sharing(fresh);
      share?.replaceWith(box);
      share = box;
    }
  }, { beforeSave: stopUnsigned });
  manage.append(
    h("h2", { id: "manage-title", text: "Manage" }),
    h(
      "div",
      { class: "actions" },
      edit.open,
      h("button", {
        type: "button",
        class: "danger",
        text: "Delete video",
        onclick: async () => {
          if (!(await dialog.ask(`Delete “${title}”? This cannot be undone.`))) return;
          leaving = true; // its status socket's last word is no reason to reload
          try {
            await api(`/api/videos/${encodeURIComponent(video.id)}`, { method: "DELETE" });
            location.assign("/");
          } catch (error) {
            leaving = false;
            edit.message.textContent = `Not deleted: ${errorText(error)}`;
          }
        },
      }),
    ),
    edit.message,
    edit.form,
  );
}

function detailsList(video) {
  const rows = [
    ["State", stateLabel(video.state)],
    ["Renditions stored", ladderText(video.progress)],
    ["Visibility", VISIBILITY[video.visibility] || video.visibility],
    ["Duration", formatDuration(video.duration)],
    ["Resolution", video.resolution ? `${video.resolution.width}×${video.resolution.height}` : "–"],
    ["Codecs", [video.videoCodec, video.audioCodec].filter(Boolean).join(" + ") || "–"],
    ["Frame rate", video.fps ? `${Math.round(video.fps * 100) / 100} fps` : "–"],
    ["Size", formatBytes(video.sizeBytes)],
    ["File", video.filename || "–"],
    ["Tags", video.tags.length ? video.tags.join(", ") : "–"],
  ];
  return h("dl", { class: "facts", id: "video-facts" }, rows.map(([k, v]) => [h("dt", { text: k }), h("dd", { text: v, id: k === "Renditions stored" ? "ladder-progress" : null })]));
}

// The share of the ladder stored: a ready video plays at once while its other renditions
// are still encoded (ready is not 100 %).
function ladderText(progress) {
  const p = Number(progress || 0);
  return p >= 100 ? "all (100 %)" : `${Math.floor(p * 10) / 10} %`;
}

// Keep "Renditions stored" current until the whole ladder is stored (the owner's event socket).
let ladderShown = 0;
function followLadder(video) {
  ladderShown = Number(video.progress || 0);
  const show = (value) => {
    ladderShown = Math.max(ladderShown, value);
    const cell = document.getElementById("ladder-progress"); // an edit may have redrawn it
    if (cell) cell.textContent = ladderText(ladderShown);
    if (ladderShown >= 100) socket.close();
  };
  const socket = eventsSocket((message) => {
    if (message.type !== "progress" || message.videoId !== video.id || message.kind !== "transcode") return;
    show(message.status === "completed" ? 100 : Number(message.progress || 0));
  });
  // an update between the read above and the socket's open is caught by one more read
  socket.addEventListener("open", async () => {
    const fresh = await api(`/api/videos/${encodeURIComponent(video.id)}/status`).catch(() => null);
    if (fresh) show(Number(fresh.progress || 0));
  });
}

// The analysis, added when its task completes (the owner's event socket).
function followAnalysis(video, side) {
  let shown = false;
  const show = async () => {
    const fresh = await api(`/api/videos/${encodeURIComponent(video.id)}`).catch(() => null);
    if (!fresh?.analysisUrl || shown) return;
    shown = true;
    socket.close();
    side.append(await analysis(fresh));
  };
  const socket = eventsSocket((message) => {
    if (message.videoId === video.id && message.kind === "metadata_extraction" && message.status === "completed") show();
  });
  socket.addEventListener("open", show); // a completion before the socket opened
}

async function sharing(video) {
  const origin = location.origin;
  const box = h("div", { class: "share" }, h("h3", { text: "Share and embed" }));
  const share = h("input", { id: "share-link", readonly: true, value: `${origin}/embed/${video.id}` });
  const embed = h("textarea", { id: "embed-code", readonly: true, rows: "3" });
  const setEmbed = (src) => {
    share.value = src;
    embed.value = `<iframe src="${src}" width="640" height="360" title="${video.displayTitle.replace(/&/g, "&amp;").replace(/"/g, "&quot;")}" allow="fullscreen; picture-in-picture" allowfullscreen></iframe>`;
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
        h("dt", { text: "Container" }), h("dd", { text: data.container || data.format || "–" }),
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

// One row of the renditions table: the bit rates the master playlist advertises (measured
// from the stored segments once the ladder is stored, planned before: "≈") and the VMAF
// the background measurement gave (mean, 5th percentile), "…" until then (ADR 0045).
function renditionRow(r) {
  const kbs = (bits) => `${r.measured ? "" : "≈"}${Math.round(bits / 1000)} kb/s`;
  const vmaf = r.vmaf ? `${r.vmaf.mean.toFixed(1)} (p5 ${r.vmaf.p5.toFixed(1)})` : "…";
  return h("tr", {}, h("td", { text: r.name }), h("td", { text: `${r.width}×${r.height}` }), h("td", { text: kbs(r.averageBitrate ?? r.bitrate) }), h("td", { text: kbs(r.peakBitrate ?? r.bitrate) }), h("td", { class: "vmaf", text: vmaf }));
}
