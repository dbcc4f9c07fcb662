"""MLflow's tracking server in one process (compose service ``mlflow``):

    python -m windpower.orchestration.mlflow_server <options of mlflow server>

takes ``mlflow server``'s options and runs it as MLflow does, its web server in
place of this process instead of beside it (``internals.serve_mlflow_in_place``).
"""

import sys

from windpower.orchestration.internals import serve_mlflow_in_place

if __name__ == "__main__":
    serve_mlflow_in_place(sys.argv[1:])
