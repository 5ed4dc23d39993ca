"""The bundled telephony core: asking Asterisk for its state."""
