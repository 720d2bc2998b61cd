"""Schemathesis hooks for scripts/conformance.sh (loaded through schemathesis.toml).

CPython 3.11 can fail `ast.parse` with "AST constructor recursion depth mismatch" when two threads
parse at once (CPython issue 106905). Hypothesis parses source files to describe the lambdas of
filtered strategies, and `--workers 2` runs two generating threads, so a run could end in that
error: a fault of the tool, not of the API. One lock around `ast.parse` keeps the parses apart.
"""

import ast
import threading

_parse = ast.parse
_lock = threading.Lock()


def _parse_one_at_a_time(*args, **kwargs):
    with _lock:
        return _parse(*args, **kwargs)


ast.parse = _parse_one_at_a_time
