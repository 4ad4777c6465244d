"""The Keras client programs are scripts run by tests/test_keras_programs.py, not modules to import or doctest."""
collect_ignore_glob = ["program_*.py"]
