/* Returns screen: while a unit waits for its condition, one key (1-4) in the scan input, or a
   tap on a condition button, sends that key as the scan (through the scan queue, with its id).
   The focus stays in the scan input. */
(function () {
  "use strict";
  function form() { return document.querySelector(".ret-scan form[data-scan-url]"); }
  function awaiting() {
    var box = document.querySelector(".ret-scan");
    return box && box.dataset.awaitingCondition === "1";
  }
  function send(key) {
    var f = form();
    if (!f) { return; }
    f.querySelector("input[name=code]").value = key;
    if (f.requestSubmit) { f.requestSubmit(); } else { f.dispatchEvent(new Event("submit", { cancelable: true, bubbles: true })); }
    f.querySelector("input[name=code]").focus();
  }
  document.addEventListener("keydown", function (event) {
    var input = event.target;
    if (!awaiting() || !input || input.name !== "code" || !input.closest(".ret-scan")) { return; }
    if (input.value === "" && /^[1-4]$/.test(event.key)) {
      event.preventDefault();
      send(event.key);
    }
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-condition-key]");
    if (button) { event.preventDefault(); send(button.dataset.conditionKey); }
  });
})();
