// The list's bulk action: tick every row of the page at once, shift-click for a
// range, and the count of ticked rows shown on the bulk panel. Ticking rows
// one by one and applying works without it.
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

  function refresh() {
    const ticked = rows.filter(function (box) { return box.checked; }).length;
    if (count) count.textContent = ticked ? "(" + ticked + ")" : "";
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
  if (panel) {
    panel.addEventListener("toggle", function () {
      if (!panel.open) panel.dataset.closedByHand = "1";
    });
  }
  refresh();
})();
