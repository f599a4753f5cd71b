"""A FastAPI service: GET / answers with a greeting, GET /env shows what
the runtime image runs as, so tests can check it."""
import os

from fastapi import FastAPI

from greet import greeting

app = FastAPI()


@app.get("/")
def root() -> dict:
    return {"message": greeting()}


@app.get("/env")
def env() -> dict:
    return {"uid": os.getuid(), "venv": os.environ.get("VIRTUAL_ENV", "")}
