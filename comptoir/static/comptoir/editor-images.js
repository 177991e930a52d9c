// The article editor: an image goes where the cursor was in the text (the server puts it at the end otherwise).
(function () {
  "use strict";
  var button = document.querySelector("[data-insert-image]");
  var form = button && button.form;
  var text = form && form.querySelector("textarea[name=body_markdown]");
  var cursor = form && form.querySelector("input[name=cursor]");
  if (!text || !cursor) return;
  function remember() {
    cursor.value = String(text.selectionStart);
  }
  // Only once the editor has been in the text: a textarea never clicked reports its start, not where they mean.
  ["click", "keyup", "select", "input"].forEach(function (name) {
    text.addEventListener(name, remember);
  });
})();
