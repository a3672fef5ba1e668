// Buttons marked data-print print the page (a file, not inline: the admin's Content-Security-Policy
// allows scripts from this host only).
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});
