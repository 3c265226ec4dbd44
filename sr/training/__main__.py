import sys

from sr.training.cli import main

sys.exit(main())
