// The live-room buttons of マイページ and the registration pages: before the room opens they show
// the opening time (server-rendered) and here a countdown; at the opening time the disabled
// button gives way to the link into the room. Without this script the opening time still shows.

const SECOND = 1000;

function remaining(opensAt) {
  return Math.max(0, opensAt - Date.now());
}

function fill(format, parts) {
  return format.replace(/\{(\w)\}/g, (_, key) => String(parts[key] ?? ""));
}

function describe(timer, ms) {
  const total = Math.ceil(ms / SECOND);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const format = h > 0 ? timer.dataset.formatHours : timer.dataset.formatMinutes;
  return fill(format, { h, m, s: String(s).padStart(2, "0") });
}

function open(box) {
  box.querySelectorAll("[data-room-waiting]").forEach((el) => {
    el.hidden = true;
  });
  const link = box.querySelector("[data-room-link]");
  if (link) link.hidden = false;
}

function watch(box) {
  // Seconds from when the server wrote the page: a phone's clock that is off does not matter.
  const seconds = Number.parseInt(box.dataset.roomOpensIn, 10);
  if (Number.isNaN(seconds)) return;
  const opensAt = Date.now() + seconds * SECOND;
  const timer = box.querySelector("[data-countdown]");
  const tick = () => {
    const ms = remaining(opensAt);
    if (ms === 0) {
      open(box);
      return;
    }
    // A countdown only for the last day: further ahead the date and time say enough.
    if (timer && ms < 24 * 3600 * SECOND) {
      timer.textContent = describe(timer, ms);
      timer.hidden = false;
    }
    setTimeout(tick, Math.min(ms, SECOND));
  };
  tick();
}

document.querySelectorAll("[data-room-opens-in]").forEach(watch);
