from __future__ import annotations

import sys

from testgate.cli import main

sys.exit(main())
