// The public API, as the browser calls it. The user JWT lives in localStorage and goes in
// the Authorization header (or the WebSocket subprotocol pair "bearer, <jwt>"), never in a URL.

const TOKEN_KEY = "vidhost.token";

export function token() {
  return localStorage.getItem(TOKEN_KEY);
}

export function setToken(value) {
  if (value) localStorage.setItem(TOKEN_KEY, value);
  else localStorage.removeItem(TOKEN_KEY);
}

export function authHeaders() {
  const t = token();
  return t ? { Authorization: `Bearer ${t}` } : {};
}

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code;
  }
}

export async function errorOf(response) {
  let body = {};
  try {
    body = await response.json();
  } catch {
    body = {};
  }
  return new ApiError(response.status, body.code, body.error);
}

export async function api(path, { method = "GET", body, headers = {} } = {}) {
  const init = { method, headers: { ...authHeaders(), ...headers } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  const response = await fetch(path, init);
  if (!response.ok) throw await errorOf(response);
  if (response.status === 204) return null;
  return response.json();
}

// Signed in, or no sign-in needed (VIDHOST_AUTH=none: every caller is the one user)?
// Without a token this asks GET /api/auth/session, which answers 200 either way.
export async function signedIn() {
  const response = await fetch("/api/auth/session", { headers: authHeaders() });
  if (!response.ok) return false;
  return (await response.json()).user !== null;
}

// The status socket of a video: {state, progress} until READY or FAILED.
export function statusSocket(videoId, onMessage) {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const url = `${scheme}://${location.host}/video/${encodeURIComponent(videoId)}/status/stream`;
  const t = token();
  const socket = t ? new WebSocket(url, ["bearer", t]) : new WebSocket(url);
  socket.addEventListener("message", (event) => onMessage(JSON.parse(event.data)));
  return socket;
}

// The owner's event socket (/api/events): every state and progress change of the caller's
// videos, new ones included: {type: "state", videoId, state} or {type: "progress", videoId,
// kind, status, progress}.
export function eventsSocket(onMessage) {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const url = `${scheme}://${location.host}/api/events`;
  const t = token();
  const socket = t ? new WebSocket(url, ["bearer", t]) : new WebSocket(url);
  socket.addEventListener("message", (event) => onMessage(JSON.parse(event.data)));
  return socket;
}

// A playback token for one of the caller's videos (private media, enhanced downloads).
export function playbackToken(videoId, audience = "v", ttl = 3600) {
  return api(`/api/videos/${encodeURIComponent(videoId)}/playback-token`, {
    method: "POST",
    body: { audience, ttl },
  });
}

// An image the browser cannot fetch with a header (a private poster): fetch it, as a blob URL.
export async function authorisedImage(url) {
  const response = await fetch(url, { headers: authHeaders() });
  if (!response.ok) throw await errorOf(response);
  return URL.createObjectURL(await response.blob());
}

const loaded = new Map();
// A vendored classic script (hls.js, tus-js-client), loaded once, when a page needs it.
export function loadScript(src) {
  if (!loaded.has(src)) {
    loaded.set(
      src,
      new Promise((resolve, reject) => {
        const script = document.createElement("script");
        script.src = src;
        script.onload = resolve;
        script.onerror = () => reject(new Error(`could not load ${src}`));
        document.head.append(script);
      }),
    );
  }
  return loaded.get(src);
}
