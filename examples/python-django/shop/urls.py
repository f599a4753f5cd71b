"""
URL configuration for shop project.

The `urlpatterns` list routes URLs to views. For more information please see:
    https://docs.djangoproject.com/en/5.2/topics/http/urls/
Examples:
Function views
    1. Add an import:  from my_app import views
    2. Add a URL to urlpatterns:  path('', views.home, name='home')
Class-based views
    1. Add an import:  from other_app.views import Home
    2. Add a URL to urlpatterns:  path('', Home.as_view(), name='home')
Including another URLconf
    1. Import the include() function: from django.urls import include, path
    2. Add a URL to urlpatterns:  path('blog/', include('blog.urls'))
"""
from django.contrib import admin
import os

import psycopg
from django.http import HttpResponse
from django.urls import path


def home(request):
    # psycopg's pure-Python build calls into the system libpq (run.packages).
    return HttpResponse(f"hello from python-django uid={os.getuid()}, libpq {psycopg.pq.version()}\n")


urlpatterns = [
    path('', home),
    path('admin/', admin.site.urls),
]
