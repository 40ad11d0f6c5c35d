// The app: one shell for every page; this module mounts the page the path names.
// Navigation is ordinary links (a full, small page load): no client-side router.

import { setToken, signedIn, token } from "./api.js";

const routes = [
  [/^\/$/, "library", "Library"],
  [/^\/upload$/, "upload", "Upload"],
  [/^\/videos\/([^/]+)$/, "video", "Video"],
  [/^\/posts$/, "posts", "Posts"],
  [/^\/webhooks$/, "webhooks", "Webhooks"],
  [/^\/sign-in$/, "signin", "Sign in"],
];

async function main() {
  const main = document.getElementById("main");
  const path = location.pathname;
  let name = "library";
  let title = "Library";
  let params = [];
  for (const [re, n, t] of routes) {
    const match = path.match(re);
    if (match) {
      [name, title, params] = [n, t, match.slice(1)];
      break;
    }
  }

  for (const link of document.querySelectorAll("nav a")) {
    if (link.getAttribute("href") === path) link.setAttribute("aria-current", "page");
  }
  const signOut = document.getElementById("sign-out");
  signOut.hidden = !token();
  signOut.addEventListener("click", () => {
    setToken(null);
    location.assign("/sign-in");
  });

  if (name !== "signin" && !(await signedIn())) {
    name = "signin";
    title = "Sign in";
  }
  document.title = `${title} · vidhost`;
  const page = await import(`./pages/${name}.js`);
  await page.mount(main, ...params.map(decodeURIComponent));
}

main();
