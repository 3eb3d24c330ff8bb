"""What an organization sees first: the menu and the home page follow what it does, decided by
its data, never by its name or kind.

A record page is in the menu when the organization keeps records of that type (a dealer has
contracts and cars, a builder projects and payslips); customers are everyone's. An organization
with no records yet sees every page, so it can start anywhere. Providers add their own entries
(`Provider.nav`, through `{% provider_nav %}`); the generic Integrations page is shown when a
provider the organization uses (or could use, having none yet) is connected there rather than
on its own settings page.

`accounting` imports nothing of ours, so the parts that know about integrations (what needs
attention, which providers are in use) are looked up through `HOME_SECTIONS`, filled by apps
that have something to say (see `register_home_section`).
"""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

from accounting.recordpages import registered_pages

# Record pages everyone gets, whatever their data (a customer is everyone's).
ALWAYS = {"customer"}


@dataclass(frozen=True)
class NavLink:
    label: str
    url: str
    current: bool = False


def record_links(organization, current_url_name="") -> list[NavLink]:
    """`current_url_name` ("contracts:contract_edit") marks the page's own entry."""
    pages = registered_pages()
    if organization is None:
        return []
    kept = {}
    for page in pages:
        model = page.model
        rows = (model.objects.for_org(organization) if hasattr(model.objects, "for_org")
                else model.objects.none())
        kept[page.name] = page.name in ALWAYS or rows.exists()
    if not any(kept[p.name] for p in pages if p.name not in ALWAYS):
        kept = dict.fromkeys(kept, True)  # nothing yet: every page, to start anywhere
    links = []
    for page in pages:
        if not kept[page.name]:
            continue
        try:
            current = current_url_name.startswith(f"{page.namespace}:{page.name}_")
            links.append(NavLink(str(page.title), reverse(page.list_url_name), current))
        except NoReverseMatch:
            continue
    return links


# Functions (request) -> dict | None, each a section of the home page:
# {"title", "items": [{"text", "url", "detail"}], "empty": text shown when nothing is there}.
HOME_SECTIONS = []


def register_home_section(function):
    HOME_SECTIONS.append(function)
    return function


def home_sections(request):
    sections = []
    for function in HOME_SECTIONS:
        section = function(request)
        if section is not None:
            sections.append(section)
    return sections
