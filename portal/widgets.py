from django.contrib.gis.forms.widgets import OSMWidget


class LocalOSMWidget(OSMWidget):
    """Django's map widget with OpenLayers served by the portal instead of a CDN, and started
    from a static script rather than an inline one (the Content Security Policy allows no
    inline script without a nonce, and widgets are rendered without the request)."""

    template_name = "portal/gis/openlayers_osm.html"

    class Media:
        extend = False
        css = {"all": ("vendor/ol-7.2.2/ol.css", "gis/css/ol3.css")}
        js = ("vendor/ol-7.2.2/ol.js", "gis/js/OLMapWidget.js", "portal/gis_widget.js")

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget_options_id"] = f"{context['id']}_options"
        context["widget_options"] = {
            "geom_name": context["geom_type"],
            "id": context["id"],
            "map_id": f"{context['id']}_map",
            "map_srid": context["map_srid"],
            "name": context["name"],
            "module": context["module"],
            "default_lon": context["default_lon"],
            "default_lat": context["default_lat"],
            "default_zoom": context["default_zoom"],
        }
        return context
