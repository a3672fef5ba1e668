"""django-q2's own task pages, with their "resubmit" action limited to who may change tasks."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django_q import admin as q_admin
from django_q.models import Failure, Success


@admin.action(description="Resubmit selected tasks to queue", permissions=["change"])
def resubmit_task(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    q_admin.resubmit_task(modeladmin, request, queryset)


class TaskAdmin(q_admin.TaskAdmin):
    actions = [resubmit_task]


class FailAdmin(q_admin.FailAdmin):
    actions = [resubmit_task]


for model, model_admin in ((Success, TaskAdmin), (Failure, FailAdmin)):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)
