// Forms marked data-submit-once are sent once: after the first submit their buttons are
// disabled and a second click (a double click, an impatient click while the page loads) is
// ignored. The server does not rely on it: each render of the request form carries its own
// idempotency key, and a decision already recorded is shown instead of made twice.
(function () {
  "use strict";

  function buttons(form) {
    return Array.prototype.slice.call(
      form.querySelectorAll("button[type=submit], button:not([type]), input[type=submit]"));
  }

  function setDisabled(form, disabled) {
    buttons(form).forEach(function (button) {
      button.disabled = disabled;
      if (disabled) { button.setAttribute("aria-disabled", "true"); }
      else { button.removeAttribute("aria-disabled"); }
    });
  }

  document.querySelectorAll("form[data-submit-once]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.getAttribute("data-submitting") === "true") {
        event.preventDefault();
        return;
      }
      form.setAttribute("data-submitting", "true");
      // Disabled only once the browser has built the form data: a button disabled during the
      // submit event is left out of it (HTML's "constructing the entry list" skips disabled
      // controls), and the decision form's Approve/Reject carry verdict=approve|reject.
      window.setTimeout(function () { setDisabled(form, true); }, 0);
    });
  });

  // A page restored from the back/forward cache gets usable buttons again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) { return; }
    document.querySelectorAll("form[data-submit-once]").forEach(function (form) {
      form.removeAttribute("data-submitting");
      setDisabled(form, false);
    });
  });
})();
