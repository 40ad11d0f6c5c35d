// Small DOM helpers shared by the pages.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

// Binary units, as the server writes every size (vidhost/core/sizes.py): 500 MiB, 1.5 KiB.
export function formatBytes(n) {
  if (n === null || n === undefined) return "–";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(1).replace(/\.0$/, "")} ${units[i]}`;
}

export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return "–:––";
  const s = Math.max(0, Math.round(seconds));
  const hours = Math.floor(s / 3600);
  const mins = Math.floor((s % 3600) / 60);
  const secs = String(s % 60).padStart(2, "0");
  return hours ? `${hours}:${String(mins).padStart(2, "0")}:${secs}` : `${mins}:${secs}`;
}

// Set the live-region status line of a page.
export function announce(message) {
  const region = document.getElementById("status-line");
  if (region) region.textContent = message;
}

export function errorText(error) {
  return error && error.code ? `${error.message} (${error.code})` : String(error.message || error);
}

export function copyButton(label, text) {
  return h("button", {
    type: "button",
    class: "secondary",
    onclick: async (event) => {
      try {
        await navigator.clipboard.writeText(text());
        event.target.textContent = "Copied";
      } catch {
        event.target.textContent = "Select and copy";
      }
    },
    text: label,
  });
}
