"""Packet capture (orpheusctl capture, /api/v1/captures): tcpdump as a job with a bounded ring
buffer, and the SIP dialogs found in what it captured.

filters.py: the validated filter (kind + value) and its tcpdump tokens; limits.py: the size,
duration and quota bounds; tcpdump.py: tcpdump's argument list; pcap.py: a bounded pcap reader
and the ring's files merged into one; sip.py: SIP messages out of UDP/TCP payloads;
dialogs.py: messages grouped into dialogs; ladder.py: a dialog's ladder diagram (SVG);
store.py: the kept captures on disk; runners.py: tcpdump as a transient systemd unit or as the
agent's child; jobs.py: a capture as a job; feature.py: the routes.
"""
