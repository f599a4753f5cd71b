"""A Flask service: GET / answers with a greeting and the libpq that the
compiled psycopg2 extension loaded; GET /env shows what the runtime image
runs as, so tests can check it."""
import os

import psycopg2.extensions
from flask import Flask

from greet import greeting

app = Flask(__name__)


@app.get("/")
def root() -> str:
    return f"{greeting()}, libpq {psycopg2.extensions.libpq_version()}\n"


@app.get("/env")
def env() -> str:
    return f"uid={os.getuid()} venv={os.environ.get('VIRTUAL_ENV', '')}\n"
