"""The Orpheus image builder: one root filesystem, one disk image per board."""
