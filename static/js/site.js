// Copy buttons for account numbers: progressive enhancement, the number is selectable text anyway.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-copy]");
  if (!button || !navigator.clipboard) return;
  navigator.clipboard.writeText(button.getAttribute("data-copy")).then(function () {
    var label = button.textContent;
    button.textContent = button.getAttribute("data-copied") || "OK";
    setTimeout(function () { button.textContent = label; }, 2000);
  });
});
