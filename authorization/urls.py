from django.urls import path

from authorization import views

app_name = "authorization"

urlpatterns = [
    path("authorize", views.authorize, name="authorize"),
]
