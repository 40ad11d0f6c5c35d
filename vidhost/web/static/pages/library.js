// Library: a grid of the caller's videos. One socket, the owner's /api/events, keeps it live:
// states and progress change, videos uploaded elsewhere (the CLI, another tab) appear and
// deleted ones go, with no polling and no reload.

import { api, authorisedImage, eventsSocket } from "../api.js";
import { announce, errorText, formatDuration, h } from "../ui.js";

const STATES = ["ready", "processing", "uploaded", "uploading", "created", "failed"];
const cards = new Map(); // video id -> {item, setState, setProgress}

export function stateLabel(state) {
  return { created: "waiting for upload", uploading: "uploading" }[state] || state;
}

export async function mount(main) {
  const search = h("input", { id: "search", type: "search", name: "q", autocomplete: "off" });
  const stateFilter = h(
    "select",
    { id: "state-filter", name: "state" },
    h("option", { value: "", text: "All states" }),
    STATES.map((s) => h("option", { value: s, text: stateLabel(s) })),
  );
  const grid = h("ul", { class: "grid", id: "library-grid", "aria-live": "polite", "aria-busy": "true" });
  const summary = h("p", { class: "hint", id: "library-summary" });
  const dialog = confirmDialog();
  main.replaceChildren(
    h("div", { class: "page-head" }, h("h1", { text: "Library" }), h("a", { class: "button", href: "/upload", text: "Upload" })),
    h(
      "form",
      { class: "filters", role: "search", onsubmit: (e) => e.preventDefault() },
      h("div", { class: "field" }, h("label", { for: "search", text: "Search by title" }), search),
      h("div", { class: "field" }, h("label", { for: "state-filter", text: "State" }), stateFilter),
    ),
    summary,
    grid,
    dialog.element,
  );

  let timer = null;
  const filtered = () => Boolean(search.value.trim() || stateFilter.value);
  const load = async () => {
    const params = new URLSearchParams({ limit: "100" });
    if (search.value.trim()) params.set("q", search.value.trim());
    if (stateFilter.value) params.set("state", stateFilter.value);
    grid.setAttribute("aria-busy", "true");
    try {
      const page = await api(`/api/videos?${params}`);
      cards.clear();
      grid.replaceChildren(...page.videos.map((v) => card(v, dialog)));
      summary.textContent = page.total
        ? `${page.total} video${page.total === 1 ? "" : "s"}`
        : params.has("q") || params.has("state")
          ? "No video matches."
          : "No videos yet: upload one.";
    } catch (error) {
      summary.textContent = `Could not load the library: ${errorText(error)}`;
    }
    grid.setAttribute("aria-busy", "false");
  };
  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(load, 250);
  });
  stateFilter.addEventListener("change", load);

  const fresh = async (id) => {
    try {
      return await api(`/api/videos/${encodeURIComponent(id)}`);
    } catch {
      return null; // gone meanwhile
    }
  };
  const onEvent = async (message) => {
    const known = cards.get(message.videoId);
    if (message.type === "progress") {
      if (known && message.kind === "transcode") known.setProgress(message.progress, message.status);
      return;
    }
    if (message.type !== "state") return;
    if (message.state === "deleted") {
      if (known) {
        known.item.remove();
        cards.delete(message.videoId);
      }
      return;
    }
    if (!known) {
      if (filtered()) {
        clearTimeout(timer);
        timer = setTimeout(load, 250); // the server decides what matches
        return;
      }
      const video = await fresh(message.videoId);
      if (video && !cards.has(video.id)) {
        grid.prepend(card(video, dialog));
        announce(`New video: ${video.title || video.filename || video.id}`);
      }
      return;
    }
    if (message.state === "ready" || message.state === "failed") {
      const video = await fresh(message.videoId);
      const current = cards.get(message.videoId);
      if (video && current) {
        current.item.replaceWith(card(video, dialog));
        announce(`${video.title || video.filename || video.id} is ${video.state}`);
      } else current?.setState(message.state);
      return;
    }
    known.setState(message.state);
  };
  // Connect first, then list: nothing created in between is missed. A closed socket (a
  // restart, or 1013 for a reader too slow) reconnects and lists again.
  let retry = 500;
  const connect = () =>
    new Promise((resolve) => {
      const socket = eventsSocket(onEvent);
      socket.addEventListener("open", () => {
        retry = 500;
        resolve();
      });
      socket.addEventListener("close", () => {
        resolve();
        setTimeout(async () => {
          await connect();
          await load();
        }, retry);
        retry = Math.min(retry * 2, 15000);
      });
    });
  await connect();
  await load();
}

function card(video, dialog) {
  const title = video.title || video.filename || video.id;
  const poster = h("img", { alt: "", class: "poster", loading: "lazy", width: "320", height: "180" });
  const art = h("div", { class: "art" }, video.thumbnailUrl ? poster : h("div", { class: "poster placeholder", text: "No poster yet" }));
  if (video.thumbnailUrl) {
    if (video.visibility === "private") authorisedImage(video.thumbnailUrl).then((url) => (poster.src = url), () => {});
    else poster.src = video.thumbnailUrl;
  }
  const state = h("span", { class: `badge state-${video.state}`, "data-state": video.state, text: stateLabel(video.state) });
  // The ladder's progress (the share of its renditions stored), shown while processing and
  // after ready until every rendition is stored: ready means it plays now, not 100 %.
  let current = { state: video.state, progress: Number(video.progress || 0) };
  const progress = h("progress", { max: "100", value: String(current.progress), "aria-label": `Renditions of ${title} stored` });
  const caption = h("span", { class: "hint ladder" });
  const showLadder = () => {
    const { state: s, progress: p } = current;
    const open = s === "processing" || (s === "ready" && p < 100);
    progress.hidden = caption.hidden = !open;
    progress.value = p;
    item.dataset.progress = String(p);
    caption.textContent = s === "ready" ? `Playable · renditions ${Math.floor(p)} % stored` : `Processing: ${Math.floor(p)} %`;
  };
  const error = h("p", { class: "error-text", text: video.error ? `${video.error.message || ""} (${video.error.code})` : "" });
  const item = h(
    "li",
    { class: "card video-card", "data-video-id": video.id },
    h("a", { href: `/videos/${encodeURIComponent(video.id)}`, class: "card-link" }, art, h("span", { class: "title", text: title })),
    h("div", { class: "meta" }, h("span", { class: "duration", text: formatDuration(video.duration) }), state, video.visibility !== "public" ? h("span", { class: "badge", text: video.visibility }) : null),
    progress,
    caption,
    error,
    h("button", {
      type: "button",
      class: "danger small",
      "aria-label": `Delete ${title}`,
      text: "Delete",
      onclick: async () => {
        if (!(await dialog.ask(`Delete “${title}”? Its renditions, poster and source are removed for good.`))) return;
        try {
          await api(`/api/videos/${encodeURIComponent(video.id)}`, { method: "DELETE" });
          cards.delete(video.id);
          item.remove();
          announce(`Deleted ${title}`);
        } catch (err) {
          announce(`Could not delete ${title}: ${errorText(err)}`);
        }
      },
    }),
  );
  showLadder();
  cards.set(video.id, {
    item,
    setState(next) {
      state.textContent = stateLabel(next);
      state.dataset.state = next;
      state.className = `badge state-${next}`;
      current = { ...current, state: next };
      showLadder();
    },
    setProgress(value, status) {
      // forward only: an event may arrive after a fresher read of the video
      const p = status === "completed" ? 100 : Number(value || 0);
      current = { ...current, progress: Math.max(current.progress, p) };
      showLadder();
    },
  });
  return item;
}

// A modal confirmation (<dialog>: focus stays inside, Escape cancels).
export function confirmDialog() {
  const text = h("p", { id: "confirm-text" });
  const ok = h("button", { value: "ok", class: "danger", text: "Delete" });
  const element = h(
    "dialog",
    { class: "confirm", "aria-labelledby": "confirm-title", "aria-describedby": "confirm-text" },
    h("h2", { id: "confirm-title", text: "Are you sure?" }),
    text,
    h(
      "form",
      { method: "dialog", class: "actions" },
      h("button", { value: "cancel", class: "secondary", text: "Cancel" }),
      ok,
    ),
  );
  return {
    element,
    ask(message, action = "Delete") {
      text.textContent = message;
      ok.textContent = action;
      element.returnValue = "";
      element.showModal();
      return new Promise((resolve) => element.addEventListener("close", () => resolve(element.returnValue === "ok"), { once: true }));
    },
  };
}
