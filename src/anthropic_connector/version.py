"""The package version, in a room of its own so that lower modules need not import the package's face."""

__version__ = "0.1.0"
