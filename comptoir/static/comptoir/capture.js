// "Take a screenshot" and "Record my screen" on the ticket form (templates/portal/capture.html).
// What is captured joins the attachments through the dropzone's "comptoir:attach" event
// (attachments.js): checked against the server's rules and sent like a chosen file.
// The buttons stay hidden where the browser cannot capture the screen; the page then says
// how to attach a capture instead. Every sentence comes from the template, in the page's language.
(function () {
  "use strict";

  var media = navigator.mediaDevices;
  var canShare = !!(media && typeof media.getDisplayMedia === "function");
  var canRecord = canShare && typeof window.MediaRecorder === "function" && recordingType() !== "";

  function recordingType() {
    if (typeof window.MediaRecorder !== "function" || typeof MediaRecorder.isTypeSupported !== "function") {
      return "";
    }
    var types = ["video/webm;codecs=vp9,opus", "video/webm;codecs=vp8,opus", "video/webm"];
    for (var i = 0; i < types.length; i += 1) {
      if (MediaRecorder.isTypeSupported(types[i])) { return types[i]; }
    }
    return "";
  }

  function stamp() {
    return new Date().toISOString().replace(/[:.]/g, "-").replace(/-\d{3}Z$/, "");
  }

  function clock(seconds) {
    var minutes = Math.floor(seconds / 60);
    var rest = seconds % 60;
    return minutes + ":" + (rest < 10 ? "0" : "") + rest;
  }

  function stopAll(stream) {
    if (stream) { stream.getTracks().forEach(function (track) { track.stop(); }); }
  }

  function setUp(box) {
    var form = box.closest("form");
    var zone = form && form.querySelector("[data-dropzone]");
    if (!zone) { return; }
    var status = box.querySelector("[data-capture-status]");
    var shotButton = box.querySelector("[data-capture-shot]");
    var recordButton = box.querySelector("[data-capture-record]");
    var micLabel = box.querySelector("[data-capture-mic-label]");
    var mic = box.querySelector("[data-capture-mic]");
    var recordingBar = box.querySelector("[data-capture-recording]");
    var timer = box.querySelector("[data-capture-timer]");
    var stopButton = box.querySelector("[data-capture-stop]");
    var preview = box.querySelector("[data-capture-preview]");
    var video = box.querySelector("[data-capture-video]");
    var sizeLabel = box.querySelector("[data-capture-size]");
    var attachButton = box.querySelector("[data-capture-attach]");
    var discardButton = box.querySelector("[data-capture-discard]");
    var maxSeconds = parseInt(box.dataset.maxSeconds, 10);
    var stopBytes = parseInt(box.dataset.stopBytes, 10);
    var bitsPerSecond = parseInt(box.dataset.bitsPerSecond, 10);
    var recorded = null;
    var previewUrl = "";

    if (!canShare) { return; }
    box.querySelector("[data-capture-fallback]").hidden = true;
    box.querySelector("[data-capture-tools]").hidden = false;
    shotButton.hidden = false;
    recordButton.hidden = !canRecord;
    micLabel.hidden = !canRecord;

    function say(text) {
      status.textContent = text;
    }

    function attach(file) {
      zone.dispatchEvent(new CustomEvent("comptoir:attach", { detail: { files: [file] } }));
    }

    function busy(flag) {
      shotButton.disabled = flag;
      recordButton.disabled = flag;
      mic.disabled = flag;
    }

    function refused(error) {
      // Cancelled in the browser's prompt, or refused by a setting: nothing to apologise for.
      var cancelled = error && (error.name === "NotAllowedError" || error.name === "AbortError");
      say(cancelled ? box.dataset.msgCancelled : box.dataset.msgFailed);
      busy(false);
    }

    // One frame of the shared screen, drawn once the video shows it, as a PNG.
    function grabFrame(stream) {
      var player = document.createElement("video");
      player.muted = true;
      player.playsInline = true;
      player.srcObject = stream;
      return player.play().then(function () {
        return new Promise(function (resolve) {
          if (player.requestVideoFrameCallback) {
            player.requestVideoFrameCallback(function () { resolve(); });
          } else {
            window.setTimeout(resolve, 300);
          }
        });
      }).then(function () {
        var canvas = document.createElement("canvas");
        canvas.width = player.videoWidth;
        canvas.height = player.videoHeight;
        canvas.getContext("2d").drawImage(player, 0, 0, canvas.width, canvas.height);
        return new Promise(function (resolve, reject) {
          canvas.toBlob(function (blob) { return blob ? resolve(blob) : reject(new Error("no frame")); }, "image/png");
        });
      }).finally(function () {
        player.srcObject = null;
      });
    }

    shotButton.addEventListener("click", function () {
      busy(true);
      say("");
      media.getDisplayMedia({ video: true, audio: false }).then(function (stream) {
        return grabFrame(stream).finally(function () { stopAll(stream); });
      }).then(function (blob) {
        attach(new File([blob], box.dataset.msgShotName + "-" + stamp() + ".png", { type: "image/png" }));
        say(box.dataset.msgShotAdded);
        busy(false);
        shotButton.focus();
      }, refused);
    });

    function showPreview(blob, reason) {
      recorded = new File([blob], box.dataset.msgRecordingName + "-" + stamp() + ".webm", { type: "video/webm" });
      previewUrl = URL.createObjectURL(recorded);
      video.src = previewUrl;
      sizeLabel.textContent = "(" + clock(reason.seconds) + ")";
      recordingBar.hidden = true;
      preview.hidden = false;
      say(reason.message);
      attachButton.focus();
    }

    function closePreview(text) {
      if (previewUrl) { URL.revokeObjectURL(previewUrl); }
      previewUrl = "";
      video.removeAttribute("src");
      video.load();
      preview.hidden = true;
      recorded = null;
      busy(false);
      say(text);
      recordButton.focus();
    }

    function record(screen, voice) {
      var tracks = screen.getVideoTracks().concat(voice ? voice.getAudioTracks() : []);
      var stream = new MediaStream(tracks);
      var recorder = new MediaRecorder(stream, {
        mimeType: recordingType(),
        videoBitsPerSecond: bitsPerSecond,
        audioBitsPerSecond: 64000,
      });
      var chunks = [];
      var bytes = 0;
      var started = Date.now();
      var seconds = 0;
      var reason = box.dataset.msgStopped;

      function stop(why) {
        if (recorder.state === "inactive") { return; }
        reason = why;
        recorder.stop();
      }

      var tick = window.setInterval(function () {
        seconds = Math.floor((Date.now() - started) / 1000);
        timer.textContent = clock(Math.min(seconds, maxSeconds));
        if (seconds >= maxSeconds) { stop(box.dataset.msgStoppedTime); }
      }, 250);

      recorder.addEventListener("dataavailable", function (event) {
        if (event.data && event.data.size) {
          chunks.push(event.data);
          bytes += event.data.size;
          if (bytes >= stopBytes) { stop(box.dataset.msgStoppedSize); }
        }
      });
      recorder.addEventListener("stop", function () {
        window.clearInterval(tick);
        stopAll(screen);
        stopAll(voice);
        stopButton.onclick = null;
        showPreview(new Blob(chunks, { type: "video/webm" }), { message: reason, seconds: Math.min(seconds, maxSeconds) });
      });
      // "Stop sharing" in the browser's own bar ends the recording too.
      screen.getVideoTracks()[0].addEventListener("ended", function () { stop(box.dataset.msgStopped); });
      stopButton.onclick = function () { stop(box.dataset.msgStopped); };

      timer.textContent = clock(0);
      recordingBar.hidden = false;
      recorder.start(1000);
      say(box.dataset.msgRecording);
      stopButton.focus();
    }

    recordButton.addEventListener("click", function () {
      busy(true);
      say("");
      media.getDisplayMedia({ video: true, audio: false }).then(function (screen) {
        if (!mic.checked) { return record(screen, null); }
        return media.getUserMedia({ audio: true }).then(
          function (voice) { record(screen, voice); },
          // No microphone, or refused: the screen is recorded without sound.
          function () { record(screen, null); }
        );
      }).catch(refused);
    });

    attachButton.addEventListener("click", function () {
      if (recorded) { attach(recorded); }
      closePreview(box.dataset.msgAttached);
    });
    discardButton.addEventListener("click", function () {
      closePreview(box.dataset.msgDiscarded);
    });
  }

  document.querySelectorAll("[data-capture]").forEach(setUp);
})();
