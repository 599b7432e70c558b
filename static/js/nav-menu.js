// The header's menu on narrow screens: the button shows and hides the links (static/css/app.css
// hides them while the header says data-menu="closed"); Escape closes it and gives the focus
// back to the button. On wider screens the button is not shown and the links always are.
const header = document.querySelector(".site-header");
const toggle = header && header.querySelector(".nav-toggle");
const nav = toggle && document.getElementById(toggle.getAttribute("aria-controls"));

function setOpen(open) {
  header.dataset.menu = open ? "open" : "closed";
  toggle.setAttribute("aria-expanded", String(open));
}

if (nav) {
  toggle.addEventListener("click", () => setOpen(toggle.getAttribute("aria-expanded") !== "true"));
  header.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && header.dataset.menu === "open") {
      setOpen(false);
      toggle.focus();
    }
  });
  // A tap outside the open menu closes it, as on any phone menu.
  document.addEventListener("click", (event) => {
    if (header.dataset.menu === "open" && !header.contains(event.target)) setOpen(false);
  });
}
