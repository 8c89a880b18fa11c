"""python -m ctgen_tracer: see ctgen_tracer.cli."""
import sys

from .cli import main

sys.exit(main())
