"""gunicorn's settings for this service; gunicorn reads ./gunicorn.conf.py when started from the
repository's root (`gunicorn massdriver_scim.wsgi --bind ...`). Command-line flags override it.

- timeout 30 s: a request stuck longer is killed and its transaction rolled back, well inside the
  30-60 s after which IdPs retry (Okta gives up after 60 s).
- limit_request_line 8190: long SCIM filters fit in a URL (gunicorn's default cuts at 4094 bytes
  with an HTML 414); longer ones belong in the body of POST /.search.
- Only Django decides whether a request came over HTTPS (TRUST_X_FORWARDED_PROTO=1 behind a
  TLS-terminating proxy). gunicorn's defaults would also believe X-Forwarded-Proto,
  X-Forwarded-Ssl and X-Forwarded-Protocol from 127.0.0.1, so a proxy on the same host that
  passes a client's header along would let plain HTTP through as HTTPS. Set
  FORWARDED_ALLOW_IPS to your proxies' addresses to let gunicorn trust them again.
"""

import os

timeout = 30
graceful_timeout = 30
limit_request_line = 8190
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "")
