// The announcement banner an organiser pins over the room (an empty one clears it).

import { $ } from "./ui.js";

export function renderAnnouncement(text) {
  const banner = $("live-announcement");
  $("live-announcement-text").textContent = text || "";
  banner.hidden = !text;
}

export function wireAnnouncement({ on, send }) {
  on("announcement", ({ text }) => renderAnnouncement(text));

  const announceForm = $("announce-form");
  if (announceForm) {
    announceForm.addEventListener("submit", (event) => {
      event.preventDefault();
      send("announce", { text: $("announce-text").value.trim() }, (answer) => {
        announceForm.reset();
        renderAnnouncement(answer.announcement);
      });
    });
    $("announce-clear").addEventListener("click", () => {
      send("announce", { text: "" }, () => renderAnnouncement(null));
    });
  }
}
