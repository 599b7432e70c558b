// The live room (templates/live/room.html), put together from its parts in live/: the
// connection (connection.js) redraws every part from the state each `join` acknowledgement
// carries, then each part follows its broadcasts and sends what people do. Text from people is
// only ever inserted with textContent.

import { renderAnnouncement, wireAnnouncement } from "./live/announcement.js";
import { renderChat, setMuted, wireChat } from "./live/chat.js";
import { connect } from "./live/connection.js";
import { renderPollsOf, wirePolls } from "./live/polls.js";
import { renderPresenceOf, wirePresence } from "./live/presence.js";
import { renderQuestionsOf, wireQuestions } from "./live/questions.js";
import { room, root } from "./live/state.js";
import { wireTabs } from "./live/ui.js";

function render(state) {
  room.me = state.me;
  renderChat(state);
  renderQuestionsOf(state);
  renderPollsOf(state);
  renderPresenceOf(state);
  renderAnnouncement(state.announcement);
}

function refused(error) {
  if (error.code === "muted") {
    setMuted(true);
  }
}

if (root && typeof io === "function") {
  wireTabs();
  const live = connect({ render, refused });
  for (const wire of [wireChat, wireQuestions, wirePolls, wirePresence, wireAnnouncement]) {
    wire(live);
  }
}
