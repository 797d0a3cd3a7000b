"""Background jobs: a local worker pool and a Celery runner behind one interface."""
