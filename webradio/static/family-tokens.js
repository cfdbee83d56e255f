/* Family accesses: the class form proposes one family per pupil on record, and revoking asks
   for confirmation, then waits a few seconds during which "Annuler" undoes it (no request has
   been sent yet). Without script, the same confirmation is a page of its own (?revoquer=ID). */
(function () {
  "use strict";
  var DELAY_S = 5;

  var select = document.querySelector("[data-class-select]");
  var count = document.querySelector("[data-class-count]");
  if (select && count) {
    select.addEventListener("change", function () {
      var pupils = Number(select.selectedOptions[0].dataset.pupils || "0");
      count.value = pupils > 0 ? String(pupils) : "";
    });
  }

  document.querySelectorAll("[data-revoke-form]").forEach(function (form) {
    var opener = document.querySelector('[data-revoke-open="' + form.id + '"]');
    var question = form.querySelector("[data-revoke-question]");
    var pending = form.querySelector("[data-revoke-pending]");
    var seconds = form.querySelector("[data-revoke-seconds]");
    var submit = form.querySelector("[data-revoke-submit]");
    var cancel = form.querySelector("[data-revoke-cancel]");
    var timer = null;

    function reset() {
      if (timer !== null) { window.clearInterval(timer); timer = null; }
      question.hidden = false;
      pending.hidden = true;
      submit.hidden = false;
    }

    if (opener) {
      opener.addEventListener("click", function (event) {
        event.preventDefault();
        opener.hidden = true;
        form.hidden = false;
        submit.focus();
      });
    }
    cancel.addEventListener("click", function (event) {
      event.preventDefault();
      reset();
      form.hidden = true;
      if (opener) { opener.hidden = false; opener.focus(); }
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (timer !== null) { return; }
      var left = DELAY_S;
      seconds.textContent = String(left);
      question.hidden = true;
      pending.hidden = false;
      submit.hidden = true;
      cancel.focus();
      timer = window.setInterval(function () {
        left -= 1;
        seconds.textContent = String(left);
        if (left <= 0) {
          window.clearInterval(timer);
          form.submit();
        }
      }, 1000);
    });
  });
})();
