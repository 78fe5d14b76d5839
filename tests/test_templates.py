"""Template source checks that no page test would catch everywhere."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_no_template_comment_spans_lines():
    # Django's {# ... #} ends at the line's end: one that goes on to the next line is printed on
    # the page, as the Copy field's comment once was on the integration page.
    templates = [p for p in ROOT.rglob("*.html") if ".venv" not in p.parts and "node_modules" not in p.parts]
    assert len(templates) > 20
    open_comments = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in templates
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if line.count("{#") > line.count("#}")
    ]
    assert open_comments == []
