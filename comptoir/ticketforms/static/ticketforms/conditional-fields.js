// Conditional ticket fields: a row with data-shown-when="<input name>" and data-shown-value="<value>"
// shows only while that input holds that value (a checkbox reads "yes" or "no"; case is ignored).
// The server applies the same rule: a hidden field is neither required nor kept. Without JavaScript
// every field shows, and the help text says when it applies.
(function () {
  "use strict";
  const rows = Array.from(document.querySelectorAll("[data-shown-when]"));
  if (!rows.length) return;
  const form = rows[0].closest("form");
  if (!form) return;

  function answers(name) {
    const row = form.querySelector('[data-field-row="' + CSS.escape(name) + '"]');
    if (!row || row.hidden) return null; // a hidden field shows nothing that depends on it
    const inputs = Array.from(form.querySelectorAll('[name="' + CSS.escape(name) + '"]'));
    if (row.dataset.fieldKind === "checkbox") {
      return inputs.some((input) => input.checked) ? ["yes"] : ["no"];
    }
    const values = [];
    for (const input of inputs) {
      if (input.type === "checkbox" || input.type === "radio") {
        if (input.checked) values.push(input.value);
      } else if (input.tagName === "SELECT") {
        for (const option of input.selectedOptions) values.push(option.value);
      } else {
        values.push(input.value.trim());
      }
    }
    return values.map((value) => value.toLowerCase()).filter(Boolean);
  }

  function update() {
    // In page order: a condition on an earlier field is settled before the fields it shows.
    for (const row of rows) {
      const found = answers(row.dataset.shownWhen);
      const wanted = (row.dataset.shownValue || "").trim().toLowerCase();
      row.hidden = found === null || !found.includes(wanted);
    }
  }

  form.addEventListener("input", update);
  form.addEventListener("change", update);
  update();
})();
