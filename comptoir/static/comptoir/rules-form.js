// The rule form (workspace settings, business rules), where scripts run: each row shows the inputs
// of the field or action chosen in it (the unit of a time condition; the recipient, texts and message
// of a reply, an e-mail or a notice), and "Add a condition" / "Add an action" add rows by copying the
// formset's empty row. Without scripts every input is in the page and the spare rows are there to fill
// (comptoir.workspace.rules_settings_forms); this only hides what does not apply and adds rows.
(function () {
  "use strict";
  var form = document.getElementById("rule-form");
  if (!form) {
    return;
  }

  function words(element, name) {
    return (element.getAttribute(name) || "").split(" ").filter(Boolean);
  }

  // A row and the row of inputs under it (actions), if any.
  function rowsOf(key) {
    var row = key.closest("tr");
    var next = row.nextElementSibling;
    return next && next.classList.contains("rule-details") ? [row, next] : [row];
  }

  function keyOf(element) {
    var row = element.closest("tr");
    if (row.classList.contains("rule-details")) {
      row = row.previousElementSibling;
    }
    return row.querySelector("[data-rule-key]");
  }

  function sync(key) {
    var chosen = key.value;
    rowsOf(key).forEach(function (row) {
      if (row.hasAttribute("data-for")) {
        row.hidden = words(row, "data-for").indexOf(chosen) < 0;
      }
      var to = row.querySelector("[data-rule-to]");
      if (to) {
        Array.prototype.forEach.call(to.options, function (option) {
          if (!option.hasAttribute("data-for")) {
            return;
          }
          var off = words(option, "data-for").indexOf(chosen) < 0;
          option.hidden = off;
          option.disabled = off;
          if (off && option.selected) {
            to.value = "";
          }
        });
      }
      row.querySelectorAll("[data-for]:not(option)").forEach(function (element) {
        var shown = words(element, "data-for").indexOf(chosen) >= 0;
        var when = element.getAttribute("data-when-to");
        if (shown && when && to) {
          shown = to.value === when;
        }
        element.hidden = !shown;
      });
      row.querySelectorAll("[data-hide-for]").forEach(function (element) {
        element.hidden = words(element, "data-hide-for").indexOf(chosen) >= 0;
      });
      // A spare row's inputs are folded away for readers without scripts; here they follow the action.
      var more = row.querySelector("details.rule-more");
      if (more) {
        more.open = true;
        more.querySelector("summary").hidden = true;
      }
    });
  }

  form.querySelectorAll("[data-rule-key]").forEach(sync);
  form.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("[data-rule-key]")) {
      sync(target);
    } else if (target.matches("[data-rule-to]")) {
      sync(keyOf(target));
    }
  });

  // Adding rows: the formset's empty row, numbered as the next one.
  form.querySelectorAll("[data-rule-add]").forEach(function (button) {
    var prefix = button.getAttribute("data-rule-add");
    var template = document.getElementById(prefix + "-template");
    var rows = document.getElementById(prefix + "-rows");
    var total = form.querySelector('input[name="' + prefix + '-TOTAL_FORMS"]');
    if (!template || !rows || !total) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      var index = parseInt(total.value, 10) || 0;
      var html = template.innerHTML.replace(/__prefix__/g, String(index)).replace(/__number__/g, String(index + 1));
      rows.insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
      var key = document.getElementById("id_" + prefix + "-" + index + "-" + (prefix === "conditions" ? "field" : "action"));
      if (key) {
        sync(key);
        key.focus();
      }
    });
  });
  form.querySelectorAll("[data-no-script]").forEach(function (element) {
    element.hidden = true;
  });
})();
