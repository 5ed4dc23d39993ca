"""orpheusctl: the admin's command line, a client of the agent's API on its Unix socket."""
