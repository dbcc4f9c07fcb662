"""One-time set-up of the platform, run by the one-shot ``setup`` service.

  python -m windpower.orchestration.setup

Everything the servers must hold before any flow runs is created here, once, in
one process (``steps.py``): the windpower database's schema, the work pools
(``pools.py``), the one-run-at-a-time concurrency limits, the crash automation
(``crashes.py``) and the work-pool deployments (declared in ``prefect.yaml``). The
long-running flow containers start after this exits 0 and only serve their flow,
so two of them can never race to create the same object.

Every step is idempotent: a restart, or ``docker compose up`` on existing
volumes, changes nothing that is already right.
"""
