#!/usr/bin/env python3
"""Draws the installer app's logos with the standard library only (zlib + struct), so anyone can rebuild them.

    python3 installer-app/tools/draw_logos.py            # writes installer-app/assets/logo.png and logo-small.png

Zendesk's asset rules (developer.zendesk.com, "Create assets"): logo.png is a 320x320 PNG with square corners
(Zendesk rounds them itself); logo-small.png is the small icon, a PNG-24 with transparency (128x128 here).
The picture is a calendar page with a check mark: calendar and task items turned into tickets.
Pixel output is deterministic; each pixel is the average of a 4x4 grid of samples (anti-aliased edges).
"""

import math
import os
import struct
import sys
import zlib

BLUE = (31, 115, 183)        # Zendesk Garden blue-600
NAVY = (20, 74, 117)         # Garden blue-800: the calendar's header band
WHITE = (255, 255, 255)
GREEN = (3, 129, 83)         # Garden green-600: the check mark
SAMPLES = 4


def rounded_rect(x, y, left, top, right, bottom, radius):
    """True when (x, y) lies inside the rectangle with rounded corners."""
    cx = min(max(x, left + radius), right - radius)
    cy = min(max(y, top + radius), bottom - radius)
    return (x - cx) ** 2 + (y - cy) ** 2 <= radius * radius and left <= x <= right and top <= y <= bottom


def capsule(x, y, ax, ay, bx, by, radius):
    """True when (x, y) is within radius of the segment a-b (a stroke with round caps)."""
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)))
    px, py = ax + t * dx, ay + t * dy
    return (x - px) ** 2 + (y - py) ** 2 <= radius * radius


def shade(x, y, rounded_background):
    """Colour (r, g, b, a) of the picture at (x, y) in the unit square, topmost shape first."""
    body = rounded_rect(x, y, 0.22, 0.27, 0.78, 0.80, 0.06)
    if body and (capsule(x, y, 0.36, 0.60, 0.46, 0.70, 0.04) or capsule(x, y, 0.46, 0.70, 0.65, 0.50, 0.04)):
        return GREEN + (255,)
    if capsule(x, y, 0.37, 0.20, 0.37, 0.33, 0.035) or capsule(x, y, 0.63, 0.20, 0.63, 0.33, 0.035):
        return WHITE + (255,)
    if body:
        return (NAVY if y <= 0.41 else WHITE) + (255,)
    if not rounded_background or rounded_rect(x, y, 0.0, 0.0, 1.0, 1.0, 0.2):
        return BLUE + (255,)
    return (0, 0, 0, 0)


def render(size, rounded_background):
    rows = []
    step = 1.0 / (size * SAMPLES)
    for py in range(size):
        row = bytearray([0])  # PNG filter type 0 (None) for every row
        for px in range(size):
            r = g = b = a = 0
            for sy in range(SAMPLES):
                y = (py * SAMPLES + sy + 0.5) * step
                for sx in range(SAMPLES):
                    x = (px * SAMPLES + sx + 0.5) * step
                    cr, cg, cb, ca = shade(x, y, rounded_background)
                    r += cr * ca
                    g += cg * ca
                    b += cb * ca
                    a += ca
            n = SAMPLES * SAMPLES
            if a == 0:
                row += bytes(4)
            else:
                # Average premultiplied colour, then un-premultiply: edges keep their colour, only alpha fades.
                row += bytes([round(r / a), round(g / a), round(b / a), round(a / n)])
        rows.append(bytes(row))
    return rows


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def write_png(path, size, rows):
    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA, deflate, no interlace
    data = zlib.compress(b"".join(rows), 9)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(png_chunk(b"IHDR", header))
        f.write(png_chunk(b"IDAT", data))
        f.write(png_chunk(b"IEND", b""))


def main():
    assets = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "assets")
    os.makedirs(assets, exist_ok=True)
    for name, size, rounded in (("logo.png", 320, False), ("logo-small.png", 128, True)):
        path = os.path.normpath(os.path.join(assets, name))
        write_png(path, size, render(size, rounded))
        print(f"wrote {path} ({size}x{size})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
