// Webhooks: add an endpoint (its secret is shown once), rotate the secret, browse deliveries
// with status codes and re-send one.

import { api } from "../api.js";
import { confirmDialog } from "./library.js";
import { copyButton, errorText, h } from "../ui.js";

const EVENTS = ["video.upload.created", "video.asset.created", "video.asset.processing", "video.asset.ready", "video.asset.errored", "video.asset.deleted"];

export async function mount(main) {
  const dialog = confirmDialog();
  const url = h("input", { id: "hook-url", name: "url", type: "url", required: true, placeholder: "https://example.com/hooks/vidhost" });
  const description = h("input", { id: "hook-description", name: "description", maxlength: "1000" });
  const boxes = EVENTS.map((e) => h("input", { type: "checkbox", name: "events", value: e, id: `ev-${e}` }));
  const message = h("div", { id: "hook-message", role: "status" });
  const list = h("div", { id: "hook-list" });
  const form = h(
    "form",
    {
      class: "card",
      onsubmit: async (event) => {
        event.preventDefault();
        const events = boxes.filter((b) => b.checked).map((b) => b.value);
        try {
          const created = await api("/api/webhooks", { method: "POST", body: { url: url.value, events, description: description.value || null } });
          form.reset();
          showSecret(message, created.secret, "Endpoint added.");
          await refresh();
        } catch (error) {
          message.replaceChildren(h("p", { class: "error-text", text: `Not added: ${errorText(error)}` }));
        }
      },
    },
    h("h2", { text: "Add an endpoint" }),
    h("div", { class: "field" }, h("label", { for: "hook-url", text: "URL" }), url),
    h("div", { class: "field" }, h("label", { for: "hook-description", text: "Description" }), description),
    h("fieldset", {}, h("legend", { text: "Events (none ticked: all)" }), EVENTS.map((e, i) => h("div", { class: "check" }, boxes[i], h("label", { for: `ev-${e}`, text: e })))),
    h("button", { type: "submit", text: "Add endpoint" }),
  );
  main.replaceChildren(h("h1", { text: "Webhooks" }), form, message, h("h2", { text: "Endpoints" }), list, dialog.element);

  async function refresh() {
    try {
      const endpoints = await api("/api/webhooks");
      list.replaceChildren(...(endpoints.length ? endpoints.map((e) => endpointView(e)) : [h("p", { class: "hint", text: "No endpoints yet." })]));
    } catch (error) {
      list.replaceChildren(h("p", { text: `Could not load endpoints: ${errorText(error)}` }));
    }
  }

  function endpointView(endpoint) {
    const deliveries = h("div", { class: "deliveries" });
    const path = `/api/webhooks/${encodeURIComponent(endpoint.id)}`;
    const showDeliveries = async () => {
      const rows = await api(`${path}/deliveries?limit=50`);
      deliveries.replaceChildren(
        rows.length
          ? h("table", {}, h("caption", { text: `Deliveries to ${endpoint.url}` }), h("thead", {}, h("tr", {}, ["Event", "Video", "Status", "Attempts", "Last answer", "When", ""].map((c) => h("th", { scope: "col", text: c })))),
              h("tbody", {}, rows.map((d) => h("tr", {},
                h("td", { text: d.event_type }), h("td", { text: d.video_id }),
                h("td", {}, h("span", { class: `badge delivery-${d.status}`, text: d.status })),
                h("td", { text: String(d.attempts) }),
                h("td", { text: d.last_status_code ? String(d.last_status_code) : d.last_error || "–" }),
                h("td", { text: new Date(d.created_at).toLocaleString() }),
                h("td", {}, h("button", { type: "button", class: "secondary small", "aria-label": `Re-send ${d.event_type} ${d.id}`, text: "Re-send", onclick: async () => { await api(`${path}/deliveries/${encodeURIComponent(d.id)}/resend`, { method: "POST" }); await showDeliveries(); } }))))))
          : h("p", { class: "hint", text: "No deliveries yet." }),
      );
    };
    return h(
      "article",
      { class: "card endpoint", "data-endpoint-id": endpoint.id },
      h("h3", { text: endpoint.url }),
      endpoint.description ? h("p", { text: endpoint.description }) : null,
      h("p", { class: "hint", text: `Events: ${endpoint.events.length ? endpoint.events.join(", ") : "all"}` }),
      h("div", { class: "actions" },
        h("button", { type: "button", class: "secondary", text: "Deliveries", onclick: showDeliveries }),
        h("button", { type: "button", class: "secondary", text: "Rotate secret", onclick: async () => {
          if (!(await dialog.ask("Rotate the secret? The old one keeps signing for 24 hours.", "Rotate"))) return;
          const rotated = await api(`${path}/rotate-secret`, { method: "POST", body: {} });
          showSecret(message, rotated.secret, "Secret rotated.");
        } }),
        h("button", { type: "button", class: "danger", text: "Delete", onclick: async () => {
          if (!(await dialog.ask(`Delete the endpoint ${endpoint.url}? Its pending deliveries go too.`))) return;
          await api(path, { method: "DELETE" });
          await refresh();
        } }),
      ),
      deliveries,
    );
  }
  await refresh();
}

function showSecret(box, secret, title) {
  const field = h("input", { id: "hook-secret", readonly: true, value: secret });
  box.replaceChildren(
    h("div", { class: "card secret" },
      h("p", {}, h("strong", { text: title }), " Copy the signing secret now: it is not shown again."),
      h("label", { for: "hook-secret", text: "Signing secret" }), field, copyButton("Copy secret", () => secret)),
  );
  field.focus();
  field.select();
}
