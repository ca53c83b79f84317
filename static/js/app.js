// Shared behaviour of every page: after htmx swaps content in, focus what asks for it.
document.addEventListener("htmx:afterSettle", function (event) {
  var target = event.detail.target && event.detail.target.querySelector("[autofocus]");
  if (target) { target.focus(); }
});

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
