// The venue scanner page (受付): camera → verdict, the live counter, search by name with one-tap
// check-in, recent check-ins with undo, and the offline state (queue, last sync) always in view.
// What it knows and how it decides lives in scanner-engine.js; this file draws the page.
// The modules it imports are listed in templates/checkin/scanner.html as modulepreload links
// too: the service worker keeps every file the page names, so a reload works offline.

import { Api, NetworkError } from "./scanner-api.js";
import { Camera } from "./scanner-camera.js";
import { Engine } from "./scanner-engine.js";
import * as Store from "./scanner-store.js";
import { Verdict } from "./scanner-verdict.js";

const root = document.getElementById("scanner");
if (root) scannerPage(root);

function scannerPage(root) {
  const $ = (id) => document.getElementById(id);
  const text = $("scanner-text").dataset;

  const SAME_CODE_PAUSE_MS = 3000; // the same QR again within this time is the same person
  const STATUS_EVERY_MS = 5000;
  const SYNC_EVERY_MS = 10000;
  const LIST_EVERY_MS = 60000;
  const sessionId = Number(root.dataset.sessionId);
  const venueId = root.dataset.venueId ? Number(root.dataset.venueId) : null;

  const labels = {};
  document.querySelectorAll("#scanner-labels dt").forEach((dt) => {
    labels[dt.textContent] = dt.nextElementSibling.textContent;
  });
  const reasonText = (reason) => labels[`reason:${reason}`] || text.error;
  const modeText = (mode) => labels[`mode:${mode}`] || "";
  const fill = (template, values) =>
    template.replace(/\{(\w+)\}/g, (_, key) => (key in values ? String(values[key]) : ""));

  const lang = document.documentElement.lang || "ja";
  function clock(value, withSeconds = false) {
    if (!value) return "";
    const options = { hour: "2-digit", minute: "2-digit", timeZone: "Asia/Tokyo" };
    if (withSeconds) options.second = "2-digit";
    return new Date(value).toLocaleTimeString(lang === "ja" ? "ja-JP" : "en-GB", options);
  }

  function element(tag, className, content) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (content !== undefined && content !== null) node.textContent = content;
    return node;
  }

  // What the server last said (counters, recent check-ins), and what the camera did.
  const page = {
    server: { checked_in: null, expected: null, duplicates: 0, recent: [] },
    decodes: 0,
    frames: 0,
    frameMs: [], // how long the last frames took to decode
    cameraOnAt: 0,
    firstDecodeMs: null, // from the tap on "start" to the first code read
    lastError: null,
  };

  const api = new Api({
    base: root.dataset.api,
    errorText: text.error,
    onReachability: () => renderNetwork(),
  });
  const engine = new Engine({
    api,
    store: Store,
    sessionId,
    venueId,
    page: {
      opensAt: root.dataset.opensAt,
      endsAt: root.dataset.endsAt,
      cancelled: root.dataset.cancelled === "true",
    },
    onChange: () => {
      renderCounts();
      renderRecent();
      renderListInfo();
    },
    onLogin: loginNeeded,
    onSynced: markSynced,
  });

  function loginNeeded(needed) {
    const alert = $("scanner-alert");
    alert.hidden = !needed;
    alert.replaceChildren();
    if (needed) {
      const link = element("a", null, text.login);
      link.href = root.dataset.loginUrl;
      alert.append(link);
    }
  }

  function markSynced(when) {
    $("last-sync").textContent = clock(when, true);
    $("last-sync").dataset.syncedAt = when.toISOString(); // to the millisecond, for the tests
    Store.setMeta("lastSync", when.toISOString()).catch(() => {});
  }

  // --- the verdict screen ------------------------------------------------------------------------

  const verdictScreen = new Verdict($("verdict"));

  // verdict: the server's (or the phone's, offline); again(): the same scan or check-in by name
  // once more, with the override, for 「この会場で受付」 on a ticket for another venue.
  function showVerdict(verdict, again) {
    const status = verdict.status;
    const person = verdict.registration;
    let message = status === "rejected" ? verdict.message || reasonText(verdict.reason) : "";
    if (status === "rejected" && verdict.reason === "wrong_venue" && verdict.ticket_venue && !verdict.message) {
      message = fill(text.wrongVenue, { venue: verdict.ticket_venue });
    }
    let override = null;
    if (status === "rejected" && verdict.overridable && again) {
      override = () => again({ override: true }).then((next) => showVerdict(next));
    }
    if (status === "already_checked_in" && verdict.checked_in_at) {
      const template = verdict.checked_in_by ? text.atBy : text.at;
      message = fill(template, { time: clock(verdict.checked_in_at), name: verdict.checked_in_by });
    }
    verdictScreen.show({
      status,
      title: { ok: text.ok, already_checked_in: text.already }[status] || text.rejected,
      name: person && person.name,
      furigana: person && person.furigana,
      mode: person && status !== "rejected" ? modeText(person.mode) : "",
      warning: verdict.warning === "registered_online",
      message,
      answers: verdict.answers,
      offline: Boolean(verdict.offline) && status === "ok",
      override,
    });
    root.dataset.lastStatus = status; // also read by the browser tests
    if (!verdict.offline) refreshStatus();
  }

  // --- the camera --------------------------------------------------------------------------------

  let camera = null;
  let cameraState = "off"; // off, running, paused
  let lastCode = null;
  let lastCodeAt = 0;
  let busy = false;

  function onCode(decoded) {
    page.decodes += 1;
    if (page.decodes === 1) page.firstDecodeMs = Math.round(performance.now() - page.cameraOnAt);
    if (busy) return; // the next frame reads it again
    const now = Date.now();
    if (decoded === lastCode && now - lastCodeAt < SAME_CODE_PAUSE_MS) {
      lastCodeAt = now; // still held in front of the camera: the same person
      return;
    }
    lastCode = decoded;
    lastCodeAt = now;
    busy = true;
    const secret = decoded.trim();
    engine
      .scan(secret)
      .then((verdict) => showVerdict(verdict, (options) => engine.scan(secret, options)))
      .catch((err) => {
        page.lastError = String(err);
        showVerdict({ status: "rejected", message: text.error });
      })
      .finally(() => {
        busy = false;
      });
  }

  function onFrame(ms) {
    page.frames += 1;
    page.frameMs.push(Math.round(ms));
    if (page.frameMs.length > 50) page.frameMs.shift();
  }

  async function startCamera() {
    const error = $("camera-error");
    error.hidden = true;
    try {
      camera = camera || new Camera({ container: $("reader"), onCode, onFrame });
      page.cameraOnAt = performance.now();
      await camera.start();
      cameraState = "running";
    } catch (err) {
      cameraState = "off";
      error.textContent = `${text.cameraError} (${err && err.message ? err.message : err})`;
      error.hidden = false;
    }
  }

  function renderToggle() {
    $("scan-toggle").textContent = { running: text.pause, paused: text.resume }[cameraState] || text.start;
    root.dataset.camera = cameraState;
  }

  $("scan-toggle").addEventListener("click", async () => {
    verdictScreen.unlockSound(); // phones play sound only after a tap
    if (cameraState === "off") {
      await startCamera();
    } else if (cameraState === "running") {
      camera.pause();
      cameraState = "paused";
    } else {
      await camera.resume();
      cameraState = "running";
    }
    renderToggle();
  });

  // --- counters, network and list ----------------------------------------------------------------

  function renderCounts() {
    const server = page.server;
    const pending = engine.queuedHere().length; // let in here, not yet known to the server
    const checkedIn = server.checked_in === null ? (pending ? pending : "–") : server.checked_in + pending;
    $("count-checked-in").textContent = String(checkedIn);
    $("count-expected").textContent = server.expected === null ? "–" : String(server.expected);
    const duplicates = $("count-duplicates");
    duplicates.hidden = !server.duplicates;
    duplicates.textContent = fill(text.duplicates, { count: server.duplicates });
    const queued = engine.state.queue.length;
    $("queue-length").textContent = String(queued);
    root.dataset.queueLength = String(queued);
  }

  function renderNetwork() {
    const online = api.reachable();
    const badge = $("net-state");
    badge.dataset.online = String(online);
    badge.textContent = online ? text.online : text.offline;
  }

  function renderListInfo() {
    const list = engine.state.list;
    if (!list) return;
    $("list-info").textContent = fill(text.list, {
      count: list.entries.length,
      time: clock(list.fetched_at || list.generated_at),
    });
    root.dataset.listSize = String(list.entries.length);
  }

  async function refreshStatus() {
    if (!navigator.onLine) return;
    try {
      page.server = await api.call("GET", engine.paths.status);
      renderCounts();
      renderRecent();
    } catch (err) {
      if (err.status === 401) loginNeeded(true);
    }
  }

  async function sync() {
    await engine.sync();
    refreshStatus();
  }

  // --- recent check-ins --------------------------------------------------------------------------

  function recentItem({ name, furigana, time, by, notes, checkinId }) {
    const li = element("li", "person");
    const who = element("div", "person-who");
    who.append(element("strong", null, name), element("span", "furigana", furigana));
    li.append(who, element("div", "person-meta", [clock(time), by].filter(Boolean).join(" · ")));
    notes.forEach(([className, note]) => li.append(element("p", `person-note ${className}`, note)));
    if (checkinId) {
      const undo = element("button", "small danger", text.undo);
      undo.type = "button";
      undo.addEventListener("click", () => undoCheckIn(checkinId, name));
      li.append(undo);
    }
    return li;
  }

  const serverMessage = (result) =>
    result.message || (result.error && result.error.message) || text.error;

  function renderRecent() {
    const items = engine
      .queuedHere()
      .slice()
      .reverse()
      .map((scan) => ({
        name: scan.name,
        furigana: scan.furigana,
        time: scan.scanned_at,
        notes: [["pending", text.notSent]],
      }));
    // Admissions this phone made offline that the server refused, or flagged as duplicates
    // (unless the server's own list below shows that flag already).
    const recent = page.server.recent || [];
    engine.state.synced.forEach((result) => {
      const scan = result.scan;
      if (scan.session_id !== sessionId || (result.status === "ok" && !result.duplicate)) return;
      let note = ["refused", fill(text.serverSaid, { message: serverMessage(result) })];
      if (result.duplicate) {
        if (recent.some((c) => c.duplicate && c.registration_id === scan.registration_id)) return;
        note = ["duplicate", text.duplicate];
      }
      items.push({ name: scan.name, furigana: scan.furigana, time: scan.scanned_at, notes: [note] });
    });
    recent.forEach((checkin) => {
      const notes = [];
      if (checkin.duplicate) notes.push(["duplicate", text.duplicate]);
      if (checkin.mode_changed) notes.push(["came-instead", text.cameInstead]);
      if (checkin.venue_override) notes.push(["came-instead", text.otherVenue]);
      items.push({
        name: checkin.name,
        furigana: checkin.furigana,
        time: checkin.checked_in_at,
        by: checkin.checked_in_by,
        notes,
        checkinId: checkin.duplicate ? null : checkin.id,
      });
    });
    $("recent").replaceChildren(...items.map(recentItem));
  }

  async function undoCheckIn(checkinId, name) {
    if (!window.confirm(fill(text.undoConfirm, { name }))) return;
    try {
      await api.call("DELETE", `/checkins/${checkinId}`); // the server logs who undid it
    } catch (err) {
      window.alert(err instanceof NetworkError ? text.networkError : err.message);
      return;
    }
    const undone = (page.server.recent || []).find((checkin) => checkin.id === checkinId);
    if (undone) engine.markCheckedIn(undone.registration_id, false);
    await refreshStatus();
    runSearch();
  }

  // --- search by name ----------------------------------------------------------------------------

  const searchInput = $("search-q");
  let searchTimer = null;
  let searchRun = 0;

  async function runSearch() {
    const query = searchInput.value.trim();
    const run = ++searchRun;
    const results = $("search-results");
    if (!query) { // one character is enough: 林 finds 林 健
      results.replaceChildren();
      return;
    }
    let people;
    try {
      people = api.reachable()
        ? await api.call("GET", `/sessions/${sessionId}/checkins/search?q=${encodeURIComponent(query)}`)
        : engine.searchHere(query);
    } catch (err) {
      people = engine.searchHere(query);
    }
    if (run !== searchRun) return; // a newer search is on its way
    if (!people.length) {
      results.replaceChildren(element("li", "person-none", text.noneFound));
      return;
    }
    results.replaceChildren(...people.map(personItem));
  }

  const PLACE_REASONS = { cancelled: "cancelled", waitlisted: "waitlisted", applied: "not_confirmed" };

  function personItem(person) {
    const li = element("li", "person");
    const who = element("div", "person-who");
    who.append(element("strong", null, person.name), element("span", "furigana", person.furigana));
    const where = [modeText(person.mode), person.venue].filter(Boolean).join(" · ");
    li.append(who, element("div", "person-meta", where));
    if (person.checked_in) {
      li.append(element("span", "badge badge-ok", text.checkedIn));
    } else if (person.status !== "confirmed") {
      li.append(element("p", "person-note refused", reasonText(PLACE_REASONS[person.status])));
    } else {
      const button = element("button", "primary person-action", text.checkIn);
      button.type = "button";
      button.addEventListener("click", async () => {
        verdictScreen.unlockSound();
        button.disabled = true;
        const again = (options) => engine.byHand(person.id, options);
        showVerdict(await engine.byHand(person.id), again);
        runSearch();
      });
      li.append(button);
    }
    return li;
  }

  $("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    runSearch();
  });
  searchInput.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(runSearch, 250);
  });

  // --- offline shell (service worker) ------------------------------------------------------------

  // The worker keeps this page and every file it loaded, so a reload works offline.
  async function prepareOffline() {
    if (!("serviceWorker" in navigator)) return;
    try {
      await navigator.serviceWorker.register(root.dataset.swUrl, { scope: root.dataset.swScope });
      const worker = (await navigator.serviceWorker.ready).active;
      const files = [location.pathname, root.dataset.startUrl];
      const named = "script[src], link[rel~='modulepreload'], link[rel~='stylesheet'], link[rel~='icon']";
      document.querySelectorAll(named).forEach((node) => {
        files.push(node.src || node.href);
      });
      await new Promise((resolve, reject) => {
        const channel = new MessageChannel();
        channel.port1.onmessage = (event) => (event.data.ok ? resolve() : reject());
        worker.postMessage({ type: "cache", urls: files }, [channel.port2]);
        setTimeout(reject, 60000);
      });
      $("offline-ready").hidden = false;
      root.dataset.offlineReady = "true";
    } catch (err) {
      // No offline shell (e.g. a private window): scanning online still works.
    }
  }

  // --- start -------------------------------------------------------------------------------------

  async function start() {
    renderNetwork();
    renderToggle();
    try {
      await engine.load();
      const lastSync = await Store.getMeta("lastSync");
      if (lastSync) markSynced(new Date(lastSync));
    } catch (err) {
      // No IndexedDB (e.g. some private windows): scanning online still works, offline not.
    }
    await Promise.all([engine.refreshList(), refreshStatus()]);
    sync();
    prepareOffline();
    root.dataset.ready = "true";
  }

  window.addEventListener("online", () => {
    renderNetwork();
    sync().then(engine.refreshList);
  });
  window.addEventListener("offline", renderNetwork);
  $("sync-now").addEventListener("click", () => {
    sync();
    engine.refreshList();
  });
  setInterval(() => document.visibilityState === "visible" && refreshStatus(), STATUS_EVERY_MS);
  setInterval(() => engine.state.queue.length && sync(), SYNC_EVERY_MS);
  setInterval(engine.refreshList, LIST_EVERY_MS);

  // For a look from the browser's console, and for the browser tests.
  window.KakawariScanner = { page, engine, localVerdict: engine.localVerdict };
  start();
}
