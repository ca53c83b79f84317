// The sentences of the page's language: the handheld writes them into a JSON data block
// (#i18n-messages, built by wms/web/handheld/messages.py); the English here is the fallback.
// t(key, english, values) fills %(name)s / %(name)d; n(key, count, one, other) picks the form
// for the count ("0", "1" or "other").
window.wmsMessages = (function () {
  "use strict";
  var messages = null;
  function load() {
    if (messages) { return messages; }
    try {
      var block = document.getElementById("i18n-messages");
      messages = block ? JSON.parse(block.textContent) || {} : {};
    } catch (e) { messages = {}; }
    return messages;
  }
  function fill(text, values) {
    return String(text).replace(/%\((\w+)\)[sd]/g, function (whole, name) {
      return values && Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
    });
  }
  function t(key, english, values) {
    var text = load()[key];
    return fill(typeof text === "string" ? text : english, values);
  }
  function n(key, count, one, other) {
    var forms = load()[key];
    var text = forms && typeof forms === "object" ? (forms[String(count)] || forms.other) : (count === 1 ? one : other);
    return fill(text, { num: count });
  }
  return { t: t, n: n };
})();

// Shared behaviour of every page: after htmx swaps content in, focus what asks for it at once
// (a scanner types the next code straight away: keystrokes must not land on a removed field).
function wmsFocusSwapped(event) {
  var target = event.detail.target && event.detail.target.querySelector("[data-focus], [autofocus]");
  if (target && document.activeElement !== target && !(target.hasAttribute("data-focus") && target.value)) {
    var active = document.activeElement;
    var elsewhere = active && active !== document.body && active.isConnected && active.matches("input, select, textarea") && active.name !== "code";
    if (!elsewhere) { target.focus(); }
  }
}
document.addEventListener("htmx:afterSwap", wmsFocusSwapped);
document.addEventListener("htmx:afterSettle", wmsFocusSwapped);

// In-page confirmations instead of the browser's native confirm dialog, which keeps the focus on
// the button, so a scanner's next Enter re-opens it and the scan is lost. A control with
// data-confirm="question" (and hx-trigger="confirmed") asks on the page; F1 or "Yes" answers,
// Esc or "No" cancels, and on the handheld scanning data-confirm-code answers too (scan.js).
// The focus always goes back to the scan input.
(function () {
  "use strict";
  var pending = null;

  function scanInput() {
    return document.querySelector("form[data-scan-url] input[name=code]") ||
      document.querySelector("input[name=code][autofocus]");
  }
  function refocus() {
    var input = scanInput();
    if (input) { input.focus(); }
  }

  function close() {
    if (pending && pending.box.parentNode) { pending.box.parentNode.removeChild(pending.box); }
    pending = null;
  }

  function ask(options) {
    close();
    var box = document.createElement("div");
    box.className = "confirm-box";
    box.id = "confirm";
    box.setAttribute("role", "alertdialog");
    box.setAttribute("aria-live", "assertive");
    var question = document.createElement("p");
    question.className = "confirm-question";
    question.textContent = options.text;
    box.appendChild(question);
    if (options.how) {
      var how = document.createElement("p");
      how.className = "confirm-how";
      how.textContent = options.how;
      box.appendChild(how);
    }
    var row = document.createElement("div");
    row.className = "actions";
    var yes = document.createElement("button");
    yes.type = "button";
    yes.className = "primary";
    yes.setAttribute("data-confirm-answer", "yes");
    yes.innerHTML = "<kbd>F1</kbd> ";
    yes.appendChild(document.createTextNode(options.yes || window.wmsMessages.t("yes", "Yes")));
    var no = document.createElement("button");
    no.type = "button";
    no.setAttribute("data-confirm-answer", "no");
    no.innerHTML = "<kbd>Esc</kbd> ";
    no.appendChild(document.createTextNode(options.no || window.wmsMessages.t("no", "No")));
    row.appendChild(yes);
    row.appendChild(no);
    box.appendChild(row);
    // Where the operator looks: under the status line on the handheld, else before the control.
    var status = document.getElementById("status");
    if (status && options.nearStatus !== false) {
      status.insertAdjacentElement("afterend", box);
    } else {
      options.anchor.insertAdjacentElement("beforebegin", box);
    }
    pending = { box: box, options: options };
    refocus();
    if (!scanInput()) { yes.focus(); }
  }

  function answer(yes) {
    if (!pending) { return false; }
    var options = pending.options;
    close();
    if (yes) { options.onYes(); } else if (options.onNo) { options.onNo(); }
    refocus();
    return true;
  }

  function askFor(control) {
    ask({
      text: control.getAttribute("data-confirm"),
      how: control.getAttribute("data-confirm-how"),
      yes: control.getAttribute("data-confirm-yes"),
      code: control.getAttribute("data-confirm-code"),
      anchor: control.closest(".actions") || control,
      nearStatus: document.body.classList.contains("handheld"),
      onYes: function () {
        if (window.htmx && control.isConnected) { htmx.trigger(control, "confirmed"); }
      }
    });
  }

  document.addEventListener("click", function (event) {
    var answerButton = event.target.closest("[data-confirm-answer]");
    if (answerButton) {
      event.preventDefault();
      answer(answerButton.getAttribute("data-confirm-answer") === "yes");
      return;
    }
    var control = event.target.closest("[data-confirm]");
    if (control && !control.disabled) {
      event.preventDefault();
      askFor(control);
    }
  });

  // A scan while a question is open: its code answers yes; any other scan cancels the question
  // and counts as the scan it is (the item was in the bin after all). Capture phase: before the
  // scan queue (scan.js) or htmx see the form.
  document.addEventListener("submit", function (event) {
    if (!pending) { return; }
    if (!pending.box.isConnected) { pending = null; return; }
    var input = event.target.querySelector && event.target.querySelector("input[name=code]");
    if (!input) { return; }
    var code = input.value.trim();
    if (!code) { event.preventDefault(); event.stopPropagation(); return; }  // a bounced Enter
    if (pending.options.code && code.toUpperCase() === pending.options.code.toUpperCase()) {
      event.preventDefault();
      event.stopPropagation();
      input.value = "";
      answer(true);
      return;
    }
    answer(false);
  }, true);

  // Function keys for the screen's actions (scanner keypads have them), shown as <kbd> labels:
  // a control with data-key="F2" is pressed by F2. While a question is open, F1 answers yes
  // and Esc no. On the handheld home, the number keys open the numbered tiles.
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    var key = event.key;
    if (pending && pending.box.isConnected) {
      if (key === "F1") { event.preventDefault(); answer(true); return; }
      if (key === "Escape") { event.preventDefault(); answer(false); return; }
    } else if (pending) {
      pending = null;  // the screen was replaced under the question
    }
    if (/^F[1-9]$/.test(key)) {
      var control = document.querySelector('[data-key="' + key + '"]:not([disabled])');
      if (control) { event.preventDefault(); control.click(); }
      return;
    }
    if (/^[1-9]$/.test(key)) {
      var el = document.activeElement;
      var typing = el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT");
      var tile = !typing && document.querySelector('[data-number-key="' + key + '"]');
      if (tile) { event.preventDefault(); tile.click(); }
    }
  });

  window.wmsConfirm = {
    ask: ask,
    answer: answer,
    pending: function () {
      if (pending && !pending.box.isConnected) { pending = null; }
      return pending ? pending.options : null;
    }
  };
})();

// Behaviour that used to be inline (the Content-Security-Policy allows scripts from /static only).
document.addEventListener("keydown", function (e) {
  // A badge scan ends with Enter: move to the named field instead of submitting.
  var next = e.target && e.target.getAttribute && e.target.getAttribute("data-enter-moves-to");
  if (next && e.key === "Enter") {
    e.preventDefault();
    var field = (e.target.form && e.target.form.elements[next]) || document.getElementById(next);
    if (field) { field.focus(); }
  }
});
document.addEventListener("submit", function (e) {
  if (e.target.matches && e.target.matches("form[data-no-submit]")) { e.preventDefault(); }
});
document.addEventListener("change", function (e) {
  if (e.target.matches && e.target.matches("[data-submit-on-change]")) { e.target.form.submit(); }
});
