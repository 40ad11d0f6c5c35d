// Library: a grid of the caller's videos, a page at a time ("Show more": the API's
// limit/offset). One socket, the owner's /api/events, keeps it live: states and progress
// change, videos uploaded elsewhere (the CLI, another tab) appear and deleted ones go, and the
// count follows (one read of the total after each), with no polling and no reload.

import { api, authorisedImage, eventsSocket } from "../api.js";
import { failureMessage } from "../messages.js";
import { announce, errorText, formatDuration, h } from "../ui.js";

const STATES = ["ready", "processing", "uploaded", "uploading", "created", "failed"];
const cards = new Map(); // video id -> {item, setState, setProgress}

export const VISIBILITY = { public: "Public", unlisted: "Unlisted", private: "Private" };

export function stateLabel(state) {
  return { created: "waiting for upload", uploading: "uploading" }[state] || state;
}

const PAGE = 50; // videos per request; "Show more" asks for the next page (limit/offset)

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
  const more = h("button", { type: "button", class: "secondary", id: "show-more", hidden: true, text: "Show more videos" });
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
    h("div", { class: "more" }, more),
  );

  let timer = null;
  let total = 0; // the server's count for the current filters
  const filtered = () => Boolean(search.value.trim() || stateFilter.value);
  const query = (limit, offset) => {
    const params = new URLSearchParams({ limit: String(limit), offset: String(offset) });
    if (search.value.trim()) params.set("q", search.value.trim());
    if (stateFilter.value) params.set("state", stateFilter.value);
    return `/api/videos?${params}`;
  };
  // The count and the "Show more" button, from the total and the cards shown.
  const showCount = () => {
    const n = `${total} video${total === 1 ? "" : "s"}`;
    summary.textContent = total
      ? cards.size < total
        ? `${n} · showing ${cards.size}`
        : n
      : filtered()
        ? "No video matches."
        : "No videos yet: upload one.";
    more.hidden = cards.size >= total;
  };
  // After a live add or delete: the server's total again (one small read, not a poll).
  let recount = null;
  const refreshCount = () => {
    clearTimeout(recount);
    recount = setTimeout(async () => {
      try {
        total = (await api(query(1, 0))).total;
        showCount();
      } catch {
        /* the next event or load tries again */
      }
    }, 150);
  };
  const load = async () => {
    grid.setAttribute("aria-busy", "true");
    try {
      const page = await api(query(PAGE, 0));
      cards.clear();
      grid.replaceChildren(...page.videos.map((v) => card(v)));
      total = page.total;
      showCount();
    } catch (error) {
      summary.textContent = `Could not load the library: ${errorText(error)}`;
    }
    grid.setAttribute("aria-busy", "false");
  };
  // The next page: newest first, so the cards shown are the first `cards.size` of the list
  // (videos added live are the newest, deleted ones left it).
  more.addEventListener("click", async () => {
    more.disabled = true;
    grid.setAttribute("aria-busy", "true");
    try {
      const page = await api(query(PAGE, cards.size));
      const fresh = page.videos.filter((v) => !cards.has(v.id)).map((v) => card(v));
      grid.append(...fresh);
      total = page.total;
      showCount();
      announce(`${fresh.length} more video${fresh.length === 1 ? "" : "s"} shown`);
      fresh[0]?.querySelector("a")?.focus(); // keyboard users continue where the new ones start
    } catch (error) {
      announce(`Could not load more videos: ${errorText(error)}`);
    }
    more.disabled = false;
    grid.setAttribute("aria-busy", "false");
  });
  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(load, 250);
  });
  stateFilter.addEventListener("change", load);

  const fetchVideo = async (id) => {
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
    if (message.type === "updated") {
      // edited elsewhere (another tab, the CLI, a provider API): the card shows the record now
      if (filtered()) {
        clearTimeout(timer);
        timer = setTimeout(load, 250); // the new title may match the search, or not any more
        return;
      }
      if (!known) return;
      const video = await fetchVideo(message.videoId);
      const current = cards.get(message.videoId);
      if (video && current) current.item.replaceWith(card(video));
      return;
    }
    if (message.type !== "state") return;
    if (message.state === "deleted") {
      if (known) {
        known.item.remove();
        cards.delete(message.videoId);
      }
      refreshCount();
      return;
    }
    if (!known) {
      if (filtered()) {
        clearTimeout(timer);
        timer = setTimeout(load, 250); // the server decides what matches
        return;
      }
      const video = await fetchVideo(message.videoId);
      if (video && !cards.has(video.id)) {
        grid.prepend(card(video));
        announce(`New video: ${video.displayTitle}`);
        refreshCount();
      }
      return;
    }
    if (message.state === "ready" || message.state === "failed") {
      const video = await fetchVideo(message.videoId);
      const current = cards.get(message.videoId);
      if (video && current) {
        current.item.replaceWith(card(video));
        announce(`${video.displayTitle} is ${video.state}`);
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

const DATE = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });

// One video: poster, title, date, duration, state and visibility. No destructive action
// here: deleting is on the video page, behind a confirmation.
function card(video) {
  const title = video.displayTitle;
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
  const error = h("p", { class: "error-text", text: video.state === "failed" ? failureMessage(video.error) : "" });
  const created = new Date(video.createdAt);
  const item = h(
    "li",
    { class: "card video-card", "data-video-id": video.id },
    h("a", { href: `/videos/${encodeURIComponent(video.id)}`, class: "card-link" }, art, h("span", { class: "title", text: title })),
    h(
      "div",
      { class: "meta" },
      video.duration ? h("span", { class: "duration", text: formatDuration(video.duration) }) : null,
      h("time", { class: "date", datetime: video.createdAt, text: DATE.format(created) }),
      state,
      h("span", { class: `badge visibility visibility-${video.visibility}`, text: VISIBILITY[video.visibility] || video.visibility }),
    ),
    progress,
    caption,
    error,
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
