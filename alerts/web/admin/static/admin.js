/* Every admin page: after a failed submit, focus goes to the error summary at the top, so a
   screen reader reads what is wrong and a keyboard user starts from there. The compact menu
   on a phone. No inline script anywhere (CSP). */
(function () {
  "use strict";

  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      var target = link && document.getElementById(link.getAttribute("href").slice(1));
      if (!target) { return; }
      event.preventDefault();
      var control = target.matches("input, select, textarea") ? target
        : target.querySelector("input, select, textarea");
      (control || target).focus();
      target.scrollIntoView({ block: "center" });
    });
  }

  // Phones: the menu folds behind one button (without script it simply stays open).
  var toggle = document.querySelector("[data-menu-toggle]");
  var menu = document.querySelector("[data-menu]");
  if (toggle && menu) {
    toggle.closest("header").classList.add("has-toggle");
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      menu.classList.toggle("open", open);
    });
  }

  // Lists stack into labelled rows on a phone: each cell carries its column's name.
  document.querySelectorAll("table.stacked").forEach(function (table) {
    var heads = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
      return th.textContent.trim();
    });
    table.querySelectorAll("tbody tr").forEach(function (row) {
      Array.prototype.forEach.call(row.children, function (cell, i) {
        if (heads[i] && !cell.hasAttribute("data-label") && !cell.hasAttribute("colspan")) {
          cell.setAttribute("data-label", heads[i]);
        }
      });
    });
  });

  // A table wider than its box scrolls: say so, and let the keyboard scroll it.
  document.querySelectorAll(".table-wrap").forEach(function (wrap) {
    function mark() {
      var scrolls = wrap.scrollWidth > wrap.clientWidth;
      wrap.classList.toggle("scrolls", scrolls);
      if (scrolls) { wrap.setAttribute("tabindex", "0"); } else { wrap.removeAttribute("tabindex"); }
    }
    mark();
    window.addEventListener("resize", mark);
    window.addEventListener("load", mark);
  });
})();
