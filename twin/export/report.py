"""`twin export report`: one self-contained HTML file for the design review meeting.

Summary, one image per available overlay, findings of every registered analysis (through the review session; analyses that
cannot run say why), review notes from the design file
and any extra tables (e.g. a generation compare) the caller passes. Images are PNGs
embedded as base64 and the CSS is inline, so the file can be mailed and opened offline.
Every text from the design goes through `html.escape`.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import math
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

from twin import __version__
from twin.analysis import registry
from twin.analysis.finding_groups import group_findings
from twin.analysis.findings import SEVERITIES, count_by_severity
from twin.analysis.summary import design_summary
from twin.files import write_text_atomic
from twin.export.tables import finding_rows, review_notes
from twin.session import ReviewSession

CSS = """
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1d2330;margin:0;background:#f4f5f7}
main{max-width:1180px;margin:0 auto;padding:24px 32px 48px;background:#fff}
h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:32px 0 10px;border-bottom:2px solid #e3e6eb;padding-bottom:4px}
h3{font-size:15px;margin:18px 0 6px}.meta{color:#5b6475;margin:0 0 16px}
table{border-collapse:collapse;width:100%;margin:6px 0 12px;font-size:13px}
th,td{border-bottom:1px solid #e3e6eb;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f0f2f5;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin:8px 0}
.card{flex:1 1 140px;border:1px solid #e3e6eb;border-radius:6px;padding:10px 14px;background:#fafbfc}
.card b{display:block;font-size:22px}.card span{color:#5b6475;font-size:12px}
.sev{display:inline-block;border-radius:3px;padding:1px 7px;font-size:11px;font-weight:700;color:#fff;text-transform:uppercase}
.critical{background:#b3261e}.warning{background:#c77700}.info{background:#3467a8}
.card.critical,.card.warning,.card.info{color:#fff}.card.critical span,.card.warning span,.card.info span{color:#fff}
figure{margin:0}.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:16px}
figure img{width:100%;border:1px solid #d5d9e0;border-radius:4px}figcaption{color:#5b6475;font-size:12px;margin-top:2px}
.muted{color:#7a8394}
details.group{border-bottom:1px solid #e3e6eb;padding:3px 0}details.group summary{cursor:pointer;list-style-position:inside}
details.group summary .count{font-weight:700;margin:0 6px}details.group summary .margin{color:#5b6475;margin-right:6px}
"""

Progress = Callable[[Iterable], Iterable]


def _e(value: Any) -> str:
    """Escape anything for HTML text or attribute values."""
    return html.escape("" if value is None else str(value), quote=True)


def _num(value: Any, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    if isinstance(value, (int, float)):
        return f"{value:,.{digits}f}" if isinstance(value, float) else f"{value:,}"
    return _e(value)


def html_table(columns: Sequence[str], rows: Iterable[Mapping[str, Any]], numeric: Sequence[str] = ()) -> str:
    """A table of `rows` (dicts) with escaped cells; `numeric` columns right-aligned."""
    head = "".join(f"<th>{_e(c)}</th>" for c in columns)
    body = []
    for row in rows:
        cells = []
        for c in columns:
            v = row.get(c)
            if c in numeric:
                cells.append(f'<td class="num">{_num(v)}</td>')
            elif c == "severity":
                cells.append(f'<td><span class="sev {_e(v)}">{_e(v)}</span></td>')
            else:
                cells.append(f"<td>{_e(v)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def png_data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def decide_section(session: ReviewSession) -> list[str]:
    """The report's first screen: what a reviewer must decide. The findings' counts by severity,
    then one line per kind of problem (grouped by code: `twin.analysis.finding_groups`), worst
    first, with its count, worst margin and worst case; each opens to list every finding."""
    findings = session.findings()
    counts = count_by_severity(findings)
    out = ["<h2>To decide</h2><div class=\"cards\">"]
    for sev in SEVERITIES:
        out.append(f'<div class="card {sev}"><b>{counts[sev]}</b><span>{sev} findings</span></div>')
    out.append("</div>")
    if not findings:
        return out + ['<p class="muted">No findings.</p>']
    columns = ("subject", "message", "value", "limit", "unit")
    for group in group_findings(findings):
        worst = group.worst
        rows = [{"subject": f.subject, "message": f.message, "value": f.value, "limit": f.limit, "unit": f.unit}
                for f in group.findings]
        out.append(f'<details class="group" data-code="{_e(group.code)}" data-count="{group.count}"><summary>'
                   f'<span class="sev {group.severity}">{_e(group.severity)}</span> <b>{_e(group.code)}</b>'
                   f'<span class="count">×{group.count}</span><span class="margin">{_e(group.margin_text())}</span>'
                   f'{_e(worst.subject + ": " if worst.subject else "")}{_e(worst.message)}</summary>'
                   + html_table(columns, rows, numeric=("value", "limit")) + "</details>")
    return out


def report_html(session: ReviewSession, images: Sequence[tuple[str, str, bytes]],
                extra_tables: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
                notes: Sequence[Mapping[str, Any]] = (), generated: str | None = None) -> str:
    """The report as one HTML string. `images`: (overlay name, caption, PNG bytes)."""
    d = session.design
    summary = design_summary(d)
    findings = finding_rows(session)
    name = summary["design"] or Path(summary["file"]).name
    generated = generated or dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    moment = session.at or "latest readings" if len(d.sensors) else "estimates (the design has no sensor readings)"
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f"<title>{_e(name)} · design review</title>", f"<style>{CSS}</style></head><body><main>",
           f"<h1>{_e(name)} · design review</h1>",
           f'<p class="meta">{_e(summary["file"])} · generated {_e(generated)} by twin {_e(__version__)} · '
           f"readings: {_e(moment)}</p>"]
    if d.meta.get("description"):
        out.append(f"<p>{_e(d.meta['description'])}</p>")

    out += decide_section(session)
    out.append("<h2>Summary</h2><div class=\"cards\">")
    for label, value in (("racks", f"{summary['racks']:,}"), ("parts", f"{summary['parts']:,}"),
                         ("cables", f"{summary['cables']:,}"), ("IT power", f"{summary['it_power_kw']:,.1f} kW"),
                         ("facility power", f"{summary['facility_power_kw']:,.1f} kW"),
                         ("cable length", f"{summary['cable_length_km']:,} km")):
        out.append(f'<div class="card"><b>{_e(value)}</b><span>{_e(label)}</span></div>')
    out.append("</div>")
    kinds = [{"kind": k, "count": v} for k, v in summary["parts_per_kind"].items()]
    gens = [{"generation": k, "racks": v} for k, v in summary["racks_per_generation"].items()]
    out.append("<h3>Parts per kind</h3>" + html_table(("kind", "count"), kinds, numeric=("count",)))
    out.append("<h3>Racks per generation</h3>" + html_table(("generation", "racks"), gens, numeric=("racks",)))

    if images:
        out.append('<h2>Views</h2><div class="grid">')
        for overlay, caption, png in images:
            out.append(f'<figure><img alt="{_e(caption)}" data-overlay="{_e(overlay)}" src="{png_data_uri(png)}">'
                       f"<figcaption>{_e(caption)}</figcaption></figure>")
        out.append("</div>")
        skipped = [(n, why) for n, why in session.overlay_availability().items() if why]
        if skipped:
            out.append('<p class="muted">Overlays not shown: ' +
                       "; ".join(f"{_e(registry.overlay_label(n))} ({_e(why)})" for n, why in skipped) + "</p>")

    out.append("<h2>Findings</h2>")
    availability = session.available()
    by_analysis: dict[str, list[dict]] = {}
    for row in findings:
        by_analysis.setdefault(row["analysis"], []).append(row)
    columns = ("severity", "code", "subject", "message", "value", "limit", "unit")
    for analysis in registry.analyses():
        reason = availability.get(analysis.name)
        rows = by_analysis.pop(analysis.name, [])
        out.append(f"<h3>{_e(analysis.label)}</h3>")
        if reason:
            out.append(f'<p class="muted">Not run: {_e(reason)}</p>')
        elif not rows:
            out.append('<p class="muted">No findings.</p>')
        else:
            out.append(html_table(columns, rows, numeric=("value", "limit")))
    for analysis, rows in by_analysis.items():       # findings tagged with an unregistered name
        out.append(f"<h3>{_e(analysis or 'other')}</h3>" + html_table(columns, rows, numeric=("value", "limit")))

    from twin.export.contingency import contingency_html
    out.append(contingency_html(session, html_table))

    if notes:
        out.append("<h2>Review notes</h2>" + html_table(("id", "part", "author", "status", "text", "created",
                                                         "updated"), notes))
    for title, rows in (extra_tables or {}).items():
        if rows:
            columns = list(dict.fromkeys(k for row in rows for k in row))
            out.append(f"<h2>{_e(title)}</h2>" + html_table(columns, rows))
    if summary["warnings"]:
        out.append("<h2>Load warnings</h2><ul>" + "".join(f"<li>{_e(w)}</li>" for w in summary["warnings"]) + "</ul>")
    out.append("</main></body></html>")
    return "\n".join(out)


def overlay_images(session: ReviewSession, renderer, size: tuple[int, int], camera: str = "iso",
                   progress: Progress | None = None) -> list[tuple[str, str, bytes]]:
    """One PNG per overlay that can be shown on this design (plain colours first)."""
    from twin.export.image import png_bytes

    names = [n for n, why in session.overlay_availability().items() if why is None]
    wrap = progress or (lambda items: items)
    images = []
    for name in wrap(names):
        label = registry.overlay_label(name)
        caption = f"{camera} view · {'plain colours' if name == registry.NO_OVERLAY else label}"
        images.append((name, caption, png_bytes(renderer.render(camera, name, size))))
    return images


def write_report(session: ReviewSession, output: str | Path, size: tuple[int, int] = (960, 540),
                 renderer=None, camera: str = "iso",
                 extra_tables: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
                 progress: Progress | None = None) -> Path:
    """Render the overlay images, assemble the report and write it atomically to `output`."""
    if renderer is None:
        from twin.export.image import ImageRenderer

        renderer = ImageRenderer(session, size=size)
    images = overlay_images(session, renderer, size, camera, progress)
    notes = review_notes(session.design.source)
    return write_text_atomic(output, report_html(session, images, extra_tables, notes))
