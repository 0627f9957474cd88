#!/bin/sh
# Register Conveyor's namespace and search attributes on a running Temporal server. Idempotent: what
# exists is left alone. Used by both stacks:
#   - docker-compose.yml's temporal-setup service (admin-tools image), and
#   - `npm run cluster` (the Temporal CLI the project builds into .tools/).
#
# Environment: TEMPORAL_ADDRESS, NAMESPACE, NAMESPACE_RETENTION (e.g. 168h), SEARCH_ATTRIBUTES
# (space-separated names, all Keyword; the list is common/search-attributes.ts), TEMPORAL_CLI (default
# temporal).
set -eu
ns="$NAMESPACE"
temporal_cli="${TEMPORAL_CLI:-temporal}"
t() { "$temporal_cli" "$@"; }

# retry ATTEMPTS COMMAND...: run COMMAND until it succeeds, 1 s apart.
retry() {
  attempts=$1; shift
  i=1
  until "$@"; do
    [ "$i" -lt "$attempts" ] || return 1
    i=$((i + 1))
    sleep 1
  done
}

serving() { t operator cluster health 2>/dev/null | grep -q SERVING; }
echo "setup: waiting for Temporal at $TEMPORAL_ADDRESS"
retry 180 serving || { echo "setup: Temporal at $TEMPORAL_ADDRESS is not serving" >&2; exit 1; }

# A lost race with another setup fails the create, and the next describe succeeds.
namespace_exists() {
  t operator namespace describe --namespace "$ns" >/dev/null 2>&1 && return 0
  t operator namespace create --namespace "$ns" --retention "$NAMESPACE_RETENTION" >/dev/null 2>&1 || true
  return 1
}
retry 60 namespace_exists || { echo "setup: namespace $ns could not be created" >&2; exit 1; }

# Listing fails until the new namespace is in the frontend's namespace cache (refreshed every ~10 s).
can_list() { t operator search-attribute list --namespace "$ns" >/dev/null 2>&1; }
retry 60 can_list || { echo "setup: cannot list search attributes of $ns" >&2; exit 1; }

registered() { t operator search-attribute list --namespace "$ns" 2>/dev/null | grep -qw "$name"; }
create() {
  if out=$(t operator search-attribute create --namespace "$ns" --name "$name" --type Keyword 2>&1); then
    return 0
  fi
  case "$out" in
    *"already exists"*) return 0 ;;
  esac
  echo "$out" >&2
  return 1
}

for name in $SEARCH_ATTRIBUTES; do
  if registered; then
    echo "setup: search attribute $name already registered"
    continue
  fi
  retry 10 create || { echo "setup: could not register search attribute $name" >&2; exit 1; }
  retry 30 registered || { echo "setup: search attribute $name does not show up" >&2; exit 1; }
  echo "setup: search attribute $name registered (Keyword)"
done
echo "setup: namespace $ns is ready for Conveyor"
