"""gazemap: attention heat maps from eye-tracking data by kernel density estimation.

The numeric core is usable as a library without any server::

    >>> import numpy as np
    >>> from gazemap.kde import Grid, density
    >>> pts = np.array([[100.0, 50.0], [120.0, 60.0]])
    >>> d = density(pts, grid=Grid(width=200, height=100, cols=50, rows=25), bandwidth=10.0)
    >>> d.shape
    (25, 50)

Layers, from the bottom up: ``kde``, ``gaze``, ``formats``, ``render`` (pure numpy);
``store``, ``cache``, ``jobs``; ``service``; ``api`` and ``web``. Imports only go down.
"""

__version__ = "0.1.0"
