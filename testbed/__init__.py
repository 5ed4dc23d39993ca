"""Harnesses that run Orpheus for the tests and the benchmarks: QEMU guests, the root
filesystem's programs on the host, network-namespace units and pairs, sipp, update bundles."""
