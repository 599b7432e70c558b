// What every part of the live room shares: the page's data (templates/live/room.html) and the
// state the latest `join` acknowledgement carried.

export const root = document.getElementById("live-room");
// the words to show, translated by the server (app/live/views.py)
export const S = root ? JSON.parse(root.dataset.strings) : {};
export const sessionId = root ? Number(root.dataset.sessionId) : null;
export const moderates = root?.dataset.role === "organizer";

export const room = {
  me: null,
  joined: false,
  stopped: false,
  questions: new Map(),
  polls: new Map(),
  muted: new Set(), // people this organiser muted during this visit
};
