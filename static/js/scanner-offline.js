// Deciding a scan on the phone when the server cannot be reached: the same rules, in the same
// order, as app/checkin/services.py decide(), applied to the session's downloaded list.
// Three reasons are the server's alone, and their messages reach the page with the others:
// no_venue (the scanner opens only for sessions with a venue), nonce_reused (every scan here
// gets a fresh nonce) and synced_too_late (decided when the queued scan reaches the server).
// app/checkin/services.py SECRET_PATTERN

export const SECRET = /^[A-Za-z0-9_-]{20,64}$/;
const PLACE_REASONS = { cancelled: "cancelled", waitlisted: "waitlisted", applied: "not_confirmed" };

// The list holds SHA-256(secret) in hex, as app/core/secrets.py hash_secret() computes it.
export async function sha256Hex(text) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

const rejected = (reason, entry) => ({ status: "rejected", reason, entry: entry || null });

// secret: the scanned text (null for a check-in by name); entry: the list's entry for its hash (or undefined);
// session: {opensAt: Date, endsAt: Date, cancelled: bool}; now: Date;
// admitted: Set of registration ids this phone let in and has not synced yet;
// elsewhere: the venue id a ticket for another venue of the session is for (the list's
// `elsewhere`: hash and venue, no name), or undefined; override: staff tapped 「この会場で受付」.
export function decide(secret, entry, { session, now, admitted, elsewhere, override }) {
  if (secret !== null && !SECRET.test(secret)) return rejected("unreadable");
  // サテライト会場: a ticket for another venue of this session (checkin.rules.venue_reason);
  // let in anyway with the override, decided again (and logged) by the server when it syncs.
  if (!entry && elsewhere !== undefined) {
    if (session.cancelled) return rejected("session_cancelled");
    if (now < session.opensAt) return rejected("too_early");
    if (now > session.endsAt) return rejected("closed");
    if (!override) return { ...rejected("wrong_venue"), ticketVenueId: elsewhere };
    return { status: "ok", reason: null, entry: null, override: true };
  }
  // Not on this session's list: unknown, another organisation's or series', revoked, or not registered
  // for this session. The server tells them apart; offline we can only refuse.
  if (!entry) return rejected("unknown_ticket");
  if (session.cancelled) return rejected("session_cancelled", entry);
  if (now < session.opensAt) return rejected("too_early", entry);
  if (now > session.endsAt) return rejected("closed", entry);
  if (entry.status !== "confirmed") {
    return rejected(PLACE_REASONS[entry.status] || "not_registered", entry);
  }
  if (entry.checked_in || admitted.has(entry.registration_id)) {
    return { status: "already_checked_in", reason: null, entry };
  }
  return {
    status: "ok",
    reason: null,
    entry,
    warning: entry.mode === "online" ? "registered_online" : null,
  };
}
