// A bulk change over a whole list: the progress bar follows the worker, and the
// page reloads to show what was done once it is. Without it, reloading by hand shows the same.
(function () {
  "use strict";
  const bar = document.querySelector("[data-job-progress]");
  if (!bar) return;
  const label = document.querySelector("[data-job-label]");
  function poll() {
    fetch(bar.dataset.jobProgress, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (job) {
        if (!job) return;
        bar.max = job.total;
        bar.value = job.done;
        if (label) label.textContent = job.label;
        if (job.finished) location.reload();
        else window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
})();
