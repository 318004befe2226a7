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
})();
