"""Drawing contours as SVG paths: the projection and the path data. Pure (no Django, no
shapely): the results page draws its map on the server from the shipped GeoJSON.

The projection is equirectangular, scaled by the cosine of the mean latitude: x grows with the
longitude times cos(mean latitude), y with the latitude going south. Over a département (one or
two degrees) it keeps the shapes true to within a few per cent, with no library. The drawing
fits a viewBox ``width`` units wide (height in proportion), with a margin, and the points are
rounded to whole units: on a map shown at most ``width`` pixels wide, a unit is below a pixel.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

Point = tuple[float, float]  # longitude, latitude (WGS84 degrees)
Ring = Sequence[Point]
Polygon = Sequence[Ring]  # the exterior ring, then the holes
Shape = Sequence[Polygon]  # a multipolygon; a polygon is a shape of one


class GeometryError(ValueError):
    pass


def shape_of(geometry: dict[str, Any]) -> list[list[list[Point]]]:
    """The polygons of a GeoJSON Polygon or MultiPolygon geometry."""
    kind = geometry.get("type")
    coordinates: Any = geometry.get("coordinates")
    polygons: Any
    if kind == "Polygon":
        polygons = [coordinates]
    elif kind == "MultiPolygon":
        polygons = coordinates
    else:
        raise GeometryError(f"géométrie {kind!r} : un Polygon ou un MultiPolygon est attendu")
    if not isinstance(polygons, list):
        raise GeometryError("coordonnées absentes")
    return [
        [[(float(p[0]), float(p[1])) for p in ring] for ring in polygon] for polygon in polygons
    ]


@dataclass(frozen=True)
class Projection:
    west: float
    north: float
    kx: float  # cos(mean latitude)
    scale: float  # units per projected degree
    margin: float
    width: int
    height: int

    def point(self, lon: float, lat: float) -> tuple[int, int]:
        x = self.margin + (lon - self.west) * self.kx * self.scale
        y = self.margin + (self.north - lat) * self.scale
        return round(x), round(y)


def fit(shapes: Iterable[Shape], width: int = 1000, margin: int = 10) -> Projection:
    """The projection that fits the shapes' bounding box in ``width`` units (with a margin)."""
    lons: list[float] = []
    lats: list[float] = []
    for shape in shapes:
        for polygon in shape:
            for ring in polygon:
                for lon, lat in ring:
                    lons.append(lon)
                    lats.append(lat)
    if not lons:
        raise GeometryError("aucun point à dessiner")
    west, east, south, north = min(lons), max(lons), min(lats), max(lats)
    kx = math.cos(math.radians((south + north) / 2))
    span_x = max((east - west) * kx, 1e-9)
    scale = (width - 2 * margin) / span_x
    height = round((north - south) * scale + 2 * margin)
    return Projection(west, north, kx, scale, margin, width, height)


def ring_path(ring: Ring, projection: Projection) -> str:
    """One closed subpath: an absolute move, then relative lines (shorter), the repeated points
    (after rounding) dropped. Empty for a ring that rounds to fewer than three points."""
    points: list[tuple[int, int]] = []
    for lon, lat in ring:
        p = projection.point(lon, lat)
        if not points or p != points[-1]:
            points.append(p)
    if len(points) > 1 and points[0] == points[-1]:
        points.pop()
    if len(points) < 3:
        return ""
    x0, y0 = points[0]
    parts = [f"M{x0} {y0}l"]
    steps = []
    px, py = x0, y0
    for x, y in points[1:]:
        dx, dy = x - px, y - py
        steps.append(f"{dx} {dy}" if dy >= 0 else f"{dx}{dy}")
        px, py = x, y
    # « 3-2 » reads as 3 then -2: a space only where the next number is not negative.
    joined = ""
    for step in steps:
        if joined and not step.startswith("-"):
            joined += " "
        joined += step
    parts.append(joined)
    parts.append("z")
    return "".join(parts)


def path_data(shape: Shape, projection: Projection) -> str:
    """The ``d`` of one ``<path>`` drawing every ring of the shape (holes included: draw it
    with ``fill-rule="evenodd"``)."""
    return "".join(d for polygon in shape for ring in polygon if (d := ring_path(ring, projection)))
