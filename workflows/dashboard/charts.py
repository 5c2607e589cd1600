"""Server-drawn SVG charts: no JavaScript, no CDN, readable on a phone and in print.

Each chart scales to its container (viewBox, no fixed width), labels every bar with its number (so
colour is never the only carrier of meaning) and carries a <title>/<desc>; the same numbers are in
the accessible table next to it (`exports.Table`), so the SVG itself is `aria-hidden` for screen
readers that would otherwise read coordinates.
"""

from django.utils.html import escape
from django.utils.safestring import mark_safe

WIDTH = 640
LABEL_WIDTH = 190
ROW_HEIGHT = 26
BAR_HEIGHT = 16
# Distinguishable in greyscale print too; series 2 is also hatched.
COLOURS = ("#2e6da4", "#c0392b", "#7f8c8d")


def _number(value):
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def _svg(height, title, body):
    return mark_safe(  # noqa: S308 - every text node below is escaped
        f'<svg class="dashboard-chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-hidden="true" '
        f'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>"
        '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" fill="#c0392b"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#fff" stroke-width="2"/></pattern></defs>'
        f"{body}</svg>"
    )


def _truncate(label, limit=14):
    label = str(label)
    return label if len(label) <= limit else label[: limit - 1] + "…"


def bar_chart(title, items, *, value_format=_number):
    """Horizontal bars: `items` is a list of (label, value) with numeric or None values."""
    items = list(items)
    if not items:
        return _svg(30, title, '<text x="0" y="20" font-size="14">—</text>')
    peak = max((float(value or 0) for _label, value in items), default=0) or 1
    span = WIDTH - LABEL_WIDTH - 60
    parts = []
    for index, (label, value) in enumerate(items):
        y = 6 + index * ROW_HEIGHT
        length = span * float(value or 0) / peak
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 13}" text-anchor="end" font-size="13">'
            f"{escape(_truncate(label))}</text>"
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length:.1f}" height="{BAR_HEIGHT}" '
            f'fill="{COLOURS[0]}"/>'
            f'<text x="{LABEL_WIDTH + length + 6:.1f}" y="{y + 13}" font-size="13">'
            f"{escape(value_format(value))}</text>"
        )
    return _svg(12 + len(items) * ROW_HEIGHT, title, "".join(parts))


def paired_bar_chart(title, groups, series, *, value_format=_number):
    """Two bars per group: `groups` is a list of (label, (value_a, value_b)); `series` two names."""
    groups = list(groups)
    values = [float(v) for _label, pair in groups for v in pair if v is not None]
    peak = max(values, default=0) or 1
    span = WIDTH - LABEL_WIDTH - 70
    group_height = 2 * BAR_HEIGHT + 14
    legend = (
        f'<rect x="{LABEL_WIDTH}" y="4" width="12" height="12" fill="{COLOURS[0]}"/>'
        f'<text x="{LABEL_WIDTH + 16}" y="14" font-size="12">{escape(series[0])}</text>'
        f'<rect x="{LABEL_WIDTH + 120}" y="4" width="12" height="12" fill="url(#hatch)"/>'
        f'<text x="{LABEL_WIDTH + 136}" y="14" font-size="12">{escape(series[1])}</text>'
    )
    parts = [legend]
    for index, (label, pair) in enumerate(groups):
        top = 24 + index * group_height
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{top + BAR_HEIGHT + 4}" text-anchor="end" font-size="13">'
            f"{escape(_truncate(label))}</text>"
        )
        for offset, (value, fill) in enumerate(zip(pair, (COLOURS[0], "url(#hatch)"), strict=True)):
            y = top + offset * (BAR_HEIGHT + 2)
            length = span * float(value or 0) / peak
            parts.append(
                f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length:.1f}" height="{BAR_HEIGHT}" fill="{fill}"/>'
                f'<text x="{LABEL_WIDTH + length + 6:.1f}" y="{y + 13}" font-size="12">'
                f"{escape(value_format(value))}</text>"
            )
    return _svg(28 + len(groups) * group_height, title, "".join(parts))


def line_chart(title, labels, series, names):
    """Daily lines: `labels` the x labels, `series` lists of numbers (same length), `names` their names."""
    height, left, bottom, top = 220, 40, 30, 24
    count = len(labels)
    peak = max((max(values, default=0) for values in series), default=0) or 1
    inner_w, inner_h = WIDTH - left - 10, height - top - bottom

    def x(index):
        return left + (inner_w * index / max(count - 1, 1))

    def y(value):
        return top + inner_h - inner_h * value / peak

    parts = [
        f'<line x1="{left}" y1="{top + inner_h}" x2="{WIDTH - 10}" y2="{top + inner_h}" stroke="#999"/>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" font-size="11">{peak}</text>',
        f'<text x="{left - 6}" y="{top + inner_h}" text-anchor="end" font-size="11">0</text>',
    ]
    if labels:
        parts.append(f'<text x="{left}" y="{height - 8}" font-size="11">{escape(labels[0])}</text>')
        parts.append(
            f'<text x="{WIDTH - 10}" y="{height - 8}" text-anchor="end" font-size="11">'
            f"{escape(labels[-1])}</text>"
        )
    dashes = ("", ' stroke-dasharray="6 3"')
    for index, (values, name) in enumerate(zip(series, names, strict=True)):
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        colour = COLOURS[index % len(COLOURS)]
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"{dashes[index % 2]}/>'
            f'<rect x="{left + 10 + index * 110}" y="4" width="12" height="4" fill="{colour}"/>'
            f'<text x="{left + 26 + index * 110}" y="10" font-size="12">{escape(name)}</text>'
        )
    return _svg(height, title, "".join(parts))
