"""A NetBox device-type library folder → a twin catalog (suppliers and part types).

The community library (github.com/netbox-community/devicetype-library) keeps one YAML
file per device type under `device-types/<Manufacturer>/`, module types under
`module-types/`, rack types under `rack-types/`, and the JSON schemas every file must meet
under `schema/`. Each file is validated against those schemas (with jsonschema, resolving
the `urn:devicetype-library:*` references between schema files); a file that fails is
left out with one message per failing field, naming the file and the field. Files that
pass become part types (`netbox_types.part_type_from_netbox`); rack types become rack
frames. Module types are validated and counted: twin has no module bays to put them in.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from decimal import Decimal, InvalidOperation, localcontext

from jsonschema import Draft202012Validator, ValidationError
from jsonschema.validators import extend
from referencing import Registry, Resource
from referencing.exceptions import Unresolvable as ReferencingError

from twin.errors import TwinError
from twin.files import write_text_atomic
from twin.importers.import_checks import device_type_problem, entry_problem
from twin.importers.safe_files import ImportRefused, contained, library_files, load_yaml, read_bounded
from twin.importers.netbox_types import EIA_U_M, KG_PER, infer_kind, part_type_from_netbox, supplier_key
from twin.importers.report import ImportReport

SCHEMA_IDS = {"device-types": "urn:devicetype-library:device-type",
              "module-types": "urn:devicetype-library:module-type",
              "rack-types": "urn:devicetype-library:rack-type"}
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".svg", ".webp")
LENGTH_M = {"mm": 0.001, "in": 0.0254}


def _decimal_multiple_of(validator: Any, step: Any, instance: Any, schema: Any):
    """`multipleOf` in decimal, as the YAML text is written: 4.1 is a multiple of 0.01.

    jsonschema divides binary floats (4.1 / 0.01 = 409.99999999999994) and would reject
    weights the library's own CI accepts; the shortest repr of a float is its decimal text.
    """
    if isinstance(instance, bool) or not isinstance(instance, (int, float)):
        return
    try:
        with localcontext(prec=800):        # exact for any float: 1e300 % 0.5 needs 301 digits
            remainder = Decimal(repr(instance)) % Decimal(repr(step))
    except InvalidOperation:                # inf: no remainder at all
        yield ValidationError(f"{instance!r} is not a finite number")
        return
    if remainder != 0:
        yield ValidationError(f"{instance!r} is not a multiple of {step}")


LibraryValidator = extend(Draft202012Validator, {"multipleOf": _decimal_multiple_of})


@dataclass
class Catalog:
    """What a library import made: catalog tables in the spec's shape, and its report."""

    suppliers: dict[str, dict[str, Any]] = field(default_factory=dict)
    part_types: dict[str, dict[str, Any]] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)      # part type name -> file it came from
    kind_why: dict[str, str] = field(default_factory=dict)     # part type name -> why its kind was chosen
    report: ImportReport = field(default_factory=lambda: ImportReport(""))


def load_device_type_library(root: str | Path) -> Catalog:
    """Validate and map every YAML file under `root`; raise only when `root` is not a folder.

    `root` is a library root, its `device-types/` (or `rack-types/`…) folder, or one vendor's
    folder in it: the schemas are found by walking up from `root` to the library root.
    """
    root = Path(root)
    if not root.is_dir():
        raise TwinError(root, "not a folder of NetBox device types" if root.exists() else "no such folder")
    catalog = Catalog(report=ImportReport(str(root)))
    report = catalog.report
    library = library_root(root)
    validators = _validators(root, report, library)
    files = library_files(root, (".yaml", ".yml"), lambda path, why: report.warn("not-read", str(path), why))
    counts = {"device types": 0, "rack types": 0, "module types": 0, "failed": 0, "files": len(files)}
    for path in files:
        section = _section(path, library)
        if section is None:
            continue
        where = str(path)
        data = _read_yaml(path, report)
        if data is None:
            counts["failed"] += 1
            continue
        validator = validators.get(section)
        try:
            errors = sorted(validator.iter_errors(data), key=lambda e: list(e.path)) if validator else []
        except ReferencingError as exc:             # jsonschema wraps it in a subclass
            report.warn("schema-ref", where, f"the schema refers to something not found ({exc}); not validated")
            errors = []
        for error in errors:
            report.warn("schema", f"{where}: {_field(error)}", _message(error))
        if errors:
            counts["failed"] += 1
            continue
        if section == "module-types":
            counts["module types"] += 1
            continue
        made = _mapped(section, data, path, root, report)
        if made is None:
            counts["failed"] += 1
            continue
        name, entry = made
        counts["rack types" if section == "rack-types" else "device types"] += 1
        if section != "rack-types":
            catalog.kind_why[name] = infer_kind(data)[1]
        if name in catalog.part_types:
            report.warn("duplicate-slug", f"{where}: slug", f"slug {name!r} also in {catalog.sources[name]}; "
                                                            "the later file wins")
        catalog.part_types[name] = entry
        catalog.sources[name] = where
        vendor = str(data.get("manufacturer") or "")
        catalog.suppliers.setdefault(entry["supplier"], {"name": vendor or "unknown", "country": ""})
    if catalog.suppliers:
        report.default("supplier country unknown (NetBox does not say where a vendor builds)", len(catalog.suppliers))
    if files and not any(counts[k] for k in ("device types", "rack types", "module types", "failed")):
        report.notes.append(f"{len(files)} YAML files, none under a device-types/, module-types/ or rack-types/ "
                            "folder: give the library root, its device-types/ folder or a vendor folder in it")
    report.counts = counts
    return catalog


def _mapped(section: str, data: dict[str, Any], path: Path, root: Path,
            report: ImportReport) -> tuple[str, dict[str, Any]] | None:
    """(name, entry) of one validated file, or None (one warning naming the file and field) when
    its shape or a number is outside what a spec may hold: the catalog never carries what every
    spec would then refuse."""
    where = str(path)
    problem = device_type_problem(data)
    if problem is None:
        if section == "rack-types":
            name, entry = rack_type_entry(data, where, report)
        else:
            name, entry = part_type_from_netbox(data, where, report, images=_images(path, root, data, report))
        problem = entry_problem(entry)
    if problem is not None:
        report.warn("bad-value", f"{where}: {problem[0]}", f"{problem[1]}; file skipped")
        return None
    return name, entry


def library_root(folder: Path) -> Path:
    """The device-type library `folder` belongs to: it or the nearest folder above it with a `schema/`.

    A vendor folder (`device-types/Cisco`) or `device-types/` itself is then read with the
    library's schemas; a folder with no schema anywhere above is its own root.
    """
    folder = folder.resolve()
    for candidate in (folder, *folder.parents):
        if (candidate / "schema").is_dir() and any((candidate / "schema").glob("*.json")):
            return candidate
        if candidate.name in SCHEMA_IDS:
            return candidate.parent
    return folder


def _section(path: Path, library: Path) -> str | None:
    """Which kind of file `path` is (device-types, module-types, rack-types), by the folder it sits in."""
    try:
        parts = path.resolve().relative_to(library).parts
    except ValueError:
        parts = path.parts
    return next((part for part in parts if part in SCHEMA_IDS), None)


def rack_type_entry(data: dict[str, Any], where: str, report: ImportReport) -> tuple[str, dict[str, Any]]:
    """A NetBox rack type as a twin rack frame part type (outer size from outer_* when given)."""
    u = int(float(data.get("u_height") or 42))
    scale = LENGTH_M.get(str(data.get("outer_unit") or "mm"), 0.001)
    width = float(data.get("outer_width") or 0) * scale or 0.600
    depth = float(data.get("outer_depth") or 0) * scale or 1.070
    height = float(data.get("outer_height") or 0) * scale or u * EIA_U_M + 0.12
    for key, value in (("outer_width", width), ("outer_depth", depth), ("outer_height", height)):
        if not data.get(key):
            report.default(f"rack {key} {value:.3f} m (not given)")
    mass = float(data.get("weight") or 0) * KG_PER.get(str(data.get("weight_unit") or "kg"), 1.0)
    vendor = str(data.get("manufacturer") or "")
    name = str(data.get("slug") or supplier_key(f"{vendor} {data.get('model', '')}"))
    return name, {"kind": "rack", "vendor": vendor, "model": str(data.get("model") or ""), "u_height": 0,
                  "size": [round(width, 4), round(depth, 4), round(height, 4)], "u_pitch_m": EIA_U_M,
                  "mass_kg": round(mass, 3), "supplier": supplier_key(vendor), "ports": []}


def write_catalog_toml(catalog: Catalog, out: str | Path) -> Path:
    """Write the catalog as TOML a spec can name (`[catalog] netbox_device_types = "…toml"`).

    Each part type's `kind` is written with the reason it was inferred. It is the user's to
    change: importing again into the same file keeps every kind that differs from what the
    import infers (an edit by hand), and the report says how many were kept.
    """
    out = Path(out)
    kept = _kept_kinds(catalog, out)
    lines = ["# twin catalog imported from a NetBox device-type library.",
             f"# Source: {catalog.report.source}. Sizes, airflow volume and cooling are twin defaults where",
             "# NetBox says nothing (see docs/netbox-mapping.md).", "", "[suppliers]"]
    for key, sup in sorted(catalog.suppliers.items()):
        lines.append(f"{_toml_key(key)} = {{ name = {json.dumps(sup['name'])}, country = {json.dumps(sup['country'])} }}")
    for name, entry in sorted(catalog.part_types.items()):
        lines += ["", f"[part_types.{_toml_key(name)}]", f"# from {catalog.sources.get(name, '?')}"]
        for key, value in entry.items():
            if key == "ports":
                continue
            if key == "kind" and name in kept:
                value = kept[name]
                lines.append("# kind set by hand in this file (kept on import)")
            elif key == "kind" and name in catalog.kind_why:
                lines.append(f"# kind inferred: {catalog.kind_why[name]} (edit it to override; a new import keeps it)")
            if key.endswith("_image"):
                value = os.path.relpath(value, out.parent.resolve()) if Path(value).is_absolute() else value
            lines.append(f"{key} = {_toml_value(value)}")
        if entry.get("ports"):
            lines.append("ports = [")
            lines += [f"  {{ name = {json.dumps(p['name'])}, kind = {json.dumps(p['kind'])}, "
                      f"offset = {_toml_value(p['offset'])} }}," for p in entry["ports"]]
            lines.append("]")
    return write_text_atomic(out, "\n".join(lines) + "\n")     # a full disk leaves no half catalog behind


def _kept_kinds(catalog: Catalog, out: Path) -> dict[str, str]:
    """Kinds in an existing catalog TOML at `out` that differ from this import's: edits to keep."""
    try:
        old = tomllib.loads(out.read_text(encoding="utf-8")).get("part_types", {}) if out.is_file() else {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}
    kept = {name: str(old[name]["kind"]) for name, entry in catalog.part_types.items()
            if isinstance(old.get(name), dict) and isinstance(old[name].get("kind"), str)
            and old[name]["kind"] != entry["kind"]}
    if kept:
        catalog.report.notes.append(f"kept the kind of {len(kept)} part types as set by hand in {out} "
                                    f"({', '.join(sorted(kept)[:5])}{'…' if len(kept) > 5 else ''})")
    return kept


def catalog_tables(source: Path, spec_path: Path, where: str) -> dict[str, Any]:
    """`suppliers` and `part_types` in the spec's shape from a library folder or a catalog TOML."""
    if source.is_dir():
        catalog = load_device_type_library(source)
        if not catalog.part_types:
            raise TwinError(spec_path, f"no device type in {source} could be imported", where=where)
        return {"suppliers": catalog.suppliers, "part_types": catalog.part_types}
    if not source.is_file():
        raise TwinError(spec_path, f"{source} does not exist", where=where)
    try:
        raw = tomllib.loads(read_bounded(source, "spec_file_bytes").decode("utf-8"))
    except ImportRefused as exc:
        raise TwinError(source, str(exc)) from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise TwinError(source, f"not valid TOML ({exc})") from None
    return {key: raw.get(key, {}) for key in ("suppliers", "part_types")}


def _validators(root: Path, report: ImportReport, library: Path | None = None) -> dict[str, Any]:
    """One validator per file kind from every schema/*.json under `root` and in the library root above it.

    A schema folder inside `root` that is a symlink out of it is not followed (one warning). A
    schema file without `$id` (older snapshots) is known by its file name instead:
    `devicetype.json` is `urn:devicetype-library:device-type`, `components.json` is
    `…:components`, so the files that name it are still validated.
    """
    library = library or library_root(root)
    real_root = os.path.realpath(root)
    inside = [p for p in root.rglob("schema") if p.is_dir()]
    for p in [p for p in inside if os.path.commonpath([os.path.realpath(p), real_root]) != real_root]:
        report.warn("not-read", str(p), "a symlink to a folder outside the library; not followed")
    folders = [p for p in inside if os.path.commonpath([os.path.realpath(p), real_root]) == real_root]
    for above in (library, *library.parents[:2]):          # a snapshot beside the library shares its schemas
        if (above / "schema").is_dir() and (above / "schema").resolve() not in [f.resolve() for f in folders]:
            folders.append(above / "schema")
    resources = []
    for folder in folders:
        for path in library_files(folder, (".json",), lambda p, why: report.warn("schema-file", str(p), why)):
            if path.parent != folder:
                continue
            try:
                doc = json.loads(read_bounded(path, "import_file_bytes").decode("utf-8"))
            except ImportRefused as exc:
                report.warn("schema-file", str(path), f"{exc}; not used")
                continue
            except (ValueError, RecursionError) as exc:
                report.warn("schema-file", str(path), f"unreadable JSON schema ({_short(exc)}); not used")
                continue
            if isinstance(doc, dict) and not doc.get("$id"):
                doc = {**doc, "$id": _id_by_path(path)}
            if isinstance(doc, dict):
                resources.append((doc["$id"], Resource.from_contents(doc)))
    registry = Registry().with_resources(resources)
    out: dict[str, Any] = {}
    for section, schema_id in SCHEMA_IDS.items():
        if schema_id in registry:
            out[section] = LibraryValidator(registry[schema_id].contents, registry=registry)
        elif (root / section).is_dir() or any(root.rglob(section)):
            report.warn("no-schema", str(root), f"no JSON schema {schema_id} found; {section} files not validated")
    return out


def _id_by_path(path: Path) -> str:
    """The library's `$id` for a schema file named `path` (devicetype.json → urn:devicetype-library:device-type)."""
    name = re.sub(r"^(device|module|rack)type$", r"\1-type", path.stem.lower().replace("_", "-"))
    return f"urn:devicetype-library:{name}"


def _read_yaml(path: Path, report: ImportReport) -> dict[str, Any] | None:
    try:
        data = load_yaml(read_bounded(path, "import_file_bytes").decode("utf-8"))
    except ImportRefused as exc:
        report.warn("not-read", str(path), f"{exc}; skipped")
        return None
    except (OSError, UnicodeDecodeError) as exc:
        report.warn("unreadable", str(path), f"cannot read ({_short(exc)}); skipped")
        return None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"line {mark.line + 1}" if mark else "file"
        report.warn("yaml", f"{path}: {at}", f"not valid YAML ({getattr(exc, 'problem', exc)}); skipped")
        return None
    if not isinstance(data, dict):
        report.warn("yaml", str(path), f"expected a mapping of fields, got {type(data).__name__}; skipped")
        return None
    return data


def _short(exc: BaseException) -> str:
    text = str(exc)
    return text if len(text) < 160 else text[:157] + "…"


def _images(path: Path, root: Path, data: dict[str, Any], report: ImportReport) -> dict[str, str]:
    """Absolute paths of the elevation images a device type says it has (front_image/rear_image: true)."""
    found: dict[str, str] = {}
    for face in ("front", "rear"):
        if not data.get(f"{face}_image"):
            continue
        hits = []
        for folder in [p / "elevation-images" for p in (path.parent, *path.parents) if p == root or root in p.parents
                       or p in root.parents][:6]:
            base = folder / str(data.get("manufacturer", "")) / f"{data.get('slug')}.{face}"
            hits += [base.with_name(base.name + s) for s in IMAGE_SUFFIXES if base.with_name(base.name + s).is_file()
                     and contained(base.with_name(base.name + s), folder)]      # no symlink out of the images
        if hits:
            found[face] = str(hits[0].resolve())
        else:
            report.warn("image", f"{path}: {face}_image", f"{face}_image is true but no elevation-images/"
                                                           f"{data.get('manufacturer')}/{data.get('slug')}.{face}.* "
                                                           "file is there; left without an image")
    return found


def _field(error: Any) -> str:
    """The failing field as a dotted path (`interfaces[3].type`); the missing key for `required`."""
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path).lstrip(".")
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        return f"{path}.{missing}".lstrip(".") if missing else path or "(top level)"
    if error.validator == "additionalProperties":
        extra = error.message.split("'")[1] if "'" in error.message else ""
        return f"{path}.{extra}".lstrip(".") if extra else path or "(top level)"
    return path or "(top level)"


def _message(error: Any) -> str:
    if error.validator == "enum":
        return f"{error.instance!r} is not one of the library's allowed values"
    if error.validator == "required":
        return "missing required field"
    if error.validator == "additionalProperties":
        return "field not allowed by the schema"
    return error.message if len(error.message) < 160 else error.message[:157] + "…"


def _toml_key(key: str) -> str:
    return key if key.replace("-", "").replace("_", "").isalnum() and key.isascii() else json.dumps(key)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)
