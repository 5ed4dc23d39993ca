"""HTTPS: the unit's own certificate or the customer's, the API on https_port, port 80's rule,
and the certificate's fingerprint on the console's login banner."""
