// Questions (Q&A): open ones first by votes, the ask form, upvotes, and for organisers marking
// questions answered and hiding them.

import { room, S } from "./state.js";
import { $, clone, fmt, markUnread, onAction, personName, showEmpty } from "./ui.js";

function questionOrder(a, b) {
  // Open questions first, most votes first, then in the order they were asked.
  return (a.answered - b.answered) || (b.votes - a.votes) || (a.id - b.id);
}

function questionItem(q) {
  const li = clone("tpl-question");
  li.dataset.id = q.id;
  li.classList.toggle("is-answered", q.answered);
  li.querySelector(".live-text").textContent = q.text;
  const who = li.querySelector(".live-who");
  who.textContent = personName(q.user);
  if (q.anonymous && q.user.id !== null) {
    who.textContent += ` (${S.anonymous_to_others})`;
  }
  li.querySelector(".live-answered").hidden = !q.answered;
  const vote = li.querySelector(".live-vote");
  vote.dataset.id = q.id;
  vote.querySelector(".live-votes").textContent = String(q.votes);
  vote.setAttribute("aria-pressed", String(Boolean(q.voted)));
  vote.setAttribute("aria-label", fmt(S.votes_label, { n: q.votes }));
  vote.disabled = Boolean(q.voted);
  const answered = li.querySelector('[data-action="answered"]');
  if (answered) {
    answered.dataset.id = q.id;
    answered.dataset.answered = q.answered ? "1" : "";
    answered.textContent = q.answered ? S.mark_unanswered : S.mark_answered;
    li.querySelector('[data-action="question-hide"]').dataset.id = q.id;
  }
  return li;
}

function renderQuestions() {
  const list = $("question-list");
  const focused = document.activeElement;
  const refocus = focused && list.contains(focused)
    ? { id: focused.dataset.id, action: focused.dataset.action } : null;
  list.replaceChildren(...[...room.questions.values()].sort(questionOrder).map(questionItem));
  if (refocus) {
    const again = list.querySelector(
      `[data-action="${refocus.action}"][data-id="${Number(refocus.id)}"]`,
    );
    if (again) {
      again.focus();
    }
  }
  showEmpty("question-list", "questions-empty");
}

function upsertQuestion(q) {
  const known = room.questions.get(q.id);
  const user = known && known.user.id !== null && q.user.id === null ? known.user : q.user;
  room.questions.set(q.id, { ...known, ...q, user, voted: Boolean(known?.voted || q.voted) });
  renderQuestions();
}

function changeQuestion(id, change) {
  const q = room.questions.get(id);
  if (q) {
    change(q);
    renderQuestions();
  }
}

export function renderQuestionsOf(state) {
  room.questions = new Map(state.questions.map((q) => [q.id, q]));
  renderQuestions();
}

export function wireQuestions({ on, send }) {
  on("question", (q) => {
    const isNew = !room.questions.has(q.id);
    upsertQuestion(q);
    if (isNew) {
      markUnread("tab-qa");
    }
  });
  on("question_votes", ({ id, votes }) => changeQuestion(id, (q) => {
    q.votes = votes;
  }));
  on("question_answered", ({ id, answered }) => changeQuestion(id, (q) => {
    q.answered = answered;
  }));
  on("question_hidden", ({ id }) => {
    room.questions.delete(id);
    renderQuestions();
  });

  $("ask-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("ask-text");
    const text = input.value.trim();
    if (text) {
      send("ask", { text, anonymous: $("ask-anonymous").checked }, (answer) => {
        input.value = "";
        if (answer.question) {
          upsertQuestion(answer.question);
        }
      });
    }
  });

  onAction($("question-list"), {
    upvote(button) {
      const id = Number(button.dataset.id);
      send("upvote", { question_id: id }, (answer) => changeQuestion(id, (q) => {
        q.voted = true;
        q.votes = answer.votes ?? q.votes;
      }));
    },
    answered(button) {
      send("question_answered", { id: Number(button.dataset.id), answered: !button.dataset.answered });
    },
    "question-hide"(button) {
      if (window.confirm(S.confirm_hide)) {
        send("question_hide", { id: Number(button.dataset.id) });
      }
    },
  });
}
