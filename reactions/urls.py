from django.urls import path

from . import views

app_name = "reactions"

urlpatterns = [
    path("articles/<str:slug>/c/<int:number>/react/", views.react, name="react"),
]
