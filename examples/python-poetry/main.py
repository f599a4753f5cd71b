"""A Starlette service: GET / answers with a greeting, GET /env shows what
the runtime image runs as, so tests can check it."""
import os

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route


def greeting() -> str:
    return "hello from python-poetry"


async def root(request):
    return PlainTextResponse(greeting() + "\n")


async def env(request):
    return PlainTextResponse(f"uid={os.getuid()} venv={os.environ.get('VIRTUAL_ENV', '')}\n")


app = Starlette(routes=[Route("/", root), Route("/env", env)])
