"""SNMP: snmpd configured by the agent, ORPHEUS-MIB served into it over AgentX, notifications."""
