"""One router per resource, each mounted under ``/api/v1`` by :func:`gazemap.api.app.create_app`."""
