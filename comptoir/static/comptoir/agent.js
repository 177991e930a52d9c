// Agent ticket page: canned replies fill the form; the presence check-in says
// whether this agent is typing; an internal note shows as one before it is sent.
// Everything works without it except these.
(function () {
  "use strict";
  const form = document.getElementById("agent-update");
  if (!form) return;
  const body = form.querySelector("textarea[name=body]");
  const composing = document.getElementById("composing");

  if (body && composing) {
    body.addEventListener("input", function () {
      const value = body.value.trim() ? "on" : "";
      if (value === composing.value) return;
      composing.value = value;
      // Tell colleagues now rather than at the next check-in (htmx listens for this).
      document.body.dispatchEvent(new CustomEvent("composing-changed"));
    });
  }

  const select = form.querySelector("[data-macro-select]");
  const apply = form.querySelector("[data-macro-apply]");
  const submit = form.querySelector("[data-submit-default]");

  // An internal note looks like one before it is sent: the box turns yellow, the button says so.
  function showMode() {
    const note = form.querySelector("input[name=visibility][value=note]:checked");
    form.classList.toggle("is-note", Boolean(note));
    if (submit && !submit.value) submit.textContent = note ? submit.dataset.noteLabel : submit.dataset.defaultLabel;
  }
  form.addEventListener("change", function (event) {
    if (event.target.name === "visibility") showMode();
  });
  showMode();

  if (!select || !apply || !body) return;

  // The canned replies come from the server, filled in for this ticket, the first
  // time the agent reaches for the list: the page itself does not carry them.
  let macros = null;
  function loadMacros() {
    if (macros) return;
    macros = fetch(select.dataset.macroSource, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(response.statusText);
        return response.text();
      })
      .then(function (options) {
        select.insertAdjacentHTML("beforeend", options);
      })
      .catch(function () {
        macros = null; // try again next time
      });
  }
  select.addEventListener("pointerenter", loadMacros);
  select.addEventListener("focus", loadMacros);

  function setField(name, value) {
    const field = document.querySelector("[name=" + name + "][form=agent-update]");
    if (field && value) field.value = value;
  }

  apply.addEventListener("click", function () {
    const option = select.selectedOptions[0];
    if (!option || !option.value) return;
    const text = option.dataset.text || "";
    body.value = body.value.trim() ? body.value.replace(/\s+$/, "") + "\n\n" + text : text;
    body.dispatchEvent(new Event("input"));
    setField("priority", option.dataset.priority);
    setField("type", option.dataset.type);
    const tags = document.querySelector("[name=tags][form=agent-update]");
    if (tags && option.dataset.tags) {
      // Added to the ticket's tags, not in their place; the server drops any repeated one.
      tags.value = (tags.value.trim() + " " + option.dataset.tags).trim();
    }
    if (submit) {
      const status = option.dataset.status || "";
      const twin = status ? form.querySelector("button.submit-as[value='" + status + "']") : null;
      submit.value = twin ? status : "";
      submit.textContent = twin ? twin.textContent : submit.dataset.defaultLabel;
      if (!twin) showMode();
    }
    body.focus();
  });
})();
