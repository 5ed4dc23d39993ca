"""High availability: a Master/Slave pair with VRRP (keepalived) and constant configuration sync."""
