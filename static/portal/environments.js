// Live status of environments without reloading: polls the JSON status endpoint while anything is
// on its way somewhere, and updates status, message and the Open/Stop/Start buttons, the
// change link and the terminate form in place.
// On the "starting" page (data-open-when-ready) it submits the Open form once the notebook runs.
(function () {
  "use strict";
  var SETTLED = ["available", "stopped", "failed", "terminated"];
  var POLL_MS = 3000;

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-environment]"));
  }

  function statusUrl() {
    var holder = document.querySelector("[data-status-url]");
    return holder ? holder.getAttribute("data-status-url") : null;
  }

  function show(row, selector, visible) {
    var el = row.querySelector(selector);
    if (el) { el.hidden = !visible; }
  }

  function apply(row, state) {
    var badge = row.querySelector("[data-status]");
    if (badge) {
      badge.textContent = state.status_label;
      badge.className = "status status-" + state.status;
    }
    var message = row.querySelector("[data-status-message]");
    if (message) { message.textContent = state.status_message || ""; }
    row.setAttribute("data-status-value", state.status);
    show(row, "[data-open-form]", state.openable);
    show(row, "[data-stop-form]", state.stoppable);
    show(row, "[data-start-form]", state.startable);
    show(row, "[data-change-link]", state.changeable);
    show(row, "[data-terminate-form]", state.terminable);
    if (row.hasAttribute("data-open-when-ready") && state.status === "available") {
      row.removeAttribute("data-open-when-ready");
      var form = row.querySelector("[data-open-form]");
      if (form) { form.submit(); }
    }
  }

  function busy() {
    return rows().some(function (row) {
      return SETTLED.indexOf(row.getAttribute("data-status-value")) === -1;
    });
  }

  function poll() {
    var url = statusUrl();
    if (!url || !busy()) { return; }
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        var byId = {};
        data.environments.forEach(function (state) { byId[state.id] = state; });
        rows().forEach(function (row) {
          var state = byId[row.getAttribute("data-environment")];
          if (state) { apply(row, state); }
        });
      })
      .catch(function () { /* the next poll tries again */ })
      .then(function () { window.setTimeout(poll, POLL_MS); });
  }

  document.addEventListener("DOMContentLoaded", function () { window.setTimeout(poll, POLL_MS); });
})();
