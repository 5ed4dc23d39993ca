"""TLS material shared by the agent's TLS servers (the HA pair channel, HTTPS): SSL contexts,
self-signed certificates, and the checks a certificate given by a customer must pass."""
