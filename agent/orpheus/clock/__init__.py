"""The unit's time zone and NTP servers, kept on the data partition."""
