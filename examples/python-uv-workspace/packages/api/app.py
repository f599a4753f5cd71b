"""A Flask service: GET / answers with the workspace library's greeting,
GET /env shows what the runtime image runs as, so tests can check it."""
import os

from flask import Flask

from greeting import greet

app = Flask(__name__)


@app.get("/")
def root() -> str:
    return greet("python-uv-workspace") + "\n"


@app.get("/env")
def env() -> str:
    return f"uid={os.getuid()} venv={os.environ.get('VIRTUAL_ENV', '')}\n"
