// Sign-in form (OAuth2 password grant). Enter submits; errors show the server's detail.
import { signIn } from "../api.js";
import { errorBox, field, h, replace } from "../dom.js";
import { navigate } from "../router.js";

export function loginView(route) {
  const username = h("input", { name: "username", autocomplete: "username", required: true, autofocus: true });
  const password = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true });
  const message = h("div", { class: "messages" });
  const submit = h("button", { type: "submit", class: "primary", text: "Sign in" });
  const form = h(
    "form",
    {
      class: "card narrow",
      "aria-labelledby": "login-title",
      on: {
        submit: async (event) => {
          event.preventDefault();
          submit.disabled = true;
          replace(message);
          try {
            await signIn(username.value.trim(), password.value);
            const next = route.params.get("next");
            const [path, query] = (next && next.startsWith("/") ? next : "/studies").split("?", 2);
            navigate(path, query ? new URLSearchParams(query) : null);
          } catch (error) {
            replace(message, errorBox(error));
            password.select();
          } finally {
            submit.disabled = false;
          }
        },
      },
    },
    h("h1", { id: "login-title", text: "Sign in to gazemap" }),
    field("User name", username),
    field("Password", password),
    message,
    submit,
  );
  return form;
}
