"""``babyskin eval FILE --html report.html``: the evaluation as one self-contained HTML page.

The page has the summary figures, a confusion table by condition (what each expected diagnosis was
answered as), the triage matrix (expected level against answered level), a reliability plot (the
lead's probability against how often it was right, drawn with matplotlib as inline SVG) and the
failing cases. matplotlib is imported here only, so the CLI starts without it.
"""

from __future__ import annotations

import io
from collections import Counter, defaultdict
from html import escape
from pathlib import Path

from babyskin.evaluation import Report
from babyskin.models import TriageLevel

_STYLE = """body{font-family:system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #bbb;padding:.25rem .5rem;
text-align:left}th{background:#eee}.bad{background:#fdd}.ok{background:#dfd}"""


def reliability_svg(report: Report) -> str:
    """The reliability plot as SVG text (the diagonal is perfect calibration)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    rows = report.reliability()
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfectly calibrated")
    if rows:
        ax.plot([r["mean_probability"] for r in rows], [r["accuracy"] for r in rows], marker="o",
                label="babyskin")
        for r in rows:
            ax.annotate(str(r["n"]), (r["mean_probability"], r["accuracy"]), textcoords="offset points",
                        xytext=(4, -10), fontsize=8)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("probability of the leading diagnosis")
    ax.set_ylabel("share where the lead was right")
    ax.legend(loc="upper left", fontsize=8)
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def _table(head: list[str], rows: list[list[str]], classes: list[str] | None = None) -> str:
    out = ["<table><tr>" + "".join(f"<th>{escape(h)}</th>" for h in head) + "</tr>"]
    for i, row in enumerate(rows):
        cls = f' class="{classes[i]}"' if classes and classes[i] else ""
        out.append(f"<tr{cls}>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>")
    return "".join(out) + "</table>"


def render_html(report: Report, title: str = "babyskin eval") -> str:
    summary = report.summary()
    figures = [[k, f"{v:.1%}" if isinstance(v, float) and k != "brier" else str(v)]
               for k, v in summary.items()
               if k in ("n", "top1", "top3", "triage_exact", "under_triage", "over_triage", "brier",
                        "questions_median", "questions_p90")]
    by_expected: dict[str, Counter[str]] = defaultdict(Counter)
    for o in report.outcomes:
        by_expected[o.case.expected.diagnosis][o.ranked[0] if o.ranked else "-"] += 1
    confusion = []
    for cid, answered in sorted(by_expected.items()):
        n = sum(answered.values())
        right = sum(k for a, k in answered.items() if a == cid)
        wrong = ", ".join(f"{a} ({k})" for a, k in answered.most_common() if a != cid) or "-"
        confusion.append([cid, str(n), str(right), f"{right / n:.0%}", wrong])
    levels = list(TriageLevel)
    matrix = Counter((o.case.expected.triage, o.triage) for o in report.outcomes)
    triage_rows = [[f"expected {e}"] + [str(matrix[(e, a)]) for a in levels] for e in levels]
    failures = [o for o in report.outcomes if not o.top1 or o.triage != o.case.expected.triage]
    fail_rows = [[o.case.id, o.case.expected.diagnosis, ", ".join(o.ranked[:3]),
                  ", ".join(o.must_not_miss) or "-", f"{o.case.expected.triage} -> {o.triage}"]
                 for o in failures]
    fail_classes = ["bad" if o.under else "" for o in failures]
    notes = "".join(f"<p>{escape(n)}</p>" for n in (summary.get("notes") or ()))
    warning = f'<p class="bad">{escape(summary["warning"])}</p>' if "warning" in summary else ""
    return "".join([
        f"<!doctype html><html lang=en><meta charset=utf-8><title>{escape(title)}</title>",
        f"<style>{_STYLE}</style><h1>{escape(title)}</h1><p>Mode: {escape(report.mode)}</p>",
        warning, notes, "<h2>Summary</h2>", _table(["metric", "value"], figures),
        "<h2>Confusion by condition</h2><p>Each expected diagnosis and what was answered first.</p>",
        _table(["expected", "cases", "right first", "share", "answered instead"], confusion),
        "<h2>Triage matrix</h2><p>Rows: expected level; columns: answered level. Above the diagonal"
        " is over-triage, below it under-triage.</p>",
        _table(["", *[f"answered {a}" for a in levels]], triage_rows),
        "<h2>Reliability</h2>", reliability_svg(report),
        _table(["lead's probability", "cases", "mean probability", "lead right"],
               [[r["bin"], str(r["n"]), f"{r['mean_probability']:.0%}", f"{r['accuracy']:.0%}"]
                for r in report.reliability()]),
        f"<h2>Failing cases ({len(failures)})</h2>",
        _table(["case", "expected", "answered (top 3)", "must not miss", "triage expected -> answered"],
               fail_rows, fail_classes) if failures else "<p>None.</p>",
        "</html>",
    ])


def write_html(report: Report, path: Path, title: str = "babyskin eval") -> None:
    Path(path).write_text(render_html(report, title), encoding="utf-8")
