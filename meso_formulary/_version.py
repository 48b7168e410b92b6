__version__ = "0.1.0"
"""The release of meso-formulary (the wheel's version, read from here by setuptools)."""
