from django.urls import path

from . import views

app_name = "publishing"

urlpatterns = [
    path("tag/<slug:slug>/", views.tag_page, name="tag"),
    path("author/<slug:slug>/", views.author_page, name="author"),
    path("news-feed/", views.news_feed, name="news_feed"),
    path("search/", views.search, name="search"),
]
