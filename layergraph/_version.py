"""The package version (one place, read by setup.cfg and saved in model files)."""
__version__ = "0.1.0"
