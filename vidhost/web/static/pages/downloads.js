// The video page's Download menu (ADR 0065): an MP4 of the top rendition and, when the video
// has audio, the M4A. A choice asks for the file (POST /api/videos/{id}/downloads, the same
// file if it was asked for before), shows "Preparing…" while the server remuxes it from the
// stored ladder, follows the owner's event socket until it is made, then offers the link
// (with a playback token for a private video).

import { api, ApiError, eventsSocket, playbackToken } from "../api.js";
import { errorText, formatBytes, h } from "../ui.js";

export function downloadMenu(video) {
  const choices = [{ rendition: "highest", name: "highest.mp4", label: "MP4 (highest quality)" }];
  if (video.audioCodec) choices.push({ rendition: "audio", name: "audio.m4a", label: "Audio (M4A)" });
  const status = h("p", { role: "status", id: "download-status", class: "hint" });
  const links = h("ul", { class: "download-links", id: "download-links" });
  const list = h("ul", { class: "download-choices", id: "download-choices", hidden: true });
  const toggle = h("button", {
    type: "button",
    class: "secondary",
    id: "download-button",
    "aria-expanded": "false",
    "aria-controls": "download-choices",
    text: "Download",
    onclick: () => setOpen(list.hidden),
  });
  const setOpen = (open) => {
    list.hidden = !open;
    toggle.setAttribute("aria-expanded", String(open));
  };
  for (const choice of choices) {
    list.append(
      h("li", {}, h("button", {
        type: "button",
        class: "link",
        "data-rendition": choice.rendition,
        text: choice.label,
        onclick: () => {
          setOpen(false);
          offer(video, choice, status, links);
        },
      })),
    );
  }
  list.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      setOpen(false);
      toggle.focus();
    }
  });
  return h("div", { class: "downloads" }, h("h3", { text: "Downloads" }), h("div", { class: "download-menu" }, toggle, list), status, links);
}

const pending = new Set();

async function offer(video, choice, status, links) {
  const shown = links.querySelector(`[data-name="${choice.name}"] a`);
  if (shown) {
    shown.focus();
    return;
  }
  if (pending.has(choice.name)) return;
  pending.add(choice.name);
  status.textContent = `Preparing ${choice.label}…`;
  try {
    let record = await api(`/api/videos/${encodeURIComponent(video.id)}/downloads`, { method: "POST", body: { rendition: choice.rendition } });
    if (record.status === "preparing") record = await untilMade(video.id, record.name);
    if (record.status !== "ready") {
      status.textContent = `${choice.label} could not be made (${record.status}).`;
      return;
    }
    let href = record.url;
    if (video.visibility === "private") href += `?token=${encodeURIComponent((await playbackToken(video.id, "v")).token)}`;
    links.append(h("li", { "data-name": record.name }, h("a", { href, download: "", id: `download-${choice.rendition}`, text: `${choice.label}, ${formatBytes(record.bytes)}` })));
    status.textContent = `${choice.label} is ready.`;
  } catch (error) {
    status.textContent = `${choice.label}: ${errorText(error)}`;
  } finally {
    pending.delete(choice.name);
  }
}

// The download's record once it is no longer preparing: read after the socket opens (a
// change between the request and the open is not lost), and again on each of its messages.
function untilMade(videoId, name) {
  return new Promise((resolve, reject) => {
    let done = false;
    const settle = (fn, value) => {
      if (done) return;
      done = true;
      socket.close();
      fn(value);
    };
    const check = async () => {
      try {
        const found = (await api(`/api/videos/${encodeURIComponent(videoId)}/downloads`)).find((d) => d.name === name);
        if (!found) settle(reject, new ApiError(404, "download_not_found", `no ${name} any more`));
        else if (found.status !== "preparing") settle(resolve, found);
      } catch (error) {
        settle(reject, error);
      }
    };
    const socket = eventsSocket((message) => {
      if (message.videoId === videoId && message.type === "download" && message.name === name) check();
    });
    socket.addEventListener("open", check);
    socket.addEventListener("close", () => {
      if (!done) settle(reject, new Error("the event socket closed; try again"));
    });
  });
}
