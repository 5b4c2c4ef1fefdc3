"""Servers the end-to-end tests put behind filegate: recording_upstream.py (one Files API dialect, records every
request), faulty_upstream.py (misbehaves on request), connect_proxy.py (CONNECT to 127.0.0.1 only), tls.py
(throwaway CA and certificates), and fixtures.py (pytest fixtures that run them as subprocesses).

The servers are scripts (stdlib only, Python 3.11), run as `python3 Tests/upstreams/<name>.py --help`; only
fixtures.py and tls.py are imported as this package's modules.
"""
