import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "massdriver_scim.settings.production")
application = get_wsgi_application()
