"""Tiers, the unit's identity and signed licences: what this unit is allowed to do."""
