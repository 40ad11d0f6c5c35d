// The video page's edit form: title, description, tags and visibility. It sends only the
// fields that were changed (PATCH /api/videos/{id}), so what it does not touch keeps its
// value. Keyboard: "Edit details" opens it with focus on Title, Enter in a field or on Save
// saves, Escape or Cancel closes it and gives focus back to the button.

import { api } from "../api.js";
import { errorText, h } from "../ui.js";
import { VISIBILITY } from "./library.js";

const tagsOf = (text) => text.split(",").map((t) => t.trim()).filter(Boolean);
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

// onSaved(fresh, { visibilityChanged }) after a save; beforeSave(changed) just before it,
// returning what undoes it if the save fails (or nothing).
export function editForm(video, onSaved, { beforeSave } = {}) {
  const title = h("input", { id: "edit-title", name: "title", maxlength: "200", autocomplete: "off" });
  const description = h("textarea", { id: "edit-description", name: "description", rows: "4", maxlength: "5000" });
  const tags = h("input", { id: "edit-tags", name: "tags", autocomplete: "off", "aria-describedby": "edit-tags-help" });
  const visibility = h(
    "select",
    { id: "edit-visibility", name: "visibility" },
    Object.entries(VISIBILITY).map(([value, text]) => h("option", { value, text })),
  );
  const message = h("p", { id: "edit-message", class: "hint", role: "status" });
  const save = h("button", { type: "submit", text: "Save" });
  const cancel = h("button", { type: "button", class: "secondary", text: "Cancel" });
  const field = (id, label, control, hint) => h("div", { class: "field" }, h("label", { for: id, text: label }), control, hint || null);
  const form = h(
    "form",
    { id: "edit-form", class: "edit-form", hidden: true, "aria-labelledby": "edit-heading" },
    h("h3", { id: "edit-heading", text: "Edit details" }),
    field("edit-title", "Title", title),
    field("edit-description", "Description", description),
    field("edit-tags", "Tags", tags, h("span", { id: "edit-tags-help", class: "hint", text: "Separated by commas, at most 20." })),
    field("edit-visibility", "Visibility", visibility),
    h("div", { class: "actions" }, save, cancel),
  );
  const open = h("button", { type: "button", class: "secondary", id: "edit-open", "aria-expanded": "false", "aria-controls": "edit-form", text: "Edit details" });

  let current = video;
  const fill = () => {
    title.value = current.title || "";
    title.placeholder = current.displayTitle; // an untitled video: what it is shown as
    description.value = current.description || "";
    tags.value = (current.tags || []).join(", ");
    visibility.value = current.visibility;
  };
  const show = (visible) => {
    form.hidden = !visible;
    open.setAttribute("aria-expanded", String(visible));
    if (visible) {
      fill();
      title.focus();
      title.select();
    } else open.focus();
  };
  open.addEventListener("click", () => show(form.hidden));
  cancel.addEventListener("click", () => {
    message.textContent = "";
    show(false);
  });
  form.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      show(false);
    }
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const wanted = {
      title: title.value.trim(),
      description: description.value.trim(),
      tags: tagsOf(tags.value),
      visibility: visibility.value,
    };
    const before = {
      title: current.title || "",
      description: current.description || "",
      tags: current.tags || [],
      visibility: current.visibility,
    };
    const changed = Object.fromEntries(Object.entries(wanted).filter(([k, v]) => !same(v, before[k])));
    if (!Object.keys(changed).length) {
      message.textContent = "Nothing changed.";
      return;
    }
    if ("title" in changed && !changed.title) {
      message.textContent = "A title is needed.";
      title.focus();
      return;
    }
    save.disabled = true;
    message.textContent = "Saving…";
    const undo = beforeSave ? beforeSave(changed) : null;
    try {
      const fresh = await api(`/api/videos/${encodeURIComponent(current.id)}`, { method: "PATCH", body: changed });
      const visibilityChanged = fresh.visibility !== current.visibility;
      current = fresh;
      message.textContent = `Saved: ${Object.keys(changed).join(", ")}.`;
      show(false);
      await onSaved(fresh, { visibilityChanged });
    } catch (error) {
      if (undo) undo();
      message.textContent = `Not saved: ${errorText(error)}`;
    }
    save.disabled = false;
  });
  return { open, form, message };
}
