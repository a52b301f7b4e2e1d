from django.shortcuts import render

from frontend import selectors


def home(request):
    """Public."""
    return render(request, "frontend/home.html", {"regions": selectors.region_summaries()})


def platform_list(request):
    """Public: platforms are public facts; no personal data on this page."""
    return render(request, "frontend/platform_list.html", {"platforms": selectors.platforms()})
