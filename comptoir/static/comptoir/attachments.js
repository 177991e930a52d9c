// Attachments: drag and drop, paste a screenshot, and early checks of the limits.
// The form works without this file: it only adds to the plain file input.
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

  function setUp(zone) {
    var input = zone.querySelector("input[type=file]");
    var list = zone.querySelector(".file-list");
    var message = zone.querySelector(".dropzone-message");
    var maxBytes = parseInt(zone.dataset.maxBytes, 10);
    var maxFiles = parseInt(zone.dataset.maxFiles, 10);
    var kept = [];

    function sync() {
      var transfer = new DataTransfer();
      kept.forEach(function (file) { transfer.items.add(file); });
      input.files = transfer.files;
      list.textContent = "";
      kept.forEach(function (file, index) {
        var item = document.createElement("li");
        var name = document.createElement("span");
        name.textContent = file.name + " (" + fileSize(zone, file.size) + ")";
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

    function add(files) {
      var problems = [];
      Array.prototype.forEach.call(files, function (file) {
        if (file.size > maxBytes) {
          problems.push(format(zone.dataset.msgTooLarge, file.name));
        } else if (kept.length >= maxFiles) {
          problems.push(zone.dataset.msgTooMany);
        } else {
          kept.push(file);
        }
      });
      message.textContent = problems.filter(function (p, i) { return problems.indexOf(p) === i; }).join(" ");
      sync();
    }

    input.addEventListener("change", function () {
      var chosen = Array.prototype.slice.call(input.files);
      kept = [];
      add(chosen);
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
