"""The factory line: the station's `orpheus-factory` (flash a unit's disk, then provision it
over its serial console), run on the factory's own machine; and the unit's end of that
console (console.py, selftest.py, unit_hardware.py), run on a unit until it is sealed."""
