// Sign-in: paste a token (vidhost token --user NAME), or follow the one-time link
// `vidhost serve` prints (its code is in the URL fragment, which is never sent or logged).

import { api, setToken, signedIn } from "../api.js";
import { errorText, h } from "../ui.js";

export async function mount(main) {
  const message = h("p", { id: "sign-in-message", role: "alert" });
  const code = new URLSearchParams(location.hash.slice(1)).get("code");
  if (code) {
    history.replaceState(null, "", location.pathname); // the code leaves the address bar
    try {
      const answer = await api("/api/auth/sign-in", { method: "POST", body: { code } });
      setToken(answer.token);
      location.replace("/");
      return;
    } catch (error) {
      message.textContent = `That sign-in link did not work: ${errorText(error)}.`;
    }
  }
  const input = h("input", {
    id: "token",
    name: "token",
    type: "password",
    autocomplete: "off",
    required: true,
    "aria-describedby": "token-help",
  });
  const form = h(
    "form",
    {
      class: "card narrow",
      onsubmit: async (event) => {
        event.preventDefault();
        setToken(input.value.trim());
        if (await signedIn()) {
          location.assign("/");
        } else {
          setToken(null);
          message.textContent = "That token was not accepted (expired, or for another server).";
          input.focus();
        }
      },
    },
    h("h1", { text: "Sign in" }),
    h("label", { for: "token", text: "Bearer token" }),
    input,
    h("p", { id: "token-help", class: "hint" },
      "Print one with ", h("code", { text: "vidhost token --user NAME" }),
      ", or open the one-time link ", h("code", { text: "vidhost serve" }), " printed."),
    h("button", { type: "submit", text: "Sign in" }),
    message,
  );
  main.replaceChildren(form);
}
