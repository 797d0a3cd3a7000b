"""Observability: Prometheus metrics, structured logging, request ids."""
