"""``python -m emulator`` runs the same command line as ``dicom-fabricator``."""

import sys

from emulator.launch import main

sys.exit(main())
