"""Admin users, their levels (rights per area), log-in sessions and API tokens."""
