"""The static web front end served by the API."""
