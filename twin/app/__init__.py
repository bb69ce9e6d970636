"""The desktop viewer (PySide6): the only package that imports Qt.

`twin.app.main.run_app(path)` opens the main window; `twin view FILE` calls it.
"""
