#!/usr/bin/env python3
"""Draws autodbaudit.ico (16, 32, 48 and 64 px): a database cylinder with a check mark on a
navy shield-blue tile. Pure standard library, so that anyone can regenerate the icon."""
import struct

NAVY = (0x1F, 0x3A, 0x68)
WHITE = (0xF4, 0xF6, 0xFA)
EDGE = (0x9A, 0xA8, 0xC0)
GREEN = (0x2E, 0xB8, 0x5C)


def pixel(x, y, n):
    """Colour (r, g, b, a) of pixel (x, y) in an n x n icon, from shapes in unit coordinates."""
    u, v = (x + 0.5) / n, (y + 0.5) / n
    # Rounded tile.
    r = 0.18
    cx, cy = min(max(u, r), 1 - r), min(max(v, r), 1 - r)
    if (u - cx) ** 2 + (v - cy) ** 2 > r * r:
        return (0, 0, 0, 0)
    colour = NAVY
    # Cylinder: body rectangle plus elliptical top and bottom.
    left, right, top, bottom, ry = 0.26, 0.74, 0.24, 0.76, 0.08
    mx, rx = (left + right) / 2, (right - left) / 2
    in_body = left <= u <= right and top <= v <= bottom
    in_bottom = ((u - mx) / rx) ** 2 + ((v - bottom) / ry) ** 2 <= 1
    in_top = ((u - mx) / rx) ** 2 + ((v - top) / ry) ** 2 <= 1
    if in_body or in_bottom or in_top:
        colour = WHITE
        for ring in (top, top + 0.18, top + 0.36):
            d = ((u - mx) / rx) ** 2 + ((v - ring) / ry) ** 2
            if abs(d - 1) < 0.22 and (v >= ring or ring == top):
                colour = EDGE
    # Check mark: two thick strokes.
    def near(ax, ay, bx, by, w):
        dx, dy = bx - ax, by - ay
        t = max(0, min(1, ((u - ax) * dx + (v - ay) * dy) / (dx * dx + dy * dy)))
        return (u - ax - t * dx) ** 2 + (v - ay - t * dy) ** 2 <= w * w
    if near(0.50, 0.66, 0.62, 0.78, 0.055) or near(0.62, 0.78, 0.86, 0.50, 0.055):
        colour = GREEN
    return colour + (255,)


def image(n):
    """A BMP-format icon image: BITMAPINFOHEADER, bottom-up BGRA pixels, AND mask."""
    header = struct.pack("<IiiHHIIiiII", 40, n, 2 * n, 1, 32, 0, 0, 0, 0, 0, 0)
    rows = []
    for y in reversed(range(n)):
        rows.append(b"".join(struct.pack("BBBB", b, g, r, a) for r, g, b, a in (pixel(x, y, n) for x in range(n))))
    mask_row = b"\0" * (((n + 31) // 32) * 4)
    return header + b"".join(rows) + mask_row * n


def ico(sizes):
    images = [image(n) for n in sizes]
    out = struct.pack("<HHH", 0, 1, len(sizes))
    offset = 6 + 16 * len(sizes)
    for n, data in zip(sizes, images):
        out += struct.pack("<BBBBHHII", n % 256, n % 256, 0, 0, 1, 32, len(data), offset)
        offset += len(data)
    return out + b"".join(images)


if __name__ == "__main__":
    with open("autodbaudit.ico", "wb") as f:
        f.write(ico([16, 32, 48, 64]))
