// Talking to the gazemap REST API: bearer tokens, refresh on 401, problem+json errors,
// upload progress and job polling. Every request goes through `request`.

export const API = "/api/v1";
const STORAGE_KEY = "gazemap.tokens";

/** An error answer: `status`, `title`, `detail` and `errors` from problem+json. */
export class ApiError extends Error {
  constructor(status, problem = {}) {
    const detail = problem.detail || problem.title || `request failed with HTTP ${status}`;
    super(detail);
    this.name = "ApiError";
    this.status = status;
    this.title = problem.title || `HTTP ${status}`;
    this.detail = detail;
    this.errors = problem.errors || null;
    this.problem = problem;
  }
}

// Access token in memory, mirrored to sessionStorage so a reload keeps the session
// (sessionStorage dies with the tab, unlike localStorage).
let tokens = null;
try {
  tokens = JSON.parse(sessionStorage.getItem(STORAGE_KEY) || "null");
} catch {
  tokens = null;
}
const listeners = new Set();

export function isSignedIn() {
  return Boolean(tokens && tokens.access_token);
}

/** Call `fn(signedIn)` whenever the session starts or ends. */
export function onSessionChange(fn) {
  listeners.add(fn);
}

function setTokens(pair) {
  tokens = pair ? { access_token: pair.access_token, refresh_token: pair.refresh_token } : null;
  if (tokens) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(tokens));
  else sessionStorage.removeItem(STORAGE_KEY);
  for (const fn of listeners) fn(Boolean(tokens));
}

/**
 * Forget the tokens and revoke the refresh token's whole sign-in on the server
 * (`POST /auth/logout`); the short-lived access token simply expires.
 */
export async function signOut() {
  const refreshToken = tokens && tokens.refresh_token;
  setTokens(null);
  if (!refreshToken) return;
  try {
    await fetch(`${API}/auth/logout`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ refresh_token: refreshToken }),
    });
  } catch {
    // offline: the local tokens are gone already, and the refresh token expires by itself
  }
}

async function problemOf(response) {
  const type = response.headers.get("content-type") || "";
  if (type.includes("json")) {
    try {
      return await response.json();
    } catch {
      return {};
    }
  }
  return { detail: (await response.text()).slice(0, 300) || response.statusText };
}

/** Sign in with the OAuth2 password form; throws ApiError on a wrong password. */
export async function signIn(username, password) {
  const body = new URLSearchParams({ username, password });
  const response = await fetch(`${API}/auth/token`, { method: "POST", body });
  if (!response.ok) throw new ApiError(response.status, await problemOf(response));
  setTokens(await response.json());
}

// One refresh at a time: parallel 401s wait for the same new pair, because a refresh
// token is revoked when used and a second use would revoke the whole family.
let refreshing = null;
async function refresh() {
  if (!tokens || !tokens.refresh_token) return false;
  if (!refreshing) {
    const used = tokens.refresh_token;
    refreshing = (async () => {
      const response = await fetch(`${API}/auth/refresh`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ refresh_token: used }),
      });
      if (!response.ok) {
        setTokens(null);
        return false;
      }
      setTokens(await response.json());
      return true;
    })().finally(() => {
      refreshing = null;
    });
  }
  return refreshing;
}

/** `path` with `query` (object or URLSearchParams) appended. */
export function url(path, query = null) {
  const full = path.startsWith("/") ? path : `${API}/${path}`;
  if (!query) return full;
  const params = query instanceof URLSearchParams ? query : new URLSearchParams();
  if (!(query instanceof URLSearchParams)) {
    for (const [key, value] of Object.entries(query)) {
      if (value === undefined || value === null || value === "") continue;
      for (const v of Array.isArray(value) ? value : [value]) params.append(key, v);
    }
  }
  const text = params.toString();
  return text ? `${full}${full.includes("?") ? "&" : "?"}${text}` : full;
}

/**
 * Send a request with the bearer token; on 401 refresh once and retry. Returns the
 * Response (any 2xx or 304); throws ApiError for everything else.
 */
export async function send(path, { method = "GET", query = null, json, body, headers = {}, signal, cache } = {}) {
  const target = url(path, query);
  const attempt = () => {
    const h = { ...headers };
    if (tokens) h.Authorization = `Bearer ${tokens.access_token}`;
    let payload = body;
    if (json !== undefined) {
      h["Content-Type"] = "application/json";
      payload = JSON.stringify(json);
    }
    return fetch(target, { method, headers: h, body: payload, signal, cache });
  };
  let response = await attempt();
  if (response.status === 401 && (await refresh())) response = await attempt();
  if (response.status === 401) setTokens(null);
  if (!response.ok && response.status !== 304) throw new ApiError(response.status, await problemOf(response));
  return response;
}

/** JSON body of a request (null for 204). */
export async function getJSON(path, options = {}) {
  const response = await send(path, options);
  return response.status === 204 ? null : response.json();
}

/**
 * POST a multipart form with upload progress (fetch cannot report it). `onProgress`
 * gets a fraction in [0, 1]. Resolves to the parsed JSON answer.
 */
export function upload(path, formData, onProgress = () => {}) {
  const go = () =>
    new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", url(path));
      if (tokens) xhr.setRequestHeader("Authorization", `Bearer ${tokens.access_token}`);
      xhr.upload.addEventListener("progress", (event) => {
        if (event.lengthComputable) onProgress(event.loaded / event.total);
      });
      xhr.addEventListener("load", () => {
        let data = {};
        try {
          data = JSON.parse(xhr.responseText || "{}");
        } catch {
          data = { detail: xhr.responseText.slice(0, 300) };
        }
        resolve({ status: xhr.status, data });
      });
      xhr.addEventListener("error", () => reject(new ApiError(0, { detail: "network error during upload" })));
      xhr.send(formData);
    });
  return (async () => {
    let result = await go();
    if (result.status === 401 && (await refresh())) result = await go();
    if (result.status < 200 || result.status >= 300) throw new ApiError(result.status, result.data);
    onProgress(1);
    return result.data;
  })();
}

/**
 * Wait for a job: poll `/api/v1/jobs/{id}` until done or failed, reporting progress.
 * Resolves to the finished job; throws ApiError when it failed.
 */
export async function waitForJob(job, { onProgress = () => {}, signal, intervalMs = 400 } = {}) {
  let current = job;
  for (;;) {
    onProgress(current);
    if (current.status === "done") return current;
    if (current.status === "failed") throw new ApiError(500, { title: "Job failed", detail: current.error || "the job failed" });
    await new Promise((resolve, reject) => {
      const timer = setTimeout(resolve, intervalMs);
      signal?.addEventListener("abort", () => {
        clearTimeout(timer);
        reject(new DOMException("aborted", "AbortError"));
      });
    });
    current = await getJSON(`jobs/${encodeURIComponent(current.id)}`, { signal });
  }
}

/**
 * GET an image (or any binary) that may come back as 202 + job: follows the job to
 * its result. Returns {blob, headers}. `onJob(job)` sees the job while it runs.
 */
export async function getBinary(path, { query = null, signal, onJob = () => {} } = {}) {
  // "no-cache": always revalidate (If-None-Match, a cheap 304 when unchanged), because
  // an upload by anyone changes the map behind the same address
  let response = await send(path, { query, signal, cache: "no-cache" });
  if (response.status === 202) {
    const job = await response.json();
    const done = await waitForJob(job, { onProgress: onJob, signal });
    onJob(null);
    response = await send(done.result_url, { signal, cache: "no-cache" });
  }
  return { blob: await response.blob(), headers: response.headers, status: response.status };
}
