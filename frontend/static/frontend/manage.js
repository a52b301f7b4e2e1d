// The manager's console: "add an interval" to a day of the opening-hours form (up to the
// form's data-max), without a framework. The form works without this script: each day shows
// a blank interval already.
(function () {
  "use strict";
  var form = document.getElementById("hours-form");
  if (!form) {
    return;
  }
  var max = parseInt(form.getAttribute("data-max"), 10) || 6;
  var text = form.getAttribute("data-add-text") || "+";
  form.querySelectorAll(".hours-column").forEach(function (column) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "hours-add";
    button.textContent = "+ " + text;
    column.appendChild(button);
    function refresh() {
      button.hidden = column.querySelectorAll(".hours-interval").length >= max;
    }
    button.addEventListener("click", function () {
      var rows = column.querySelectorAll(".hours-interval");
      var copy = rows[rows.length - 1].cloneNode(true);
      copy.classList.remove("invalid");
      copy.querySelectorAll(".errors").forEach(function (p) { p.remove(); });
      copy.querySelectorAll("input").forEach(function (input) { input.value = ""; });
      column.insertBefore(copy, button);
      copy.querySelector("input").focus();
      refresh();
    });
    refresh();
  });
})();
