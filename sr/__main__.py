import sys

from sr.cli import main

sys.exit(main())
