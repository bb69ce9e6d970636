"""Package layout that pyproject.toml cannot say: the top-level assets/ folder ships as twin.assets.

The part meshes stay in assets/ at the top of the repository (where people look for them
and where `python -m twin.geometry.assets` writes them); mapping the folder into the
package makes a plain `pip install .` carry them. Everything else is in pyproject.toml.
"""

from setuptools import find_packages, setup

setup(packages=[*find_packages(include=["twin", "twin.*"]), "twin.assets"], package_dir={"twin.assets": "assets"})
