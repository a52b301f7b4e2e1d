"""The layout map's own Leaflet controls (legend box, the Beibei/Mianyang/both buttons) and
the compact JSON Folium embeds while rendering."""

from __future__ import annotations

from contextlib import contextmanager

import folium
from folium.template import Template


def style_element(css: str) -> folium.Element:
    return folium.Element(f"<style>{css}</style>")


class Control(folium.MacroElement):
    """A Leaflet control whose content is HTML made (and escaped) in this module."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var control = L.control({position: {{ this.position|tojson }}});
            control.onAdd = function () {
                var div = L.DomUtil.create("div", {{ this.css_class|tojson }});
                div.innerHTML = {{ this.html|tojson }};
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            control.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, html: str, position: str, css_class: str):
        super().__init__()
        self._name = "Control"
        self.html = html
        self.position = position
        self.css_class = css_class


class Views(folium.MacroElement):
    """Buttons that fit the map to Beibei, to Mianyang, or to both (about 300 km apart)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var views = {{ this.views|tojson }};
            var control = L.control({position: "topleft"});
            control.onAdd = function () {
                var div = L.DomUtil.create("div", "mb-views leaflet-bar");
                views.forEach(function (view) {
                    var button = L.DomUtil.create("button", "mb-view", div);
                    button.type = "button";
                    button.textContent = view.label;
                    button.dataset.view = view.key;
                    L.DomEvent.on(button, "click", function (event) {
                        L.DomEvent.stop(event);
                        map.fitBounds(view.bounds);
                    });
                });
                L.DomEvent.disableClickPropagation(div);
                return div;
            };
            control.addTo(map);
        })();
        {% endmacro %}
        """
    )

    def __init__(self, views: list[dict]):
        super().__init__()
        self._name = "Views"
        self.views = views


class MetricScale(folium.MacroElement):
    """Leaflet's scale bar in kilometres and metres only (Folium's control_scale adds miles)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        L.control.scale({metric: true, imperial: false}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self):
        super().__init__()
        self._name = "MetricScale"


@contextmanager
def compact_json():
    """Folium embeds GeoJSON with Jinja's ``tojson``: sorted keys, ", " and ": " separators,
    every non-ASCII character as \\uXXXX (six bytes where UTF-8 needs three for a Chinese
    character). With 10,000 platforms that is a third of the page. For this render, write
    compact JSON with characters as themselves; ``tojson`` still escapes <, >, & and '."""
    # One Jinja environment serves every Folium template (and the two controls here).
    policies = folium.GeoJson._template.environment.policies
    previous = policies["json.dumps_kwargs"]
    policies["json.dumps_kwargs"] = {
        "sort_keys": True,
        "separators": (",", ":"),
        "ensure_ascii": False,
    }
    try:
        yield
    finally:
        policies["json.dumps_kwargs"] = previous
