"""The Terraform tests' helpers (hcl.py, aws_schema.py) are plain modules beside the tests."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
