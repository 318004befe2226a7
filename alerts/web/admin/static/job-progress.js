/* Job page: the fan-out progress bar, polled from GET /admin/jobs/<id>/progress. */
(function () {
  "use strict";

  var card = document.querySelector("[data-progress]");
  if (!card) { return; }
  var url = card.getAttribute("data-progress-url");
  var msg = card.dataset;
  var bar = card.querySelector("progress");
  var state = card.querySelector("[data-progress-state]");
  var reasons = card.querySelector("[data-reasons]");
  var numbers = new Intl.NumberFormat("fr-FR");
  var FAST = 1500;
  var SLOW = 5000;
  // After the last alert left, delivery reports keep coming for a while.
  var REPORT_WINDOW = 10 * 60 * 1000;
  var doneAt = null;
  var failures = 0;

  function setField(name, value) {
    document.querySelectorAll('[data-field="' + name + '"]').forEach(function (el) {
      el.textContent = value;
    });
  }

  function draw(p) {
    ["matched", "handled", "queued", "sent", "awaiting", "delivered", "failed", "skipped"]
      .forEach(function (name) { setField(name, numbers.format(p[name])); });
    setField("percent", String(p.percent));
    setField("cost_text", p.cost_text);
    setField("status_label", p.status_label);
    bar.value = p.percent;
    bar.textContent = p.percent + " %";
    var x = 0;
    p.parts.forEach(function (part) {
      var rect = card.querySelector('[data-part="' + part.key + '"]');
      if (rect) {
        rect.setAttribute("x", String(x));
        rect.setAttribute("width", String(part.width));
      }
      x += part.width;
    });
    while (reasons.firstChild) { reasons.removeChild(reasons.firstChild); }
    if (!p.reasons.length) {
      var empty = document.createElement("tr");
      var cell = document.createElement("td");
      cell.colSpan = 2;
      cell.textContent = msg.noFailure || "";
      empty.appendChild(cell);
      reasons.appendChild(empty);
    }
    p.reasons.forEach(function (r) {
      var row = document.createElement("tr");
      var label = document.createElement("td");
      label.textContent = r.label + " ";
      var code = document.createElement("span");
      code.className = "muted";
      code.textContent = "(" + r.reason + ")";
      label.appendChild(code);
      var count = document.createElement("td");
      count.className = "n";
      count.textContent = numbers.format(r.count);
      row.appendChild(label);
      row.appendChild(count);
      reasons.appendChild(row);
    });
    var timeline = card.querySelector("[data-timeline]");
    if (timeline && p.timeline) {
      while (timeline.firstChild) { timeline.removeChild(timeline.firstChild); }
      p.timeline.forEach(function (step) {
        var item = document.createElement("li");
        item.setAttribute("data-step", step.key);
        var at = document.createElement("span");
        at.className = "t-at";
        at.textContent = step.at;
        item.appendChild(at);
        item.appendChild(document.createTextNode(" " + step.label));
        timeline.appendChild(item);
      });
    }
    if (p.done) {
      state.textContent = msg.doneText || "";
    } else if (p.status === "published") {
      state.textContent = msg.running || "";
    }
    card.setAttribute("data-done", p.done ? "true" : "false");
  }

  function next(p) {
    if (!p) { return Math.min(SLOW * (failures + 1), 30000); }
    if (p.status === "draft" || p.status === "scheduled") { return SLOW; }
    if (!p.done) { return FAST; }
    if (p.status === "cancelled" || p.status === "closed") { return null; }
    doneAt = doneAt || Date.now();
    if (p.awaiting === 0 || Date.now() - doneAt > REPORT_WINDOW) { return null; }
    return SLOW;
  }

  function poll() {
    if (document.hidden) {
      setTimeout(poll, SLOW);
      return;
    }
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (p) {
        failures = 0;
        draw(p);
        var wait = next(p);
        if (wait !== null) { setTimeout(poll, wait); }
      })
      .catch(function () {
        failures += 1;
        setTimeout(poll, next(null));
      });
  }

  setTimeout(poll, card.getAttribute("data-done") === "true" ? SLOW : FAST);
})();
