"""AMI accounts for third-party software, rendered with the agent's own into manager.conf."""
