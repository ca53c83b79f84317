// Shared behaviour of every page: after htmx swaps content in, focus what asks for it.
document.addEventListener("htmx:afterSettle", function (event) {
  var target = event.detail.target && event.detail.target.querySelector("[autofocus]");
  if (target) { target.focus(); }
});
