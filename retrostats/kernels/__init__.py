"""Kernels: NumPy/SciPy only, arrays in, arrays out. Nothing here imports pandas or the rest of retrostats."""
