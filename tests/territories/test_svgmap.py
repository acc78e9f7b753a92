"""The map's projection and SVG path data (guichet.territories.svgmap, pure: no Django)."""

import math

import pytest

from guichet.territories import svgmap

SQUARE = [[[(3.0, 45.0), (4.0, 45.0), (4.0, 46.0), (3.0, 46.0), (3.0, 45.0)]]]


def test_the_projection_fits_the_width_and_scales_longitudes_by_the_mean_latitudes_cosine():
    p = svgmap.fit([SQUARE], width=1000, margin=10)
    assert p.width == 1000
    kx = math.cos(math.radians(45.5))
    # One degree of latitude is 1/kx times as long as one of longitude on the drawing.
    assert p.height == round(980 / kx + 20)
    assert p.point(3.0, 46.0) == (10, 10)  # north-west corner at the margin
    assert p.point(4.0, 46.0) == (990, 10)  # east edge at width - margin
    assert p.point(3.0, 45.0) == (10, p.height - 10)  # south is down


def test_nothing_to_draw_is_a_clear_error():
    with pytest.raises(svgmap.GeometryError, match="aucun point"):
        svgmap.fit([])


def test_a_ring_is_a_move_then_relative_lines_closed():
    p = svgmap.fit([SQUARE], width=100, margin=0)
    d = svgmap.path_data(SQUARE, p)
    # 100 wide, 100/kx high: right, down, left; the closing point is dropped (z closes).
    h = p.height
    assert d == f"M0 {h}l100 0 0-{h}-100 0z"


def test_negative_steps_need_no_space_and_repeated_points_are_dropped():
    p = svgmap.Projection(west=0, north=10, kx=1, scale=1, margin=0, width=10, height=10)
    ring = [(0, 10), (5, 10), (5.2, 10), (5, 5), (0, 5), (0, 10)]
    assert svgmap.ring_path(ring, p) == "M0 0l5 0 0 5-5 0z"


def test_a_ring_that_rounds_to_less_than_a_triangle_is_not_drawn():
    p = svgmap.Projection(west=0, north=10, kx=1, scale=1, margin=0, width=10, height=10)
    assert svgmap.ring_path([(0, 10), (0.1, 10), (0.1, 9.9), (0, 10)], p) == ""
    assert svgmap.path_data([[[(0, 10), (0.2, 10), (0, 9.8)]]], p) == ""


def test_holes_and_multipolygons_are_subpaths_of_one_path():
    outer = [(0, 10), (10, 10), (10, 0), (0, 0)]
    hole = [(4, 6), (6, 6), (6, 4), (4, 4)]
    island = [(20, 10), (22, 10), (22, 8)]
    p = svgmap.Projection(west=0, north=10, kx=1, scale=1, margin=0, width=30, height=10)
    d = svgmap.path_data([[outer, hole], [island]], p)
    assert d.count("M") == 3 and d.count("z") == 3


def test_geojson_polygons_and_multipolygons_are_read_and_others_refused():
    poly = {"type": "Polygon", "coordinates": [[[3, 45], [4, 45], [4, 46], [3, 45]]]}
    multi = {"type": "MultiPolygon", "coordinates": [poly["coordinates"], poly["coordinates"]]}
    assert svgmap.shape_of(poly) == [[[(3.0, 45.0), (4.0, 45.0), (4.0, 46.0), (3.0, 45.0)]]]
    assert len(svgmap.shape_of(multi)) == 2
    with pytest.raises(svgmap.GeometryError, match="Point"):
        svgmap.shape_of({"type": "Point", "coordinates": [3, 45]})
