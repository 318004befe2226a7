/* Job form: live SMS preview (POST /admin/jobs/preview), inline errors, district search.
   No inline script anywhere (CSP): this file reads its settings from data-* attributes. */
(function () {
  "use strict";

  var form = document.getElementById("job-form");
  if (!form) { return; }
  var panel = form.querySelector("[data-preview]");
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute("content") : "";
  var numbers = new Intl.NumberFormat("fr-FR");
  var msg = panel.dataset;
  var statusLine = panel.querySelector("[data-preview-status]");
  var timer = null;
  var controller = null;
  var sequence = 0;
  var touched = {};
  // Where each error of jobs.validate() is shown.
  var ERROR_TARGET = { deadline: "deadline_date", apply: "apply_email" };

  function fold(text) {
    return (text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .replace(/\u025b/g, "e").replace(/\u0254/g, "o").replace(/\u0272/g, "ny")
      .replace(/\u014b/g, "ng").replace(/[^a-z0-9]+/g, " ").trim();
  }

  function setField(scope, name, value) {
    scope.querySelectorAll('[data-field="' + name + '"]').forEach(function (el) {
      el.textContent = value;
    });
  }

  function payload() {
    var data = new FormData(form);
    data.delete("action");
    return new URLSearchParams(data);
  }

  function showErrors(errors) {
    form.querySelectorAll("[data-error-for]").forEach(function (el) {
      var name = el.getAttribute("data-error-for");
      var key = Object.keys(ERROR_TARGET).find(function (k) { return ERROR_TARGET[k] === name; }) || name;
      var text = errors[key];
      var control = form.querySelector('[name="' + name + '"]');
      // The red border follows the error: on the field (or the places fieldset) that is wrong.
      var box = el.closest(".field, fieldset");
      if (text && touched[name]) {
        el.textContent = text;
        el.hidden = false;
        if (box) { box.classList.add("has-error"); }
        if (control && control.type !== "checkbox") { control.setAttribute("aria-invalid", "true"); }
      } else if (!text) {
        el.textContent = "";
        el.hidden = true;
        if (box) { box.classList.remove("has-error"); }
        if (control) { control.removeAttribute("aria-invalid"); }
      }
    });
  }

  function render(p) {
    p.languages.forEach(function (lang) {
      var box = panel.querySelector('.sms[data-lang="' + lang.lang + '"]');
      if (!box) { return; }
      setField(box, "text", lang.text);
      setField(box, "characters", String(lang.characters));
      setField(box, "encoding", lang.encoding);
      setField(box, "segments", String(lang.segments));
      setField(box, "recipients", lang.recipients === null ? "\u2014" : numbers.format(lang.recipients));
    });
    setField(panel, "reach", p.reach_text);
    setField(panel, "cost", p.cost_text);
    setField(panel, "formula", (msg.formulaLabel || "") + " " + p.formula);
    showErrors(p.errors || {});
  }

  function refresh() {
    if (controller) { controller.abort(); }
    controller = new AbortController();
    var mine = ++sequence;
    statusLine.textContent = msg.updating || "";
    fetch(panel.dataset.previewUrl, {
      method: "POST",
      body: payload(),
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, "Accept": "application/json" },
      signal: controller.signal
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(function (p) {
      if (mine !== sequence) { return; }
      render(p);
      statusLine.textContent = "";
    }).catch(function (error) {
      if (error && error.name === "AbortError") { return; }
      statusLine.textContent = msg.offline || "";
    });
  }

  function later() {
    clearTimeout(timer);
    // Slow lines: wait for a pause in typing rather than posting every keystroke.
    timer = setTimeout(refresh, 400);
  }

  form.addEventListener("input", later);
  form.addEventListener("change", function (event) {
    if (event.target && event.target.name) { touched[event.target.name] = true; }
    later();
  });
  form.addEventListener("focusout", function (event) {
    if (event.target && event.target.name && event.target.value) {
      touched[event.target.name] = true;
      later();
    }
  });

  // -- places: search, and the list of what is chosen ------------------------------------

  var search = form.querySelector("[data-place-search]");
  var filter = document.getElementById("place-filter");
  var groups = Array.prototype.slice.call(form.querySelectorAll("[data-place-group]"));
  var chosenList = form.querySelector("[data-chosen-list]");

  function updateChosen() {
    var names = [];
    form.querySelectorAll('input[name="regions"]:checked, input[name="districts"]:checked')
      .forEach(function (box) { names.push(box.getAttribute("data-label")); });
    chosenList.textContent = names.length ? names.join(", ") : (msg.none || "");
  }

  function applyFilter() {
    var query = fold(filter.value);
    groups.forEach(function (group) {
      var regionLabel = group.querySelector("[data-place]");
      var regionHit = query && fold(group.querySelector("summary").textContent + " " +
        regionLabel.getAttribute("data-place")).indexOf(query) !== -1;
      var any = false;
      group.querySelectorAll("li[data-place]").forEach(function (item) {
        var hit = !query || regionHit || fold(item.getAttribute("data-place")).indexOf(query) !== -1;
        item.hidden = !hit;
        any = any || hit;
      });
      group.hidden = Boolean(query) && !any && !regionHit;
      if (query) {
        group.open = any || regionHit;
      } else {
        group.open = Boolean(group.querySelector("input:checked"));
      }
    });
  }

  if (search && filter) {
    search.hidden = false;
    filter.addEventListener("input", function (event) {
      event.stopPropagation();  // searching is not editing the posting
      applyFilter();
    });
    filter.addEventListener("keydown", function (event) {
      // Enter in the search box must not submit the form.
      if (event.key === "Enter") { event.preventDefault(); }
    });
  }
  form.addEventListener("change", function (event) {
    var name = event.target && event.target.name;
    if (name === "districts" || name === "regions") {
      touched.districts = true;
      updateChosen();
    }
  });
})();
