// The e-mailed link reads /t/#<token>. Browsers never send what follows "#",
// so no access log, proxy or Referer sees the token: this script hands it to
// the page's form, which posts it (with its CSRF token) in one go. Without
// JavaScript the same form asks for the link to be pasted.
(function () {
  "use strict";
  var form = document.querySelector("form[data-ticket-link]");
  var token = window.location.hash.slice(1);
  if (!form || !token) {
    return;
  }
  // Out of the address bar and this history entry before anything else happens.
  window.history.replaceState(null, "", window.location.pathname + window.location.search);
  form.elements.link.value = token;
  var status = document.querySelector("[data-ticket-link-status]");
  if (status) {
    status.textContent = status.dataset.msgOpening;
  }
  form.submit();
})();
