// Hash routing: `#/stimuli/7?bandwidth=60&gender=female`. The query after the path is
// the view's whole state, so copying the address shares the view.

/** The current route: {path, segments, params (URLSearchParams)}. */
export function currentRoute() {
  const raw = location.hash.replace(/^#/, "") || "/";
  const [path, query = ""] = raw.split("?", 2);
  return {
    path,
    segments: path.split("/").filter(Boolean),
    params: new URLSearchParams(query),
  };
}

/** The address of `path` with `params`. */
export function href(path, params = null) {
  const query = params ? new URLSearchParams(params).toString() : "";
  return `#${path}${query ? `?${query}` : ""}`;
}

/** Go to another view (adds a history entry). */
export function navigate(path, params = null) {
  location.hash = href(path, params);
}

/**
 * Change the current view's state without a new history entry and without re-rendering
 * (no hashchange fires for replaceState).
 */
export function replaceParams(params) {
  const { path } = currentRoute();
  history.replaceState(history.state, "", href(path, params));
}

/** Call `fn(route)` now and on every navigation. */
export function onRoute(fn) {
  window.addEventListener("hashchange", () => fn(currentRoute()));
  fn(currentRoute());
}
