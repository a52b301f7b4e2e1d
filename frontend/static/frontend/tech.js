// Technology exchange pages: confirmation before irreversible buttons, and the editor's price
// field disabled while 面议 is ticked. No inline handlers: the page's CSP forbids them.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var text = button && button.getAttribute("data-confirm");
    if (text && !window.confirm(text)) {
      event.preventDefault();
    }
  });
  var negotiable = document.getElementById("id_price_negotiable");
  var price = document.getElementById("id_price");
  if (negotiable && price) {
    var sync = function () {
      price.readOnly = negotiable.checked;
    };
    negotiable.addEventListener("change", sync);
    sync();
  }
})();
