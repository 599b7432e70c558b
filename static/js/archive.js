// The archive page (templates/archive/watch.html): time on the page is archive viewing. While
// the page is visible it sends a heartbeat every `data-interval` seconds with its tab's id, and
// one more when it is hidden or closed (keepalive, so it survives the page going away); the
// server merges tabs and gaps the way the live room merges presence.
const box = document.getElementById("archive-viewing");

function tabId() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

if (box) {
  const url = box.dataset.url;
  const csrf = box.dataset.csrf;
  const every = Math.max(1, Number(box.dataset.interval) || 30) * 1000;
  const shown = box.querySelector("[data-testid=archive-minutes]");
  const tab = tabId();
  let timer = null;
  let stopped = false;

  const show = (minutes) => {
    if (shown && Number.isFinite(minutes)) {
      shown.textContent = box.dataset.label.replace("{n}", String(minutes));
    }
  };

  const beat = async (keepalive = false) => {
    if (stopped) return;
    try {
      const response = await fetch(url, {
        method: "POST",
        credentials: "same-origin",
        keepalive,
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify({ tab }),
      });
      if (response.ok) {
        show((await response.json()).minutes);
      } else if ([401, 403, 404, 409].includes(response.status)) {
        stopped = true; // the window closed or the person may no longer watch
        stop();
      }
    } catch {
      // offline for a moment: the next heartbeat continues (a long gap starts a new interval)
    }
  };

  const start = () => {
    if (timer || stopped) return;
    beat();
    timer = setInterval(beat, every);
  };

  function stop() {
    clearInterval(timer);
    timer = null;
  }

  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") {
      start();
    } else {
      stop();
      beat(true);
    }
  });
  window.addEventListener("pagehide", () => beat(true));
  if (document.visibilityState === "visible") start();
}
