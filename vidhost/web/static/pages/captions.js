// The video page's Captions panel (the owner's; ADR 0068): the video's text tracks, each with
// its WebVTT to download (with a playback token for a private video) and a Delete button, and
// a form to upload a WebVTT or SRT file with its language, name and "closed captions". To
// edit a track (a generated one too): download it, change it, upload it and delete the old one.

import { api, authHeaders, errorOf, playbackToken } from "../api.js";
import { errorText, h } from "../ui.js";

export function captionsPanel(video) {
  const base = `/api/videos/${encodeURIComponent(video.id)}/captions`;
  const status = h("p", { role: "status", id: "captions-status", class: "hint" });
  const list = h("ul", { class: "caption-list", id: "caption-list" });

  const render = async () => {
    const tracks = await api(base);
    const tok = video.visibility === "private" && tracks.length ? (await playbackToken(video.id, "v")).token : null;
    list.replaceChildren(
      ...tracks.map((t) => {
        const kind = `${t.closedCaptions ? "captions" : "subtitles"}${t.generated ? ", generated" : ""}`;
        const href = tok ? `${t.url}?token=${encodeURIComponent(tok)}` : t.url;
        return h(
          "li",
          { "data-track": t.id, "data-language": t.language },
          h("span", { text: `${t.name} (${t.language}, ${kind}) ` }),
          t.status === "ready"
            ? h("a", { href, download: `${video.id}-${t.language}.vtt`, text: "Download" })
            : h("span", { class: "hint", text: t.status }),
          " ",
          h("button", {
            type: "button",
            class: "link danger",
            "aria-label": `Delete the ${t.name} track`,
            text: "Delete",
            onclick: async () => {
              try {
                await api(`${base}/${encodeURIComponent(t.id)}`, { method: "DELETE" });
                status.textContent = `${t.name} deleted.`;
                await render();
              } catch (error) {
                status.textContent = errorText(error);
              }
            },
          }),
        );
      }),
    );
    if (!tracks.length) list.append(h("li", { class: "hint", text: "No captions yet." }));
  };

  const file = h("input", { type: "file", id: "caption-file", name: "file", accept: ".vtt,.srt,text/vtt", required: true });
  const language = h("input", { type: "text", id: "caption-language", name: "language", placeholder: "en", required: true, size: "6" });
  const name = h("input", { type: "text", id: "caption-name", name: "name", placeholder: "English" });
  const cc = h("input", { type: "checkbox", id: "caption-cc", name: "closedCaptions", value: "true" });
  const form = h(
    "form",
    { class: "caption-form", id: "caption-form" },
    h("label", { for: "caption-file", text: "WebVTT or SRT file" }),
    file,
    h("label", { for: "caption-language", text: "Language (BCP 47)" }),
    language,
    h("label", { for: "caption-name", text: "Name" }),
    name,
    h("label", { for: "caption-cc" }, cc, " Closed captions"),
    h("button", { type: "submit", text: "Upload captions" }),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = new FormData();
    body.append("file", file.files[0]);
    body.append("language", language.value.trim());
    if (name.value.trim()) body.append("name", name.value.trim());
    body.append("closedCaptions", cc.checked ? "true" : "false");
    status.textContent = "Uploading…";
    try {
      const response = await fetch(base, { method: "POST", headers: authHeaders(), body });
      if (!response.ok) throw await errorOf(response);
      const track = await response.json();
      status.textContent = `${track.name} added.`;
      form.reset();
      await render();
    } catch (error) {
      status.textContent = errorText(error);
    }
  });
  render().catch((error) => (status.textContent = errorText(error)));
  return h("div", { class: "captions-panel" }, h("h3", { text: "Captions" }), list, form, status);
}
