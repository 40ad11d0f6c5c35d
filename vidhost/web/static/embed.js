// /embed/{id}[?token=<playback token>]: just the player, for <iframe>. A public or unlisted
// video plays from its plain URLs; a private one from the signed link's playback token.

import { createPlayer } from "./player.js";

const id = decodeURIComponent(location.pathname.split("/").pop());
const playbackToken = new URLSearchParams(location.search).get("token");
const q = playbackToken ? `?token=${encodeURIComponent(playbackToken)}` : "";
const base = `/stream/${encodeURIComponent(id)}`;

createPlayer(document.getElementById("main"), {
  manifestUrl: `${base}/manifest${q}`,
  storyboardUrl: playbackToken ? null : `/api/videos/${encodeURIComponent(id)}/storyboard.vtt`,
  poster: playbackToken ? null : `${base}/poster.jpg`,
  label: "Video",
});
