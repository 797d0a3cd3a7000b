"""Use cases (ingest, build heat map, compare, AOI metrics, erase participant). Knows no HTTP."""
