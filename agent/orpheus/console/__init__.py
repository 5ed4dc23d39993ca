"""The unit's own console (screen and serial): a small menu for the installer, not a shell."""
