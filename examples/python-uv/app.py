"""A Flask service: GET / answers with a greeting, GET /env shows what the
runtime image runs as, so tests can check it."""
import os

from flask import Flask

app = Flask(__name__)


def greeting() -> str:
    return "hello from python-uv"


@app.get("/")
def root() -> str:
    return greeting() + "\n"


@app.get("/env")
def env() -> str:
    return f"uid={os.getuid()} venv={os.environ.get('VIRTUAL_ENV', '')}\n"
