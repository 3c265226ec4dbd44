import sys

from imagery.cli import main

sys.exit(main())
