// The settings page of a ticket field: a condition on a checkbox is a choice (checked or not), on any
// other field a typed value. This shows the one that applies to the field chosen; without JavaScript
// both show, and the server reads the one that fits (comptoir.ticketforms.admin_forms).
(function () {
  "use strict";
  const row = document.querySelector("[data-condition]");
  if (!row) return;
  const select = row.querySelector("select");
  const text = row.querySelector("[data-condition-text]");
  const checked = row.querySelector("[data-condition-checked]");
  if (!select || !text || !checked) return;
  const checkboxes = new Set((row.dataset.checkboxes || "").split(" ").filter(Boolean));

  function update() {
    const isCheckbox = checkboxes.has(select.value);
    checked.hidden = !isCheckbox;
    text.hidden = isCheckbox || select.value === "";
  }

  select.addEventListener("change", update);
  update();
})();
