"""A/B firmware updates: RAUC over D-Bus, and committing a freshly booted slot."""
