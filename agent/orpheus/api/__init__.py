"""The agent's HTTP API (bottle), served on TCP for admins and on a Unix socket for orpheusctl."""
