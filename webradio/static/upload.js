// Send takes without ever losing one, then follow their analysis until ready or failed.
//
// Files and microphone recordings go up in resumable 5 MB chunks (tus, tus-js-client): a cut
// resumes where it stopped. A recording is kept on the device (upload-store.js, IndexedDB) from
// the moment it stops until the server confirmed it with the take's id; the page lists what is
// still on the device, sends it again when the network returns (`online`, then retries with
// back-off) and says where each one stands. A chosen file up to KEEP_MAX_BYTES is kept the same
// way (a larger one resumes after a cut, but after a reload only if chosen again). On the class
// studio the page knows when its studio ends: past it, or once the server says the teacher closed
// it, the page keeps what it holds and asks for the new code (typing it opens the new studio's
// page, which sends them). Without tus (an old browser) the form posts as before.
//
// A device that cannot keep anything (a private window, a full quota) still sends: what it holds
// stays in the page's memory, is sent again when the network returns, and the page says plainly
// that nothing is kept on the device. Each take is stamped with the moment its recording began
// on the server's clock (the time the page was served plus the page's monotonic clock since, so
// a tablet whose own clock is wrong stamps it right): past its studio's end, the server delivers
// with the old ticket only what was recorded before the end.
document.querySelectorAll("form.upload").forEach(function (form) {
  "use strict";
  var text = window.WEBRADIO_TEXT;
  var pending = window.WebradioPending;
  var bar = form.querySelector("progress");
  var status = form.querySelector(".upload-status");
  var noteLine = form.querySelector(".upload-note");
  var button = form.querySelector("button[type=submit]");
  var fileInput = form.querySelector("input[type=file]");
  var tokenInput = form.querySelector("input[name=csrf_token]");
  var pendingBox = form.querySelector("section.pending");
  var pendingList = pendingBox.querySelector("ul");
  var CHUNK = 5 * 1024 * 1024;  // under a reverse proxy's usual body limit
  var KEEP_MAX_BYTES = 200 * 1024 * 1024;  // what a tablet's IndexedDB holds without trouble
  var BACKOFF_S = [5, 10, 20, 40, 60];
  var TOKEN_MAX_AGE_MS = 20 * 60 * 1000;
  var useTus = window.tus && window.tus.isSupported && form.dataset.tusEndpoint;
  var endpoint = useTus ? new URL(form.dataset.tusEndpoint, location.href).href : null;
  var scope = form.dataset.scope || form.action;
  var tokenTime = Date.now();
  var tokenStale = false;
  var active = {};     // record id -> tus upload running
  var failures = 0;    // consecutive network failures: the next retry waits longer
  var retryTimer = null;
  var heldHere = {};   // record id -> a record only this page's memory holds
  var endedBox = document.querySelector(".studio-ended");
  var studioEnds = parseInt(form.dataset.studioEnds || "0", 10);
  var fileChoice = form.querySelector(".file-choice");
  var recordButton = form.querySelector("button.record");
  var servedAt = parseInt(form.dataset.serverNow || "0", 10);
  var servedTick = window.performance ? performance.now() : 0;

  function say(message) { status.textContent = message; }
  // What stays true while the status line moves on (nothing kept on the device...).
  function note(message) { if (noteLine && noteLine.textContent !== message) { noteLine.textContent = message; } }

  // Now, on the server's clock: the tablet's own clock may be wrong; the monotonic clock since the
  // page was served can only lag (never stamps a take later than it was recorded).
  function serverClock() {
    if (!servedAt || !window.performance) { return Date.now(); }
    return Math.round(servedAt + performance.now() - servedTick);
  }
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) { return values[key]; });
  }

  // --- following a take the server received ------------------------------------------------

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

  // Status requests carry the studio ticket: past the code's expiry it is what opens the class
  // (an expired code alone would count as a guess against the school's address).
  function statusHeaders() {
    var headers = {Accept: "application/json"};
    if (form.dataset.ticket) { headers["Webradio-Studio-Ticket"] = form.dataset.ticket; }
    return headers;
  }

  function follow(take, prefix) {
    var template = form.dataset.statusUrl;
    prefix = prefix ? prefix + " " : "";
    if (take.state === "ready") {
      say(prefix + text.ready);
      if (take.report) { showReport(take.report); return; }
      if (template) {
        fetch(template.replace("TAKE_ID", take.id), {headers: statusHeaders()})
          .then(function (r) { return r.json(); })
          .then(function (t) { if (t.report) { showReport(t.report); } });
      }
      return;
    }
    if (take.state === "failed") { say(text.failed + " " + take.failure_reason); return; }
    // Received, and waiting (a full disk on the server): the take says why; asked less often.
    say(prefix + (take.failure_reason || text.analysing));
    if (!template) { return; }
    poll(take, template, take.failure_reason ? 30000 : 1500, prefix);
  }

  // Seconds to wait from a Retry-After header: a number of seconds or an HTTP date (1 to 60 s;
  // 5 when it says neither), never 0: a refused poll must not be asked again at once.
  function retryAfter(header) {
    var value = (header || "").trim();
    var wait = /^\d+$/.test(value) ? parseInt(value, 10) : (Date.parse(value) - Date.now()) / 1000;
    if (isNaN(wait)) { wait = 5; }
    return Math.min(60, Math.max(1, wait));
  }

  // Follow the same take; a busy server (429) or a network drop only delays the next poll.
  function poll(take, template, delayMs, prefix) {
    setTimeout(function () {
      fetch(template.replace("TAKE_ID", take.id), {headers: statusHeaders()})
        .then(function (r) {
          if (r.status === 404) { return null; }  // the studio closed: the take is on the server
          if (r.status === 429 || r.status >= 500) {
            poll(take, template, retryAfter(r.headers.get("Retry-After")) * 1000, prefix);
            return null;
          }
          return r.json();
        })
        .then(function (t) { if (t) { follow(t, prefix.trim()); } })
        .catch(function () { poll(take, template, 5000, prefix); });
    }, delayMs);
  }

  // --- the page's token (staff page only: the studio relies on its code and ticket) ----------

  function freshToken() {
    if (!form.dataset.tokenUrl) { return Promise.resolve(null); }
    if (!tokenStale && Date.now() - tokenTime < TOKEN_MAX_AGE_MS) {
      return Promise.resolve(tokenInput.value);
    }
    return fetch(form.dataset.tokenUrl, {headers: {Accept: "application/json"}, credentials: "same-origin"})
      .then(function (r) {
        if (!r.ok) { throw new Error(text.signIn); }
        return r.json();
      })
      .then(function (body) {
        tokenInput.value = body.csrf_token; tokenTime = Date.now(); tokenStale = false;
        return body.csrf_token;
      });
  }

  // --- the end of the studio (class studio only) ------------------------------------------------

  // The studio ended (its code expired) or, `closed`, the teacher closed it: what the tablet holds
  // stays there; nothing new is recorded until the pupil types the new code.
  function showEnded(closed) {
    if (!endedBox) { return; }
    var why = endedBox.querySelector(".ended-why");
    if (closed && why.dataset.closed) {
      why.textContent = Object.keys(heldHere).length ? text.closedHere : why.dataset.closed;
    }
    if (endedBox.hidden) { endedBox.hidden = false; }
    studioControls().forEach(function (element) {
      if (!(element === recordButton && recorder)) { element.hidden = true; }
    });
  }

  // What a pupil uses to make a new take (hidden while the studio is over).
  function studioControls() {
    var title = form.querySelector("input[name=label]");
    return [recordButton, fileChoice, button, title && title.closest("label")].filter(Boolean);
  }

  // The studio opened again, in this page (the new code typed in its form): what only this page's
  // memory holds survives, and goes up with the new code's ticket.
  function reopen(url, html) {
    var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("form.upload");
    if (!fresh) { return false; }
    ["tusEndpoint", "ticket", "studioEnds", "serverNow", "statusUrl", "scope"].forEach(function (key) {
      if (fresh.dataset[key] !== undefined) { form.dataset[key] = fresh.dataset[key]; }
    });
    form.action = fresh.action;
    var ticketInput = form.querySelector("input[name=ticket]");
    if (ticketInput) { ticketInput.value = form.dataset.ticket; }
    endpoint = new URL(form.dataset.tusEndpoint, url).href;
    studioEnds = parseInt(form.dataset.studioEnds || "0", 10);
    servedAt = parseInt(form.dataset.serverNow || "0", 10);
    servedTick = window.performance ? performance.now() : 0;
    scope = form.dataset.scope || form.action;
    history.replaceState(null, "", url);
    endedBox.hidden = true;
    studioControls().forEach(function (element) { element.hidden = false; });
    failures = 0;
    sendAll();
    return true;
  }

  var newCode = endedBox ? endedBox.querySelector("form.new-code") : null;
  if (newCode) {
    newCode.addEventListener("submit", function (event) {
      // Everything is on the device: the new code's page sends it. Otherwise stay on this page.
      if (!Object.keys(heldHere).length || !window.DOMParser) { return; }
      event.preventDefault();
      var typed = newCode.querySelector("input[name=code]").value.trim().toLowerCase();
      var url = new URL(newCode.action, location.href).href.replace(/\/?$/, "/") + encodeURIComponent(typed);
      fetch(url, {credentials: "same-origin"})
        .then(function (r) {
          return r.text().then(function (html) {
            if (!r.ok || !reopen(url, html)) { say(text.wrongCode); }
          });
        })
        .catch(function () { say(text.network); });
    });
  }

  function checkEnd() {
    if (studioEnds && serverClock() >= studioEnds) { showEnded(false); }
  }

  // A page waking up asks the server's clock (a sleeping tablet's monotonic clock may have stood
  // still): it only ever moves the page's clock forward, to no later than the server's now.
  function wakeUp() {
    if (!servedAt || !endpoint || !window.performance) { checkEnd(); return; }
    fetch(endpoint, {method: "OPTIONS", headers: statusHeaders(), cache: "no-store"})
      .then(function (r) {
        var now = parseInt(r.headers.get("Webradio-Now") || "0", 10);
        if (now > serverClock()) { servedAt = now; servedTick = performance.now(); }
      })
      .catch(function () {})
      .then(checkEnd);
  }

  // The server's refusal of a studio that no longer opens: "closed" (by the teacher), "late"
  // (a take recorded after the end of the tablet's studio), or "" (another refusal).
  function closedByServer(err) {
    var res = err && err.originalResponse;
    if (!res || (res.getStatus() !== 404 && res.getStatus() !== 403)) { return ""; }
    try {
      var body = JSON.parse(res.getBody());
      return body.studio_closed !== true ? "" : body.recorded_after_end ? "late" : "closed";
    } catch (e) { return ""; }
  }

  // --- one resumable upload ---------------------------------------------------------------

  function duration(seconds) {
    seconds = Math.max(1, Math.round(seconds));
    return seconds < 60 ? seconds + " s" : Math.ceil(seconds / 60) + " min";
  }

  function serverMessage(err) {
    var res = err && err.originalResponse;
    if (!res) { return null; }
    try { return JSON.parse(res.getBody()).error || null; } catch (e) { return null; }
  }

  function statusOf(err) {
    return err && err.originalResponse ? err.originalResponse.getStatus() : 0;
  }

  // Send `blob` with tus; hooks: url(u) once the server named the upload, progress(text),
  // done(takeId, duplicate), failed(err, transient).
  function tusSend(blob, meta, resumeUrl, hooks) {
    var started = null;
    var headers = {};
    if (form.dataset.ticket) { headers["Webradio-Studio-Ticket"] = form.dataset.ticket; }
    var upload = new tus.Upload(blob, {
      endpoint: endpoint,
      uploadUrl: resumeUrl || null,
      chunkSize: CHUNK,
      retryDelays: [0, 1000, 3000, 5000],
      metadata: meta,
      headers: headers,
      storeFingerprintForResuming: !resumeUrl && !hooks.url,
      removeFingerprintOnSuccess: true,
      onBeforeRequest: function (req) {
        return freshToken().then(function (token) {
          if (token) { req.setHeader("X-CSRFToken", token); }
        });
      },
      onShouldRetry: function (err) {
        var code = statusOf(err);
        if (code === 403 && form.dataset.tokenUrl && !tokenStale) { tokenStale = true; return true; }
        return navigator.onLine && (code === 0 || code === 409 || code === 423 || code === 429 || (code >= 500 && code !== 507));
      },
      onUploadUrlAvailable: function () { if (hooks.url) { hooks.url(upload.url); } },
      onProgress: function (sent, total) {
        var now = Date.now();
        if (started === null) { started = {time: now, bytes: sent}; }
        var percent = total ? Math.floor(100 * sent / total) : 0;
        bar.hidden = false; bar.value = percent;
        var line = fill(text.progress, {percent: percent});
        var rate = (sent - started.bytes) / Math.max(1, now - started.time);  // bytes per ms
        if (now - started.time > 1000 && rate > 0 && sent < total) {
          line += " — " + fill(text.left, {time: duration((total - sent) / rate / 1000)});
        }
        hooks.progress(line);
      },
      onSuccess: function (payload) {
        var res = payload && payload.lastResponse;
        var take = res ? res.getHeader("Webradio-Take") : null;
        bar.value = 100;
        hooks.done(take, res ? res.getHeader("Webradio-Duplicate") === "1" : false);
      },
      onError: function (err) {
        var code = statusOf(err);
        hooks.failed(err, !navigator.onLine || code === 0 || code === 429 || code >= 500);
        var closed = closedByServer(err);
        if (closed) { showEnded(closed === "closed"); }
      }
    });
    if (resumeUrl || hooks.url) { upload.start(); return upload; }
    // A chosen file: resume an upload of the same file cut earlier (same name, size, date).
    upload.findPreviousUploads().then(function (previous) {
      if (previous.length) { upload.resumeFromPreviousUpload(previous[0]); }
      upload.start();
    });
    return upload;
  }

  function received(takeId, duplicate) {
    button.disabled = false;
    var prefix = text.received + (duplicate ? " " + text.duplicate : "");
    say(prefix);
    // text.analysing already says it was received.
    if (takeId) { follow({id: takeId, state: "uploaded"}, duplicate ? text.duplicate : ""); }
  }

  // --- recordings kept on the device ------------------------------------------------------

  function meta(record) {
    var values = {
      filename: record.name, filetype: record.type,
      label: record.label || "", class_id: record.classId || ""
    };
    if (record.recordedAt) { values.recorded_at = String(record.recordedAt); }
    return values;
  }

  function waitingText(record) {
    return record.notKept ? text.waitingHere : record.file ? text.fileWaiting : text.waiting;
  }

  // Where a kept upload resumes: its id on this page's endpoint (the page may have moved to the
  // studio's new code since the upload began; the server checks the class).
  function resumeUrl(record) {
    if (!record.uploadUrl || !endpoint) { return null; }
    return endpoint.replace(/\/?$/, "/") + record.uploadUrl.split("/").pop();
  }

  // Send a kept record, from one tab only: two tabs of the same tablet see the same records, and
  // the one that holds the record's lock sends it (the other says so and looks again later).
  function sendRecord(record, row) {
    if (active[record.id]) { return; }
    if (!navigator.locks || record.notKept) { startSend(record, row, function () {}); return; }
    active[record.id] = {abort: function () {}};  // asking for the lock
    navigator.locks.request("webradio-envoi:" + record.id, {ifAvailable: true}, function (lock) {
      delete active[record.id];
      if (!lock) {
        var line = row ? row.querySelector(".state") : null;
        if (line) { line.textContent = text.otherTab; }
        retryLater();
        return null;
      }
      // Sent meanwhile by the other tab (gone from the device): nothing more to do.
      return pending.list(scope).then(function (records) {
        if (!records.some(function (r) { return r.id === record.id; })) { showPending(); return null; }
        return new Promise(function (release) { startSend(record, row, release); });
      });
    });
  }

  function startSend(record, row, release) {
    record.state = "queued";
    persist(record);
    var line = row ? row.querySelector(".state") : null;
    function tell(message) { if (line) { line.textContent = message; } say(message); }
    tell(text.sending);
    active[record.id] = tusSend(record.blob, meta(record), resumeUrl(record), {
      url: function (url) { record.uploadUrl = url; persist(record); },
      progress: tell,
      done: function (takeId, duplicate) {
        delete active[record.id];
        failures = 0;
        // Confirmed by the server: only now does the recording leave the device (and only then
        // may another tab look at it).
        delete heldHere[record.id];
        var gone = pending ? pending.remove(record.id) : Promise.resolve();
        gone.catch(function () {}).then(function () { release(); return showPending(); });
        received(takeId, duplicate);
      },
      failed: function (err, transient) {
        delete active[record.id];
        release();
        if (transient) {
          // A full disk on the server (507) says so; the take stays and goes again after it.
          tell(statusOf(err) === 507 && serverMessage(err) || waitingText(record));
          retryLater(statusOf(err) === 507 ? retryAfter(err.originalResponse.getHeader("Retry-After")) : 0);
        } else if (closedByServer(err)) {
          tell(record.notKept ? text.heldClosed : text.keptClosed);
        } else {
          var message = serverMessage(err) || err.message;
          tell(text.refused + " " + message);
        }
      }
    });
  }

  // Keep `record` on the device; resolves with false when only this page's memory holds it.
  function persist(record) {
    if (!pending) { return Promise.resolve(false); }
    return pending.put(record).catch(function () { return false; }).then(function (kept) {
      record.notKept = !kept;
      if (kept) { delete heldHere[record.id]; } else { heldHere[record.id] = true; note(text.notKept); }
      return kept;
    });
  }

  // Try every recording still on the device (on load, when the network returns, on wake-up).
  function sendAll() {
    if (!pending) { return; }
    showPending().then(function () { return useTus ? pending.list(scope) : []; }).then(function (records) {
      records.forEach(function (record) {
        if (record.state === "queued") { sendRecord(record, rowOf(record.id)); }
      });
    }).catch(function () {});
  }

  function retryLater(atLeast) {
    if (retryTimer) { return; }
    var wait = Math.max(atLeast || 0, BACKOFF_S[Math.min(failures, BACKOFF_S.length - 1)]);
    failures += 1;
    retryTimer = setTimeout(function () { retryTimer = null; sendAll(); }, wait * 1000);
  }

  window.addEventListener("online", function () { failures = 0; sendAll(); });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { wakeUp(); sendAll(); }
  });
  setInterval(checkEnd, 30 * 1000);

  function rowOf(id) { return pendingList.querySelector("li[data-id='" + id + "']"); }

  // The list of recordings still on the device, each with its state and its buttons.
  function showPending() {
    if (!pending) { return Promise.resolve(); }
    return pending.list(scope).then(function (records) {
      var current = reviewing ? reviewing.id : null;
      records = records.filter(function (r) { return r.id !== current; });
      pendingList.textContent = "";
      pendingBox.hidden = records.length === 0;
      // Held by this page only (a private window): the box must not promise a reload keeps them.
      var here = records.some(function (r) { return r.notKept; });
      var title = pendingBox.querySelector("h2");
      var hint = pendingBox.querySelector(".hint");
      title.dataset.kept = title.dataset.kept || title.textContent;
      hint.dataset.kept = hint.dataset.kept || hint.textContent;
      title.textContent = here ? text.pendingTitleHere : title.dataset.kept;
      hint.textContent = here ? text.pendingHintHere : hint.dataset.kept;
      records.forEach(function (record) {
        var row = document.createElement("li");
        row.dataset.id = record.id;
        var title = document.createElement("p");
        var when = new Date(record.createdAt).toLocaleTimeString(document.documentElement.lang || [], {hour: "2-digit", minute: "2-digit"});
        var what = record.file ? record.name : fill(text.recordedAt, {time: when});
        title.textContent = (record.label ? record.label + " — " : "") + what;
        row.appendChild(title);
        var audio = document.createElement("audio");
        audio.controls = true; audio.preload = "metadata";
        audio.src = URL.createObjectURL(record.blob);
        row.appendChild(audio);
        var state = document.createElement("p");
        state.className = "state";
        state.setAttribute("role", "status");
        state.textContent = active[record.id] ? text.sending
          : record.state === "queued" ? waitingText(record) : text.draft;
        row.appendChild(state);
        var again = document.createElement("button");
        again.type = "button";
        again.textContent = record.state === "queued" ? text.retry : text.send;
        again.addEventListener("click", function () { failures = 0; sendRecord(record, row); });
        row.appendChild(again);
        var drop = document.createElement("button");
        drop.type = "button"; drop.className = "secondary"; drop.textContent = text.remove;
        drop.addEventListener("click", function () {
          if (!window.confirm(text.removeConfirm)) { return; }
          if (active[record.id]) { active[record.id].abort(true); delete active[record.id]; }
          delete heldHere[record.id];
          pending.remove(record.id).then(showPending);
        });
        row.appendChild(drop);
        pendingList.appendChild(row);
      });
    }).catch(function () {});
  }

  // --- a chosen file ------------------------------------------------------------------------

  function legacySend(data) {
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("Accept", "application/json");
    bar.hidden = false; bar.value = 0; button.disabled = true;
    say(text.sending);
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) { bar.value = Math.round(100 * e.loaded / e.total); }
    };
    xhr.onload = function () {
      button.disabled = false;
      var body = {};
      try { body = JSON.parse(xhr.responseText); } catch (err) { body = {error: xhr.statusText}; }
      if (xhr.status >= 400) { say(body.error || xhr.statusText); return; }
      bar.value = 100;
      received(body.id, body.duplicate);
    };
    xhr.onerror = function () { button.disabled = false; say(text.network); };
    xhr.send(data);
  }

  // A chosen file small enough is kept on the device like a recording, then sent from there.
  function keepFile(file) {
    var select = form.querySelector("select[name=class_id]");
    var kept = {
      id: Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 8),
      scope: scope,
      blob: file,
      file: true,
      type: file.type || "application/octet-stream",
      name: file.name,
      label: form.querySelector("input[name=label]").value,
      classId: select ? select.value : "",
      createdAt: Date.now(),
      recordedAt: serverClock(),
      state: "queued",
      uploadUrl: null
    };
    fileInput.value = "";
    return persist(kept).then(showPending).then(function () { sendRecord(kept, rowOf(kept.id)); });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var file = fileInput.files[0];
    if (file && file.size === 0) { say(text.empty); return; }
    if (!useTus || !file) { legacySend(new FormData(form)); return; }
    if (pending && file.size <= KEEP_MAX_BYTES) { keepFile(file); return; }
    button.disabled = true;
    say(text.sending);
    note(text.tooBigToKeep);
    var select = form.querySelector("select[name=class_id]");
    tusSend(file, {
      filename: file.name, filetype: file.type || "application/octet-stream",
      label: form.querySelector("input[name=label]").value,
      class_id: select ? select.value : "", recorded_at: String(serverClock())
    }, null, {
      progress: say,
      done: function (takeId, duplicate) { note(""); received(takeId, duplicate); },
      failed: function (err, transient) {
        button.disabled = false;
        say(transient ? text.networkBig : text.refused + " " + (serverMessage(err) || err.message));
      }
    });
  });

  // --- the microphone -------------------------------------------------------------------------

  var recorderBox = form.querySelector(".recorder");
  var record = recordButton;
  var live = form.querySelector(".rec-live");
  var timer = form.querySelector(".timer");
  var meter = form.querySelector("meter.level");
  var warning = form.querySelector(".level-warning");
  var review = form.querySelector(".take-review");
  var reviewAudio = review.querySelector("audio");
  var reviewing = null;  // the recording being listened to, already kept on the device

  checkEnd();
  sendAll();
  if (!window.MediaRecorder || !navigator.mediaDevices || !useTus) { return; }
  recorderBox.hidden = false;

  // The first format this browser records: WebM/Opus (Chromium), MP4/AAC (Safari, iPadOS),
  // Ogg/Opus (Firefox). The server accepts all three.
  var FORMATS = [
    ["audio/webm;codecs=opus", "webm"], ["audio/mp4", "m4a"], ["audio/ogg;codecs=opus", "ogg"]
  ];
  function pickFormat() {
    for (var i = 0; i < FORMATS.length; i++) {
      if (MediaRecorder.isTypeSupported && MediaRecorder.isTypeSupported(FORMATS[i][0])) { return FORMATS[i]; }
    }
    return ["", "webm"];
  }

  var recorder = null;
  var session = null;
  var busy = false;  // starting or stopping: a second tap (a double tap) does nothing

  function clock(seconds) {
    var s = Math.floor(seconds);
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }

  // Timer and level meter while recording; warns when the voice is too faint or saturates.
  function watch(stream) {
    var started = Date.now();
    var quietSince = started;
    var loudUntil = 0;
    var Context = window.AudioContext || window.webkitAudioContext;
    var context = Context ? new Context() : null;
    var analyser = null;
    var samples = null;
    if (context) {
      analyser = context.createAnalyser();
      analyser.fftSize = 2048;
      context.createMediaStreamSource(stream).connect(analyser);
      samples = new Float32Array(analyser.fftSize);
    }
    var tick = setInterval(function () {
      var now = Date.now();
      timer.textContent = clock((now - started) / 1000);
      if (!analyser) { return; }
      analyser.getFloatTimeDomainData(samples);
      var peak = 0;
      for (var i = 0; i < samples.length; i++) { peak = Math.max(peak, Math.abs(samples[i])); }
      meter.value = peak;
      if (peak > 0.03) { quietSince = now; }
      if (peak >= 0.99) { loudUntil = now + 2000; }
      var message = now < loudUntil ? text.tooLoud : now - quietSince > 3000 ? text.tooQuiet : "";
      if (warning.textContent !== message) { warning.textContent = message; }
    }, 100);
    return {
      started: started,
      stop: function () {
        clearInterval(tick);
        if (context) { context.close(); }
        warning.textContent = "";
      }
    };
  }

  function startRecording() {
    busy = true;
    navigator.mediaDevices.getUserMedia({audio: true}).then(function (stream) {
      var format = pickFormat();
      var chunks = [];
      var began = serverClock();
      recorder = format[0] ? new MediaRecorder(stream, {mimeType: format[0]}) : new MediaRecorder(stream);
      session = watch(stream);
      recorder.ondataavailable = function (e) { if (e.data && e.data.size) { chunks.push(e.data); } };
      recorder.onstop = function () {
        stream.getTracks().forEach(function (track) { track.stop(); });
        var seconds = (Date.now() - session.started) / 1000;
        session.stop();
        recorder = null;
        live.hidden = true;
        record.textContent = text.record;
        var type = (chunks[0] && chunks[0].type) || format[0] || "audio/webm";
        if (!chunks.length) { busy = false; say(text.emptyRecording); return; }
        var select = form.querySelector("select[name=class_id]");
        var kept = {
          id: Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 8),
          scope: scope,
          blob: new Blob(chunks, {type: type}),
          type: type,
          name: "enregistrement." + format[1],
          label: form.querySelector("input[name=label]").value,
          classId: select ? select.value : "",
          createdAt: Date.now(),
          recordedAt: began,
          seconds: seconds,
          state: "draft",
          uploadUrl: null
        };
        // Kept on the device first, before anything can go wrong.
        reviewing = kept;
        persist(kept).then(function (durable) {
          reviewAudio.src = URL.createObjectURL(kept.blob);
          review.hidden = false;
          record.hidden = true;
          busy = false;
          say(durable ? text.kept : text.keptHere);
        });
      };
      recorder.start(1000);
      busy = false;
      record.textContent = text.stop;
      live.hidden = false;
      timer.textContent = "0:00";
      say(text.recording);
      fileInput.required = false;
    }).catch(function () { busy = false; say(text.microphone); });
  }

  record.addEventListener("click", function () {
    if (busy) { return; }
    if (recorder) { busy = true; recorder.stop(); return; }
    startRecording();
  });

  review.querySelector(".send-recording").addEventListener("click", function () {
    var kept = reviewing;
    if (!kept) { return; }
    reviewing = null;
    review.hidden = true;
    record.hidden = false;
    kept.label = form.querySelector("input[name=label]").value || kept.label;
    kept.state = "queued";
    persist(kept).then(showPending).then(function () { sendRecord(kept, rowOf(kept.id)); });
  });

  review.querySelector(".retake").addEventListener("click", function () {
    var kept = reviewing;
    if (!kept || busy) { return; }
    reviewing = null;
    review.hidden = true;
    record.hidden = false;
    delete heldHere[kept.id];
    (pending ? pending.remove(kept.id) : Promise.resolve()).catch(function () {})
      .then(startRecording);
  });
});
