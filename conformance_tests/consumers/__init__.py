"""The consumers' own array API tests, with arrayapi_autograd's namespaces plugged in.

array-api-extra, SciPy (``special``, ``stats``, ``_lib``, ``ndimage``) and
scikit-learn ship their array API tests inside their installed packages.
``python -m conformance_tests.consumers`` runs them with
``arrayapi_autograd.numpy``, ``.torch`` and ``.array_api_strict`` added beside
each suite's control backend (``plugin.py``, a pytest plugin; no file of
theirs is edited), and writes a suite x backend table in which every failure of
ours is classified (``known.py`` holds the reviewed reasons).  See ``run.py``
for the options.
"""
