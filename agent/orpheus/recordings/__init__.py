"""Call recordings on the internal target: recorded into RAM by Asterisk, encrypted to the
privacy key on the data partition by the agent, listed, downloaded with the password."""
