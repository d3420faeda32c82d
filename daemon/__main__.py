"""`python -m daemon` is `teddy`."""

import sys

from daemon.cli import main

sys.exit(main())
