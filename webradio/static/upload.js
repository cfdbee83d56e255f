// Send a take with a progress bar, then follow its analysis until ready or failed.
// Where the browser allows the microphone (a secure page), pupils can also record in the page.
document.querySelectorAll("form.upload").forEach(function (form) {
  var text = window.WEBRADIO_TEXT;
  var bar = form.querySelector("progress");
  var status = form.querySelector(".upload-status");
  var button = form.querySelector("button[type=submit]");
  var fileInput = form.querySelector("input[type=file]");

  // The sound report of a ready take: advice for the class, figures for the teacher.
  function showReport(report) {
    var old = form.querySelector(".take-report");
    if (old) { old.remove(); }
    var box = document.createElement("div");
    box.className = "take-report" + (report.good ? " good" : "");
    var list = document.createElement("ul");
    list.className = "advice";
    report.advice.forEach(function (line) {
      var item = document.createElement("li"); item.textContent = line; list.appendChild(item);
    });
    box.appendChild(list);
    var details = document.createElement("details");
    var summary = document.createElement("summary");
    summary.textContent = text.figures;
    details.appendChild(summary);
    var table = document.createElement("table");
    table.className = "figures";
    report.figures.forEach(function (f) {
      var row = table.insertRow();
      var head = document.createElement("th"); head.scope = "row"; head.textContent = f.label;
      row.appendChild(head);
      row.insertCell().textContent = f.value;
      var hint = row.insertCell(); hint.className = "hint"; hint.textContent = f.hint;
    });
    details.appendChild(table);
    box.appendChild(details);
    status.after(box);
  }

  function follow(take) {
    var template = form.dataset.statusUrl;
    if (take.state === "ready") {
      status.textContent = text.ready;
      if (take.report) { showReport(take.report); return; }
      if (template) {
        fetch(template.replace("TAKE_ID", take.id), {headers: {Accept: "application/json"}})
          .then(function (r) { return r.json(); })
          .then(function (t) { if (t.report) { showReport(t.report); } });
      }
      return;
    }
    if (take.state === "failed") { status.textContent = text.failed + " " + take.failure_reason; return; }
    status.textContent = text.analysing;
    if (!template) { return; }
    poll(take, template, 1500);
  }

  // Follow the same take; a busy server (429) or a network drop only delays the next poll.
  function poll(take, template, delayMs) {
    setTimeout(function () {
      fetch(template.replace("TAKE_ID", take.id), {headers: {Accept: "application/json"}})
        .then(function (r) {
          if (r.status === 429 || r.status >= 500) {
            var wait = parseInt(r.headers.get("Retry-After") || "5", 10);
            poll(take, template, Math.max(1, wait) * 1000);
            return null;
          }
          return r.json();
        })
        .then(function (t) { if (t) { follow(t); } })
        .catch(function () { poll(take, template, 5000); });
    }, delayMs);
  }

  function send(data) {
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("Accept", "application/json");
    bar.hidden = false; bar.value = 0; button.disabled = true;
    status.textContent = text.sending;
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) { bar.value = Math.round(100 * e.loaded / e.total); }
    };
    xhr.onload = function () {
      button.disabled = false;
      var body = {};
      try { body = JSON.parse(xhr.responseText); } catch (err) { body = {error: xhr.statusText}; }
      if (xhr.status >= 400) { status.textContent = body.error || xhr.statusText; return; }
      bar.value = 100;
      follow(body);
    };
    xhr.onerror = function () { button.disabled = false; status.textContent = text.network; };
    xhr.send(data);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    send(new FormData(form));
  });

  var record = form.querySelector("button.record");
  if (!record || !window.MediaRecorder || !navigator.mediaDevices) { return; }
  record.hidden = false;
  var recorder = null;
  record.addEventListener("click", function () {
    if (recorder) { recorder.stop(); return; }
    navigator.mediaDevices.getUserMedia({audio: true}).then(function (stream) {
      var chunks = [];
      recorder = new MediaRecorder(stream);
      recorder.ondataavailable = function (e) { chunks.push(e.data); };
      recorder.onstop = function () {
        stream.getTracks().forEach(function (track) { track.stop(); });
        recorder = null;
        record.textContent = text.record;
        var data = new FormData(form);
        data.delete("file");
        data.append("file", new Blob(chunks, {type: chunks[0] ? chunks[0].type : "audio/webm"}), "enregistrement.webm");
        send(data);
      };
      recorder.start(1000);
      record.textContent = text.stop;
      status.textContent = text.recording;
      fileInput.required = false;
    }).catch(function () { status.textContent = text.microphone; });
  });
});
