/*
 * Small Leaflet maps: one per element carrying data-minimap.
 *
 *   <div data-minimap data-lon="106.43" data-lat="29.82" data-label="…"
 *        data-tiles='[{"url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
 *                      "attribution": "© OpenStreetMap", "subdomains": "abc", "maxZoom": 19}]'
 *        data-approximate="true"></div>
 *
 * The tile layers are the layout map's basemap (MAP_BASEMAP, none for "none"), and the point is
 * already in that basemap's frame (shifted to GCJ-02 for 高德 by the server).
 * Everything a page knows goes in data attributes, so pages need no inline script (a Content
 * Security Policy will forbid it). The label is user text: it only ever reaches the DOM as a
 * text node, never as HTML.
 */
(function () {
  "use strict";

  // Leaflet sets attribution as HTML; the setting is plain text, so it is escaped here.
  function escapeText(text) {
    var div = document.createElement("div");
    div.textContent = text;
    return div.innerHTML;
  }

  function textElement(text) {
    var span = document.createElement("span");
    span.textContent = text;
    return span;
  }

  // Leaflet finds its default icon by parsing the file name out of its CSS, which fails once
  // static files carry content hashes; the template passes the real addresses instead.
  function markerIcon(element) {
    if (!element.dataset.icon) {
      return new L.Icon.Default();
    }
    return L.icon({
      iconUrl: element.dataset.icon,
      iconRetinaUrl: element.dataset.icon2x || element.dataset.icon,
      shadowUrl: element.dataset.iconShadow,
      iconSize: [25, 41],
      iconAnchor: [12, 41],
      popupAnchor: [1, -34],
      tooltipAnchor: [16, -28],
      shadowSize: [41, 41],
    });
  }

  function draw(element) {
    var lon = parseFloat(element.dataset.lon);
    var lat = parseFloat(element.dataset.lat);
    if (!isFinite(lon) || !isFinite(lat) || typeof L === "undefined") {
      return;
    }
    var approximate = element.dataset.approximate === "true";
    var map = L.map(element, {
      center: [lat, lon],
      zoom: approximate ? 14 : 16,
      scrollWheelZoom: false,
    });

    // Drawn first and independent of the tiles, so a dead tile server still leaves a usable map.
    L.control.scale({ imperial: false }).addTo(map);
    var marker = L.marker([lat, lon], { keyboard: false, icon: markerIcon(element) }).addTo(map);
    if (element.dataset.label) {
      marker.bindTooltip(textElement(element.dataset.label), {
        permanent: true,
        direction: "top",
        // The default icon anchors tooltips 16px right of the pin; centre the label over it.
        offset: [-16, 0],
      });
    }
    if (approximate) {
      // An approximate point is a guess within a few hundred metres; show the uncertainty.
      L.circle([lat, lon], { radius: 400, weight: 1, dashArray: "4 4", fillOpacity: 0.08 }).addTo(map);
    }

    tileLayers(element).forEach(function (layer) {
      var tiles = L.tileLayer(layer.url, {
        subdomains: layer.subdomains || "abc",
        maxZoom: layer.maxZoom || 18,
        attribution: escapeText(layer.attribution || ""),
      });
      tiles.once("tileerror", function () {
        element.classList.add("minimap-no-tiles");
      });
      tiles.addTo(map);
    });
  }

  function tileLayers(element) {
    try {
      var layers = JSON.parse(element.dataset.tiles || "[]");
      return Array.isArray(layers) ? layers.filter(function (layer) { return layer && layer.url; }) : [];
    } catch (error) {
      return [];
    }
  }

  function init() {
    var elements = document.querySelectorAll("[data-minimap]");
    for (var i = 0; i < elements.length; i++) {
      draw(elements[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
