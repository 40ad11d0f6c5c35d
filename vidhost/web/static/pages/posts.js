// Posts ("Create Post", /api/posts): write, attach one of your ready videos, publish; your
// posts below with their videos playing inline.

import { api, playbackToken } from "../api.js";
import { createPlayer } from "../player.js";
import { errorText, h } from "../ui.js";

export async function mount(main) {
  const ready = await api("/api/videos?state=ready&limit=100").catch(() => ({ videos: [] }));
  const byId = new Map(ready.videos.map((v) => [v.id, v]));
  const content = h("textarea", { id: "post-content", name: "content", rows: "3", maxlength: "5000" });
  const pick = h(
    "select",
    { id: "post-video", name: "videoId" },
    h("option", { value: "", text: "No video" }),
    ready.videos.map((v) => h("option", { value: v.id, text: v.displayTitle })),
  );
  const message = h("p", { role: "status", id: "post-message" });
  const list = h("div", { class: "posts", id: "post-list" });
  const form = h(
    "form",
    {
      class: "card",
      id: "post-form",
      onsubmit: async (event) => {
        event.preventDefault();
        const body = { content: content.value.trim() };
        if (pick.value) body.videoId = pick.value;
        try {
          const post = await api("/api/posts", { method: "POST", body });
          content.value = "";
          pick.value = "";
          message.textContent = "Published.";
          list.prepend(await postView(post, byId));
        } catch (error) {
          message.textContent = `Not published: ${errorText(error)}`;
        }
      },
    },
    h("h2", { text: "Create post" }),
    h("div", { class: "field" }, h("label", { for: "post-content", text: "What do you want to say?" }), content),
    h("div", { class: "field" }, h("label", { for: "post-video", text: "Video" }), pick),
    h("button", { type: "submit", text: "Publish" }),
    message,
  );
  main.replaceChildren(h("h1", { text: "Posts" }), form, h("h2", { text: "Your posts" }), list);
  try {
    const page = await api("/api/posts?limit=20");
    if (!page.posts.length) list.append(h("p", { class: "hint", text: "No posts yet." }));
    for (const post of page.posts) list.append(await postView(post, byId));
  } catch (error) {
    list.append(h("p", { text: `Could not load posts: ${errorText(error)}` }));
  }
}

async function postView(post, byId) {
  const article = h(
    "article",
    { class: "card post", "data-post-id": post.id },
    h("p", { class: "hint" }, h("time", { datetime: post.timestamp, text: new Date(post.timestamp).toLocaleString() })),
    post.content ? h("p", { class: "post-content", text: post.content }) : null,
  );
  if (post.media && post.media.videoId && !post.media.url) {
    article.append(h("p", { class: "hint", text: "The video of this post is no longer available." }));
  } else if (post.media && post.media.videoId) {
    const video = byId.get(post.media.videoId);
    let url = post.media.url;
    if (video && video.visibility === "private") url = (await playbackToken(video.id, "v")).playbackUrl;
    await createPlayer(article, { manifestUrl: url, poster: video && video.visibility === "private" ? null : post.media.thumbnail, label: video?.displayTitle || "Post video" });
  }
  return article;
}
