"""`python -m cli` runs the mulu command."""
from cli.main import app

app(prog_name="mulu")
