/* The webradio player: one script for episode pages and the embed (no cookie, no third party).
   Every control is a native button or range input, so it works with the keyboard. */
(function () {
  "use strict";

  function clock(seconds) {
    if (!isFinite(seconds) || seconds < 0) { seconds = 0; }
    var s = Math.floor(seconds % 60), m = Math.floor(seconds / 60) % 60, h = Math.floor(seconds / 3600);
    var mm = h ? String(m).padStart(2, "0") : String(m);
    return (h ? h + ":" : "") + mm + ":" + String(s).padStart(2, "0");
  }

  function setUp(root) {
    var audio = root.querySelector("audio");
    if (!audio) { return; }
    var play = root.querySelector("[data-play]");
    var seek = root.querySelector("[data-seek-bar]");
    var time = root.querySelector("[data-time]");
    var labels = { play: play ? play.dataset.labelPlay : "", pause: play ? play.dataset.labelPause : "" };

    function refresh() {
      if (play) {
        play.setAttribute("aria-pressed", audio.paused ? "false" : "true");
        play.textContent = audio.paused ? labels.play : labels.pause;
      }
      if (seek && isFinite(audio.duration)) {
        seek.max = String(Math.round(audio.duration));
        seek.value = String(Math.round(audio.currentTime));
        seek.setAttribute("aria-valuetext", clock(audio.currentTime) + " / " + clock(audio.duration));
      }
      if (time) { time.textContent = clock(audio.currentTime) + " / " + clock(audio.duration); }
      var current = null;
      root.querySelectorAll("[data-start]").forEach(function (button) {
        if (audio.currentTime + 0.25 >= Number(button.dataset.start)) { current = button; }
      });
      root.querySelectorAll("[data-start]").forEach(function (button) {
        if (button === current) { button.setAttribute("aria-current", "true"); }
        else { button.removeAttribute("aria-current"); }
      });
    }

    if (play) {
      play.addEventListener("click", function () {
        if (audio.paused) { audio.play(); } else { audio.pause(); }
      });
    }
    if (seek) {
      seek.addEventListener("input", function () { audio.currentTime = Number(seek.value); });
    }
    root.querySelectorAll("[data-start]").forEach(function (button) {
      button.addEventListener("click", function () {
        audio.currentTime = Number(button.dataset.start);
        if (audio.paused) { audio.play(); }
      });
    });
    root.querySelectorAll("[data-skip]").forEach(function (button) {
      button.addEventListener("click", function () {
        audio.currentTime = Math.max(0, audio.currentTime + Number(button.dataset.skip));
      });
    });
    ["play", "pause", "timeupdate", "loadedmetadata", "durationchange", "ended"].forEach(function (name) {
      audio.addEventListener(name, refresh);
    });
    root.classList.add("player-ready");
    refresh();
  }

  document.querySelectorAll("[data-player]").forEach(setUp);
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
