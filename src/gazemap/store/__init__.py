"""Persistence: SQLAlchemy models, Alembic migrations, blob stores (folder, S3)."""
