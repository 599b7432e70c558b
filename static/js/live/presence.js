// Who is here: the count and the names (a big room lists the first ones), and the person's
// choice to hide their name from other participants.

import { room, S } from "./state.js";
import { $, fmt, personName } from "./ui.js";

export function renderPresence(presence) {
  $("live-people-count").textContent = `(${presence.count})`;
  $("people-summary").textContent = fmt(S.people_here, { n: presence.count });
  $("people-list").replaceChildren(...presence.people.map((person) => {
    const li = document.createElement("li");
    li.textContent = personName(person);
    if (person.hidden) {
      const note = document.createElement("span");
      note.className = "hint";
      note.textContent = ` (${S.hidden_name})`;
      li.append(note);
    }
    return li;
  }));
  if (presence.more > 0) { // a big room lists the first names only
    const li = document.createElement("li");
    li.className = "hint";
    li.textContent = fmt(S.more_people, { n: presence.more });
    $("people-list").append(li);
  }
}

export function renderPresenceOf(state) {
  renderPresence(state.presence);
  $("hide-name").checked = Boolean(state.me.hide_name);
}

export function wirePresence({ on, send }) {
  on("presence", renderPresence);

  $("hide-name").addEventListener("change", (event) => {
    const box = event.target;
    send("hide_name", { hide: box.checked }, (answer) => {
      room.me.hide_name = Boolean(answer.hide_name);
      box.checked = room.me.hide_name;
    });
    if (!room.joined) {
      box.checked = !box.checked;
    }
  });
}
