"""A Starlette service: GET / answers with a greeting, GET /env shows what
the runtime image runs as, so tests can check it."""
import os

from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from greet import greeting


async def root(request):
    return JSONResponse({"message": greeting()})


async def env(request):
    return JSONResponse({"uid": os.getuid(), "venv": os.environ.get("VIRTUAL_ENV", "")})


app = Starlette(routes=[Route("/", root), Route("/env", env)])
