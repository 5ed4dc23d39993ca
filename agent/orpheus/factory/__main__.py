"""python -m orpheus.factory: the same as orpheus-factory."""

from orpheus.factory.station import main

raise SystemExit(main())
