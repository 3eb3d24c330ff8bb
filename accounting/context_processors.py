from django.utils.functional import SimpleLazyObject


def organization(request):
    org = getattr(request, "organization", None)
    org = org if org else None

    def nav():
        from accounting.navigation import record_links

        match = getattr(request, "resolver_match", None)
        return record_links(org, match.view_name if match else "")

    # Lazy: only pages that show the menu pay for its queries (one `exists` per record type).
    return {"organization": org, "nav_records": SimpleLazyObject(nav)}
