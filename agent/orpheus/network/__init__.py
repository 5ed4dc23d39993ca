"""The unit's address on its network: DHCP or static, kept on the data partition."""
