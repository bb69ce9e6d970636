"""Row and rack labels placed in screen space: at every scale, never on top of each other."""

from __future__ import annotations

import numpy as np

from twin.scene import Scene
from twin.scene.labels import ROW_FONT_PX, RACK_FONT_PX, screen_boxes
from twin.store import load_design


def _overlaps(boxes: np.ndarray) -> bool:
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            a, b = boxes[i], boxes[j]
            if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]:
                return True
    return False


def _shown_boxes(scene) -> np.ndarray:
    labels = scene.decorations.screen_labels
    rows = [labels.row_anchor[i] for i in labels.shown_rows]
    racks = [labels.rack_pos[i] for i in labels.shown_racks]
    boxes = []
    for row, anchor in zip(labels.shown_rows, rows):
        boxes.append(screen_boxes(scene.camera.project(anchor[None]), [labels.row_text[row]], ROW_FONT_PX,
                                  align=labels.row_align[row]))
    if racks:
        boxes.append(screen_boxes(scene.camera.project(np.array(racks)), [labels.rack_text[i] for i in labels.shown_racks],
                                  RACK_FONT_PX))
    return np.concatenate(boxes) if boxes else np.zeros((0, 4))


def test_hall_2000_has_labels_at_hall_scale_decimated_and_rack_names_close_up(hall2000_db):
    design = load_design(hall2000_db)
    scene = Scene(design, size=(1280, 720))
    labels = scene.decorations.screen_labels
    scene.camera.set_view("iso")
    scene.lod.update()
    n_rows = len(labels.row_text)
    assert 0 < len(labels.shown_rows) < n_rows          # some rows named, the rest dropped, not piled up
    assert not _overlaps(_shown_boxes(scene))
    assert sum(a.GetVisibility() for a in labels.row_actors) == len(labels.shown_rows)

    frame = int(scene.geometry.frame_of_rack[len(design.racks) // 2])
    scene.camera.set_camera_pose(scene.camera.fly_to_pose(frame))
    scene.lod.update()
    names = {labels.rack_text[i] for i in labels.shown_racks}
    assert str(design.racks.name[len(design.racks) // 2]) in names
    assert not _overlaps(_shown_boxes(scene))


def test_row_labels_do_not_overlap_in_iso_or_front_views(hall_db):
    scene = Scene(load_design(hall_db), size=(960, 540))
    for view in ("iso", "front", "top"):
        scene.camera.set_view(view)
        scene.lod.update()
        assert scene.decorations.screen_labels.shown_rows, view
        assert not _overlaps(_shown_boxes(scene)), view


def test_labels_of_hidden_racks_do_not_float_and_labels_keep_off_the_caption(hall_db):
    design = load_design(hall_db)
    scene = Scene(design, size=(960, 540))
    labels = scene.decorations.screen_labels
    rack = design.rack_index("B04")
    frame = int(scene.geometry.frame_of_rack[rack])
    scene.camera.set_camera_pose(scene.camera.fly_to_pose(frame))
    scene.lod.update(force=True)
    assert len(labels.shown_racks) > 1                           # neighbours are named before the filter
    # a search leaves only B04's parts: every other name goes, at once (no camera move needed)
    scene.state.set_focus("search", np.asarray(design.parts.rack) == rack)
    assert [labels.rack_text[i] for i in labels.shown_racks] == ["B04"]
    rows = {labels.row_text[i] for i in labels.shown_rows}
    assert rows <= {f"Row {design.racks.row[rack]}"}
    visible = [a for a in labels.rack_actors if a.GetVisibility()]
    assert len(visible) == 1 and visible[0].GetInput() == "B04"
    scene.state.set_focus("search", None)
    assert len(labels.shown_racks) > 1
    # no label box overlaps the caption's, at any of the named views
    for view in ("iso", "front", "top", "aisle"):
        scene.camera.set_view(view)
        scene.lod.update()
        caption = scene.decorations.title_box(scene.camera.view_size())
        assert caption[2] - caption[0] > 20
        boxes = _shown_boxes(scene)
        hit = (boxes[:, 0] < caption[2]) & (caption[0] < boxes[:, 2]) & (boxes[:, 1] < caption[3]) & (caption[1] < boxes[:, 3])
        assert not hit.any(), view


def test_exported_stills_name_rows_without_overlap_and_off_the_racks(hall_db):
    from twin.export.image import render_design

    design = load_design(hall_db)
    for view in ("front", "iso", "top"):
        image, scene = render_design(design, view=view, size=(960, 540))
        labels = scene.decorations.screen_labels
        assert labels is not None and labels.shown_rows, view           # exports name rows too
        boxes = _shown_boxes(scene)
        assert not _overlaps(boxes), view
        # a row's name stands beside its row: its box covers none of the row's racks' centres
        for row in labels.shown_rows:
            x0, y0, x1, y1 = screen_boxes(scene.camera.project(labels.row_anchor[row][None]), [labels.row_text[row]],
                                          ROW_FONT_PX, align=labels.row_align[row])[0]
            tops = scene.geometry.rack_centre[labels.row_racks[row]] + np.array([0, 0, 1.0])
            xy = scene.camera.project(tops)
            inside = (xy[:, 0] > x0) & (xy[:, 0] < x1) & (xy[:, 1] > y0) & (xy[:, 1] < y1)
            assert not inside.any(), (view, labels.row_text[row])
