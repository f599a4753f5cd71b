"""Serve the app with uvicorn.

Usage: python-pdm [--host=<host>] [--port=<port>]

The address defaults to $HOST and $PORT, else 0.0.0.0:8000.
"""
import os

import uvicorn
from docopt import docopt


def main() -> None:
    args = docopt(__doc__)
    host = args["--host"] or os.environ.get("HOST", "0.0.0.0")
    port = int(args["--port"] or os.environ.get("PORT", "8000"))
    uvicorn.run("python_pdm.app:app", host=host, port=port)
