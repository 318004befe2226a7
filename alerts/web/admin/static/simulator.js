/* Phone simulator: USSD sessions and SMS through Baara's real webhooks, and an inbox of what
   the simulated gateway delivered to this number. */
(function () {
  "use strict";

  var phone = document.querySelector("[data-phone]");
  if (!phone) { return; }
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute("content") : "";
  var number = phone.getAttribute("data-number");
  var ussdCode = phone.getAttribute("data-ussd-code");
  var screens = {};
  phone.querySelectorAll("[data-screen]").forEach(function (el) {
    screens[el.getAttribute("data-screen")] = el;
  });
  var announce = phone.querySelector("[data-announce]");
  var current = "home";
  var ussd = null;  // {session, answers: []}
  var seen = null;  // message ids already shown
  var unread = 0;

  var dialInput = document.getElementById("dial-input");
  var ussdInput = document.getElementById("ussd-input");
  var smsInput = document.getElementById("sms-input");
  var ussdText = phone.querySelector("[data-ussd-text]");
  var ussdAnswer = phone.querySelector("[data-ussd-answer]");
  var ussdSend = phone.querySelector("[data-ussd-send]");
  var smsStatus = phone.querySelector("[data-sms-status]");
  var inboxList = phone.querySelector("[data-inbox]");
  var inboxEmpty = phone.querySelector("[data-inbox-empty]");
  var inboxCount = phone.querySelector("[data-inbox-count]");
  var newCount = phone.querySelector("[data-new-count]");

  function show(name) {
    Object.keys(screens).forEach(function (key) { screens[key].hidden = key !== name; });
    current = name;
    var focus = { dial: dialInput, compose: smsInput, ussd: ussdAnswer.hidden ? ussdSend : ussdInput }[name];
    if (name === "inbox") {
      unread = 0;
      updateBadge();
      focus = screens.inbox.querySelector("button");
    }
    if (name === "home") { focus = screens.home.querySelector("button"); }
    if (focus) { focus.focus(); }
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) { throw new Error(data.error || String(response.status)); }
        return data;
      });
    });
  }

  // -- USSD ------------------------------------------------------------------------------

  function ussdStep(text) {
    ussdText.textContent = "\u2026";
    ussdAnswer.hidden = true;
    show("ussd");
    post(phone.getAttribute("data-ussd-url"), {
      phone: number, session: ussd.session, code: ussd.code, text: text
    }).then(function (answer) {
      ussdText.textContent = answer.text;
      ussd.ended = answer.end;
      ussdAnswer.hidden = answer.end;
      ussdSend.textContent = answer.end ? "OK" : ussdSend.getAttribute("data-label");
      ussdInput.value = "";
      announce.textContent = answer.text;
      (answer.end ? ussdSend : ussdInput).focus();
    }).catch(function (error) {
      ussdText.textContent = error.message;
      ussd.ended = true;
      ussdAnswer.hidden = true;
      ussdSend.textContent = "OK";
    });
  }

  ussdSend.setAttribute("data-label", ussdSend.textContent);

  screens.dial.addEventListener("submit", function (event) {
    event.preventDefault();
    var code = dialInput.value.replace(/\s+/g, "") || ussdCode;
    dialInput.value = code;
    ussd = {
      session: "sim-" + Date.now().toString(36) + Math.random().toString(36).slice(2, 8),
      code: code, answers: [], ended: false
    };
    ussdStep("");
  });

  screens.ussd.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!ussd || ussd.ended) {
      ussd = null;
      show("home");
      return;
    }
    var answer = ussdInput.value.trim();
    if (!answer) { ussdInput.focus(); return; }
    ussd.answers.push(answer);
    // Africa's Talking sends every answer so far, joined by '*'.
    ussdStep(ussd.answers.join("*"));
  });

  phone.querySelector("[data-ussd-cancel]").addEventListener("click", function () {
    ussd = null;
    show("home");
  });

  // -- SMS -------------------------------------------------------------------------------

  screens.compose.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = smsInput.value.trim();
    if (!text) { smsInput.focus(); return; }
    smsStatus.textContent = "\u2026";
    var via = phone.querySelector("[data-sms-gateway]");
    var body = { phone: number, text: text };
    if (via) { body.gateway = via.value; }
    post(phone.getAttribute("data-sms-url"), body).then(function () {
      smsStatus.textContent = phone.getAttribute("data-sent-label") || "OK";
      smsInput.value = "";
      setTimeout(checkInbox, 800);
    }).catch(function (error) {
      smsStatus.textContent = error.message;
    });
  });

  // -- inbox -----------------------------------------------------------------------------

  function updateBadge() {
    newCount.hidden = unread === 0;
    newCount.textContent = unread ? (phone.getAttribute("data-new-label") || "") + " " + unread : "";
  }

  function when(iso) {
    var date = new Date(iso);
    if (isNaN(date.getTime())) { return ""; }
    return date.toLocaleString("fr-FR", { day: "2-digit", month: "2-digit", hour: "2-digit", minute: "2-digit" });
  }

  function renderInbox(all) {
    // What the network never delivered (the switched-off phone) is listed apart, never as read.
    var messages = all.filter(function (m) { return m.delivered !== false; });
    var lost = all.filter(function (m) { return m.delivered === false; });
    var fresh = [];
    if (seen === null) {
      seen = {};
      messages.forEach(function (m) { seen[m.id] = true; });
    } else {
      messages.forEach(function (m) { if (!seen[m.id]) { fresh.push(m); seen[m.id] = true; } });
    }
    while (inboxList.firstChild) { inboxList.removeChild(inboxList.firstChild); }
    messages.forEach(function (m) {
      var item = document.createElement("li");
      if (fresh.indexOf(m) !== -1) { item.className = "is-new"; }
      var head = document.createElement("span");
      head.className = "meta";
      head.textContent = (m.from || "BAARA") + " \u00b7 " + when(m.at) +
        (m.gateway ? " \u00b7 " + m.gateway : "");
      var body = document.createElement("span");
      body.className = "text";
      body.textContent = m.text;
      item.appendChild(head);
      item.appendChild(body);
      inboxList.appendChild(item);
    });
    lost.forEach(function (m) {
      var item = document.createElement("li");
      item.className = "undelivered";
      item.setAttribute("data-undelivered", "");
      var head = document.createElement("span");
      head.className = "meta";
      head.textContent = (phone.getAttribute("data-undelivered-label") || "") + " \u00b7 " + when(m.at);
      var body = document.createElement("span");
      body.className = "text";
      body.textContent = m.text;
      item.appendChild(head);
      item.appendChild(body);
      inboxList.appendChild(item);
    });
    inboxEmpty.hidden = all.length > 0;
    inboxCount.textContent = String(messages.length);
    if (fresh.length) {
      if (current !== "inbox") { unread += fresh.length; }
      updateBadge();
      announce.textContent = (phone.getAttribute("data-new-label") || "") + " " + fresh[0].text;
    }
  }

  function checkInbox() {
    return fetch(phone.getAttribute("data-inbox-url"), {
      credentials: "same-origin", headers: { "Accept": "application/json" }
    }).then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data) { renderInbox(data.messages); } })
      .catch(function () { /* offline: try again on the next tick */ });
  }

  function loop() {
    var next = document.hidden ? 6000 : 2000;
    checkInbox().then(function () { setTimeout(loop, next); });
  }

  // -- keys, navigation, clock -----------------------------------------------------------

  phone.querySelectorAll("[data-go]").forEach(function (button) {
    button.addEventListener("click", function () { show(button.getAttribute("data-go")); });
  });

  phone.querySelectorAll("[data-key]").forEach(function (button) {
    button.addEventListener("click", function () {
      var input = { dial: dialInput, ussd: ussdInput, compose: smsInput }[current];
      if (!input || (current === "ussd" && ussdAnswer.hidden)) { return; }
      var key = button.getAttribute("data-key");
      input.value = key === "back" ? input.value.slice(0, -1) : input.value + key;
      input.focus();
    });
  });

  var clock = phone.querySelector("[data-clock]");
  function tick() {
    clock.textContent = new Date().toLocaleTimeString("fr-FR", { hour: "2-digit", minute: "2-digit" });
  }
  tick();
  setInterval(tick, 30000);
  loop();
})();
