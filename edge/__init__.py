"""The edge: nginx in front of an implementation's production server (``make edge``)."""
