"""The contract layer: what makes Django and DRF as strict as the contract asks.

Django has no function that installs a layer: settings and URLconf do. settings.py
names this package's middleware (headers), parser (bodies), content negotiation
(headers) and exception handler (problems); urls.py registers its path converter
(paths) and its views for Django's own 400, 404 and 500 (problems); wsgi.py wraps
the application to read chunked bodies (bodies). The application's serializers
build on members and queries, its views on bodies and headers.
"""
