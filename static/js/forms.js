// Every form of the product (loaded from base.html; templates/_forms.html draws the markup):
// - focus moves to the error summary when a page answers a form with errors;
// - a link of the summary focuses its field (a group's first option) and shows its label;
// - choosing an option that names a checkbox (data-selects) ticks it: on the register form,
//   tapping 会場 or オンライン selects that session.

const summary = document.querySelector("[data-error-summary]");
if (summary) {
  summary.focus();
}

document.addEventListener("click", (event) => {
  const link = event.target.closest("[data-error-summary] a[href^='#']");
  if (!link) {
    return;
  }
  const field = document.getElementById(decodeURIComponent(link.hash.slice(1)));
  if (!field) {
    return;
  }
  event.preventDefault();
  const legend = field.closest("fieldset")?.querySelector("legend");
  const label = legend || document.querySelector(`label[for="${CSS.escape(field.id)}"]`);
  (label || field).scrollIntoView({ block: "start" });
  field.focus({ preventScroll: true });
});

// A click, not a change: tapping the mode already chosen (the default) selects the session too.
// (Arrow keys and the space bar on a radio button send a click as well.)
document.addEventListener("click", (event) => {
  const id = event.target.dataset && event.target.dataset.selects;
  const box = id && document.getElementById(id);
  if (box && !box.checked) {
    box.checked = true;
    box.dispatchEvent(new Event("change", { bubbles: true }));
  }
});
