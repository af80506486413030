"""Locally generated pictures for the masthead demo site.

Why this module exists: a news site is judged as much by its pictures as by its
words, yet a demo must not ship or download photographs it has no rights to.
These functions paint simple, deliberate scenes -- skylines, hills, fields,
harbours -- with Pillow alone, so the demo works offline, stays free of
licensing questions and is reproducible: every picture comes from the
``random.Random`` passed in, so the same seed paints the same picture.

Everything returns encoded bytes (JPEG for photographs, PNG for avatars and
logos) because that is what storage backends and ``ImageFile`` want.
"""

from __future__ import annotations

import functools
import io
import itertools
import math
import random
from collections.abc import Sequence

from PIL import Image, ImageDraw, ImageFilter, ImageFont

__all__ = ["MOODS", "avatar", "logo", "photo", "poster"]

MOODS: tuple[str, ...] = ("day", "dusk", "night", "overcast")

RGB = tuple[int, int, int]

# Sky gradients from the top of the frame to the horizon, per mood.
_SKIES: dict[str, Sequence[tuple[float, RGB]]] = {
    "day": ((0.0, (58, 118, 196)), (0.55, (128, 180, 230)), (1.0, (214, 230, 240))),
    "dusk": (
        (0.0, (36, 40, 96)),
        (0.4, (150, 84, 128)),
        (0.72, (236, 128, 92)),
        (1.0, (255, 204, 128)),
    ),
    "night": ((0.0, (6, 10, 30)), (0.65, (18, 32, 70)), (1.0, (44, 58, 98))),
    "overcast": (
        (0.0, (112, 120, 132)),
        (0.6, (160, 166, 174)),
        (1.0, (196, 200, 204)),
    ),
}
# Land colour nearest the camera; farther layers fade towards the sky.
_LAND: dict[str, RGB] = {
    "day": (46, 84, 52),
    "dusk": (44, 30, 52),
    "night": (10, 14, 26),
    "overcast": (58, 70, 62),
}
_SCENES = ("city", "hills", "fields", "harbour")


def _lerp(a: RGB, b: RGB, t: float) -> RGB:
    """Blend two colours; the basic move of atmospheric perspective."""
    t = min(1.0, max(0.0, t))
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def _jitter(rng: random.Random, colour: RGB, amount: int) -> RGB:
    """Nudge a colour so that two pictures of the same mood still differ."""
    r, g, b = (c + rng.randint(-amount, amount) for c in colour)
    return (min(255, max(0, r)), min(255, max(0, g)), min(255, max(0, b)))


def _gradient(stops: Sequence[tuple[float, RGB]], width: int, height: int) -> Image.Image:
    """Paint a vertical gradient cheaply: one column, then a C-level resize."""
    column = Image.new("RGB", (1, height))
    pixels = []
    for y in range(height):
        t = y / max(1, height - 1)
        for (t0, c0), (t1, c1) in itertools.pairwise(stops):
            if t <= t1:
                pixels.append(_lerp(c0, c1, (t - t0) / max(1e-6, t1 - t0)))
                break
        else:
            pixels.append(stops[-1][1])
    column.putdata(pixels)
    return column.resize((width, height), Image.Resampling.NEAREST)


def _soft_mask(
    size: tuple[int, int],
    shapes: Sequence[tuple[float, float, float, float, int]],
    blur: float,
) -> Image.Image:
    """Draw ellipses on a quarter-size mask, blur and upscale it.

    Blurring at full resolution would blow the time budget; at a quarter of
    the size the result is indistinguishable for soft things like glow and
    clouds.
    """
    w, h = size
    small = Image.new("L", (max(1, w // 4), max(1, h // 4)), 0)
    draw = ImageDraw.Draw(small)
    for x0, y0, x1, y1, value in shapes:
        draw.ellipse((x0 / 4, y0 / 4, x1 / 4, y1 / 4), fill=value)
    small = small.filter(ImageFilter.GaussianBlur(blur / 4))
    return small.resize(size, Image.Resampling.BILINEAR)


def _ridge(
    rng: random.Random, width: int, base: float, amplitude: float, roughness: float
) -> list[tuple[float, float]]:
    """Return points along a hill line built from a few random sine waves."""
    waves = [
        (rng.uniform(0.5, 1.6) * (i + 1), rng.uniform(0, math.tau), 1 / (i + 1)) for i in range(4)
    ]
    points = []
    steps = 64
    for i in range(steps + 1):
        x = width * i / steps
        u = i / steps
        y = sum(amp * math.sin(freq * u * math.tau + phase) for freq, phase, amp in waves)
        y += rng.uniform(-roughness, roughness)
        points.append((x, base - amplitude * y / 1.9))
    return points


def _fill_below(
    draw: ImageDraw.ImageDraw,
    points: list[tuple[float, float]],
    bottom: int,
    colour: RGB,
) -> None:
    """Fill the area between a ridge line and the bottom of the frame."""
    draw.polygon([*points, (points[-1][0], bottom), (points[0][0], bottom)], fill=colour)


def _trees(
    draw: ImageDraw.ImageDraw,
    rng: random.Random,
    points: list[tuple[float, float]],
    colour: RGB,
    scale: float,
) -> None:
    """Scatter conifer silhouettes along a ridge to give it a sense of scale."""
    for x, y in points:
        if rng.random() < 0.45:
            continue
        for _ in range(rng.randint(1, 3)):
            tx = x + rng.uniform(-12, 12) * scale
            th = rng.uniform(18, 42) * scale
            tw = th * rng.uniform(0.3, 0.45)
            draw.polygon([(tx, y - th), (tx - tw, y + 2), (tx + tw, y + 2)], fill=colour)


def _skyline(
    draw: ImageDraw.ImageDraw,
    rng: random.Random,
    width: int,
    ground: int,
    colour: RGB,
    *,
    max_height: float,
    windows: RGB | None,
    lit: float,
) -> None:
    """Draw a row of buildings with occasional landmarks and lit windows."""
    x = -rng.uniform(0, 40)
    while x < width:
        bw = rng.uniform(0.035, 0.09) * width
        bh = rng.uniform(0.25, 1.0) * max_height
        top = ground - bh
        draw.rectangle((x, top, x + bw, ground), fill=colour)
        feature = rng.random()
        if feature < 0.08:  # domed church
            r = bw * 0.35
            cx = x + bw / 2
            draw.ellipse((cx - r, top - r, cx + r, top + r), fill=colour)
            draw.rectangle((cx - 1.5, top - r * 2.1, cx + 1.5, top - r), fill=colour)
        elif feature < 0.13:  # television tower
            cx = x + bw / 2
            draw.rectangle((cx - 3, top - max_height * 0.9, cx + 3, top), fill=colour)
            r = max(6.0, bw * 0.12)
            ty = top - max_height * 0.6
            draw.ellipse((cx - r, ty - r, cx + r, ty + r), fill=colour)
        elif feature < 0.3:  # rooftop detail
            draw.rectangle((x + bw * 0.2, top - bh * 0.08, x + bw * 0.45, top), fill=colour)
        if windows is not None:
            step_x = rng.choice((9.0, 11.0, 13.0))
            step_y = step_x * 1.35
            wy = top + step_y
            while wy < ground - step_y:
                wx = x + step_x * 0.6
                while wx < x + bw - step_x * 0.8:
                    if rng.random() < lit:
                        draw.rectangle(
                            (wx, wy, wx + step_x * 0.45, wy + step_y * 0.45),
                            fill=windows,
                        )
                    wx += step_x
                wy += step_y
        x += bw + rng.uniform(-bw * 0.2, bw * 0.15)


def _pylons(
    draw: ImageDraw.ImageDraw,
    rng: random.Random,
    width: int,
    ground: int,
    colour: RGB,
) -> None:
    """Draw a line of power pylons with sagging cables across the frame."""
    count = rng.randint(3, 5)
    spacing = width / (count - 0.5)
    height = rng.uniform(0.12, 0.2) * ground
    tops: list[tuple[float, float]] = []
    for i in range(count):
        px = spacing * (i + 0.25) + rng.uniform(-20, 20)
        scale = 0.7 + 0.3 * i / count
        h = height * scale
        base = ground + 6 * i
        w = h * 0.22
        line = max(2, round(3 * scale))
        draw.line((px - w, base, px, base - h), fill=colour, width=line)
        draw.line((px + w, base, px, base - h), fill=colour, width=line)
        draw.line(
            (px - w * 1.4, base - h * 0.72, px + w * 1.4, base - h * 0.72),
            fill=colour,
            width=line,
        )
        tops.append((px, base - h * 0.72))
    for (x0, y0), (x1, y1) in itertools.pairwise(tops):
        for offset in (-1, 1):
            pts = []
            for k in range(13):
                t = k / 12
                sag = math.sin(t * math.pi) * 22
                pts.append((x0 + (x1 - x0) * t + offset * 24, y0 + (y1 - y0) * t + sag))
            draw.line(pts, fill=colour, width=1)


def _ship(
    draw: ImageDraw.ImageDraw,
    rng: random.Random,
    width: int,
    height: int,
    waterline: int,
    land: RGB,
) -> None:
    """Draw a container ship: hull, stacked boxes and a bridge at the stern."""
    sw = rng.uniform(0.22, 0.38) * width
    sx = rng.uniform(-0.1, 0.9) * width - sw / 2
    sh = height * rng.uniform(0.03, 0.04)
    top = waterline - sh
    hull_colour = _lerp(land, rng.choice(((120, 30, 30), (30, 50, 90), (40, 40, 40))), 0.5)
    draw.polygon(
        [
            (sx, top),
            (sx + sw, top - sh * 0.2),
            (sx + sw * 0.95, waterline),
            (sx + sw * 0.05, waterline),
        ],
        fill=hull_colour,
    )
    box_w = sw * 0.055
    palette = ((40, 90, 150), (170, 70, 40), (60, 120, 80), (190, 150, 60))
    x = sx + sw * 0.06
    while x < sx + sw * 0.78:
        rows = rng.randint(1, 4)
        for row in range(rows):
            colour = _lerp(land, rng.choice(palette), 0.55)
            y1 = top - row * sh * 0.55
            draw.rectangle((x, y1 - sh * 0.5, x + box_w, y1 - 1), fill=colour)
        x += box_w + 2
    bx = sx + sw * 0.82
    draw.rectangle(
        (bx, top - sh * 2.6, bx + sw * 0.08, top),
        fill=_lerp(land, (230, 230, 230), 0.4),
    )


def _crane(
    draw: ImageDraw.ImageDraw,
    rng: random.Random,
    width: int,
    height: int,
    ground: int,
    colour: RGB,
) -> None:
    """Draw a ship-to-shore container crane: A-frame legs and a long boom."""
    cx = rng.uniform(0.05, 0.95) * width
    leg_h = height * rng.uniform(0.16, 0.24)
    span = leg_h * 0.45
    lx, rx = cx - span / 2, cx + span / 2
    top = ground - leg_h
    line = max(2, width // 400)
    for x in (lx, rx):
        draw.line((x, ground, x, top), fill=colour, width=line * 2)
    draw.line((lx, ground - leg_h * 0.45, rx, ground - leg_h * 0.45), fill=colour, width=line)
    draw.line((lx, ground - leg_h * 0.45, rx, top), fill=colour, width=line)
    reach = span * rng.uniform(2.2, 3.2)
    back = span * 0.9
    direction = rng.choice((-1, 1))
    x_far, x_back = cx + direction * reach, cx - direction * back
    draw.rectangle((min(x_far, x_back), top - line * 3, max(x_far, x_back), top), fill=colour)
    apex = (cx, top - leg_h * 0.35)
    draw.polygon([(lx, top), apex, (rx, top)], outline=colour, width=line)
    draw.line((apex, (x_far, top - line * 3)), fill=colour, width=line)
    draw.line((apex, (x_back, top - line * 3)), fill=colour, width=line)


def _reflect(image: Image.Image, water_top: int, water: RGB, strength: float) -> None:
    """Mirror the band above the waterline into the water, tinted and dimmed."""
    w, h = image.size
    depth = h - water_top
    band = image.crop((0, max(0, water_top - depth), w, water_top))
    band = band.transpose(Image.Transpose.FLIP_TOP_BOTTOM)
    band = band.resize((w, depth))
    tint = Image.new("RGB", (w, depth), water)
    image.paste(Image.blend(tint, band, strength), (0, water_top))


def _ripples(
    draw: ImageDraw.ImageDraw,
    rng: random.Random,
    width: int,
    top: int,
    bottom: int,
    colour: RGB,
) -> None:
    """Add short horizontal highlights so flat colour reads as water."""
    for _ in range(int(width * (bottom - top) / 5000)):
        y = rng.uniform(top + 2, bottom)
        depth = (y - top) / max(1, bottom - top)
        length = rng.uniform(8, 40) * (0.5 + depth * 2)
        x = rng.uniform(-20, width)
        draw.line((x, y, x + length, y), fill=colour, width=1 + int(depth * 2))


@functools.lru_cache(maxsize=8)
def _vignette(width: int, height: int, strength: float) -> Image.Image:
    """Build (and cache per size) the darkening mask for the frame's corners."""
    vignette = Image.radial_gradient("L").resize((width, height), Image.Resampling.BILINEAR)
    return vignette.point(lambda v: int(max(0, v - 90) * strength))


def _finish(image: Image.Image, rng: random.Random, strength: float) -> Image.Image:
    """Apply a vignette and faint grain, the two cues that say "photograph".

    The grain comes from ``rng.randbytes`` rather than Pillow's noise effect,
    which draws on C's global random state and would break reproducibility.
    """
    w, h = image.size
    image = Image.composite(Image.new("RGB", (w, h), (0, 0, 0)), image, _vignette(w, h, strength))
    small = (max(1, w // 2), max(1, h // 2))
    noise = Image.frombytes("L", small, rng.randbytes(small[0] * small[1])).resize((w, h))
    grain = Image.merge("RGB", (noise, noise, noise))
    return Image.blend(image, grain, 0.03)


def _encode(image: Image.Image, fmt: str, **options: int | bool) -> bytes:
    """Encode to bytes in memory; callers store them wherever they like."""
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _paint(rng: random.Random, width: int, height: int, mood: str) -> Image.Image:
    """Paint one scene and return it as an RGB image (shared by photo/poster)."""
    if mood not in MOODS:
        raise ValueError(f"unknown mood {mood!r}; expected one of {MOODS}")
    if width < 16 or height < 16:
        raise ValueError("pictures must be at least 16x16 pixels")
    scene = _SCENES[rng.randrange(len(_SCENES))]
    stops = [(t, _jitter(rng, c, 10)) for t, c in _SKIES[mood]]
    horizon = int(height * rng.uniform(0.56, 0.7))
    haze = stops[-1][1]
    image = Image.new("RGB", (width, height), haze)
    image.paste(_gradient(stops, width, horizon), (0, 0))
    land = _jitter(rng, _LAND[mood], 8)
    size = (width, height)

    # Sun or moon with a soft glow; hidden behind cloud when overcast.
    if mood != "overcast":
        cx = rng.uniform(0.15, 0.85) * width
        cy = horizon * (rng.uniform(0.2, 0.55) if mood != "dusk" else rng.uniform(0.6, 0.85))
        r = height * (0.045 if mood == "night" else 0.06)
        glow_colour: RGB = {
            "day": (255, 250, 225),
            "dusk": (255, 214, 150),
            "night": (200, 210, 235),
        }[mood]
        glow = _soft_mask(
            size,
            [
                (
                    cx - r * 5,
                    cy - r * 5,
                    cx + r * 5,
                    cy + r * 5,
                    110 if mood != "night" else 60,
                )
            ],
            r * 3,
        )
        image = Image.composite(Image.new("RGB", size, glow_colour), image, glow)
        draw = ImageDraw.Draw(image)
        disc = (cx - r, cy - r, cx + r, cy + r)
        draw.ellipse(disc, fill=glow_colour)
        if mood == "night":
            mare = _lerp(glow_colour, (120, 130, 160), 0.35)
            for _ in range(4):
                mx, my = (
                    cx + rng.uniform(-0.5, 0.4) * r,
                    cy + rng.uniform(-0.5, 0.4) * r,
                )
                mr = r * rng.uniform(0.12, 0.3)
                draw.ellipse((mx - mr, my - mr, mx + mr, my + mr), fill=mare)
            for _ in range(int(width * horizon / 5000)):
                sx, sy = rng.uniform(0, width), rng.uniform(0, horizon * 0.85)
                v = rng.randint(150, 255)
                if rng.random() < 0.25:
                    draw.rectangle((sx, sy, sx + 1, sy + 1), fill=(v, v, v))
                else:
                    draw.point((sx, sy), fill=(v, v, v))

    # Clouds: clusters of soft ellipses.
    if mood != "night":
        shapes: list[tuple[float, float, float, float, int]] = []
        clusters = rng.randint(3, 7) + (6 if mood == "overcast" else 0)
        for _ in range(clusters):
            cx = rng.uniform(-0.1, 1.1) * width
            cy = rng.uniform(0.05, 0.6) * horizon
            for _ in range(rng.randint(3, 6)):
                w = rng.uniform(0.06, 0.16) * width
                h = w * rng.uniform(0.25, 0.45)
                ox, oy = rng.uniform(-w, w), rng.uniform(-h * 0.4, h * 0.4)
                shapes.append(
                    (
                        cx + ox - w,
                        cy + oy - h,
                        cx + ox + w,
                        cy + oy + h,
                        rng.randint(120, 200),
                    )
                )
        cloud_colour: RGB = {
            "day": (250, 251, 253),
            "dusk": (255, 186, 160),
            "overcast": (214, 216, 220),
        }[mood]
        clouds = _soft_mask(size, shapes, height * 0.03)
        image = Image.composite(Image.new("RGB", size, cloud_colour), image, clouds)

    draw = ImageDraw.Draw(image)
    lit_windows = mood in ("dusk", "night")
    window_colour: RGB = (255, 206, 120) if lit_windows else _lerp(land, haze, 0.35)

    # Distant hills, always: they make every scene deeper.
    for depth in (0.82, 0.66):
        pts = _ridge(rng, width, horizon - height * 0.02, height * 0.07, 0.1)
        _fill_below(draw, pts, height, _lerp(land, haze, depth))

    water_top: int | None = None
    if scene == "city":
        far = _lerp(land, haze, 0.55)
        _skyline(
            draw,
            rng,
            width,
            horizon + 4,
            far,
            max_height=height * 0.22,
            windows=None,
            lit=0,
        )
        near = _lerp(land, haze, 0.18)
        ground = horizon + int(height * 0.06)
        _skyline(
            draw,
            rng,
            width,
            ground,
            near,
            max_height=height * 0.3,
            windows=window_colour,
            lit=0.45 if lit_windows else 0.6,
        )
        if rng.random() < 0.6:
            water_top = ground
        else:
            draw.rectangle((0, ground, width, height), fill=_lerp(land, haze, 0.1))
    elif scene == "hills":
        for i, depth in enumerate((0.5, 0.32, 0.14, 0.0)):
            base = horizon + height * (0.02 + 0.08 * i)
            pts = _ridge(rng, width, base, height * 0.09, 0.15)
            colour = _lerp(land, haze, depth)
            _fill_below(draw, pts, height, colour)
            if i >= 1:
                _trees(draw, rng, pts, _lerp(colour, (0, 0, 0), 0.25), 0.6 + 0.5 * i)
    elif scene == "fields":
        treeline = _ridge(rng, width, horizon + height * 0.02, height * 0.015, 0.3)
        _fill_below(draw, treeline, height, _lerp(land, haze, 0.3))
        _trees(draw, rng, treeline, _lerp(land, haze, 0.38), 0.7)
        top = horizon + int(height * 0.03)
        crops: tuple[RGB, RGB] = (
            _lerp((196, 164, 84), land, 0.35 if mood == "day" else 0.7),
            _lerp((104, 136, 64), land, 0.35 if mood == "day" else 0.7),
        )
        vx = rng.uniform(0.3, 0.7) * width
        stripes = rng.randint(7, 12)
        span = width * 3
        for i in range(stripes):
            x0 = -width + span * i / stripes
            x1 = -width + span * (i + 1) / stripes
            draw.polygon(
                [
                    (vx + (x0 - vx) * 0.08, top),
                    (vx + (x1 - vx) * 0.08, top),
                    (x1, height),
                    (x0, height),
                ],
                fill=crops[i % 2],
            )
        _pylons(draw, rng, width, top + int(height * 0.05), _lerp(land, (0, 0, 0), 0.5))
    else:  # harbour
        water_top = horizon + int(height * 0.05)
        town = _lerp(land, haze, 0.45)
        _skyline(
            draw,
            rng,
            width,
            water_top - int(height * 0.02),
            town,
            max_height=height * 0.08,
            windows=None,
            lit=0,
        )
        steel = _lerp((50, 56, 66), land, 0.45)
        quay_top = water_top - int(height * 0.025)
        draw.rectangle((0, quay_top, width, water_top), fill=steel)
        for _ in range(rng.randint(1, 3)):  # ships alongside the quay
            _ship(draw, rng, width, height, quay_top, land)
        for _ in range(rng.randint(2, 4)):  # ship-to-shore cranes
            _crane(draw, rng, width, height, quay_top, steel)

    if water_top is not None:
        water = _lerp(stops[-1][1], land, 0.45)
        _reflect(image, water_top, water, 0.45)
        draw = ImageDraw.Draw(image)
        _ripples(draw, rng, width, water_top, height, _lerp(water, haze, 0.6))

    return _finish(image, rng, 0.55 if mood != "night" else 0.35)


def photo(rng: random.Random, *, width: int = 1600, height: int = 900, mood: str = "day") -> bytes:
    """Return a JPEG of a generated landscape or cityscape.

    Scenes vary (city with or without river, layered hills, fields with power
    lines, harbour) and are lit by ``mood``: "day", "dusk", "night" or
    "overcast". Quality 82 keeps files realistic in size for media tests.
    """
    image = _paint(rng, width, height, mood)
    return _encode(image, "JPEG", quality=82)


def poster(rng: random.Random, *, width: int = 1280, height: int = 720) -> bytes:
    """Return a JPEG video poster: a photo darkened so player controls read."""
    mood = ("day", "dusk", "overcast", "dusk", "night")[rng.randrange(5)]
    image = _paint(rng, width, height, mood)
    shade = (
        _gradient(
            ((0.0, (30, 30, 30)), (0.6, (70, 70, 70)), (1.0, (150, 150, 150))),
            1,
            height,
        )
        .convert("L")
        .resize((width, height))
    )
    image = Image.composite(Image.new("RGB", (width, height), (0, 0, 0)), image, shade)
    return _encode(image, "JPEG", quality=82)


def _relative_luminance(colour: RGB) -> float:
    """WCAG relative luminance, used to keep white initials readable."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = colour
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def _initials(name: str) -> str:
    """Take up to two initials ("Mira Valen" -> "MV"), ignoring particles."""
    words = [w for w in name.replace("-", " ").split() if w[:1].isalpha()]
    capitals = [w for w in words if w[0].isupper()] or words
    if not capitals:
        return "?"
    letters = capitals[0][0] + (capitals[-1][0] if len(capitals) > 1 else "")
    return letters.upper()


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pillow's bundled scalable font: no files to ship, no network needed."""
    return ImageFont.load_default(size=size)


def avatar(name: str, rng: random.Random, *, size: int = 400) -> bytes:
    """Return a square PNG portrait placeholder with the person's initials.

    Initials say who a byline belongs to far better than a faceless
    silhouette, so they get the whole frame: white, bold, on a background
    darkened until the contrast is at least 7:1 (WCAG AAA). A soft diagonal
    light keeps the tile from looking flat.
    """
    if size < 32:
        raise ValueError("avatars must be at least 32 pixels wide")
    hue = rng.random()
    background = _hsv(hue, rng.uniform(0.45, 0.7), rng.uniform(0.35, 0.5))
    while 1.05 / (_relative_luminance(background) + 0.05) < 7:
        background = _lerp(background, (0, 0, 0), 0.1)
    image = Image.new("RGB", (size, size), background)
    draw = ImageDraw.Draw(image)
    light = _lerp(background, (255, 255, 255), 0.07)
    draw.polygon([(0, 0), (size, 0), (0, size)], fill=light)
    text = _initials(name)
    font = _font(int(size * 0.4))
    stroke = max(1, size // 100)
    draw.text(
        (size / 2, size / 2),
        text,
        font=font,
        fill=(255, 255, 255),
        anchor="mm",
        stroke_width=stroke,
        stroke_fill=(255, 255, 255),
    )
    return _encode(image, "PNG", optimize=True)


def _hsv(h: float, s: float, v: float) -> RGB:
    """Convert HSV in 0..1 to an RGB tuple; hue gives avatars their variety."""
    i = int(h * 6) % 6
    f = h * 6 - int(h * 6)
    p, q, t = v * (1 - s), v * (1 - f * s), v * (1 - (1 - f) * s)
    r, g, b = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)][i]
    return (round(r * 255), round(g * 255), round(b * 255))


def _parse_colour(colour: str) -> RGB:
    """Parse "#rrggbb" or "#rgb"; anything else is a programming error."""
    value = colour.removeprefix("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    if len(value) != 6 or any(c not in "0123456789abcdefABCDEF" for c in value):
        raise ValueError(f"expected a hex colour like '#111111', got {colour!r}")
    return (int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16))


def logo(text: str, *, colour: str = "#111111") -> bytes:
    """Return a 600x120 transparent PNG wordmark for ``text``.

    A solid square emblem with the initials sits left of the name, set as
    large as fits. The result needs no fonts beyond Pillow's own.
    """
    width, height = 600, 120
    rgb = _parse_colour(colour)
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    pad = 10
    side = height - 2 * pad
    draw.rectangle((pad, pad, pad + side, pad + side), fill=(*rgb, 255))
    emblem_ink = (255, 255, 255, 255) if _relative_luminance(rgb) < 0.4 else (0, 0, 0, 255)
    letters = _initials(text.removeprefix("The ").removeprefix("the "))
    draw.text(
        (pad + side / 2, pad + side / 2),
        letters,
        font=_font(int(side * 0.5)),
        fill=emblem_ink,
        anchor="mm",
        stroke_width=1,
        stroke_fill=emblem_ink,
    )
    draw.rectangle((pad, pad + side - 8, pad + side, pad + side), fill=(*rgb, 255))

    left = pad + side + 18
    available = width - left - pad
    words = text.split()
    best: tuple[int, list[str]] = (0, [text])
    options = [[text]]
    if len(words) > 1:
        # Only offer two-line splits that are reasonably balanced.
        for i in range(1, len(words)):
            first, second = " ".join(words[:i]), " ".join(words[i:])
            if min(len(first), len(second)) >= 0.5 * max(len(first), len(second)):
                options.append([first, second])
    for lines in options:
        size = 12
        while size < 90:
            font = _font(size + 2)
            widths = [draw.textlength(line, font=font) for line in lines]
            line_height = (size + 2) * 1.15
            if max(widths) > available or line_height * len(lines) > side:
                break
            size += 2
        if size > best[0]:
            best = (size, lines)
    size, lines = best
    font = _font(size)
    line_height = size * 1.15
    top = height / 2 - line_height * len(lines) / 2 + line_height / 2
    for i, line in enumerate(lines):
        draw.text(
            (left, top + i * line_height),
            line,
            font=font,
            fill=(*rgb, 255),
            anchor="lm",
            stroke_width=1,
            stroke_fill=(*rgb, 255),
        )
    return _encode(image, "PNG", optimize=True)
