"""GET / answers with a greeting, GET /env shows what the runtime image runs
as, so tests can check it."""
import os
import sys

from fastapi import FastAPI

app = FastAPI()


def greeting() -> str:
    return "hello from python-pdm"


@app.get("/")
def root() -> dict:
    return {"message": greeting()}


@app.get("/env")
def env() -> dict:
    return {"uid": os.getuid(), "venv": os.environ.get("VIRTUAL_ENV", ""), "prefix": sys.prefix}
