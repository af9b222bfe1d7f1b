from authorization import views
from lib.routing import any_case_path

app_name = "authorization"

urlpatterns = [
    any_case_path("authorize", views.authorize, name="authorize"),
]
