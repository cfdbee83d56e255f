/* Copy buttons (the family page's address, a staff one-time link): the Clipboard API where the
   browser allows it, else the text is selected so the device's own menu can copy it. */
(function () {
  "use strict";

  function isField(element) {
    return element.tagName === "TEXTAREA" || element.tagName === "INPUT";
  }

  function select(element) {
    if (isField(element)) { element.focus(); element.select(); return; }
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.dataset.copy);
    var status = button.parentElement.querySelector("[data-copy-status]");
    if (!source) { return; }

    function selectedOnly() {
      select(source);
      var copied = false;
      try { copied = document.execCommand("copy"); } catch (error) { copied = false; }
      status.textContent = copied ? button.dataset.copied : button.dataset.selected;
    }

    button.addEventListener("click", function () {
      var text = (isField(source) ? source.value : source.textContent).trim();
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(function () {
          status.textContent = button.dataset.copied;
        }, selectedOnly);
      } else {
        selectedOnly();
      }
    });
  });
})();
