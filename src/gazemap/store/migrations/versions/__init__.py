"""Revision scripts, oldest first by ``down_revision``."""
