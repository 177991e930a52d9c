// Technical details sent with a new ticket, with the customer's consent (ticketforms/_context_consent.html):
// the box is shown (and ticked) only here, so without JavaScript nothing is asked and nothing is sent.
// Nothing is sent before the form is: the hidden input is filled when the form is submitted, and
// emptied when the box is unticked. The server trusts none of it (comptoir.ticketforms.context).
(function () {
  "use strict";
  const block = document.querySelector("[data-context-consent]");
  if (!block) return;
  const form = block.closest("form");
  const box = block.querySelector('input[type="checkbox"]');
  const hidden = block.querySelector('input[name="context"]');
  if (!form || !box || !hidden) return;

  const details = {
    browser: browserName(navigator.userAgent),
    system: systemName(navigator.userAgent),
    screen: window.screen ? window.screen.width + "×" + window.screen.height : "",
    language: navigator.language || "",
    from: block.dataset.cameFrom || "",
    article: lastArticle(),
  };

  // Chromium says which Windows or macOS through client hints; reading them sends nothing anywhere.
  const hints = navigator.userAgentData;
  if (hints && typeof hints.getHighEntropyValues === "function") {
    hints
      .getHighEntropyValues(["platformVersion", "fullVersionList"])
      .then((values) => {
        const system = systemFromHints(hints.platform, values.platformVersion);
        if (system) details.system = system;
        const brand = brandFromHints(values.fullVersionList || hints.brands || []);
        if (brand) details.browser = brand;
        show();
      })
      .catch(() => {});
  }

  function lastArticle() {
    try {
      return window.sessionStorage.getItem("comptoir.lastArticle") || "";
    } catch (error) {
      return "";
    }
  }

  function browserName(agent) {
    const known = [
      ["Edge", /Edg(?:e|A|iOS)?\/(\d+)/],
      ["Opera", /OPR\/(\d+)/],
      ["Samsung Internet", /SamsungBrowser\/(\d+)/],
      ["Firefox", /(?:Firefox|FxiOS)\/(\d+)/],
      ["Chrome", /(?:Chrome|CriOS)\/(\d+)/],
      ["Safari", /Version\/(\d+)[.\d]* (?:Mobile\/\S+ )?Safari\//],
    ];
    for (const [name, pattern] of known) {
      const found = agent.match(pattern);
      if (found) return name + " " + found[1];
    }
    return "";
  }

  function brandFromHints(brands) {
    // Skip the made-up brands ("Not A;Brand") and the engine when a product is named beside it.
    const real = brands.filter((entry) => !/not.?a.?brand/i.test(entry.brand));
    const product = real.find((entry) => entry.brand !== "Chromium") || real[0];
    if (!product) return "";
    const name = product.brand.replace(/^Google /, "").replace(/^Microsoft /, "");
    return name + " " + String(product.version).split(".")[0];
  }

  function systemName(agent) {
    let found;
    if ((found = agent.match(/Windows NT (\d+\.\d+)/))) {
      const versions = { "10.0": "Windows 10", "6.3": "Windows 8.1", "6.2": "Windows 8", "6.1": "Windows 7" };
      return versions[found[1]] || "Windows";
    }
    if ((found = agent.match(/Android (\d+)/))) return "Android " + found[1];
    if ((found = agent.match(/(?:iPhone|CPU) OS (\d+)/))) return "iOS " + found[1];
    if ((found = agent.match(/Mac OS X (\d+)[._](\d+)/))) return "macOS " + found[1] + "." + found[2];
    if (/CrOS/.test(agent)) return "ChromeOS";
    if (/Linux/.test(agent)) return "Linux";
    return "";
  }

  function systemFromHints(platform, version) {
    const major = parseInt(String(version || "").split(".")[0], 10);
    if (platform === "Windows" && !Number.isNaN(major)) return major >= 13 ? "Windows 11" : "Windows 10";
    if (platform === "macOS" && version) return "macOS " + String(version).split(".").slice(0, 2).join(".");
    if (platform === "Android" && !Number.isNaN(major)) return "Android " + major;
    return "";
  }

  function show() {
    for (const slot of block.querySelectorAll("[data-context-show]")) {
      const value = details[slot.dataset.contextShow];
      slot.textContent = value ? " (" + value + ")" : "";
    }
  }

  form.addEventListener("submit", () => {
    hidden.value = box.checked ? JSON.stringify(details) : "";
  });
  // Back from a refused try: the box keeps the customer's choice, the input its fresh filling.
  hidden.value = "";
  block.hidden = false;
  show();
})();
