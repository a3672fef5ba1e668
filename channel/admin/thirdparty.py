"""Other apps' admin pages whose actions declare no permission, registered again with one:
django-q2's tasks ("resubmit": who may change tasks) and django-axes' login attempts ("clean up":
who may delete them)."""

from __future__ import annotations

from axes import admin as axes_admin
from axes.models import AccessAttempt
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


class AccessAttemptAdmin(axes_admin.AccessAttemptAdmin):
    actions = ["cleanup_expired_attempts"]

    @admin.action(description="Clean up expired attempts", permissions=["delete"])
    def cleanup_expired_attempts(self, request: HttpRequest, queryset: QuerySet) -> None:
        super().cleanup_expired_attempts(request, queryset)


REGISTERED: tuple[tuple[type, type[admin.ModelAdmin]], ...] = (
    (Success, TaskAdmin),
    (Failure, FailAdmin),
    (AccessAttempt, AccessAttemptAdmin),
)
for model, model_admin in REGISTERED:
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)
