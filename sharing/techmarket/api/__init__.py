"""The exchange's API, one module a sub-domain: listings, needs, deals, files, centre."""
