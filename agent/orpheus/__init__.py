"""Orpheus device agent: runs the appliance around the bundled Asterisk."""

__version__ = "0.1.0"
