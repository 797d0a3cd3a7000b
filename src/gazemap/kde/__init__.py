"""Kernel density estimation on pixel grids: kernels, bandwidth rules, binning, exact and FFT estimators, grids and levels of detail. numpy + scipy.fft only."""
