"""Allow `python -m twin` as an alias of the `twin` command."""

from twin.cli import main

raise SystemExit(main())
