"""Newsletter pages readers see; ``/unsubscribe/`` is Ghost's path, so its links keep working."""

from django.urls import path

from . import views

app_name = "newsletters"

urlpatterns = [
    path("newsletters/", views.index, name="index"),
    path("newsletters/manage/", views.manage, name="manage"),
    path("unsubscribe/", views.unsubscribe, name="unsubscribe"),
    path("email/<uuid:send_uuid>/", views.view_in_browser, name="view_in_browser"),
]
