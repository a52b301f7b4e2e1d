/* The layout map's platform points from their compact encoding (geo/map/points.py):
 * per layer a flat array of [dx, dy, detail, dpk, name] in 1e-5 degrees and id steps.
 * Each point becomes a circle marker in its kind's layer group; one tooltip and one popup per
 * layer, made when shown. The texts arrive HTML-escaped from the server, as in the rest of
 * the map, and go into innerHTML as Folium's popups put them. */
(function () {
  "use strict";

  function cell(html) {
    return "<tr><td>" + html + "</td></tr>";
  }

  window.mbPlatformPoints = function (kinds, data) {
    var link = data.l;
    data.g.forEach(function (group) {
      var layer = L.featureGroup();
      var style = data.s[group[1]];
      var flat = group[2];
      var x = 0;
      var y = 0;
      var pk = 0;
      for (var i = 0; i < flat.length; i += 5) {
        x += flat[i];
        y += flat[i + 1];
        pk += flat[i + 3];
        var marker = L.circleMarker([y / 1e5, x / 1e5], style);
        marker.mbName = flat[i + 4];
        marker.mbDetail = data.d[flat[i + 2]];
        marker.mbPk = pk;
        layer.addLayer(marker);
      }
      layer.bindTooltip(
        function (marker) {
          var div = L.DomUtil.create("div");
          div.innerHTML = "<table>" + cell(marker.mbName) + "</table>";
          return div;
        },
        { sticky: true, className: "foliumtooltip" }
      );
      layer.bindPopup(
        function (marker) {
          var div = L.DomUtil.create("div");
          var more = marker.mbPk
            ? '<a href="' + link[0] + marker.mbPk + link[1] + '" target="_top">' + link[2] + "</a>"
            : "";
          div.innerHTML =
            "<table>" + cell(marker.mbName) + cell(marker.mbDetail) + cell(more) + "</table>";
          return div;
        },
        { className: "foliumpopup" }
      );
      layer.addTo(kinds[group[0]]);
    });
  };
})();
