"""Draws bench.py's results as one SVG (no plotting library needed): throughput per row, each row scaled to its own
fastest system, peak memory per system on the small and the large file, and small jobs' latency beside a big one."""
from xml.sax.saxutils import escape

COLOURS = {"streaming": "#2f6fdf", "cluster": "#8a4fc7", "pool": "#e07b28", "parallel": "#7a7a7a", "limit": "#3aa05a",
           "celery": "#a0522d", "streaming-jit": "#8fb3f0", "compose": "#1f9e9e",
           "ceiling": "#c0392b", "ceiling-zstd": "#e08a80", "ceiling-lz4": "#f0b8b0"}
LABELS = {"streaming": "Streaming", "cluster": "3-node cluster", "pool": "Pool.imap", "parallel": "GNU parallel",
          "limit": "in-process limit", "celery": "Celery",
          "streaming-jit": "dotnet Producer.dll", "compose": "Docker Compose", "ceiling": "broker ceiling",
          "ceiling-zstd": "ceiling, zstd", "ceiling-lz4": "ceiling, LZ4"}
BAR, GAP, LEFT, WIDTH = 16, 12, 120, 520


def _text(x, y, s, size=12, anchor="start", weight="normal"):
    return (f'<text x="{x}" y="{y}" font-size="{size}" text-anchor="{anchor}" font-weight="{weight}" '
            f'font-family="sans-serif">{escape(s)}</text>')


def _bars(parts, y, groups, unit):
    """groups: [(title, [(system, value, note)])]; each group scaled to its own largest value, its title above it."""
    for title, bars in groups:
        parts.append(_text(10, y + 12, title, weight="bold"))
        y += 18
        top = max(v for _, v, _ in bars) or 1
        for system, value, note in bars:
            length = max(1, WIDTH * value / top)
            parts.append(_text(LEFT - 6, y + BAR - 4, LABELS[system], size=11, anchor="end"))
            parts.append(f'<rect x="{LEFT}" y="{y}" width="{length:.1f}" height="{BAR}" fill="{COLOURS[system]}"/>')
            parts.append(_text(LEFT + length + 4, y + BAR - 4, f"{value:,.0f} {unit}{note}", size=11))
            y += BAR + 2
        y += GAP
    return y


def _note(record: dict) -> str:
    if "ratio_to_single_node" in record:
        return f"  ({record['ratio_to_single_node']:.2f}x one node)"
    if record["system"] != "streaming":
        return ""
    if "ideal_lines_per_s" in record:
        return f"  ({record['lines_per_s'] / record['ideal_lines_per_s']:.0%} of ideal)"
    note = f"  ({record['ratio_to_pool']:.2f}x Pool.imap" if "ratio_to_pool" in record else ""
    if "share_of_ceiling" in record:
        note = (note + ", " if note else "  (") + f"{record['share_of_ceiling']:.0%} of ceiling"
    return note + ")" if note else ""


def write_chart(document: dict, path: str) -> None:
    records = document["results"]
    rows = list(dict.fromkeys(r["row"] for r in records))
    parts = []
    y = 50
    parts.append(_text(10, 24, "Streaming vs Pool.imap, GNU parallel, Celery and the in-process limit "
                               f"({document['machine']['cores']} cores, broker on the same machine)", size=15, weight="bold"))
    throughput = []
    for row in rows:
        members = [r for r in records if r["row"] == row]
        processor = members[0]["processor"]
        title = f"{row}: {processor}, {members[0]['lines']:,} lines"
        if "ideal_lines_per_s" in members[0]:
            title += f" (ideal {members[0]['ideal_lines_per_s']:,.0f} lines/s)"
        throughput.append((title, [(r["system"], r["lines_per_s"], _note(r)) for r in members]))
    parts.append(_text(10, y - 8, "lines per second (higher is better; each row scaled to its fastest)", size=13))
    y = _bars(parts, y, throughput, "lines/s")

    memory_rows = [row for row in rows if row.startswith("identity-")]
    if memory_rows:
        y += 20
        parts.append(_text(10, y - 8, "peak RSS in MB (lower is better; Streaming: the producer)", size=13))
        groups = []
        for row in memory_rows:
            members = [r for r in records if r["row"] == row]
            groups.append((f"{row}: {members[0]['input_mb']:,.0f} MB", [(r["system"], r["peak_rss_mb"], "") for r in members]))
        y = _bars(parts, y, groups, "MB")

    hol = document.get("head_of_line")
    if hol:
        y += 20
        parts.append(_text(10, y - 8, "head-of-line: a small job's time beside a big file (lower is better; ms)", size=13))
        groups = [(f"{hol['small_lines']}-line files beside {hol['big_lines']:,} lines, {hol['processor']}: {label}",
                   [("streaming", hol[way]["p50_ms"], "  p50"), ("streaming", hol[way]["p95_ms"], "  p95")])
                  for way, label in (("watch", "through watch, beyond the quiet period"),
                                     ("publish", "publish --wait, publish to written"))
                  if hol[way]["p50_ms"] is not None]
        y = _bars(parts, y, groups, "ms")

    legend_x = 10
    for system, colour in COLOURS.items():
        parts.append(f'<rect x="{legend_x}" y="{y + 6}" width="12" height="12" fill="{colour}"/>')
        parts.append(_text(legend_x + 16, y + 17, LABELS[system]))
        legend_x += 128
    height = y + 30
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{LEFT + WIDTH + 260}" height="{height}" '
           f'viewBox="0 0 {LEFT + WIDTH + 260} {height}">'
           f'<rect width="100%" height="100%" fill="white"/>' + "".join(parts) + "</svg>\n")
    with open(path, "w") as f:
        f.write(svg)


if __name__ == "__main__":
    # Redraws a results file: python3 bench/chart.py bench/results/latest.json
    import json
    import sys
    source = sys.argv[1]
    with open(source) as f:
        write_chart(json.load(f), source.removesuffix(".json") + ".svg")
