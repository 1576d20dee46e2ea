"""The WSGI application, for gunicorn: ``gunicorn project.wsgi``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

application = get_wsgi_application()

# Contract layer: a body sent chunked reaches Django, which takes it for an empty one.
# Imported once Django is set up: DRF, which contract.bodies uses, reads the settings.
from contract.bodies import read_chunked_bodies  # noqa: E402

application = read_chunked_bodies(application)
