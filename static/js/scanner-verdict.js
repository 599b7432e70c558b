// The full-screen verdict after each scan: green, yellow or red, with a sound and a vibration
// per colour. It goes by itself after a moment, or at a tap, ready for the next person.

const SHOWN_MS = { ok: 1500, already_checked_in: 3000, rejected: 3000 };
const OVERRIDABLE_MS = 10000; // time to read the venue and tap 「この会場で受付」
const TONES = {
  ok: { wave: "sine", notes: [[1046, 0, 0.15]], vibrate: [80] },
  already_checked_in: { wave: "triangle", notes: [[660, 0, 0.12], [660, 0.2, 0.12]], vibrate: [80, 80, 80] },
  rejected: { wave: "square", notes: [[196, 0, 0.45]], vibrate: [300, 100, 300] },
};

export function Verdict(overlay) {
  const part = (name) => overlay.querySelector(`#verdict-${name}`);
  let timer = null;
  let audio = null;

  function hide() {
    clearTimeout(timer);
    overlay.hidden = true;
  }

  function beep(status) {
    const tone = TONES[status] || TONES.rejected;
    if (navigator.vibrate) navigator.vibrate(tone.vibrate);
    if (!audio) return;
    const start = audio.currentTime;
    tone.notes.forEach(([frequency, at, length]) => {
      const oscillator = audio.createOscillator();
      const gain = audio.createGain();
      oscillator.type = tone.wave;
      oscillator.frequency.value = frequency;
      gain.gain.setValueAtTime(0.25, start + at);
      gain.gain.exponentialRampToValueAtTime(0.001, start + at + length);
      oscillator.connect(gain).connect(audio.destination);
      oscillator.start(start + at);
      oscillator.stop(start + at + length);
    });
  }

  // Phones play sound only after a tap: call this from one (e.g. "start scanning").
  this.unlockSound = function () {
    try {
      audio = audio || new AudioContext();
      audio.resume();
    } catch (err) {
      audio = null;
    }
  };

  // The one-tap override of a red verdict (a ticket for another venue): what the button does.
  let overrideAction = null;
  part("override").addEventListener("click", (event) => {
    event.stopPropagation(); // not a tap to dismiss: the next verdict replaces this one
    const action = overrideAction;
    overrideAction = null;
    hide();
    if (action) action();
  });

  // v: {status, title, name, furigana, mode, warning (bool), message, answers, offline (bool),
  //     override (a function, when staff may let the person in here anyway)}
  this.show = function (v) {
    overlay.dataset.status = v.status;
    part("title").textContent = v.title;
    part("name").textContent = v.name || "";
    part("furigana").textContent = v.furigana || "";
    part("mode").textContent = v.mode || "";
    part("warning").hidden = !v.warning;
    part("message").textContent = v.message || "";
    const answers = part("answers");
    answers.replaceChildren();
    (v.answers || []).forEach((answer) => {
      const dt = document.createElement("dt");
      const dd = document.createElement("dd");
      dt.textContent = answer.label;
      dd.textContent = answer.value;
      answers.append(dt, dd);
    });
    part("offline").hidden = !v.offline;
    overrideAction = v.override || null;
    part("override-box").hidden = !overrideAction;
    overlay.dataset.overridable = String(Boolean(overrideAction));
    overlay.hidden = false;
    beep(v.status);
    clearTimeout(timer);
    timer = setTimeout(hide, overrideAction ? OVERRIDABLE_MS : SHOWN_MS[v.status] || SHOWN_MS.rejected);
  };

  this.hide = hide;
  overlay.addEventListener("click", hide);
  document.addEventListener("keydown", (event) => {
    if (!overlay.hidden && (event.key === "Escape" || event.key === "Enter")) hide();
  });
}
