// Upload: several files over tus (vendored tus-js-client) with per-file progress, speed, ETA
// and pause/resume. tus-js-client keeps each upload URL in localStorage (urlStorage), so after
// a reload or a dropped connection choosing the same file again resumes from the server's
// offset. Title, description, tags and visibility go to PUT /api/videos/{id}/metadata as soon
// as the upload exists; processing starts by itself after the last byte.

import { api, authHeaders, loadScript, statusSocket } from "../api.js";
import { failureMessage, messageFor } from "../messages.js";
import { formatBytes, formatDuration, h } from "../ui.js";

const TUS_JS = new URL("../vendor/tus-js-client/tus.min.js", import.meta.url).href;
const ENDPOINT = "/api/v1/videos/tus";
const CHUNK_SIZE = Number(localStorage.getItem("vidhost.uploadChunkSize")) || 5 * 1024 * 1024;

export async function mount(main) {
  await loadScript(TUS_JS);
  const tus = window.tus;
  const maxSize = await fetch(ENDPOINT, { method: "OPTIONS" })
    .then((r) => Number(r.headers.get("Tus-Max-Size")) || null)
    .catch(() => null);

  const input = h("input", { id: "files", type: "file", name: "files", multiple: true, accept: "video/*,audio/*", "aria-describedby": "drop-help" });
  const drop = h(
    "div",
    { class: "dropzone", id: "dropzone" },
    h("label", { for: "files", class: "drop-label" }, h("strong", { text: "Choose video files" }), " or drop them here"),
    input,
    h("p", { id: "drop-help", class: "hint", text: maxSize ? `Up to ${formatBytes(maxSize)} each. Uploads resume after a reload: choose the same file again.` : "Uploads resume after a reload: choose the same file again." }),
  );
  const fields = h(
    "fieldset",
    { class: "details" },
    h("legend", { text: "Details for the next files" }),
    field("title", "Title", h("input", { id: "title", name: "title", maxlength: "200", placeholder: "the file name", "aria-describedby": "title-help" }), h("span", { id: "title-help", class: "hint", text: "Left empty: the file name." })),
    field("description", "Description", h("textarea", { id: "description", name: "description", maxlength: "5000", rows: "3" })),
    field("tags", "Tags", h("input", { id: "tags", name: "tags", placeholder: "travel, 2026", "aria-describedby": "tags-help" }), h("span", { id: "tags-help", class: "hint", text: "Separated by commas, at most 20." })),
    field(
      "visibility",
      "Visibility",
      h(
        "select",
        { id: "visibility", name: "visibility" },
        h("option", { value: "public", text: "Public: listed, anyone can watch" }),
        h("option", { value: "unlisted", text: "Unlisted: anyone with the link" }),
        h("option", { value: "private", text: "Private: you, or a signed link" }),
      ),
    ),
  );
  const list = h("ul", { class: "uploads", id: "upload-list", "aria-label": "Uploads" });
  const pending = h("div", { id: "interrupted" });
  // Two columns when there is room: the details beside the drop zone, and the uploads right
  // under it, so a started upload's progress row is in view (issue 24: 1280×900).
  main.replaceChildren(h("h1", { text: "Upload" }), h("div", { class: "upload-layout" }, fields, h("div", { class: "upload-side" }, drop, pending, list)));

  const details = () => ({
    title: main.querySelector("#title").value.trim(),
    description: main.querySelector("#description").value.trim(),
    tags: main.querySelector("#tags").value.split(",").map((t) => t.trim()).filter(Boolean),
    visibility: main.querySelector("#visibility").value,
  });
  const start = (files) => {
    for (const file of files) list.prepend(uploadRow(tus, file, details(), maxSize));
    const first = list.firstElementChild;
    if (first && first.getBoundingClientRect().bottom > innerHeight) first.scrollIntoView({ block: "nearest" });
  };
  input.addEventListener("change", () => {
    start([...input.files]);
    input.value = "";
  });
  drop.addEventListener("dragover", (event) => {
    event.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    drop.classList.remove("over");
    start([...event.dataTransfer.files]);
  });

  // Uploads a reload interrupted: tus-js-client's stored URLs.
  const previous = await tus.defaultOptions.urlStorage.findAllUploads().catch(() => []);
  if (previous.length) {
    pending.append(
      h("h2", { text: "Interrupted uploads" }),
      h("p", { class: "hint", text: "Choose the same file again to continue where it stopped." }),
      h("ul", {}, previous.map((p) => interrupted(tus, p))),
    );
  }
}

// One stored, unfinished upload: choose the file again to resume, or discard it (tus
// termination frees the server's partial file and its pending video).
function interrupted(tus, previous) {
  const name = previous.metadata?.filename || "file";
  const item = h("li", {}, `${name} (${formatBytes(previous.size)}) `);
  item.append(
    h("button", {
      type: "button",
      class: "secondary small",
      "aria-label": `Discard the interrupted upload of ${name}`,
      text: "Discard",
      onclick: async () => {
        await fetch(previous.uploadUrl, { method: "DELETE", headers: { ...authHeaders(), "Tus-Resumable": "1.0.0" } }).catch(() => {});
        await tus.defaultOptions.urlStorage.removeUpload(previous.urlStorageKey);
        item.remove();
      },
    }),
  );
  return item;
}

function field(id, label, control, hint) {
  return h("div", { class: "field" }, h("label", { for: id, text: label }), control, hint || null);
}

function uploadRow(tus, file, meta, maxSize) {
  const bar = h("progress", { max: "100", value: "0", "aria-label": `Upload progress of ${file.name}` });
  const stats = h("span", { class: "stats", text: "Starting…" });
  const status = h("p", { class: "row-status", role: "status" });
  const toggle = h("button", { type: "button", class: "secondary small", text: "Pause", "aria-label": `Pause ${file.name}` });
  const row = h("li", { class: "upload-row card", "data-file": file.name }, h("div", { class: "row-head" }, h("strong", { class: "file-name", text: file.name }), h("span", { class: "hint", text: formatBytes(file.size) })), bar, h("div", { class: "row-foot" }, stats, toggle), status);

  const fail = (text) => {
    row.classList.add("failed");
    status.textContent = text;
    stats.textContent = "";
    toggle.hidden = true;
  };
  if (maxSize && file.size > maxSize) {
    let [size, limit] = [formatBytes(file.size), formatBytes(maxSize)];
    if (size === limit) [size, limit] = [`${file.size.toLocaleString()} bytes`, `${maxSize.toLocaleString()} bytes`];
    fail(`${messageFor("upload_too_large")} It is ${size}; the limit is ${limit}.`);
    return row;
  }

  let videoId = null;
  let described = false;
  let last = { t: performance.now(), bytes: 0 };
  let speed = 0;
  let sentBytes = 0;
  const describe = async () => {
    if (described || !videoId) return;
    described = true;
    await api(`/api/videos/${encodeURIComponent(videoId)}/metadata`, {
      method: "PUT",
      body: { ...meta, title: (meta.title || file.name).slice(0, 200) },
    }).catch((error) => (status.textContent = `Details not saved: ${error.message}`));
  };
  const upload = new tus.Upload(file, {
    endpoint: ENDPOINT,
    chunkSize: CHUNK_SIZE,
    retryDelays: [0, 1000, 3000, 5000],
    headers: authHeaders(),
    metadata: { filename: file.name, filetype: file.type || "application/octet-stream" },
    removeFingerprintOnSuccess: true,
    onAfterResponse: async (req, res) => {
      const id = res.getHeader("Vidhost-Video-Id");
      if (id && !videoId) {
        videoId = id;
        row.dataset.videoId = id;
        if (req.getMethod() === "POST") await describe();
        else described = true; // resumed: its details were saved when it was created
      }
    },
    onProgress: (sent, total) => {
      const now = performance.now();
      sentBytes = sent;
      if (now - last.t > 500) {
        const instant = ((sent - last.bytes) * 1000) / (now - last.t);
        speed = speed ? 0.7 * speed + 0.3 * instant : instant;
        last = { t: now, bytes: sent };
      }
      bar.value = total ? (sent / total) * 100 : 0;
      const eta = speed > 0 ? formatDuration((total - sent) / speed) : "–";
      stats.textContent = `${formatBytes(sent)} of ${formatBytes(total)} · ${speed ? `${formatBytes(speed)}/s` : "–"} · ${eta} left`;
    },
    onError: async (error) => {
      let code = null;
      let text = error.message;
      const res = error.originalResponse;
      if (res) {
        try {
          const body = JSON.parse(res.getBody());
          code = body.code;
          text = body.error;
        } catch {
          /* not JSON */
        }
      }
      if (!res) {
        status.textContent = "The connection dropped. Resume to continue from where the server stopped.";
        toggle.textContent = "Resume";
        return;
      }
      fail(messageFor(code, text));
    },
    onSuccess: () => {
      bar.value = 100;
      toggle.hidden = true;
      stats.textContent = `${formatBytes(file.size)} uploaded`;
      status.textContent = "Uploaded. Checking the file…";
      watch();
    },
  });
  const watch = () => {
    if (!videoId) return;
    const link = h("a", { href: `/videos/${encodeURIComponent(videoId)}`, text: "Open video" });
    const socket = statusSocket(videoId, async (message) => {
      if (message.state === "PROCESSING") {
        status.textContent = `Processing: ${Math.round(message.progress || 0)} %`;
      } else if (message.state === "READY") {
        // ready = plays now; the socket closes here, so no figure that would go stale
        const rest = (message.progress ?? 100) < 100 ? " (more renditions are still being encoded)" : "";
        status.replaceChildren(`Ready${rest}. `, link);
        row.classList.add("done");
        socket.close();
      } else if (message.state === "FAILED") {
        socket.close();
        const details = await api(`/api/videos/${encodeURIComponent(videoId)}/status`).catch(() => null);
        fail(failureMessage(details && details.error)); // as the library shows it
      }
    });
  };

  toggle.addEventListener("click", () => {
    if (toggle.textContent === "Pause") {
      upload.abort();
      toggle.textContent = "Resume";
      toggle.setAttribute("aria-label", `Resume ${file.name}`);
      stats.textContent = `Paused at ${formatBytes(sentBytes)}`;
    } else {
      toggle.textContent = "Pause";
      toggle.setAttribute("aria-label", `Pause ${file.name}`);
      status.textContent = "";
      upload.start();
    }
  });

  upload
    .findPreviousUploads()
    .then((previous) => {
      if (previous.length) {
        upload.resumeFromPreviousUpload(previous[0]);
        status.textContent = "Resuming an interrupted upload…";
      }
      upload.start();
    })
    .catch((error) => fail(error.message));
  return row;
}
