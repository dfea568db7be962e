// Warn before leaving a page whose form has changes not yet sent (forms marked data-unsaved-warning).
// Progressive enhancement: without JavaScript the forms work the same, only without the warning.
(function () {
  "use strict";
  var forms = document.querySelectorAll("form[data-unsaved-warning]");
  if (!forms.length) { return; }
  var dirty = false;
  forms.forEach(function (form) {
    form.addEventListener("input", function () { dirty = true; });
    form.addEventListener("change", function () { dirty = true; });
    // Sending the form is how the changes are kept: no warning for that.
    form.addEventListener("submit", function () { dirty = false; });
  });
  window.addEventListener("beforeunload", function (event) {
    if (!dirty) { return; }
    event.preventDefault();
    event.returnValue = "";  // older Chromium needs a value; the browser shows its own wording
  });
}());
