"""``python -m petitions`` is the ``petitions`` command."""
from .cli import main

main()
