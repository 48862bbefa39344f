"""``python -m neurocontrol.cli``: the ``neurocontrol`` command."""

from neurocontrol.cli.commands import main

raise SystemExit(main())
