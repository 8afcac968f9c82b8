import sys

from mchanalysis.cli import main

sys.exit(main())
