"""Setup guides for identity providers: docs/idp/<name>.md rendered as pages of the site.

The guides are public documentation (no login needed): an admin setting up their IdP follows one
while the IdP's console is open in another tab. The Markdown files stay the single source, readable
on their own in the repository; links between them (`okta.md`) become links between the pages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import markdown
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET
from markdown.extensions import Extension


@dataclass(frozen=True)
class Guide:
    slug: str
    title: str


# The allow-list of guides: a URL names one of these, never a file path.
GUIDES = (
    Guide("okta", "Okta"),
    Guide("entra-id", "Microsoft Entra ID"),
    Guide("onelogin", "OneLogin"),
    Guide("jumpcloud", "JumpCloud"),
    Guide("generic", "Any other SCIM 2.0 client"),
)
_BY_SLUG = {guide.slug: guide for guide in GUIDES}
_MD_LINK = re.compile(r'href="(?P<slug>[a-z-]+)\.md(?P<anchor>#[^"]*)?"')


class _EscapeRawHtml(Extension):
    """Raw HTML in a guide is text, not markup: "not 'Bearer <token>'" must read as written, not
    lose "<token>" as an unknown tag. (Code spans and blocks were always escaped.)"""

    def extendMarkdown(self, md) -> None:  # noqa: N802 - Markdown's API
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")


def guide_dir() -> Path:
    return Path(settings.BASE_DIR) / "docs" / "idp"


def render_guide(slug: str) -> str:
    """The guide's HTML. Links to sibling guides (`generic.md#anchor`) point at their pages."""
    text = (guide_dir() / f"{slug}.md").read_text(encoding="utf-8")
    html = markdown.markdown(
        text,
        extensions=["tables", "fenced_code", "toc", "sane_lists", _EscapeRawHtml()],
        output_format="html",
    )

    def link(match: re.Match) -> str:
        if match["slug"] not in _BY_SLUG:
            return match.group(0)
        return f'href="{reverse("guides:detail", args=[match["slug"]])}{match["anchor"] or ""}"'

    return _MD_LINK.sub(link, html)


def _title(html: str, fallback: str) -> str:
    match = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S)
    return re.sub(r"<[^>]+>", "", match.group(1)).strip() if match else fallback


@require_GET
def guide_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "integrations/guide_list.html",
        {"guides": GUIDES, "integrations_url": _integrations_url(request)},
    )


@require_GET
def guide_detail(request: HttpRequest, slug: str) -> HttpResponse:
    guide = _BY_SLUG.get(slug)
    if guide is None:
        raise Http404("No such guide.")
    html = render_guide(slug)
    # The files are ours (docs/idp in this repository) and their raw HTML is escaped.
    return render(
        request,
        "integrations/guide_detail.html",
        {
            "guide": guide,
            "guides": GUIDES,
            "title": _title(html, guide.title),
            "body": mark_safe(html),
            "integrations_url": _integrations_url(request),
        },
    )


def _integrations_url(request: HttpRequest) -> str:
    """Where a logged-in admin goes back to from a guide: their organization's Integrations page
    (their organizations' list when they administer several). Empty for anyone else: the guides
    are public pages."""
    from organizations.selectors import organization_list_administered

    if not request.user.is_authenticated:
        return ""
    organizations = list(organization_list_administered(user=request.user)[:2])
    if not organizations:
        return ""
    if len(organizations) == 1:
        return reverse("integrations:list", args=[organizations[0].slug])
    return reverse("home")
