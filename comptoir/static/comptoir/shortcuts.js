// The workspace's keyboard shortcuts (listed in the "?" dialog, workspace/_shortcuts.html),
// and the count of unread notices in the header.
// None acts while the agent types in a field, but Ctrl+Enter, which submits the message, and
// Escape, which leaves the field (what was typed stays).
// The list remembers its order, so that j and k on a ticket page go to the next and
// previous ticket of the list the agent came from.
(function () {
  "use strict";
  const ORDER = "comptoir-list-order";
  const LIST = "comptoir-list-address";
  const rows = Array.from(document.querySelectorAll(".ticket-table tbody tr"));
  const composer = document.getElementById("agent-update");
  let current = -1;

  function typing(target) {
    if (!(target instanceof Element)) return false;
    return target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName);
  }

  function rowLink(row) {
    return row.querySelector(".subject-cell a");
  }

  if (rows.length) {
    // This list, in order, for the ticket pages opened from it.
    try {
      sessionStorage.setItem(ORDER, JSON.stringify(rows.map(function (row) { return rowLink(row).getAttribute("href"); })));
      sessionStorage.setItem(LIST, location.pathname + location.search);
    } catch (error) { /* private browsing: j and k only work on the list */ }
  }

  function choose(index) {
    if (!rows.length) return;
    current = Math.max(0, Math.min(rows.length - 1, index));
    rows.forEach(function (row, n) { row.classList.toggle("is-current", n === current); });
    rowLink(rows[current]).focus();
  }

  function neighbour(step) {
    // On a ticket page: the next or previous ticket of the list it was opened from.
    let order = [];
    try { order = JSON.parse(sessionStorage.getItem(ORDER) || "[]"); } catch (error) { order = []; }
    const here = order.indexOf(location.pathname);
    const next = here === -1 ? null : order[here + step];
    if (next) location.assign(next);
  }

  function compose(kind) {
    if (!composer) return;
    const radio = composer.querySelector("input[name=visibility][value=" + kind + "]");
    if (radio) {
      radio.checked = true;
      radio.dispatchEvent(new Event("change", { bubbles: true }));
    }
    const body = composer.querySelector("textarea[name=body]");
    if (body) body.focus();
  }

  const actions = {
    "?": function () {
      const dialog = document.getElementById("shortcuts");
      if (dialog && !dialog.open) dialog.showModal();
    },
    "/": function () {
      const search = document.getElementById("workspace-q") || document.getElementById("header-q");
      if (search) search.focus();
    },
    j: function () { rows.length ? choose(current + 1) : neighbour(1); },
    k: function () { rows.length ? choose(current - 1) : neighbour(-1); },
    o: function () { if (current >= 0) rowLink(rows[current]).click(); },
    x: function () {
      const box = current >= 0 ? rows[current].querySelector("[data-bulk-row]") : null;
      if (box) box.click();
    },
    r: function () { compose("public"); },
    n: function () { compose("note"); },
    a: function () {
      const take = document.querySelector("form[data-take] button");
      if (take) take.click();
    },
    u: function () {
      let list = null;
      try { list = sessionStorage.getItem(LIST); } catch (error) { list = null; }
      const fallback = document.querySelector(".breadcrumb a");
      if (list) location.assign(list);
      else if (fallback) fallback.click();
    },
  };

  // The unread notices, in the header's badge: fetched, so that no page waits for the count.
  const badge = document.querySelector("[data-notice-count]");
  if (badge) {
    fetch(badge.dataset.source, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data || !data.unread) return;
        badge.textContent = data.unread > 99 ? "99+" : String(data.unread);
        badge.setAttribute("aria-label", data.label);
        badge.hidden = false;
      })
      .catch(function () { /* no badge: the page works without it */ });
  }

  // The side bar's counts, on pages other than the list (which renders them): fetched, as the badge.
  const sidebar = document.querySelector("[data-sidebar-source]");
  if (sidebar) {
    fetch(sidebar.dataset.sidebarSource, { credentials: "same-origin", headers: { Accept: "text/html" } })
      // A session that expired is sent to the log-in page: that is not a side bar.
      .then(function (response) { return response.ok && !response.redirected ? response.text() : null; })
      .then(function (html) {
        if (!html) return;
        // Our own template, every value escaped by Django (DOMParser runs no script, but escaping is what
        // keeps attributes harmless).
        const parsed = new DOMParser().parseFromString(html, "text/html");
        sidebar.replaceChildren.apply(sidebar, Array.from(parsed.body.childNodes));
      })
      .catch(function () { /* the views without counts: the page works without them */ });
  }

  document.querySelectorAll("[data-shortcuts-open]").forEach(function (button) {
    button.addEventListener("click", function () { actions["?"](); });
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && composer && composer.contains(event.target)) {
      event.preventDefault();
      composer.requestSubmit(composer.querySelector("[data-submit-default]") || undefined);
      return;
    }
    if (document.querySelector("dialog[open]")) return;
    if (event.key === "Escape" && typing(event.target) && !event.defaultPrevented) {
      // Out of the field, what was typed kept: the shortcuts act again.
      event.target.blur();
      return;
    }
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    const action = actions[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  });
})();
