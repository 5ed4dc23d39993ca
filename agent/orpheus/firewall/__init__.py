"""The unit's firewall: access lists per service and the SIP attackers' block set (nftables)."""
