// The handheld scan loop: every scan is queued with its own scan id, sent in order, and
// retried with the SAME id after a network failure, so the server applies it exactly once.
// A keyboard-wedge scanner types the code and presses Enter; the input keeps focus so the
// next scan can follow at once, even while the previous one is still on its way.
(function () {
  "use strict";
  var STORE = "wms.scanQueue";
  var queue = load();
  var sending = false;
  var retryDelay = 0;
  var audio = null;
  function t(key, english, values) { return window.wmsMessages.t(key, english, values); }
  function n(key, count, one, other) { return window.wmsMessages.n(key, count, one, other); }

  function load() {
    try { return JSON.parse(localStorage.getItem(STORE) || "[]"); } catch (e) { return []; }
  }
  function save() {
    try { localStorage.setItem(STORE, JSON.stringify(queue)); } catch (e) { /* private mode: memory only */ }
  }
  function newId() {
    // crypto.randomUUID needs a secure context; warehouse servers are often plain http.
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return "s-" + Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function me() {
    // Scans belong to the operator who made them: on a shared scanner the next operator
    // must never send them under their own name.
    var meta = document.querySelector('meta[name="wms-user"]');
    return meta ? meta.content : "";
  }
  function mine() {
    var user = me();
    return queue.filter(function (item) { return user && item.user === user; });
  }
  function csrf() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }
  function codeInput() {
    return document.querySelector("form[data-scan-url] input[name=code]");
  }
  function focusScan() {
    var wanted = document.querySelector("#screen [data-focus]");
    if (wanted && document.activeElement !== wanted && !wanted.value) { wanted.focus(); return; }
    var input = codeInput();
    if (input && document.activeElement !== input && !isTypingElsewhere()) { input.focus(); }
  }
  function isTypingElsewhere() {
    var el = document.activeElement;
    return el && el !== document.body && (el.tagName === "INPUT" || el.tagName === "SELECT" || el.tagName === "TEXTAREA") && el.name !== "code";
  }

  // The queue bar lists the scans that had to wait (no network, or several in a row): each
  // shows as queued, then as applied (or refused) once its answer is in.
  var shown = [];  // [{id, code, state}] of this page's waiting scans, latest last
  var hideTimer = null;
  function codeOf(item) {
    var f = item.fields.filter(function (x) { return x[0] === "code"; })[0];
    return f ? f[1] : "";
  }
  function track(item, state) {
    var entry = shown.filter(function (e) { return e.id === item.id; })[0];
    if (!entry) {
      if (state !== "queued") { return; }
      entry = { id: item.id, code: codeOf(item) };
      shown.push(entry);
      if (shown.length > 6) { shown.shift(); }
    }
    entry.state = state;
  }
  function showQueue(text) {
    var bar = document.getElementById("scan-queue");
    if (!bar) { return; }
    clearTimeout(hideTimer);
    if (!text && !shown.length) { bar.hidden = true; bar.textContent = ""; return; }
    bar.hidden = false;
    bar.textContent = "";
    bar.classList.toggle("queue-done", !text);
    var head = document.createElement("div");
    head.className = "queue-head";
    head.textContent = text || t("all_sent", "All scans sent");
    bar.appendChild(head);
    if (shown.length) {
      var list = document.createElement("ul");
      shown.forEach(function (e) {
        var li = document.createElement("li");
        li.setAttribute("data-state", e.state);
        li.setAttribute("data-scan-id", e.id);
        var label = { queued: t("queued", "queued"), applied: t("applied", "applied"), refused: t("refused", "refused") }[e.state] || e.state;
        li.textContent = e.code + " · " + label;
        list.appendChild(li);
      });
      bar.appendChild(list);
    }
    if (!text) {
      // Everything went: leave the "applied" ticks a moment, then clear the bar.
      hideTimer = setTimeout(function () { shown = []; showQueue(""); }, 4000);
    }
  }
  var offline = false;
  function showOffline(waiting) {
    // The operator looks at the status line: it turns amber, instead of the last green sentence.
    var status = document.getElementById("status");
    if (!status) { return; }
    status.className = "status status-warn";
    status.setAttribute("data-status", "offline");
    status.textContent = waiting ? n("offline_waiting", waiting,
      "No network: %(num)d scan waiting, it goes when the network is back.",
      "No network: %(num)d scans waiting, they go when the network is back.")
      : t("offline_none", "No network: scans will wait.");
  }

  function notSent(count) {
    return n("offline_queue", count, "%(num)d scan not sent yet: no network. Retrying, do not scan again.",
             "%(num)d scans not sent yet: no network. Retrying, do not scan again.");
  }
  function waitingToSend(count) {
    return n("waiting", count, "%(num)d scan waiting to be sent…", "%(num)d scans waiting to be sent…");
  }

  function enqueue(form) {
    var data = new FormData(form);
    var code = (data.get("code") || "").toString().trim();
    if (!code) { focusScan(); return; }  // a second Enter on an empty input is not a scan
    // "6*" typed before a scan (or "6*4006381333931" typed by hand) counts 6: one keystroke
    // instead of reaching for the quantity box; only on screens that take a quantity.
    var typed = /^(\d{1,5})\s*[*\u00d7]\s*(\S.*)$/.exec(code);
    if (typed && form.querySelector("input[name=qty]")) {
      data.set("qty", typed[1]);
      data.set("code", typed[2]);
    }
    var fields = [];
    data.forEach(function (value, key) { if (key !== "scan_id" && key !== "csrf_token") { fields.push([key, value.toString()]); } });
    var item = { id: newId(), user: me(), url: form.getAttribute("data-scan-url"), target: form.getAttribute("data-scan-target") || "#screen", fields: fields };
    queue.push(item);
    save();
    if (sending || offline) {
      track(item, "queued");
      if (offline) {
        var count = mine().length;
        showOffline(count);
        showQueue(notSent(count));
      }
    }
    form.querySelector("input[name=code]").value = "";
    var qty = form.querySelector("input[name=qty]");
    if (qty) { qty.value = qty.defaultValue || ""; }
    focusScan();
    pump();
  }

  function dispatchTriggers(header) {
    if (!header) { return; }
    var events;
    try { events = header.charAt(0) === "{" ? JSON.parse(header) : { [header]: null }; } catch (e) { return; }
    Object.keys(events).forEach(function (name) {
      document.body.dispatchEvent(new CustomEvent(name, { bubbles: true, detail: events[name] }));
    });
  }

  function swapInto(selector, html, style) {
    var target = document.querySelector(selector);
    if (!target) { return; }
    if (window.htmx && htmx.swap) {
      htmx.swap(target, html, { swapStyle: style || "innerHTML" });
    } else if (style === "outerHTML") {
      target.outerHTML = html;
    } else {
      target.innerHTML = html;
    }
    focusScan();
  }

  // A partial answer (wms.web.htmx.flow_update) names the task it applies to on its status
  // line (data-task) and the flow's page (data-screen); the screen names the task it shows.
  function staleTask(html) {
    if (html.indexOf('<div id="status" data-answer="partial" data-task="') !== 0) { return null; }
    var box = document.createElement("div");
    box.innerHTML = html.slice(0, html.indexOf("</div>") + 6);  // the status line alone
    var status = box.firstChild;
    var shown = document.querySelector("#screen [data-task]");
    if (shown && shown.getAttribute("data-task") === status.getAttribute("data-task")) { return null; }
    return { url: status.getAttribute("data-screen"), text: status.textContent,
             ok: status.getAttribute("data-status") === "ok" };
  }

  function reloadScreen(stale, target) {
    return fetch(stale.url, { credentials: "same-origin", headers: { "HX-Request": "true" } }).then(function (response) {
      if (!response.ok) { throw new Error(response.status); }
      return response.text();
    }).then(function (html) {
      swapInto(target, html);
      swapStatus(stale.text, stale.ok);
    }).catch(function () {
      swapStatus(t("screen_stale", "Scan applied, but the screen could not be refreshed: reload the page."), false);
    });
  }

  function pump() {
    var waiting = mine();
    if (sending || !waiting.length) {
      if (!waiting.length) { showQueue(""); }
      else if (shown.length && !offline) { showQueue(waitingToSend(waiting.length)); }
      return;
    }
    var item = waiting[0];
    var body = new FormData();
    item.fields.forEach(function (f) { body.append(f[0], f[1]); });
    body.append("scan_id", item.id);
    body.append("csrf_token", csrf());
    sending = true;
    if (waiting.length > 1 && !offline) { showQueue(waitingToSend(waiting.length)); }
    var controller = new AbortController();
    var timer = setTimeout(function () { controller.abort(); }, 15000);
    fetch(item.url, {
      method: "POST", body: body, credentials: "same-origin", signal: controller.signal,
      headers: { "HX-Request": "true", "X-CSRFToken": csrf(), "X-Scan-Id": item.id }
    }).then(function (response) {
      clearTimeout(timer);
      return response.text().then(function (html) { return { response: response, html: html }; });
    }).then(function (result) {
      var response = result.response;
      retryDelay = 0;
      var redirect = response.headers.get("HX-Redirect");
      if (response.status === 401 && redirect) {
        // Signed out (e.g. the session was ended): keep the scan and send it after sign-in.
        sending = false;
        window.location.href = redirect;
        return;
      }
      queue.splice(queue.indexOf(item), 1);
      save();
      sending = false;
      offline = false;
      track(item, response.ok ? "applied" : "refused");
      if (response.status === 400) {
        swapStatus(t("stale_page", "Not applied: the page is out of date. Reload it and scan again."), false);
        document.body.dispatchEvent(new CustomEvent("scan-error", { bubbles: true }));
      } else if (response.status >= 500) {
        swapStatus(t("server_failed", "The server failed on that scan; nothing was changed. Scan it again."), false);
        document.body.dispatchEvent(new CustomEvent("scan-error", { bubbles: true }));
      } else {
        var trigger = response.headers.get("HX-Trigger") || "";
        var stale = staleTask(result.html);
        if (stale) {
          // A partial answer for a task the screen no longer shows ("Bin is short" or Pause
          // pressed while the scan was in flight): the whole current screen instead, before
          // the next scan is sent.
          sending = true;
          return reloadScreen(stale, item.target).then(function () {
            sending = false;
            dispatchTriggers(trigger);
            pump();
          });
        }
        // An error answer names its own target (the status line) with HX-Retarget.
        swapInto(response.headers.get("HX-Retarget") || item.target, result.html,
                 response.headers.get("HX-Reswap"));
        if (trigger.indexOf("scan-error") >= 0) { noteRefusal(); }
        dispatchTriggers(trigger);
      }
      if (redirect) { window.location.href = redirect; return; }
      pump();
    }).catch(function () {
      // No answer (Wi-Fi drop, timeout): keep the scan and send it again with the same id.
      clearTimeout(timer);
      sending = false;
      retryDelay = Math.min(retryDelay ? retryDelay * 2 : 500, 8000);
      var count = mine().length;
      offline = true;
      mine().forEach(function (waiting) { track(waiting, "queued"); });
      showOffline(count);
      showQueue(notSent(count));
      setTimeout(pump, retryDelay);
    });
  }

  // Refused scans write nothing when they happen; their sentences go to the productivity
  // figures in a batch, once the scanner is idle (or when the page is left).
  var REFUSALS = "wms.refusals";
  var refusalTimer = null;
  function loadRefusals() {
    try { return JSON.parse(localStorage.getItem(REFUSALS) || "[]"); } catch (e) { return []; }
  }
  function saveRefusals(list) {
    try { localStorage.setItem(REFUSALS, JSON.stringify(list.slice(-200))); } catch (e) { /* ignore */ }
  }
  function noteRefusal() {
    var status = document.getElementById("status");
    var list = loadRefusals();
    list.push({ user: me(), reason: status ? status.textContent.trim().slice(0, 300) : t("refusal", "Refused") });
    saveRefusals(list);
    clearTimeout(refusalTimer);
    refusalTimer = setTimeout(sendRefusals, 5000);
  }
  function refusalBody(mineOnly) {
    var body = new FormData();
    mineOnly.forEach(function (r) { body.append("reason", r.reason); });
    body.append("csrf_token", csrf());
    return body;
  }
  function sendRefusals(beacon) {
    var user = me();
    var list = loadRefusals();
    var ours = list.filter(function (r) { return user && r.user === user; });
    if (!ours.length) { return; }
    if (!beacon && (sending || mine().length)) { refusalTimer = setTimeout(sendRefusals, 5000); return; }  // scans first
    var rest = list.filter(function (r) { return ours.indexOf(r) < 0; });
    var url = "/handheld/refusals";
    if (beacon) {
      if (navigator.sendBeacon && navigator.sendBeacon(url, refusalBody(ours))) { saveRefusals(rest); }
      return;
    }
    fetch(url, { method: "POST", body: refusalBody(ours), credentials: "same-origin",
                 headers: { "X-CSRFToken": csrf() } }).then(function (response) {
      if (response.ok) {
        // Drop the ones sent: this operator's oldest (new refusals are appended meanwhile).
        var drop = ours.length;
        saveRefusals(loadRefusals().filter(function (r) {
          if (drop && r.user === user) { drop -= 1; return false; }
          return true;
        }));
      }
    }).catch(function () { /* offline: kept for the next try */ });
  }
  window.addEventListener("pagehide", function () { sendRefusals(true); });

  function swapStatus(text, ok) {
    var status = document.getElementById("status");
    if (status) {
      status.className = "status " + (ok ? "status-ok" : "status-error");
      status.setAttribute("data-status", ok ? "ok" : "error");
      status.textContent = text;
    }
  }

  // Feedback an operator notices without looking: a sound and a vibration, distinct for errors.
  function tone(freq, ms, when) {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var osc = audio.createOscillator(), gain = audio.createGain();
      osc.type = "square"; osc.frequency.value = freq;
      gain.gain.value = 0.08;
      osc.connect(gain); gain.connect(audio.destination);
      var start = audio.currentTime + (when || 0);
      osc.start(start); osc.stop(start + ms / 1000);
    } catch (e) { /* no audio on this device */ }
  }
  function vibrate(pattern) { if (navigator.vibrate) { try { navigator.vibrate(pattern); } catch (e) { /* ignore */ } } }
  // The sound follows the next frame, so the answer is on screen first; the audio device is
  // opened while the fresh screen idles (suspended until a keystroke or tap allows sound, as
  // browsers require), not inside the first scan's answer, where creating it held the first
  // screen update back (issue 19).
  function afterPaint(fn) { requestAnimationFrame(function () { setTimeout(fn, 0); }); }
  function openAudio() {
    try { audio = audio || new (window.AudioContext || window.webkitAudioContext)(); } catch (e) { /* no audio */ }
  }
  function allowSound() {
    if (audio && audio.state === "suspended" && audio.resume) { audio.resume().catch(function () {}); }
  }
  document.addEventListener("keydown", allowSound, true);
  document.addEventListener("pointerdown", allowSound, true);
  document.addEventListener("DOMContentLoaded", function () {
    if (!codeInput()) { return; }
    if (window.requestIdleCallback) { requestIdleCallback(openAudio, { timeout: 300 }); } else { setTimeout(openAudio, 100); }
  });
  document.addEventListener("scan-ok", function () { document.body.dataset.lastSignal = "ok"; afterPaint(function () { tone(1320, 90); vibrate(60); }); });
  document.addEventListener("scan-error", function () { document.body.dataset.lastSignal = "error"; afterPaint(function () { tone(220, 180); tone(180, 220, 0.22); vibrate([200, 80, 200]); }); });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.matches && form.matches("form[action$='/logout']")) {
      var unsent = mine();
      if (unsent.length && form.getAttribute("data-confirmed") !== "1") {
        // Asked on the page (a native dialog would eat the scanner's next Enter).
        event.preventDefault();
        window.wmsConfirm.ask({
          text: n("logout_unsent", unsent.length, "%(num)d scan is not sent yet (no network). Sign out and lose it?",
                  "%(num)d scans are not sent yet (no network). Sign out and lose them?"),
          yes: n("logout_yes", unsent.length, "Sign out, lose it", "Sign out, lose them"),
          no: t("logout_no", "Stay"), anchor: form,
          onYes: function () { form.setAttribute("data-confirmed", "1"); form.requestSubmit(); }
        });
        return;
      }
      queue = queue.filter(function (item) { return unsent.indexOf(item) < 0; });
      save();
      return;
    }
    if (form.matches && form.matches("form[data-scan-url]")) {
      event.preventDefault();
      enqueue(form);
    }
  });
  // Taps on the screen (not on a control) give the focus back to the scan input.
  document.addEventListener("click", function (event) {
    if (!event.target.closest("a, button, input, select, textarea, label, summary")) { focusScan(); }
  });
  document.addEventListener("visibilitychange", function () { if (!document.hidden) { focusScan(); pump(); } });
  window.addEventListener("online", function () { offline = false; pump(); });
  window.addEventListener("offline", function () { offline = true; showOffline(mine().length); });
  document.addEventListener("DOMContentLoaded", function () { focusScan(); pump(); });

  window.wmsScan = { pending: function () { return mine().length; }, pump: pump };
})();
