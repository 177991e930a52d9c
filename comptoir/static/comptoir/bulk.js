// The list's bulk action: tick every row of the page at once, shift-click for a
// range, and the count of ticked rows shown on the bulk panel; the canned replies
// fetched when first reached for. Ticking rows one by one and applying (but for a
// canned reply) works without it.
(function () {
  "use strict";
  document.documentElement.classList.add("has-js");
  const form = document.querySelector("[data-bulk-form]");
  if (!form) return;
  const rows = Array.from(document.querySelectorAll("[data-bulk-row]"));
  const all = document.querySelector("[data-bulk-all]");
  const count = form.querySelector("[data-bulk-count]");
  const panel = form.querySelector("details");
  let last = null;

  // "Select all N matching": offered once every row of the page is ticked, for a list longer than a page.
  const every = form.querySelector("[data-bulk-every]");
  const everyBar = document.querySelector("[data-select-every-bar]");
  const everyOffer = everyBar && everyBar.querySelector("[data-select-every-offer]");
  const everyChosen = everyBar && everyBar.querySelector("[data-select-every-chosen]");

  function chooseEvery(chosen) {
    if (!every || !everyBar) return;
    every.value = chosen ? "1" : "";
    everyOffer.hidden = chosen;
    everyChosen.hidden = !chosen;
  }

  function refresh() {
    const ticked = rows.filter(function (box) { return box.checked; }).length;
    const wholePage = ticked > 0 && ticked === rows.length;
    if (everyBar) {
      everyBar.hidden = !wholePage;
      if (!wholePage) chooseEvery(false);
    }
    if (count) count.textContent = every && every.value ? "(" + everyBar.dataset.total + ")" : ticked ? "(" + ticked + ")" : "";
    if (all) {
      all.checked = ticked > 0 && ticked === rows.length;
      all.indeterminate = ticked > 0 && ticked < rows.length;
    }
    // The panel opens with the first ticked row: that is what the agent came for.
    if (ticked && panel && !panel.open && !panel.dataset.closedByHand) panel.open = true;
  }

  rows.forEach(function (box) {
    box.addEventListener("click", function (event) {
      if (event.shiftKey && last !== null && last !== box) {
        const from = rows.indexOf(last);
        const to = rows.indexOf(box);
        rows.slice(Math.min(from, to), Math.max(from, to) + 1).forEach(function (other) {
          other.checked = box.checked;
        });
      }
      last = box;
      refresh();
    });
  });
  if (all) {
    all.addEventListener("change", function () {
      rows.forEach(function (box) { box.checked = all.checked; });
      refresh();
    });
  }
  if (everyBar) {
    everyBar.querySelector("[data-select-every]").addEventListener("click", function () {
      chooseEvery(true);
      refresh();
    });
    everyBar.querySelector("[data-select-clear]").addEventListener("click", function () {
      rows.forEach(function (box) { box.checked = false; });
      refresh();
    });
  }
  if (panel) {
    panel.addEventListener("toggle", function () {
      if (!panel.open) panel.dataset.closedByHand = "1";
    });
  }

  // The canned replies come from the server the first time the agent reaches for
  // them: the list itself does not carry them (views.macro_options).
  const macros = form.querySelector("[data-macro-options]");
  let loading = null;
  function loadMacros() {
    if (loading) return;
    loading = fetch(macros.dataset.macroOptions, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(response.statusText);
        return response.text();
      })
      .then(function (options) {
        macros.insertAdjacentHTML("beforeend", options);
      })
      .catch(function () {
        loading = null; // try again next time
      });
  }
  if (macros) {
    macros.addEventListener("pointerenter", loadMacros);
    macros.addEventListener("focus", loadMacros);
  }

  // Enter in the ticket number field goes to the merge, not to the panel's first button.
  const merge = form.querySelector("[data-bulk-merge]");
  const into = merge ? form.querySelector("input[name=into]") : null;
  if (into) {
    into.addEventListener("keydown", function (event) {
      if (event.key !== "Enter") return;
      event.preventDefault();
      merge.click();
    });
  }
  refresh();
})();
