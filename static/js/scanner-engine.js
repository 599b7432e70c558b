// What the scanner knows, and how it decides: the session's list, the queue of admissions made
// offline, and the sync that sends them. A scan goes to the server first; when the server
// cannot be reached, the phone decides with the same rules (scanner-offline.js) and queues
// the admission with the same nonce, so a request that did arrive is not counted twice.

import { ApiError, NetworkError } from "./scanner-api.js";
import * as Offline from "./scanner-offline.js";

const SYNC_BATCH = 100;
const KEEP_LISTS_MS = 2 * 24 * 3600 * 1000; // lists of sessions over for longer are deleted

let device = null;
function deviceId() {
  const key = "kakawari.scanner.device";
  device = device || localStorage.getItem(key);
  if (!device) {
    device = crypto.randomUUID();
    localStorage.setItem(key, device);
  }
  return device;
}

// The phone's time with its offset: the server keeps it as the check-in time.
function isoWithOffset(date) {
  const pad = (n, width = 2) => String(Math.abs(n)).padStart(width, "0");
  const offset = -date.getTimezoneOffset();
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}` +
    `.${pad(date.getMilliseconds(), 3)}${offset < 0 ? "-" : "+"}` +
    `${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`
  );
}

const normalise = (value) => String(value || "").replace(/\s+/g, "").toLowerCase();

// api: an Api (scanner-api.js); store: scanner-store.js; venueId: the venue this scanner
// works at (サテライト会場; null: the session's only venue); page: {opensAt, endsAt, cancelled}
// as the page was rendered (until the list says otherwise); onChange(): the list or queue
// changed; onLogin(needed); onSynced(date): the phone and the server agree as of date.
export function Engine({ api, store, sessionId, venueId, page, onChange, onLogin, onSynced }) {
  const atVenue = venueId ? `?venue_id=${venueId}` : "";
  const paths = {
    scan: `/sessions/${sessionId}/checkins`,
    manual: `/sessions/${sessionId}/checkins/manual`,
    list: `/sessions/${sessionId}/checkins/list${atVenue}`,
    status: `/sessions/${sessionId}/checkins/status${atVenue}`,
    sync: (id) => `/sessions/${id}/checkins/sync`,
  };
  this.paths = paths;
  const where = venueId ? { venue_id: venueId } : {};
  const engine = this;
  const state = {
    list: null, // {session, generated_at, entries, fetched_at}
    byHash: new Map(),
    byRegistration: new Map(),
    elsewhere: new Map(), // hash -> the venue id of a ticket for another venue
    queue: [], // every admission queued on this phone, of any session
    synced: new Map(), // nonce -> what the server answered for it, with the scan
  };
  this.state = state;

  const isLoginError = (err) => err instanceof ApiError && err.status === 401;

  function useList(list) {
    state.list = list;
    state.byHash = new Map(list.entries.map((entry) => [entry.hash, entry]));
    state.byRegistration = new Map(list.entries.map((entry) => [entry.registration_id, entry]));
    state.elsewhere = new Map((list.elsewhere || []).map((entry) => [entry.hash, entry.venue_id]));
  }

  // The name of one of the session's venues, from the list.
  this.venueName = (id) => {
    const venues = (state.list && state.list.session && state.list.session.venues) || [];
    const venue = venues.find((v) => v.id === id);
    return venue ? venue.name : "";
  };

  this.queuedHere = () => state.queue.filter((scan) => scan.session_id === sessionId);

  const admittedHere = () => new Set(this.queuedHere().map((scan) => scan.registration_id));

  // From IndexedDB: what this phone downloaded and queued before (a reload, a restart).
  this.load = async function () {
    state.queue = await store.queued();
    const saved = await store.getList(sessionId);
    // a list of another venue of the session (this phone worked there before) is not this one's
    if (saved && (saved.venue_id || null) === (venueId || null)) useList(saved);
    const cutoff = Date.now() - KEEP_LISTS_MS;
    const lists = await store.allLists();
    await Promise.all(
      lists
        .filter((list) => list.session && new Date(list.session.ends_at).getTime() < cutoff)
        .map((list) => store.deleteList(list.session_id))
    );
    onChange();
  };

  this.refreshList = async function () {
    if (!navigator.onLine) return;
    try {
      const list = await api.call("GET", paths.list);
      const fetched_at = new Date().toISOString();
      useList({ ...list, session_id: sessionId, venue_id: venueId || null, fetched_at });
      await store.saveList(state.list);
      if (!state.queue.length) onSynced(new Date());
      onChange();
    } catch (err) {
      if (isLoginError(err)) onLogin(true);
    }
  };

  // The server reported a check-in (or its undo): the list must know, for offline rescans.
  this.markCheckedIn = function (registrationId, checkedIn) {
    const entry = state.byRegistration.get(registrationId);
    if (!entry || entry.checked_in === checkedIn) return;
    entry.checked_in = checkedIn;
    store.saveList(state.list).catch(() => {});
  };

  function rules() {
    const s = (state.list && state.list.session) || {};
    return {
      opensAt: new Date(s.checkin_opens_at || page.opensAt),
      endsAt: new Date(s.checkin_closes_at || s.ends_at || page.endsAt),
      cancelled: s.status ? s.status === "cancelled" : page.cancelled,
    };
  }

  // The list's verdict as of now (secret null: a check-in by name; hash: the secret's).
  function localVerdict(secret, entry, hash, override = false) {
    return Offline.decide(secret, entry, {
      session: rules(),
      now: new Date(),
      admitted: admittedHere(),
      elsewhere: hash ? state.elsewhere.get(hash) : undefined,
      override,
    });
  }

  this.localVerdict = async (secret) => {
    const hash = await Offline.sha256Hex(secret);
    return localVerdict(secret, state.byHash.get(hash), hash);
  };

  async function decideHere(scan) {
    const byName = scan.secret === undefined;
    const hash = byName ? null : await Offline.sha256Hex(scan.secret);
    const entry = byName ? state.byRegistration.get(scan.registration_id) : state.byHash.get(hash);
    const local = localVerdict(byName ? null : scan.secret, entry, hash, Boolean(scan.override));
    const person = local.entry;
    const verdict = {
      status: local.status,
      reason: local.reason,
      ticket_venue: local.ticketVenueId ? engine.venueName(local.ticketVenueId) : null,
      overridable: local.reason === "wrong_venue",
      venue_override: Boolean(local.override),
      warning: local.warning || null,
      registration: person && {
        id: person.registration_id,
        name: person.name,
        furigana: person.furigana,
        mode: person.mode,
      },
      answers: [],
      offline: true,
    };
    if (local.status === "already_checked_in") {
      const mine = state.queue.find(
        (s) => s.session_id === sessionId && s.registration_id === person.registration_id
      );
      if (mine) verdict.checked_in_at = mine.scanned_at; // let in offline by this phone
    }
    if (local.status === "ok") {
      const queued = {
        ...scan,
        offline_verdict: "ok",
        registration_id: person ? person.registration_id : undefined,
        name: person ? person.name : "",
        furigana: person ? person.furigana : "",
      };
      await store.enqueue(queued); // on disk before the green screen shows
      state.queue.push(queued);
      onChange();
    }
    return verdict;
  }

  async function decide(scan, request) {
    if (api.reachable()) {
      try {
        const verdict = await request();
        onLogin(false);
        if (verdict.registration && verdict.status !== "rejected") {
          engine.markCheckedIn(verdict.registration.id, true);
        }
        return verdict;
      } catch (err) {
        if (isLoginError(err)) {
          onLogin(true); // keep scanning: the queue waits for the new login
        } else if (!(err instanceof NetworkError)) {
          return { status: "rejected", message: err.message, answers: [] };
        }
      }
    }
    return decideHere(scan);
  }

  function newScan(fields) {
    return {
      nonce: crypto.randomUUID(),
      scanned_at: isoWithOffset(new Date()),
      device_id: deviceId(),
      session_id: sessionId,
      ...where,
      ...fields,
    };
  }

  // override: staff tapped 「この会場で受付」 on a ticket for another venue (logged)
  this.scan = (secret, { override = false } = {}) => {
    const scan = newScan({ secret, override });
    const { nonce, scanned_at, device_id } = scan;
    return decide(scan, () =>
      api.call("POST", paths.scan, { secret, nonce, scanned_at, device_id, override, ...where })
    );
  };

  this.byHand = (registrationId, { override = false } = {}) => {
    const scan = newScan({ registration_id: registrationId, override });
    const body = { registration_id: registrationId, nonce: scan.nonce, override, ...where };
    return decide(scan, () => api.call("POST", paths.manual, body));
  };

  // Offline, the list is searched by name and ふりがな (it holds no emails).
  this.searchHere = function (query) {
    if (!state.list) return [];
    const q = normalise(query);
    const admitted = admittedHere();
    return state.list.entries
      .filter((entry) => normalise(entry.name).includes(q) || normalise(entry.furigana).includes(q))
      .slice(0, 20)
      .map((entry) => ({
        id: entry.registration_id,
        name: entry.name,
        furigana: entry.furigana,
        mode: entry.mode,
        status: entry.status,
        checked_in: entry.checked_in || admitted.has(entry.registration_id),
      }));
  };

  // --- sync ---

  const sendBatch = async (id, scans) => {
    const payload = scans.map((scan) => {
      const item = {
        nonce: scan.nonce,
        scanned_at: scan.scanned_at,
        device_id: scan.device_id,
        offline_verdict: scan.offline_verdict,
        override: Boolean(scan.override),
      };
      if (scan.venue_id) item.venue_id = scan.venue_id; // decided at the venue it was made at
      if (scan.secret !== undefined) item.secret = scan.secret;
      else item.registration_id = scan.registration_id;
      return item;
    });
    const data = await api.call("POST", paths.sync(id), { scans: payload });
    const results = new Map((data.results || []).map((result) => [result.nonce, result]));
    const answered = [];
    scans.forEach((scan) => {
      const result = results.get(scan.nonce);
      // The server failed on this one scan: keep it and send it again later.
      if (!result || (result.status === "error" && result.error && result.error.code === "internal_error")) {
        return;
      }
      answered.push(scan.nonce);
      state.synced.set(scan.nonce, { ...result, scan });
      if (result.registration && result.status !== "rejected" && id === sessionId) {
        engine.markCheckedIn(result.registration.id, true);
      }
    });
    await store.removeQueued(answered); // only what the server answered for
  };

  const sendQueue = async () => {
    state.queue = await store.queued(); // another tab may have queued or sent some
    if (!state.queue.length || !navigator.onLine) return;
    const bySession = new Map();
    state.queue.forEach((scan) => {
      if (!bySession.has(scan.session_id)) bySession.set(scan.session_id, []);
      bySession.get(scan.session_id).push(scan);
    });
    try {
      for (const [id, scans] of bySession) {
        for (let i = 0; i < scans.length; i += SYNC_BATCH) {
          await sendBatch(id, scans.slice(i, i + SYNC_BATCH));
        }
      }
      onLogin(false);
      onSynced(new Date());
    } catch (err) {
      if (isLoginError(err)) onLogin(true);
    } finally {
      state.queue = await store.queued();
      onChange();
    }
  };

  let syncing = null;
  // Sends every queued admission; one sync at a time (a second call joins the running one).
  this.sync = () => {
    syncing = syncing || sendQueue().finally(() => (syncing = null));
    return syncing;
  };
}
