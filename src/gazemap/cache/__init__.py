"""Heat-map cache: memory LRU, disk, Redis and a tiered composition behind one interface."""
