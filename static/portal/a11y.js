// Accessibility and small-screen behaviour shared by every page (loaded by base.html):
// - after a failed submit the focus moves to the error summary, whose links focus their field;
// - the main menu collapses behind a "Menu" button on narrow screens (aria-expanded says so);
// - every .table sits in a scroll container, so a wide table scrolls inside its card instead of
//   widening the page; the container takes keyboard focus only while it overflows.
(function () {
  "use strict";

  function focusErrorSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (!summary) { return; }
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      if (!link) { return; }
      var target = document.getElementById(link.getAttribute("href").slice(1));
      if (target) {
        event.preventDefault();
        target.focus();
        target.scrollIntoView({block: "center"});
      }
    });
  }

  function collapsibleMenu() {
    var button = document.getElementById("menu-toggle");
    var menu = document.getElementById("site-menu");
    if (!button || !menu) { return; }
    document.documentElement.classList.add("menu-js");
    button.hidden = false;
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-expanded") !== "true";
      button.setAttribute("aria-expanded", String(open));
      menu.classList.toggle("open", open);
    });
  }

  function labelFor(table) {
    var caption = table.querySelector("caption");
    if (caption) { return caption.textContent.trim(); }
    var card = table.closest("section, article, main");
    var heading = card && card.querySelector("h1, h2, h3");
    return heading ? heading.textContent.trim() : "Table";
  }

  function scrollableTables() {
    var wrappers = [];
    document.querySelectorAll("table.table").forEach(function (table) {
      var wrapper = table.parentElement;
      if (!wrapper.classList.contains("table-scroll")) {
        wrapper = document.createElement("div");
        wrapper.className = "table-scroll";
        table.parentNode.insertBefore(wrapper, table);
        wrapper.appendChild(table);
      }
      wrappers.push(wrapper);
    });
    function update() {
      wrappers.forEach(function (wrapper) {
        if (wrapper.scrollWidth > wrapper.clientWidth + 1) {
          wrapper.setAttribute("tabindex", "0");
          wrapper.setAttribute("role", "region");
          wrapper.setAttribute("aria-label", labelFor(wrapper.querySelector("table")) + " (scrolls sideways)");
        } else {
          wrapper.removeAttribute("tabindex");
          wrapper.removeAttribute("role");
          wrapper.removeAttribute("aria-label");
        }
      });
    }
    update();
    window.addEventListener("resize", update);
  }

  collapsibleMenu();
  scrollableTables();
  focusErrorSummary();
}());
