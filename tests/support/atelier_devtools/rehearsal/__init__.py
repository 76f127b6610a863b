"""``nox -s rehearse``: the release path of ``.github/workflows`` replayed on one runtime.

:mod:`.flow` reads the steps from the workflows, :mod:`.runners` runs each nox session in its
account, :mod:`.engine` runs them in order and names the step that fails, :mod:`.report`
writes ``reports/rehearsal/summary.json`` and ``index.html``.
"""
