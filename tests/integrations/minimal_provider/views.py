from django.shortcuts import render

from integrations.viewkit import member_required


@member_required
def settings_page(request):
    return render(request, "minimalbooks/settings.html", {})
