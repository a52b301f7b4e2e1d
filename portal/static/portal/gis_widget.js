// Starts Django's OpenLayers map widgets from their JSON options (no inline script, for CSP).
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll(".dj_map_wrapper > script[type='application/json']").forEach(function (node) {
    var options = JSON.parse(node.textContent);
    options.base_layer = new ol.layer.Tile({source: new ol.source.OSM()});
    window[options.module] = new MapWidget(options);
  });
});
