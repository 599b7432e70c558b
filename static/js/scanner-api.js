// The scanner's calls to the JSON API (app/api/checkin.py), with the session cookie and the
// page's CSRF token. It also keeps whether the server can be reached: a request that fails,
// times out or meets a Wi-Fi login page instead of our JSON marks it unreachable for a while,
// so the next scans are decided on the phone at once instead of each waiting for a timeout.

const TIMEOUT_MS = 4000;
const UNREACHABLE_MS = 30000;

export class NetworkError extends Error {}

export class ApiError extends Error {
  constructor(status, body, fallback) {
    super((body && body.error && body.error.message) || fallback);
    this.status = status;
    this.code = body && body.error && body.error.code;
  }
}

const csrfMeta = () => document.querySelector('meta[name="csrf-token"]');

// After logging in again the page's CSRF token is stale: take a fresh one from the page.
async function refreshCsrf() {
  const response = await fetch(location.pathname, { cache: "no-store", credentials: "same-origin" });
  const page = new DOMParser().parseFromString(await response.text(), "text/html");
  const meta = page.querySelector('meta[name="csrf-token"]');
  if (!meta) throw new ApiError(401, null, "login");
  csrfMeta().content = meta.content;
}

// base: "/api/v1"; errorText: the message when the server gives none;
// onReachability(reachable): told when that changes.
export function Api({ base, errorText, onReachability }) {
  let unreachableAt = null;

  function unreachable(message) {
    const changed = unreachableAt === null;
    unreachableAt = Date.now();
    if (changed) onReachability(false);
    return new NetworkError(message);
  }

  function reached() {
    if (unreachableAt === null) return;
    unreachableAt = null;
    onReachability(true);
  }

  this.reachable = () =>
    navigator.onLine && (unreachableAt === null || Date.now() - unreachableAt > UNREACHABLE_MS);

  this.call = async function call(method, path, body, retried = false) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
    const headers = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (method !== "GET") headers["X-CSRFToken"] = csrfMeta().content;
    let response;
    try {
      response = await fetch(base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "same-origin",
        cache: "no-store",
        signal: controller.signal,
      });
    } catch (err) {
      throw unreachable(err.message);
    } finally {
      clearTimeout(timer);
    }
    // A proxy's error page is not an answer: the scan is decided on the phone and queued.
    if (response.status >= 500) throw unreachable(`HTTP ${response.status}`);
    let data = null;
    if (response.status !== 204) {
      try {
        data = await response.json();
      } catch (err) {
        throw unreachable("not JSON"); // e.g. a venue Wi-Fi's login page
      }
    }
    reached();
    if (response.ok) return data;
    const error = new ApiError(response.status, data, errorText);
    if (error.code === "csrf_failed" && !retried) {
      await refreshCsrf();
      return call(method, path, body, true);
    }
    throw error;
  };
}
