def organization(request):
    org = getattr(request, "organization", None)
    return {"organization": org if org else None}
