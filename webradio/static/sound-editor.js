// Trim editor: draw each take's waveform from its peaks (0.1 s buckets) and place in/out
// points by clicking (click: in, shift+click: out), to the tenth of a second.
document.querySelectorAll(".parts-editor .part").forEach(function (part) {
  var canvas = part.querySelector("canvas.wave");
  var inField = part.querySelector("input.in");
  var outField = part.querySelector("input.out");
  var duration = parseFloat(canvas.dataset.duration) || 0;
  var peaks = null;

  function draw() {
    var ctx = canvas.getContext("2d");
    var w = canvas.width, h = canvas.height, mid = h / 2;
    ctx.clearRect(0, 0, w, h);
    if (!peaks) { return; }
    var n = peaks.max.length;
    ctx.fillStyle = "#3a6ea5";
    for (var x = 0; x < w; x++) {
      var a = Math.floor(x * n / w), b = Math.max(a + 1, Math.floor((x + 1) * n / w));
      var hi = 0, lo = 0;
      for (var i = a; i < b && i < n; i++) {
        hi = Math.max(hi, peaks.max[i]); lo = Math.min(lo, peaks.min[i]);
      }
      ctx.fillRect(x, mid - hi * mid, 1, Math.max(1, (hi - lo) * mid));
    }
    var start = parseFloat(inField.value), end = parseFloat(outField.value);
    ctx.fillStyle = "rgba(0, 0, 0, 0.35)";
    if (!isNaN(start)) { ctx.fillRect(0, 0, start / duration * w, h); }
    if (!isNaN(end)) { var e = end / duration * w; ctx.fillRect(e, 0, w - e, h); }
  }

  canvas.addEventListener("click", function (event) {
    var rect = canvas.getBoundingClientRect();
    var seconds = Math.round((event.clientX - rect.left) / rect.width * duration * 10) / 10;
    (event.shiftKey ? outField : inField).value = seconds.toFixed(1);
    part.querySelector("input[type=checkbox]").checked = true;
    draw();
  });
  inField.addEventListener("input", draw);
  outField.addEventListener("input", draw);
  fetch(canvas.dataset.peaksUrl, {headers: {Accept: "application/json"}, credentials: "same-origin"})
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (data) { peaks = data; draw(); });
});
