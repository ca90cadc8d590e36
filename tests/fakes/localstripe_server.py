"""localstripe (a fake Stripe API from PyPI) on 127.0.0.1 only, keeping its data in memory.

Its stock command listens on every interface and writes /tmp/localstripe.pickle after each
request; tests/run starts this instead: python3 localstripe_server.py PORT
"""
import sys

from aiohttp import web
from localstripe import resources
from localstripe.server import app

# Keep the store in memory: nothing written to /tmp, nothing shared between runs.
resources.Store.dump_to_disk = lambda self: None

web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None)
