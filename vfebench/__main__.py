import sys

from vfebench.cli import main

sys.exit(main())
