"""The factory line: the station's `orpheus-factory` (flash a unit's disk, then give the unit
its identity), run on the factory's own machine, never on a unit."""
