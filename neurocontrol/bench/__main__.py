from neurocontrol.bench import main

raise SystemExit(main())
