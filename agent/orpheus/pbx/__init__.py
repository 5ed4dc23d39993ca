"""The PBX configuration the agent owns: stored in SQLite, checked against the licence,
rendered into Asterisk and applied with reloads through AMI."""
