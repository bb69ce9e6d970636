"""Catalog tables of a build: suppliers, generations, part types and the halls themselves.

These come straight from the validated spec (the built-in catalog merged under it); ids
follow the spec's order so the same spec always gives the same ids.
"""

from __future__ import annotations

from twin.specs.draft import DesignDraft

PART_TYPE_COLUMNS = (
    "id", "name", "kind", "vendor", "model", "generation_id", "u_height", "width_m", "depth_m", "height_m",
    "u_pitch_m", "mass_kg", "power_nominal_w", "power_max_w", "power_capacity_w", "cooling_capacity_w",
    "airflow_cfm", "coolant_lpm", "cooling_mode", "liquid_fraction", "mesh_path", "mesh_units", "supplier_id",
    "country_of_origin", "lead_time_days", "unit_cost_usd", "efficiency", "rating_va", "power_factor")


def catalog_tables(draft: DesignDraft) -> None:
    """Add the suppliers, generations, part_types and halls tables."""
    spec, catalog = draft.spec, draft.catalog
    home = spec["design"]["home_country"]
    suppliers = spec["suppliers"]
    sup_keys = list(suppliers)
    draft.tables["suppliers"] = {
        "id": list(range(1, len(sup_keys) + 1)), "key": sup_keys,
        "name": [suppliers[k]["name"] for k in sup_keys],
        "country": [suppliers[k]["country"] for k in sup_keys],
        "domestic": [int(suppliers[k]["country"] == home) for k in sup_keys]}
    gens = spec["generations"]
    draft.tables["generations"] = {"id": list(range(1, len(gens) + 1)), "name": [g["name"] for g in gens],
                                   "label": [g["label"] for g in gens],
                                   "description": [g["description"] for g in gens]}
    cols: dict[str, list] = {k: [] for k in PART_TYPE_COLUMNS}
    for name in catalog.names:
        pt = catalog.types[name]
        sup = suppliers[pt["supplier"]]
        row = dict(id=catalog.type_id[name], name=name, generation_id=catalog.generation_id.get(pt["generation"]),
                   width_m=pt["size"][0], depth_m=pt["size"][1], height_m=pt["size"][2], mesh_path=pt["mesh"] or None,
                   supplier_id=catalog.supplier_id[pt["supplier"]],
                   country_of_origin=pt["country_of_origin"] or sup["country"],
                   efficiency=pt["efficiency"] or None,        # 0 in the spec: no efficiency given
                   rating_va=pt["rating_va"] or None, power_factor=pt["power_factor"] or None)
        for key in cols:
            cols[key].append(row[key] if key in row else pt[key])
    draft.tables["part_types"] = cols
    halls = spec["halls"]
    draft.tables["halls"] = {"id": list(range(1, len(halls) + 1)), "name": [h["name"] for h in halls],
                             "width_m": [h["size_m"][0] for h in halls], "depth_m": [h["size_m"][1] for h in halls],
                             "height_m": [h["size_m"][2] for h in halls],
                             "supply_air_c": [h["supply_air_c"] for h in halls],
                             "recirculation_c": [h["recirculation_c"] for h in halls],
                             "ashrae_class": [h["ashrae_class"] for h in halls],
                             "origin_x_m": [h["origin_m"][0] for h in halls],
                             "origin_y_m": [h["origin_m"][1] for h in halls]}
