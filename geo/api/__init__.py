"""The spatial API: zones and platforms as GeoJSON, point location, nearest instruments, zone
figures. Everything here is public and read-only (AllowAny, GET only); no personal data.
Coordinates are WGS-84 longitude/latitude; distances are metres. Errors leave in the API's one
shape (portal.errors)."""
