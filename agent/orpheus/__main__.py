from orpheus.bootstrap import main

raise SystemExit(main())
