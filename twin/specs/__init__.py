"""Scene specs: declarative TOML designs, validated and generated into design files."""

from twin.specs.generator import build_design, generate
from twin.specs.spec import load_spec

__all__ = ["build_design", "generate", "load_spec"]
