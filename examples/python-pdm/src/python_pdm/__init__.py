"""A FastAPI service packaged and locked with pdm."""
