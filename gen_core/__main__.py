import sys

from gen_core.cli import main

sys.exit(main())
