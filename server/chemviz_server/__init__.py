"""Django project package: settings, root URLs and the WSGI entry point."""
