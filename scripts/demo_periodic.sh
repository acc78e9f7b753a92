#!/usr/bin/env bash
# The demo's periodic work (make demo): « manage.py guichet_periodic » once at start, then every
# hour (GUICHET_PERIODIC_INTERVAL seconds), until make demo stops it with SIGTERM when the server
# stops. A failing run is said on stderr and the loop goes on (each run is recorded in the admin).
# Usage: scripts/demo_periodic.sh [python] (default .venv/bin/python), from the project's root.
set -u
python=${1:-.venv/bin/python}
interval=${GUICHET_PERIODIC_INTERVAL:-3600}
child=
trap '[ -n "$child" ] && kill "$child" 2>/dev/null; exit 0' TERM INT
while true; do
  # In the background and waited for, so that SIGTERM is handled at once, even mid-run.
  "$python" manage.py guichet_periodic --verbosity 1 & child=$!
  wait "$child"
  status=$?
  [ "$status" = 0 ] || echo "$(date '+%F %T') guichet_periodic a échoué (code $status)." >&2
  sleep "$interval" & child=$!
  wait "$child"
  child=
done
