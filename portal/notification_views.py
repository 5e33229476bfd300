"""Pages of in-app notifications: the list with mark-read, and the menu count fragment."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from portal.http import request_user
from portal.live import live_fragment
from portal.notifications import notifications_mark_read
from portal.selectors import notification_for_user, notifications_for_user

PAGE_SIZE = 50


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    """The signed-in person's notices, newest first, 50 a page."""
    notices = notifications_for_user(user=request_user(request))
    page = Paginator(notices, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "portal/notification_list.html",
                  {"page": page, "any_unread": any(n.read_at is None for n in page)})


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Mark one notice read (someone else's is a 404)."""
    notice = notification_for_user(user=request_user(request), pk=pk)
    notifications_mark_read(user=request_user(request), pks=[notice.pk], http_request=request)
    return redirect("notification_list")


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponseBase:
    changed = notifications_mark_read(user=request_user(request), http_request=request)
    messages.info(request, f"{changed} notification(s) marked read." if changed
                  else "Nothing was unread.")
    return redirect("notification_list")


@live_fragment
def notification_badge(request: HttpRequest) -> HttpResponse:
    """The menu count alone, for the menu to refresh itself."""
    return render(request, "portal/_menu_count.html")
