"""``python -m hitl``: the review app's commands (the same as ``scidisco serve|admin``)."""

from hitl.cli import main

raise SystemExit(main())
