"""The privacy officer's part: the age format, the unit's key pair wrapped with the privacy
password, and the password's API (issue 13, point 4)."""
