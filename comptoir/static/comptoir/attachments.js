// Attachments: drag and drop, paste a screenshot, and early checks of the limits.
// The form works without this file: it only adds to the plain file input.
// Other scripts (capture.js) attach a file by dispatching "comptoir:attach" on the
// dropzone with {detail: {files: [...]}}: it is checked and listed like a chosen one.
(function () {
  "use strict";
  document.documentElement.classList.add("has-js");

  function format(template, name) {
    return template.replace("%(name)s", name);
  }

  // A size as comptoir.core.typography.file_size writes it: units of 1024 named by the page
  // (Ko, Mo in French), one decimal under 10, the number in the page's language.
  function fileSize(zone, size) {
    if (size < 1024) return size + "\u00a0" + zone.dataset.unitBytes;
    var unit = size >= 1073741824 ? [1073741824, zone.dataset.unitGb]
      : size >= 1048576 ? [1048576, zone.dataset.unitMb] : [1024, zone.dataset.unitKb];
    var value = size / unit[0];
    var places = value < 10 ? 1 : 0;
    var number = new Intl.NumberFormat(document.documentElement.lang || undefined, {
      minimumFractionDigits: places, maximumFractionDigits: places, useGrouping: false,
    });
    return number.format(value) + "\u00a0" + unit[1];
  }

  // The server's accepted types, from the input's accept attribute (comptoir.tickets.files):
  // MIME types and extensions. The server decides by content; this only warns early.
  function acceptedTypes(input) {
    var entries = (input.getAttribute("accept") || "").split(",").map(function (e) { return e.trim().toLowerCase(); });
    return {
      mime: entries.filter(function (e) { return e.indexOf("/") > 0; }),
      extensions: entries.filter(function (e) { return e.charAt(0) === "."; }),
    };
  }

  // As the server sees text (comptoir.tickets.files._looks_like_text): no NUL byte, and UTF-8
  // but for a character cut at the end of the sample. The server accepts any text file.
  function looksLikeText(file) {
    if (!file.slice || !window.TextDecoder) { return Promise.resolve(true); }
    return file.slice(0, 8192).arrayBuffer().then(function (buffer) {
      var bytes = new Uint8Array(buffer);
      if (bytes.indexOf(0) !== -1) { return false; }
      try {
        new TextDecoder("utf-8", { fatal: true }).decode(bytes, { stream: true });
        return true;
      } catch (error) {
        return false;
      }
    }, function () { return true; });
  }

  function hasAcceptedType(file, accepted) {
    var type = (file.type || "").toLowerCase();
    var dot = file.name.lastIndexOf(".");
    var extension = dot >= 0 ? file.name.slice(dot).toLowerCase() : "";
    if (accepted.mime.indexOf(type) !== -1 || (extension && accepted.extensions.indexOf(extension) !== -1)) {
      return Promise.resolve(true);
    }
    return looksLikeText(file);
  }

  function setUp(zone) {
    var input = zone.querySelector("input[type=file]");
    var list = zone.querySelector(".file-list");
    var message = zone.querySelector(".dropzone-message");
    var maxBytes = parseInt(zone.dataset.maxBytes, 10);
    var maxFiles = parseInt(zone.dataset.maxFiles, 10);
    var accepted = acceptedTypes(input);
    var kept = [];
    var previews = [];

    // Which rule the file breaks, as a sentence naming the file and the limit; null when none.
    function problemOf(file) {
      if (file.size > maxBytes) { return Promise.resolve(format(zone.dataset.msgTooLarge, file.name)); }
      if (file.size === 0) { return Promise.resolve(format(zone.dataset.msgEmpty, file.name)); }
      return hasAcceptedType(file, accepted).then(function (ok) {
        return ok ? null : format(zone.dataset.msgBadType, file.name);
      });
    }

    function sync() {
      var transfer = new DataTransfer();
      kept.forEach(function (file) { transfer.items.add(file); });
      input.files = transfer.files;
      list.textContent = "";
      previews.forEach(function (url) { URL.revokeObjectURL(url); });
      previews = [];
      kept.forEach(function (file, index) {
        var item = document.createElement("li");
        var name = document.createElement("span");
        name.className = "file-name";
        if (/^image\/(png|jpeg|gif|webp)$/.test(file.type)) {
          // A thumbnail of a screenshot or picture; its name beside it says what it is.
          var thumb = document.createElement("img");
          thumb.className = "file-thumb";
          thumb.alt = "";
          thumb.src = URL.createObjectURL(file);
          previews.push(thumb.src);
          name.append(thumb);
        }
        name.append(file.name + " (" + fileSize(zone, file.size) + ")");
        var remove = document.createElement("button");
        remove.type = "button";
        remove.className = "link-button";
        remove.textContent = zone.dataset.msgRemove;
        remove.setAttribute("aria-label", zone.dataset.msgRemove + " " + file.name);
        remove.addEventListener("click", function () { kept.splice(index, 1); sync(); });
        item.append(name, remove);
        list.append(item);
      });
    }

    // Files a refused try kept on the server (portal/pending_files.html) count against the limit too.
    function keptOnServer() {
      return zone.closest("form").querySelectorAll("input[name=pending_file]:checked").length;
    }

    function isKept(file) {
      return kept.some(function (other) {
        return other.name === file.name && other.size === file.size && other.lastModified === file.lastModified;
      });
    }

    function add(files) {
      var candidates = Array.prototype.slice.call(files);
      return Promise.all(candidates.map(problemOf)).then(function (found) {
        var problems = [];
        candidates.forEach(function (file, index) {
          if (found[index]) {
            problems.push(found[index]);
          } else if (isKept(file)) {
            // Chosen again: listed once.
          } else if (kept.length + keptOnServer() >= maxFiles) {
            problems.push(zone.dataset.msgTooMany);
          } else {
            kept.push(file);
          }
        });
        message.textContent = problems.filter(function (p, i) { return problems.indexOf(p) === i; }).join(" ");
        sync();
      });
    }

    // Files chosen with the button join those already listed (dropped, pasted, captured).
    input.addEventListener("change", function () {
      add(Array.prototype.slice.call(input.files));
    });
    zone.addEventListener("comptoir:attach", function (event) {
      if (event.detail && event.detail.files) { add(event.detail.files); }
    });
    ["dragenter", "dragover"].forEach(function (type) {
      zone.addEventListener(type, function (event) { event.preventDefault(); zone.classList.add("is-over"); });
    });
    ["dragleave", "drop"].forEach(function (type) {
      zone.addEventListener(type, function () { zone.classList.remove("is-over"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files.length) { add(event.dataTransfer.files); }
    });
    // A screenshot pasted anywhere in the form (Ctrl+V / Cmd+V) becomes an attachment.
    zone.closest("form").addEventListener("paste", function (event) {
      var files = event.clipboardData ? event.clipboardData.files : [];
      if (!files.length) { return; }
      event.preventDefault();
      var named = Array.prototype.map.call(files, function (file, index) {
        var stamp = new Date().toISOString().replace(/[:.]/g, "-");
        var extension = (file.type.split("/")[1] || "png").replace("jpeg", "jpg");
        return new File([file], "screenshot-" + stamp + (index ? "-" + index : "") + "." + extension, { type: file.type });
      });
      add(named);
    });
  }

  document.querySelectorAll("[data-dropzone]").forEach(setUp);
})();
