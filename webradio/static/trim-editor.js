// Trim editor of a new episode's takes, on wavesurfer.js and its regions plugin (vendored).
// One region per take: its two handles are the in and out points, dragged by finger or mouse,
// or moved from the keyboard (arrows: a tenth of a second, with Shift: one second). The drawing
// comes from the take's stored peaks (0.1 s buckets) and the sound from a media element that asks
// for byte ranges, so a long take is never downloaded whole to be trimmed. The two number fields
// are what the form sends (in_s_<id>, out_s_<id>; blank: the silences are cut alone).
(function () {
  "use strict";

  var STEP_S = 0.1;
  var BIG_STEP_S = 1;
  var PAGE_STEP_S = 10;
  var MIN_LENGTH_S = 0.5; // the server refuses an out point less than 0.5 s after the in point
  var MAX_PX_PER_S = 100; // ten peaks a second: more zoom shows nothing new

  function tenths(seconds) { return Math.round(seconds * 10) / 10; }

  function setUp(root) {
    var part = root.closest(".part");
    var duration = parseFloat(root.dataset.duration) || 0;
    var wave = root.querySelector("[data-trim-wave]");
    var audio = root.querySelector("[data-trim-audio]");
    var status = root.querySelector("[data-trim-status]");
    var controls = root.querySelector("[data-trim-controls]");
    var inField = root.querySelector("input.in");
    var outField = root.querySelector("input.out");
    var playButton = root.querySelector("[data-trim-play]");
    var selectionButton = root.querySelector("[data-trim-play-selection]");
    var position = root.querySelector("[data-trim-position]");
    var zoom = root.querySelector("[data-trim-zoom]");
    var visible = root.querySelector("[data-trim-visible]");
    var summary = root.querySelector("[data-trim-summary]");
    var number = new Intl.NumberFormat(document.documentElement.lang || "fr", {
      minimumFractionDigits: 1, maximumFractionDigits: 1
    });
    var ws = null, region = null, handles = {}, fitPxPerS = 1, started = false;

    function seconds(value) { return root.dataset.labelSeconds.replace("{s}", number.format(value)); }
    function fieldOf(side) { return side === "start" ? inField : outField; }
    function read(field) {
      var value = parseFloat(String(field.value).replace(",", "."));
      return isNaN(value) ? null : value;
    }
    function edges() {
      if (region) { return {start: region.start, end: region.end}; }
      var a = read(inField), b = read(outField);
      return {start: a === null ? 0 : a, end: b === null ? duration : b};
    }

    // Keep a point inside the take and at least MIN_LENGTH_S from the other one, in tenths.
    function clamp(side, value) {
      var other = edges();
      if (side === "start") {
        return Math.max(0, Math.min(tenths(value), Math.floor((other.end - MIN_LENGTH_S) * 10) / 10));
      }
      return Math.min(Math.floor(duration * 10) / 10,
        Math.max(tenths(value), Math.ceil((other.start + MIN_LENGTH_S) * 10) / 10));
    }

    // Setting a point chooses the take; the page's other scripts hear it as a change.
    function choose() {
      var box = part && part.querySelector("input[name=take_ids]");
      if (box && !box.checked) {
        box.checked = true;
        box.dispatchEvent(new Event("change", {bubbles: true}));
      }
    }

    function describe() {
      var a = read(inField), b = read(outField);
      summary.textContent = a === null && b === null ? "" :
        " (" + seconds(a === null ? 0 : a) + " → " + seconds(b === null ? duration : b) + ")";
      ["start", "end"].forEach(function (side) {
        var handle = handles[side];
        if (!handle || !region) { return; }
        var value = tenths(region[side]);
        handle.setAttribute("aria-valuenow", value.toFixed(1));
        handle.setAttribute("aria-valuetext", seconds(value));
      });
    }

    // Move one point to `value` seconds: the field, the region and the handle's description.
    function place(side, value, typed) {
      var clamped = clamp(side, value);
      if (!typed) { fieldOf(side).value = clamped.toFixed(1); }
      if (region) {
        region.setOptions(side === "start" ? {start: clamped} : {end: clamped});
        reveal(clamped);
      }
      choose();
      describe();
    }

    // Scroll a zoomed waveform so that the point just moved stays in view.
    function reveal(time) {
      if (!ws) { return; }
      var pxPerS = ws.getWrapper().scrollWidth / duration, left = ws.getScroll();
      var x = time * pxPerS, width = ws.getWidth();
      if (x < left || x > left + width) { ws.setScroll(Math.max(0, x - width / 2)); }
    }

    function step(event) {
      var size = event.shiftKey ? BIG_STEP_S : STEP_S;
      switch (event.key) {
        case "ArrowLeft": case "ArrowDown": return -size;
        case "ArrowRight": case "ArrowUp": return size;
        case "PageDown": return -PAGE_STEP_S;
        case "PageUp": return PAGE_STEP_S;
        default: return 0;
      }
    }

    function onHandleKey(side, event) {
      var current = edges()[side], delta = step(event);
      if (event.key === "Home") { place(side, 0); }
      else if (event.key === "End") { place(side, duration); }
      else if (delta) { place(side, current + delta); }
      else { return; }
      event.preventDefault();
    }

    [["start", inField], ["end", outField]].forEach(function (pair) {
      var side = pair[0], field = pair[1];
      field.addEventListener("keydown", function (event) {
        var delta = event.key === "ArrowUp" || event.key === "ArrowDown" ? step(event) : 0;
        if (!delta) { return; }
        var typed = read(field);
        place(side, (typed === null ? edges()[side] : typed) + delta);
        event.preventDefault();
      });
      field.addEventListener("input", function () {
        var typed = read(field);
        if (typed === null) {
          if (region) { region.setOptions(side === "start" ? {start: 0} : {end: duration}); }
          describe();
          return;
        }
        place(side, typed, true);
      });
      field.addEventListener("change", function () {
        var typed = read(field);
        if (typed !== null) { place(side, typed); }
      });
    });

    root.querySelector("[data-trim-clear]").addEventListener("click", function () {
      inField.value = "";
      outField.value = "";
      if (region) { region.setOptions({start: 0, end: duration}); }
      describe();
    });

    // The region's handles become sliders one can reach with Tab and move with the arrows.
    function equipHandles() {
      var labels = {start: root.dataset.labelIn, end: root.dataset.labelOut};
      var parts = {start: "region-handle-left", end: "region-handle-right"};
      Object.keys(parts).forEach(function (side) {
        var handle = region.element.querySelector('[part~="' + parts[side] + '"]');
        if (!handle) { return; }
        handle.setAttribute("tabindex", "0");
        handle.setAttribute("role", "slider");
        handle.setAttribute("aria-label", labels[side]);
        handle.setAttribute("aria-orientation", "horizontal");
        handle.setAttribute("aria-valuemin", "0");
        handle.setAttribute("aria-valuemax", String(tenths(duration)));
        handle.setAttribute("data-trim-handle", side === "start" ? "in" : "out");
        handle.addEventListener("keydown", function (event) { onHandleKey(side, event); });
        handles[side] = handle;
      });
      describe();
    }

    function pxPerSecondOf(slider) {
      var most = Math.max(MAX_PX_PER_S, fitPxPerS * 4);
      return fitPxPerS * Math.pow(most / fitPxPerS, slider / 100);
    }

    function applyZoom() {
      if (!ws) { return; }
      fitPxPerS = wave.clientWidth / duration;
      var pxPerS = pxPerSecondOf(parseFloat(zoom.value) || 0);
      ws.zoom(pxPerS);
      root.dataset.pxPerS = pxPerS.toFixed(3);
      var shown = root.dataset.labelVisible.replace("{s}", number.format(Math.min(duration, wave.clientWidth / pxPerS)));
      visible.textContent = shown;
      zoom.setAttribute("aria-valuetext", shown);
    }

    function zoomBy(delta) {
      zoom.value = String(Math.max(0, Math.min(100, (parseFloat(zoom.value) || 0) + delta)));
      applyZoom();
      if (region) { reveal(region.start); }
    }

    function start() {
      started = true;
      status.textContent = root.dataset.labelLoading;
      fetch(root.dataset.peaksUrl, {headers: {Accept: "application/json"}, credentials: "same-origin"})
        .then(function (response) { if (!response.ok) { throw new Error(response.status); } return response.json(); })
        .then(draw)
        .catch(function () { status.textContent = root.dataset.labelNoPeaks; });
    }

    function draw(peaks) {
      var regions = WaveSurfer.Regions.create();
      var timeline = WaveSurfer.Timeline.create({
        height: 18,
        style: {color: "#5f6675", fontSize: "12px"},
        secondaryLabelOpacity: 1,
        formatTimeCallback: function (t) {
          var minutes = Math.floor(t / 60), rest = Math.round(t % 60);
          return minutes ? minutes + ":" + (rest < 10 ? "0" : "") + rest : rest + " s";
        }
      });
      audio.preload = "metadata";
      ws = WaveSurfer.create({
        container: wave,
        media: audio,
        height: 96,
        normalize: true,
        waveColor: "#3a6ea5",
        progressColor: "#23456b",
        cursorColor: "#b3261e",
        cursorWidth: 2,
        autoCenter: true,
        autoScroll: true,
        dragToSeek: false,
        plugins: [regions, timeline]
      });
      ws.on("timeupdate", function (time) { position.textContent = seconds(time); });
      ws.on("play", function () {
        playButton.textContent = root.dataset.labelPause;
        document.querySelectorAll("[data-trim-audio]").forEach(function (other) {
          if (other !== audio) { other.pause(); }  // one take heard at a time
        });
      });
      ws.on("pause", function () { playButton.textContent = root.dataset.labelPlay; });
      ws.on("finish", function () { playButton.textContent = root.dataset.labelPlay; });
      audio.addEventListener("error", function () {
        status.textContent = root.dataset.labelNoAudio;
        playButton.disabled = true;
        selectionButton.disabled = true;
      });
      regions.on("region-update", function (changed, side) {
        if (!side) { return; }
        fieldOf(side).value = tenths(changed[side]).toFixed(1);
        choose();
        describe();
      });
      // At the end of a drag the point snaps to its tenth, still half a second from the other.
      regions.on("region-updated", function (changed, side) {
        if (side) { place(side, changed[side]); }
      });
      ws.load(root.dataset.audioUrl, [peaks.max], duration).then(function () {
        var at = edges();
        region = regions.addRegion({
          start: at.start, end: at.end, drag: false, resize: true, minLength: MIN_LENGTH_S,
          color: "rgba(243, 179, 61, 0.22)"
        });
        equipHandles();
        status.textContent = "";
        controls.hidden = false;
        applyZoom();
      });
    }

    playButton.addEventListener("click", function () { if (ws) { ws.playPause(); } });
    selectionButton.addEventListener("click", function () {
      if (ws && region) { ws.play(region.start, region.end); }
    });
    zoom.addEventListener("input", applyZoom);
    root.querySelector("[data-trim-zoom-in]").addEventListener("click", function () { zoomBy(10); });
    root.querySelector("[data-trim-zoom-out]").addEventListener("click", function () { zoomBy(-10); });
    window.addEventListener("resize", function () { if (ws) { applyZoom(); } });
    root.addEventListener("toggle", function () { if (root.open && !started) { start(); } });
    if (root.open) { start(); }
    describe();
  }

  document.querySelectorAll("[data-trim]").forEach(setUp);
})();
