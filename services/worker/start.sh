#!/bin/sh
# Start a Prefect process worker on default-worker-pool. The pool and its queues are
# created idempotently first ("already exists" is fine: with --scale worker=N every
# replica tries), so a fresh server needs no manual setup.
set -eu
pool=default-worker-pool
prefect work-pool create "$pool" --type process >/dev/null 2>&1 || true
for queue in training-queue inference-queue; do
    prefect work-queue create "$queue" --pool "$pool" >/dev/null 2>&1 || true
done
exec prefect worker start --pool "$pool" --type process \
    --work-queue training-queue --work-queue inference-queue --with-healthcheck
