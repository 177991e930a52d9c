// Suggested articles beside the ticket form (under its subject on a phone), fetched while the customer
// types the subject.
// The form works without this file: it only fills the column of suggestions and
// tells the server which ones were opened, for the agents' deflection report.
(function () {
  "use strict";

  const MIN_LENGTH = 3;
  const DELAY_MS = 300;
  const VISIT = /^[0-9a-f]{32}$/;

  const region = document.querySelector("[data-suggestions]");
  const form = region && region.parentElement.querySelector("form");
  const subject = form && form.elements.namedItem("subject");
  const visitInput = form && form.querySelector("[data-suggestion-visit]");
  const tokenInput = form && form.querySelector("input[name=csrfmiddlewaretoken]");
  const status = region && region.querySelector("[data-suggestions-status]");
  if (!subject || !visitInput || !tokenInput || !status) {
    return;
  }
  document.documentElement.classList.add("has-js");

  // Beside the form on a wide screen; on a narrower one, where the customer is looking: under the
  // subject, not after the Send button (issue 22). The same element moves, with what it shows.
  const layout = region.parentElement;
  const underSubject = subject.closest(".field") || subject;
  const wide = window.matchMedia("(min-width: 1180px)");
  function place() {
    if (wide.matches && region.parentElement !== layout) {
      layout.append(region);
    } else if (!wide.matches && region.previousElementSibling !== underSubject) {
      underSubject.after(region);
    }
  }
  place();
  wide.addEventListener("change", place);

  // A random id for this visit of the form, nothing personal; kept when the form comes back with errors.
  if (!VISIT.test(visitInput.value)) {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    visitInput.value = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
  }
  const visit = visitInput.value;

  let timer = 0;
  let controller = null;
  let lastQuery = "";
  let lastOpened = "";
  let submitted = false;
  let abandonSent = false;
  const opened = new Set();

  function sendEvent(kind, articleId) {
    const body = new FormData();
    body.append("csrfmiddlewaretoken", tokenInput.value);
    body.append("kind", kind);
    body.append("visit", visit);
    body.append("article", articleId);
    // keepalive: the request outlives the page when it is being left.
    fetch(region.dataset.eventsUrl, { method: "POST", body, keepalive: true, credentials: "same-origin" })
      .catch(() => {});
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text) {
      node.textContent = text;
    }
    return node;
  }

  function announce(count) {
    const under = region.parentElement !== layout;
    const data = region.dataset;
    const template =
      count === 1 ? (under ? data.msgFoundOneUnder : data.msgFoundOne) : under ? data.msgFoundManyUnder : data.msgFoundMany;
    const message = count ? template.replace("%(count)s", String(count)) : "";
    // The same news twice is not news: only a change of count is announced.
    if (status.textContent !== message) {
      status.textContent = message;
    }
  }

  function show(articles) {
    const previous = region.querySelector(".suggestions-card");
    if (previous) {
      previous.remove();
    }
    announce(articles.length);
    if (!articles.length) {
      return;
    }
    const card = element("aside", "card suggestions-card");
    card.setAttribute("aria-labelledby", "suggestions-title");
    const title = element("h2", "", region.dataset.msgTitle);
    title.id = "suggestions-title";
    const list = element("ul", "suggestions-list");
    articles.forEach((article) => {
      const item = element("li");
      const link = element("a", "", article.title);
      link.href = article.url;
      // A new tab, so that what was typed in the form stays where it is.
      link.target = "_blank";
      link.rel = "noopener";
      link.dataset.article = String(article.id);
      link.append(element("span", "visually-hidden", " " + region.dataset.msgNewTab));
      item.append(link);
      if (article.excerpt) {
        item.append(element("p", "", article.excerpt));
      }
      list.append(item);
    });
    card.append(title, element("p", "muted", region.dataset.msgHint), list);
    region.append(card);
  }

  function load(query) {
    if (controller) {
      controller.abort();
    }
    controller = new AbortController();
    const url = region.dataset.url + "?" + new URLSearchParams({ q: query, visit: visit });
    fetch(url, { signal: controller.signal, headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then((response) => (response.ok ? response.json() : { articles: [] }))
      .then((data) => show(Array.isArray(data.articles) ? data.articles : []))
      .catch((error) => {
        if (error.name !== "AbortError") {
          show([]);
        }
      });
  }

  function onSubjectChange() {
    window.clearTimeout(timer);
    const query = subject.value.trim();
    if (query.length < MIN_LENGTH) {
      if (controller) {
        controller.abort();
      }
      lastQuery = "";
      show([]);
      return;
    }
    timer = window.setTimeout(() => {
      if (query !== lastQuery) {
        lastQuery = query;
        load(query);
      }
    }, DELAY_MS);
  }

  function onOpen(event) {
    const link = event.target.closest("a[data-article]");
    if (!link || (event.type === "auxclick" && event.button !== 1)) {
      return;
    }
    lastOpened = link.dataset.article;
    if (!opened.has(lastOpened)) {
      opened.add(lastOpened);
      sendEvent("opened", lastOpened);
    }
  }

  subject.addEventListener("input", onSubjectChange);
  region.addEventListener("click", onOpen);
  region.addEventListener("auxclick", onOpen);
  form.addEventListener("submit", () => {
    submitted = true;
  });
  window.addEventListener("pagehide", () => {
    if (lastOpened && !submitted && !abandonSent) {
      abandonSent = true;
      sendEvent("abandoned", lastOpened);
    }
  });

  // The form came back with an error and a subject already typed.
  if (subject.value.trim().length >= MIN_LENGTH) {
    onSubjectChange();
  }
})();
