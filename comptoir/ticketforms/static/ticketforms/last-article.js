// An article page notes its own address in this tab's sessionStorage: the ticket form's technical
// details name the article last read (ticketforms/context.js), and only when the customer sends them.
// Nothing leaves the browser here; the server checks the address is a published article of ours.
(function () {
  "use strict";
  var script = document.currentScript;
  var path = script && script.dataset.lastArticle;
  if (!path) return;
  try {
    window.sessionStorage.setItem("comptoir.lastArticle", path);
  } catch (error) {
    // Storage refused (private mode, quota): the ticket simply names no article.
  }
})();
