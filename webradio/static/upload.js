// Send a take with a progress bar, then follow its analysis until ready or failed.
document.querySelectorAll("form.upload").forEach(function (form) {
  var text = window.WEBRADIO_TEXT;
  var bar = form.querySelector("progress");
  var status = form.querySelector(".upload-status");
  var button = form.querySelector("button[type=submit]");

  function follow(take) {
    var template = form.dataset.statusUrl;
    if (take.state === "ready") { status.textContent = text.ready; return; }
    if (take.state === "failed") { status.textContent = text.failed + " " + take.failure_reason; return; }
    status.textContent = text.analysing;
    if (!template) { return; }
    setTimeout(function () {
      fetch(template.replace("TAKE_ID", take.id), {headers: {Accept: "application/json"}})
        .then(function (r) { return r.json(); }).then(follow);
    }, 1500);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
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
    xhr.send(new FormData(form));
  });
});
