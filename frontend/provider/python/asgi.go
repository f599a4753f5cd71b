package python

import "slices"

// uvicornWorker is the gunicorn worker class that serves an ASGI app when
// gunicorn is a dependency next to uvicorn. uvicorn's own
// uvicorn.workers.UvicornWorker has shipped since uvicorn 0.x and is still
// present (deprecated) in current releases; its successor is the separate
// uvicorn-worker package, so that one is used when it is a dependency.
// Without uvicorn there is no worker, and gunicorn alone cannot serve ASGI.
func (r *resolver) uvicornWorker() (string, bool) {
	switch {
	case !slices.Contains(r.deps, "gunicorn"):
		return "", false
	case slices.Contains(r.deps, "uvicorn-worker"):
		return "uvicorn_worker.UvicornWorker", true
	case slices.Contains(r.deps, "uvicorn"):
		return "uvicorn.workers.UvicornWorker", true
	}
	return "", false
}
