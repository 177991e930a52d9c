// The Help Center header's menu on a phone (base.html): one button shows and hides the language
// switcher and the account links, a disclosure as screen readers know it (aria-expanded, the panel
// right after the button). Escape closes it and gives the focus back to the button; a click or the
// focus elsewhere closes it too. Without this script the button stays hidden and the links stay in
// the header's row; on a wide screen the stylesheet never folds them, whatever the script did.
(function () {
  "use strict";
  var header = document.querySelector("[data-header-menu]");
  var button = header && header.querySelector("button[aria-controls]");
  var menu = button && document.getElementById(button.getAttribute("aria-controls"));
  if (!menu) {
    return;
  }

  function isOpen() {
    return button.getAttribute("aria-expanded") === "true";
  }

  function setOpen(open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
    menu.classList.toggle("is-open", open);
  }

  button.hidden = false;
  header.classList.add("header-menu-ready");

  button.addEventListener("click", function () {
    setOpen(!isOpen());
  });
  header.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && isOpen()) {
      event.preventDefault();
      setOpen(false);
      button.focus();
    }
  });
  header.addEventListener("focusout", function (event) {
    if (isOpen() && event.relatedTarget && !header.contains(event.relatedTarget)) {
      setOpen(false);
    }
  });
  document.addEventListener("click", function (event) {
    if (isOpen() && !header.contains(event.target)) {
      setOpen(false);
    }
  });
})();
