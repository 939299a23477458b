#!/bin/sh
# The namespace acip's processes use (ACIP_TEMPORAL_NAMESPACE), created if missing.
# Retention applies to closed workflows only: a plan's record is the event store, not
# Temporal's history, so a month is enough to inspect a recently closed plan in the UI.
set -eu

NAMESPACE="${NAMESPACE:-default}"
ADDRESS="${TEMPORAL_ADDRESS:-temporal:7233}"

temporal operator namespace describe --namespace "$NAMESPACE" --address "$ADDRESS" >/dev/null 2>&1 \
  || temporal operator namespace create --namespace "$NAMESPACE" --address "$ADDRESS" \
       --retention "${RETENTION:-30d}"
echo "namespace $NAMESPACE is ready"
